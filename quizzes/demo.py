"""Demo part of the quizzes app: the digital-citizenship banks, a weekly contest quiz and a playground quiz.

The demo does what an organiser should: the contest draws from a private contest bank, and the public
practice bank holds other questions. A contest round drawing from a public bank would withhold those
questions from practice until the round's results are public (``selectors.reserved_questions``), and leave nothing of
the contest's key one click away.
"""

import datetime as dt
import json
import random
from pathlib import Path

from contests.models import Event, Organisation
from quizzes import services
from quizzes.importing.base import ParsedQuestion, validate_question
from quizzes.models import QuestionBank, QuizRound
from quizzes.review import questions_approve_as_system

BANK_FILE = Path(__file__).resolve().parent / "data" / "demo_bank.json"
TOPICS_PER_ATTEMPT = 2  # 8 topics × 2 = 16 questions drawn fresh for each attempt (3 per topic in the bank)


PRACTICE_SLUG = "cong-dan-so"
CONTEST_SLUG = "cong-dan-so-de-thi"


def _demo_questions(*, for_contest: bool) -> tuple[dict, list[ParsedQuestion]]:
    """Half of each topic's questions (alternately, in file order) for practice, the other half for the contest."""
    data = json.loads(BANK_FILE.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    questions = []
    for raw in data["questions"]:
        index = seen[raw.get("topic", "")] = seen.get(raw.get("topic", ""), -1) + 1
        if index % 2 == int(for_contest):
            questions.append(validate_question(ParsedQuestion.from_dict(raw)))
    return data, questions


def _load_bank(organisation: Organisation, *, slug: str, for_contest: bool) -> QuestionBank:
    bank = QuestionBank.objects.filter(slug=slug).first()
    if bank is not None:
        return bank
    data, questions = _demo_questions(for_contest=for_contest)
    bank = services.bank_create(
        organisation=organisation,
        title=f"{data['title']} – đề thi" if for_contest else data["title"],
        description="Câu hỏi dành riêng cho cuộc thi." if for_contest else data["description"],
        is_public=not for_contest,
        slug=slug,
    )
    services.questions_import(bank=bank, questions=questions)
    # The demo's questions come from our own file: approved as the operator's data, so the demo contest runs.
    questions_approve_as_system(questions=bank.questions.all(), comment="Demo data (seed_demo)")
    return bank


def load_demo_bank(organisation: Organisation) -> QuestionBank:
    """The public practice bank (every topic, half of the demo questions)."""
    return _load_bank(organisation, slug=PRACTICE_SLUG, for_contest=False)


def load_contest_bank(organisation: Organisation) -> QuestionBank:
    """The private contest bank: the other half, never shown in practice."""
    return _load_bank(organisation, slug=CONTEST_SLUG, for_contest=True)


def seed(*, stdout, now) -> None:
    department = Organisation.objects.get(slug="so-gddt-thai-nguyen")
    bank = load_demo_bank(department)
    contest_bank = load_contest_bank(department)
    topics = sorted(set(contest_bank.questions.values_list("topic", flat=True)))
    contest = Event.objects.get(slug="cong-dan-so-2023")
    contest_round = contest.rounds.filter(kind="quiz").first()
    if contest_round and not QuizRound.objects.filter(round=contest_round).exists():
        quiz = services.quiz_create(
            organisation=department,
            bank=contest_bank,
            title="Đề thi tuần – Công dân số",
            rules=[(topic, None, TOPICS_PER_ATTEMPT) for topic in topics],
        )
        services.quiz_round_configure(
            rnd=contest_round,
            quiz=quiz,
            settings={
                "time_limit_s": 15 * 60,
                "attempts_allowed": 2,
                "counting": QuizRound.Counting.BEST,
                "feedback": QuizRound.Feedback.AFTER_CLOSE,
                "prediction_prompt": "Theo bạn, có bao nhiêu người dự thi đạt điểm tuyệt đối ở vòng này?",
            },
        )
    playground = Event.objects.get(slug="san-choi-ky-nang-so")
    playground_round = playground.rounds.filter(kind="quiz").first()
    if playground_round and not QuizRound.objects.filter(round=playground_round).exists():
        first_ten = list(bank.questions.order_by("pk").values_list("pk", flat=True)[:10])
        quiz = services.quiz_create(organisation=department, bank=bank, title="Đố vui 10 câu", question_ids=first_ten)
        services.quiz_round_configure(
            rnd=playground_round,
            quiz=quiz,
            settings={
                "time_limit_s": 5 * 60,
                "attempts_allowed": 20,
                "counting": QuizRound.Counting.BEST,
                "feedback": QuizRound.Feedback.IMMEDIATE,
            },
        )
    stdout.write(f"question bank {bank.slug}: {bank.questions.count()} questions (public, practice)")
    stdout.write(f"question bank {contest_bank.slug}: {contest_bank.questions.count()} questions (private, contest)")


# --- seed_demo --rich: the product alive -----------------------------------------------------------

PAST_SLUG = "cong-dan-so-tuan-1"
PAST_QUESTIONS = 10
PRIZES = {"first": 1, "second": 2, "third": 3, "consolation": 5}


def seed_rich(*, stdout, now, people) -> None:
    """Simulated participants take part: last week's quiz round is over, released and its results
    published with prizes and certificates; this week's open round has submitted attempts too, so that
    boards, unit boards and statistics are full. Idempotent (a part that exists is kept)."""
    department = Organisation.objects.get(slug="so-gddt-thai-nguyen")
    contest_bank = load_contest_bank(department)
    _past_week(department, contest_bank, people, now, stdout)
    current = QuizRound.objects.filter(round__event__slug="cong-dan-so-2023").select_related("round", "quiz").first()
    if current is not None and not current.attempts.filter(user__in=people).exists():
        takers = people[::2]  # half of them have already taken this week's round
        _submitted_attempts(current, takers, now - dt.timedelta(hours=20), seed=7, prediction=True)
        stdout.write(f"quiz round {current.round_id}: {len(takers)} simulated attempts submitted")


def _past_week(department, bank, people, now, stdout) -> None:
    from django.contrib.auth import get_user_model

    from contests import services as contest_services
    from leaderboard import results
    from leaderboard.services import board_release

    if Event.objects.filter(slug=PAST_SLUG).exists():
        stdout.write(f"event {PAST_SLUG}: already seeded")
        return
    organiser = get_user_model().objects.get(email="organiser@demo.vn")
    opens, closes = now - dt.timedelta(days=14), now - dt.timedelta(days=7)
    event = contest_services.event_create(
        organisation=department,
        by=organiser,
        fields={
            "slug": PAST_SLUG,
            "kind": Event.Kind.CONTEST,
            "title": "Cuộc thi “Công dân số” – Tuần 1 (đã trao giải)",
            "summary": "Tuần thi đầu tiên: kết quả, giải thưởng và giấy chứng nhận đã công bố.",
            "description": "Vòng thi trắc nghiệm tuần 1 của cuộc thi Công dân số.",
            "rules": "Xếp hạng theo điểm, sau đó theo thời gian làm bài và thời điểm nộp bài.",
            "opens_at": opens,
            "closes_at": closes,
        },
    )
    rnd = contest_services.round_create(
        event=event, fields={"title": "Tuần 1: Thi trắc nghiệm", "kind": "quiz", "opens_at": opens, "closes_at": closes}
    )
    question_ids = list(bank.questions.order_by("pk").values_list("pk", flat=True)[:PAST_QUESTIONS])
    quiz = services.quiz_create(organisation=department, bank=bank, title="Đề thi tuần 1", question_ids=question_ids)
    quiz_round = services.quiz_round_configure(
        rnd=rnd, quiz=quiz, settings={"time_limit_s": 15 * 60, "feedback": QuizRound.Feedback.AFTER_CLOSE}
    )
    contest_services.event_transition(event=event, to_state=Event.State.OPEN, by=organiser, now=opens)
    takers = [p for i, p in enumerate(people) if i % 7 != 3]  # most of them took part
    _submitted_attempts(quiz_round, takers, opens + dt.timedelta(hours=2), seed=1)
    contest_services.event_transition(event=event, to_state=Event.State.CLOSED, by=organiser, now=closes)
    board_release(rnd=rnd, now=now)
    result_set = results.round_results_publish(rnd=rnd, by=organiser, prizes=PRIZES, now=now)
    issued = results.certificates_issue(result_set=result_set, participation=True, now=now)
    stdout.write(f"event {PAST_SLUG}: {len(takers)} attempts, results published, {issued} certificates")


def _submitted_attempts(quiz_round, people, first_start, *, seed: int, prediction: bool = False) -> None:
    """Submitted attempts of ``people`` in bulk, graded by the real grading rules, each person's score
    recorded through ``leaderboard.services.score_record`` (the one way into the board)."""
    from leaderboard.services import score_record
    from quizzes.grading import grade
    from quizzes.models import Attempt, AttemptItem, Question

    rng = random.Random(seed)  # noqa: S311 - a reproducible demo, not a secret
    fixed = quiz_round.quiz.selection == "fixed"
    ids = _question_ids(quiz_round)
    by_id = Question.objects.prefetch_related("choices").in_bulk(ids)
    questions = [by_id[pk] for pk in ids]
    keys = {q.pk: services.answer_key(q) for q in questions}
    rules = list(quiz_round.quiz.rules.all())
    limit = dt.timedelta(seconds=quiz_round.time_limit_s)
    attempts, planned = [], []
    for index, person in enumerate(people):
        started = first_start + dt.timedelta(minutes=index * 3 + rng.randint(0, 30))
        skill = rng.betavariate(5, 2)  # most people know most answers, as in a real contest
        order = questions if fixed else _draw(rules, questions, rng)
        items = []
        for position, question in enumerate(order, start=1):
            key = keys[question.pk]
            response = _response(rng, key, right=rng.random() < skill)
            answered = started + dt.timedelta(seconds=position * rng.randint(10, 40))
            items.append((position, question, response, answered, grade(key, response)))
        used = dt.timedelta(seconds=min(limit.total_seconds() - 5, len(order) * rng.randint(15, 45)))
        attempt = Attempt(
            quiz_round=quiz_round,
            user=person,
            number=1,
            status=Attempt.Status.SUBMITTED,
            closed_by=Attempt.ClosedBy.PARTICIPANT,
            started_at=started,
            deadline=started + limit,
            submitted_at=started + used,
            score=sum((points for *_rest, points in items), 0),
            max_score=sum((keys[q.pk].points for q in order), 0),
            prediction=rng.randint(40, 160) if prediction else None,
            seed=rng.getrandbits(40),
        )
        attempts.append(attempt)
        planned.append(items)
    Attempt.objects.bulk_create(attempts)
    AttemptItem.objects.bulk_create(
        AttemptItem(
            attempt=attempt,
            question=question,
            position=position,
            choice_order=list(keys[question.pk].choice_ids) if question.type != "short_text" else [],
            response=response,
            answered_at=answered,
            points=points,
        )
        for attempt, items in zip(attempts, planned, strict=True)
        for position, question, response, answered, points in items
    )
    for attempt in attempts:
        score_record(
            rnd=quiz_round.round,
            user=attempt.user,
            points=attempt.score,
            max_points=attempt.max_score,
            submitted_at=attempt.submitted_at,
            time_used_ms=int(attempt.time_used.total_seconds() * 1000),
            prediction=attempt.prediction,
        )


def _draw(rules, questions, rng) -> list:
    """A draw by the quiz's sampling rules, as ``services.attempts._draw_questions`` makes it, from questions already
    in memory (that function asks the database twice per rule: for 150 attempts, most of the demo's time)."""
    drawn, picked_all = set(), []
    for rule in rules:
        pool = sorted(
            q.pk
            for q in questions
            if q.pk not in drawn
            and (not rule.topic or q.topic == rule.topic)
            and (not rule.difficulty or q.difficulty == rule.difficulty)
        )
        picked = rng.sample(pool, min(rule.count, len(pool)))
        drawn.update(picked)
        picked_all += picked
    by_id = {q.pk: q for q in questions}
    return [by_id[pk] for pk in picked_all]


def _question_ids(quiz_round) -> list[int]:
    quiz = quiz_round.quiz
    if quiz.selection == "fixed":
        return list(quiz.items.order_by("position").values_list("question_id", flat=True))
    return list(quiz.bank.questions.values_list("pk", flat=True))


def _response(rng, key, *, right: bool):
    """A participant's answer to a question with ``key``: the right one, or a plausible mistake."""
    ids = list(key.choice_ids)
    correct = [i for i in ids if i in key.correct_ids]
    wrong = [i for i in ids if i not in key.correct_ids]
    if key.type in ("single", "true_false"):
        return correct[0] if right or not wrong else rng.choice(wrong)
    if key.type == "multiple":
        return sorted(correct) if right or not wrong else sorted(set(correct[:1]) | {rng.choice(wrong)})
    if key.type == "short_text":
        return key.accepted_texts[0] if right and key.accepted_texts else "không nhớ"
    if key.type == "ordering":
        shuffled = ids[:]
        if not right:
            rng.shuffle(shuffled)
        return shuffled
    return None
