import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_tasks_db.models import DBTaskResult

from contests import services as contest_services
from leaderboard.models import Score
from quizzes import services
from quizzes.grading import InvalidResponse
from quizzes.models import Attempt, AttemptItem, QuizRound

from .conftest import right_answers

pytestmark = pytest.mark.django_db


def answer_all(attempt, user, answers, now=None):
    for position, response in answers.items():
        services.attempt_answer(attempt_id=attempt.pk, user=user, position=position, response=response, now=now)


def test_start_draws_every_question_and_fixes_the_deadline(quiz_round, player, now):
    attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    assert attempt.items.count() == 5
    assert attempt.deadline == now + dt.timedelta(seconds=600)
    short = attempt.items.get(question__type="short_text")
    assert short.choice_order == [], "accepted answers are never sent to the page"


def test_deadline_never_passes_the_round_close(make_quiz_round, player, now):
    quiz_round = make_quiz_round(time_limit_s=600)
    rnd = quiz_round.round
    start = rnd.closes_at - dt.timedelta(minutes=2)
    attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=start)
    assert attempt.deadline == rnd.closes_at


def test_full_attempt_earns_full_marks_and_reaches_the_leaderboard(quiz_round, player, now):
    attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    answer_all(attempt, player, right_answers(attempt), now=now + dt.timedelta(seconds=30))
    done = services.attempt_submit(attempt_id=attempt.pk, user=player, now=now + dt.timedelta(seconds=90))
    assert (done.score, done.max_score) == (Decimal(5), Decimal(5))
    assert done.time_used == dt.timedelta(seconds=90)
    score = Score.objects.get(round=quiz_round.round, user=player)
    assert (score.points, score.time_used_ms, score.attempts_used) == (Decimal(5), 90_000, 1)


def test_submitting_twice_is_harmless(quiz_round, player, now):
    attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    first = services.attempt_submit(attempt_id=attempt.pk, now=now + dt.timedelta(seconds=10))
    second = services.attempt_submit(attempt_id=attempt.pk, now=now + dt.timedelta(seconds=50))
    assert first.submitted_at == second.submitted_at
    assert Score.objects.filter(user=player).count() == 1


def test_only_one_active_attempt_a_second_start_resumes_it(quiz_round, player, now):
    first = services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    again = services.attempt_start(quiz_round=quiz_round, user=player, now=now + dt.timedelta(seconds=5))
    assert again.pk == first.pk
    assert Attempt.objects.filter(user=player).count() == 1


def test_autosaved_answers_survive_a_restart(quiz_round, player, now):
    """A "restart": nothing in memory is reused; everything is read back from the database."""
    attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    answers = right_answers(attempt)
    answer_all(attempt, player, answers, now=now)
    reloaded = Attempt.objects.get(pk=attempt.pk)
    saved = {item.position: item.response for item in AttemptItem.objects.filter(attempt=reloaded)}
    expected = {
        p: (sorted(r) if isinstance(r, list) and p != _ordering_position(attempt) else r) for p, r in answers.items()
    }
    assert saved == expected


def _ordering_position(attempt):
    return attempt.items.get(question__type="ordering").position


def test_answers_after_the_deadline_and_grace_are_refused(quiz_round, player, now):
    attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    single = attempt.items.get(question__type="single")
    within_grace = attempt.deadline + dt.timedelta(seconds=quiz_round.grace_s)
    services.attempt_answer(
        attempt_id=attempt.pk, user=player, position=single.position, response=single.choice_order[0], now=within_grace
    )
    with pytest.raises(services.QuizError):
        services.attempt_answer(
            attempt_id=attempt.pk,
            user=player,
            position=single.position,
            response=single.choice_order[1],
            now=within_grace + dt.timedelta(seconds=1),
        )
    assert AttemptItem.objects.get(pk=single.pk).response == single.choice_order[0]


def test_expired_attempt_is_closed_at_its_deadline_by_the_sweep(quiz_round, player, now):
    attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    assert services.attempts_sweep(now=attempt.deadline) == 0, "still within grace"
    assert services.attempts_sweep(now=attempt.deadline + dt.timedelta(minutes=1)) == 1
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and attempt.closed_by == "deadline"
    assert attempt.submitted_at == attempt.deadline
    assert Score.objects.get(user=player).time_used_ms == 600_000


