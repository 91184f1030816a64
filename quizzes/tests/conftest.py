import datetime as dt

import pytest

from contests.models import Event
from quizzes import services
from quizzes.importing.base import ParsedChoice, ParsedQuestion


def parsed(qtype, text, choices, *, topic="An toàn", difficulty=2, **extra):
    return ParsedQuestion(
        where=text,
        type=qtype,
        text=text,
        topic=topic,
        difficulty=difficulty,
        choices=[ParsedChoice(t, c) for t, c in choices],
        explanation=f"Vì {text}",
        **extra,
    )


def sample_questions():
    return [
        parsed("single", "Mật khẩu mạnh?", [("123456", False), ("T@o-Mk-2023!", True), ("matkhau", False)]),
        parsed(
            "multiple",
            "Dấu hiệu lừa đảo?",
            [("Hối thúc", True), ("Xin OTP", True), ("Lời chào", False)],
            topic="Lừa đảo",
            partial_credit=True,
        ),
        parsed("true_false", "Chia sẻ OTP là an toàn.", [("Đúng", False), ("Sai", True)], topic="Lừa đảo"),
        parsed(
            "short_text", "Cổng dịch vụ công quốc gia có tên miền?", [("dichvucong.gov.vn", True)], topic="Dịch vụ công"
        ),
        parsed(
            "ordering",
            "Thứ tự báo cáo lừa đảo",
            [("Ngừng liên lạc", False), ("Lưu bằng chứng", False), ("Báo công an", False)],
            topic="Lừa đảo",
        ),
    ]


@pytest.fixture
def bank(organisation):
    bank = services.bank_create(organisation=organisation, title="Ngân hàng thử", is_public=True)
    services.questions_import(bank=bank, questions=sample_questions())
    from quizzes.review import questions_approve_as_system

    questions_approve_as_system(questions=bank.questions.all(), comment="test data")
    return bank


@pytest.fixture
def quiz(bank, organisation):
    return services.quiz_create(
        organisation=organisation,
        bank=bank,
        title="Đề thi",
        question_ids=list(bank.questions.values_list("pk", flat=True)),
    )


@pytest.fixture
def make_quiz_round(make_event, quiz):
    def make(*, state=Event.State.OPEN, **settings):
        event = make_event(state=Event.State.DRAFT, rounds=1)
        values = {"time_limit_s": 600, "attempts_allowed": 2, **settings}
        quiz_round = services.quiz_round_configure(rnd=event.rounds.get(), quiz=quiz, settings=values)
        from contests import services as contest_services

        path = {"draft": [], "open": ["open"], "closed": ["open", "closed"]}[state]
        for step in path:
            contest_services.event_transition(event=event, to_state=step, by=event.created_by)
        quiz_round.refresh_from_db()
        return quiz_round

    return make


@pytest.fixture
def quiz_round(make_quiz_round):
    return make_quiz_round()


@pytest.fixture
def player(make_user, complete_profile):
    return make_user("player@example.vn", profile=complete_profile("+84912000111"))


@pytest.fixture
def player2(make_user, complete_profile):
    return make_user("player2@example.vn", profile=complete_profile("+84912000222"))


def right_answers(attempt):
    """The right response for every item of an attempt (reads the key, as only a test may)."""
    answers = {}
    for item in attempt.items.select_related("question").prefetch_related("question__choices"):
        choices = sorted(item.question.choices.all(), key=lambda c: (c.position, c.pk))
        qtype = item.question.type
        if qtype in ("single", "true_false"):
            answers[item.position] = next(c.pk for c in choices if c.is_correct)
        elif qtype == "multiple":
            answers[item.position] = [c.pk for c in choices if c.is_correct]
        elif qtype == "short_text":
            answers[item.position] = choices[0].text.upper()
        else:
            answers[item.position] = [c.pk for c in choices]
    return answers


@pytest.fixture
def later():
    def shift(moment, **delta):
        return moment + dt.timedelta(**delta)

    return shift


def as_client(item, response):
    """A stored response (choice ids) as a page and the autosave body name it: the attempt's tokens."""
    from quizzes.choice_tokens import ChoiceTokens, attempt_scope

    tokens = ChoiceTokens(scope=attempt_scope(item.attempt), choice_ids=item.choice_order)
    return tokens.response_to_client(item.question.type, response)


def right_answers_as_client(attempt):
    """``right_answers`` as a client sends them (tokens)."""
    items = {item.position: item for item in attempt.items.select_related("attempt", "question")}
    return {position: as_client(items[position], answer) for position, answer in right_answers(attempt).items()}


def token_of(item, choice_id):
    """One choice's token in the item's attempt (no query: usable in async tests)."""
    from types import SimpleNamespace

    from quizzes.choice_tokens import attempt_scope, choice_token

    return choice_token(scope=attempt_scope(SimpleNamespace(pk=item.attempt_id)), choice_id=choice_id)


def publish_round_results(quiz_round):
    """Let the round end (close + grace, attempts closed) and publish its results: its contest material
    becomes public."""
    import datetime as dt

    from leaderboard import results

    rnd = quiz_round.round
    over = rnd.closes_at + dt.timedelta(seconds=quiz_round.grace_s + 1)
    services.attempts_sweep(now=over)
    return results.round_results_publish(rnd=rnd, by=rnd.event.created_by, prizes={"first": 1}, now=over)


@pytest.fixture(autouse=True)
def _fresh_close_slots():
    """services.attempts._schedule_close remembers per process which (round, slot) jobs it enqueued; a test's
    round may reuse an earlier test's id in the same slot (rolled back), so each test starts with none."""
    from quizzes.services import attempts

    attempts._closes_scheduled.clear()
    yield
    attempts._closes_scheduled.clear()