def test_start_schedules_a_close_job_for_the_deadline(quiz_round, player, now, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    job = DBTaskResult.objects.get()
    assert job.task_path == "quizzes.tasks.close_expired_attempts"
    assert job.args_kwargs["args"] == [quiz_round.pk]
    due = attempt.deadline + dt.timedelta(seconds=quiz_round.grace_s)
    assert due <= job.run_after < due + dt.timedelta(seconds=services.CLOSE_JOB_EVERY_S), "never early, soon after"


def test_a_rush_of_starts_shares_one_close_job(quiz_round, player, player2, now, django_capture_on_commit_callbacks):
    """At a rush every start wrote its own job row, a second write per start (docs/benchmarks.md): starts due
    within the same half-minute share one job per round."""
    with django_capture_on_commit_callbacks(execute=True):
        first = services.attempt_start(quiz_round=quiz_round, user=player, now=now)
        second = services.attempt_start(quiz_round=quiz_round, user=player2, now=now)
    assert DBTaskResult.objects.count() == 1
    assert first.deadline == second.deadline


def test_close_job_grades_an_abandoned_attempt(quiz_round, player, now):
    from quizzes.tasks import close_expired_attempt

    attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=now - dt.timedelta(hours=1))
    assert close_expired_attempt.call(attempt.pk) is True
    assert Attempt.objects.get(pk=attempt.pk).status == "submitted"


def test_round_close_job_grades_only_attempts_past_deadline_and_grace(quiz_round, player, player2):
    from django.utils import timezone

    from quizzes.tasks import close_expired_attempts

    current = timezone.now()
    abandoned = services.attempt_start(quiz_round=quiz_round, user=player, now=current - dt.timedelta(hours=1))
    running = services.attempt_start(quiz_round=quiz_round, user=player2, now=current)
    assert close_expired_attempts.call(quiz_round.pk) == 1
    assert Attempt.objects.get(pk=abandoned.pk).status == "submitted"
    assert Attempt.objects.get(pk=abandoned.pk).closed_by == "deadline"
    assert Attempt.objects.get(pk=running.pk).status == "active"


def test_attempt_quota_and_extra_attempt_accommodation(quiz_round, player, organiser, now):
    for n in range(2):
        attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=now + dt.timedelta(minutes=n))
        services.attempt_submit(attempt_id=attempt.pk, now=now + dt.timedelta(minutes=n, seconds=30))
    with pytest.raises(services.QuizError):
        services.attempt_start(quiz_round=quiz_round, user=player, now=now + dt.timedelta(minutes=5))
    services.accommodation_grant(
        quiz_round=quiz_round,
        user=player,
        extra_time_percent=50,
        extra_attempts=1,
        reason="Học sinh khuyết tật",
        by=organiser,
    )
    third = services.attempt_start(quiz_round=quiz_round, user=player, now=now + dt.timedelta(minutes=6))
    assert third.number == 3
    assert third.deadline - third.started_at == dt.timedelta(seconds=900)


def test_accommodation_needs_a_reason(quiz_round, player, organiser):
    with pytest.raises(ValidationError):
        services.accommodation_grant(
            quiz_round=quiz_round, user=player, extra_time_percent=10, extra_attempts=0, reason="  ", by=organiser
        )


@pytest.mark.parametrize(("counting", "expected"), [("best", Decimal(5)), ("last", Decimal(0)), ("first", Decimal(1))])
def test_the_counting_attempt_follows_the_round_setting(make_quiz_round, player, now, counting, expected):
    quiz_round = make_quiz_round(counting=counting, attempts_allowed=3)
    plans = [
        lambda a: {a.items.get(question__type="true_false").position: _right(a, "true_false")},
        right_answers,
        lambda a: {},
    ]
    for n, plan in enumerate(plans):
        attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=now + dt.timedelta(minutes=n))
        answer_all(attempt, player, plan(attempt), now=now + dt.timedelta(minutes=n))
        services.attempt_submit(attempt_id=attempt.pk, now=now + dt.timedelta(minutes=n, seconds=20))
    score = Score.objects.get(round=quiz_round.round, user=player)
    assert score.points == expected and score.attempts_used == 3


def _right(attempt, qtype):
    item = attempt.items.get(question__type=qtype)
    return right_answers(attempt)[item.position]


@pytest.mark.parametrize("state", ["draft", "closed"])
def test_no_attempt_outside_an_open_event(make_quiz_round, player, now, state):
    quiz_round = make_quiz_round(state=state)
    with pytest.raises(services.QuizError):
        services.attempt_start(quiz_round=quiz_round, user=player, now=now)


def test_no_attempt_outside_the_round_window(quiz_round, player):
    with pytest.raises(services.QuizError):
        services.attempt_start(quiz_round=quiz_round, user=player, now=quiz_round.round.closes_at)
    with pytest.raises(services.QuizError):
        services.attempt_start(
            quiz_round=quiz_round, user=player, now=quiz_round.round.opens_at - dt.timedelta(seconds=1)
        )


def test_organisers_and_judges_cannot_enter_their_own_event(quiz_round, organiser, judge, now):
    for staff in (organiser, judge):
        with pytest.raises(services.QuizError):
            services.attempt_start(quiz_round=quiz_round, user=staff, now=now)


def test_ineligible_or_incomplete_profiles_cannot_start(quiz_round, participant, now):
    with pytest.raises(services.QuizError):
        services.attempt_start(quiz_round=quiz_round, user=participant, now=now)  # no profile


def test_another_users_attempt_cannot_be_answered(quiz_round, player, player2, now):
    attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    with pytest.raises(AttemptItem.DoesNotExist):
        services.attempt_answer(attempt_id=attempt.pk, user=player2, position=1, response=None, now=now)


def test_invalid_answers_change_nothing(quiz_round, player, now):
    attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    item = attempt.items.get(question__type="single")
    with pytest.raises(InvalidResponse):
        services.attempt_answer(attempt_id=attempt.pk, user=player, position=item.position, response=123456, now=now)
    assert AttemptItem.objects.get(pk=item.pk).response is None


def test_sampling_is_deterministic_for_a_seed_and_respects_rules(organisation, bank, make_event, player, now):
    quiz = services.quiz_create(
        organisation=organisation, bank=bank, title="Rút ngẫu nhiên", rules=[("Lừa đảo", None, 2), ("", None, 1)]
    )
    event = make_event(rounds=1)
    quiz_round = services.quiz_round_configure(rnd=event.rounds.get(), quiz=quiz, settings={"attempts_allowed": 5})
    contest_services.event_transition(event=event, to_state="open", by=event.created_by)
    quiz_round.refresh_from_db()
    draws = []
    for n in range(2):
        attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=now, seed=42)
        draws.append([(i.question_id, tuple(i.choice_order)) for i in attempt.items.order_by("position")])
        services.attempt_submit(attempt_id=attempt.pk, now=now + dt.timedelta(seconds=n + 1))
    assert draws[0] == draws[1]
    topics = [t for t in attempt.items.values_list("question__topic", flat=True)]
    assert len(topics) == 3 and topics.count("Lừa đảo") >= 2


def test_sampling_rules_the_bank_cannot_satisfy_are_refused(organisation, bank):
    with pytest.raises(ValidationError):
        services.quiz_create(organisation=organisation, bank=bank, title="Quá nhiều", rules=[("Lừa đảo", None, 9)])


def test_weekly_series_creates_rounds_one_week_apart(make_event, quiz, now):
    event = make_event(rounds=0, closes_at=now + dt.timedelta(weeks=5))
    monday = now + dt.timedelta(hours=1)
    created = services.quiz_rounds_create_weekly(
        event=event,
        quiz=quiz,
        title_pattern="Tuần {n}",
        first_opens_at=monday,
        weeks=4,
        open_for=dt.timedelta(days=7, hours=-1),
        weight=Decimal(1),
        settings={"time_limit_s": 900},
    )
    assert [qr.round.title for qr in created] == ["Tuần 1", "Tuần 2", "Tuần 3", "Tuần 4"]
    assert created[1].round.opens_at - created[0].round.opens_at == dt.timedelta(weeks=1)
    assert created[0].round.closes_at == monday + dt.timedelta(days=7, hours=-1)


def test_weekly_series_outside_the_event_creates_nothing(make_event, quiz, now):
    event = make_event(rounds=0, closes_at=now + dt.timedelta(weeks=2))
    with pytest.raises(ValidationError):
        services.quiz_rounds_create_weekly(
            event=event,
            quiz=quiz,
            title_pattern="Tuần",
            first_opens_at=now,
            weeks=4,
            open_for=dt.timedelta(days=6),
            weight=Decimal(1),
            settings={},
        )
    assert not QuizRound.objects.filter(round__event=event).exists()


@pytest.mark.parametrize(
    ("policy", "at_close", "allowed"),
    [("immediate", False, True), ("after_close", False, False), ("after_close", True, True), ("never", True, False)],
)
def test_feedback_policy(make_quiz_round, player, now, policy, at_close, allowed):
    """After close means after the round's clock has run out: closes_at + grace, every attempt closed."""
    quiz_round = make_quiz_round(feedback=policy, attempts_allowed=1)
    attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    services.attempt_submit(attempt_id=attempt.pk, now=now + dt.timedelta(seconds=5))
    attempt.refresh_from_db()
    over = quiz_round.round.closes_at + dt.timedelta(seconds=quiz_round.grace_s)
    moment = over if at_close else now + dt.timedelta(seconds=10)
    assert services.review_allowed(attempt=attempt, now=moment) is allowed


def test_immediate_feedback_waits_in_a_contest_round_that_allows_a_retake(make_quiz_round, player, now):
    """Reading the right answers, then retaking with them, is no contest: with attempts left, "immediate"
    behaves as "after close" in a contest (a playground keeps it: learning is its point)."""
    quiz_round = make_quiz_round(feedback="immediate", attempts_allowed=2)
    attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    services.attempt_submit(attempt_id=attempt.pk, now=now + dt.timedelta(seconds=5))
    attempt.refresh_from_db()
    assert not services.review_allowed(attempt=attempt, now=now + dt.timedelta(seconds=10))
    over = quiz_round.round.closes_at + dt.timedelta(seconds=quiz_round.grace_s)
    assert services.review_allowed(attempt=attempt, now=over)
