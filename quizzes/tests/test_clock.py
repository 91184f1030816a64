"""One clock per round: nothing sent after deadline + grace counts (answers, submit, prediction), and nothing
about the round's scores or answers is public before closes_at + grace with every attempt closed."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from leaderboard.models import BoardConfig, Score
from quizzes import services
from quizzes.models import Attempt
from quizzes.tasks import ATTEMPTS_QUEUE

PROMPT = "Bao nhiêu người đạt điểm tối đa?"


def _past_everything(attempt, *, seconds_late: int):
    """Move the round's close and the attempt's deadline so that now is ``seconds_late`` after deadline + grace."""
    grace = dt.timedelta(seconds=attempt.quiz_round.grace_s)
    moment = timezone.now() - grace - dt.timedelta(seconds=seconds_late)
    rnd = attempt.quiz_round.round
    type(rnd).objects.filter(pk=rnd.pk).update(closes_at=moment, opens_at=moment - dt.timedelta(days=1))
    Attempt.objects.filter(pk=attempt.pk).update(deadline=moment, started_at=moment - dt.timedelta(minutes=5))


def test_a_prediction_sent_one_second_after_deadline_and_grace_is_refused(client, player, make_quiz_round):
    quiz_round = make_quiz_round(prediction_prompt=PROMPT)
    client.force_login(player)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.post(reverse("attempt_start", args=[quiz_round.round_id]))
    attempt = Attempt.objects.get(user=player)
    _past_everything(attempt, seconds_late=1)
    response = client.post(reverse("attempt_submit", args=[attempt.pk]), {"prediction": "3"}, follow=True)
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED and attempt.closed_by == Attempt.ClosedBy.DEADLINE
    assert attempt.prediction is None and Score.objects.get(user=player).prediction is None
    assert any("too late" in str(m) for m in response.context["messages"])


def test_a_prediction_inside_the_grace_counts_like_an_answer(make_quiz_round, player, now):
    quiz_round = make_quiz_round(prediction_prompt=PROMPT)
    attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    in_grace = attempt.deadline + dt.timedelta(seconds=quiz_round.grace_s - 1)
    services.attempt_submit(attempt_id=attempt.pk, user=player, now=in_grace, prediction=4)
    assert Score.objects.get(user=player).prediction == 4


def test_the_prediction_board_stays_shut_until_every_attempt_is_closed(client, player, player2, make_quiz_round, now):
    quiz_round = make_quiz_round(prediction_prompt=PROMPT)
    rnd = quiz_round.round
    done = services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    services.attempt_submit(attempt_id=done.pk, user=player, now=now + dt.timedelta(minutes=1), prediction=1)
    straggler = services.attempt_start(quiz_round=quiz_round, user=player2, now=rnd.closes_at - dt.timedelta(minutes=1))
    over = rnd.closes_at + dt.timedelta(seconds=quiz_round.grace_s + 1)

    assert not services.quiz_round_release_if_over(quiz_round=quiz_round, now=rnd.closes_at), "grace still running"
    config = BoardConfig.objects.get(round=rnd)
    assert config.released_at is None
    assert services.attempts_sweep(now=over) == 1, "the straggler is closed first"
    straggler.refresh_from_db()
    assert straggler.status == Attempt.Status.SUBMITTED
    config.refresh_from_db()
    assert config.released_at == over


def test_public_board_and_full_marks_count_wait_for_the_release(client, player, make_quiz_round):
    quiz_round = make_quiz_round(prediction_prompt=PROMPT)
    client.force_login(player)
    client.post(reverse("attempt_start", args=[quiz_round.round_id]))
    attempt = Attempt.objects.get(user=player)
    client.post(reverse("attempt_submit", args=[attempt.pk]), {"prediction": "3"})
    rnd = quiz_round.round
    closed_moment = timezone.now() - dt.timedelta(minutes=5)
    type(rnd).objects.filter(pk=rnd.pk).update(closes_at=closed_moment, opens_at=closed_moment - dt.timedelta(days=1))
    client.logout()
    shut = client.get(reverse("round_board", args=[rnd.pk]))
    assert shut.context["public"] is False and shut.context["full_marks"] is None, "closed but not yet released"
    rnd.refresh_from_db()
    services.attempts_sweep()
    opened = client.get(reverse("round_board", args=[rnd.pk]))
    assert opened.context["public"] is True and opened.context["full_marks"] is not None


def test_reviews_wait_for_the_grace_and_the_stragglers(make_quiz_round, player, player2, now):
    quiz_round = make_quiz_round(feedback="after_close")
    rnd = quiz_round.round
    mine = services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    services.attempt_submit(attempt_id=mine.pk, user=player, now=now + dt.timedelta(minutes=1))
    mine.refresh_from_db()
    services.attempt_start(quiz_round=quiz_round, user=player2, now=rnd.closes_at - dt.timedelta(minutes=1))
    assert not services.review_allowed(attempt=mine, now=rnd.closes_at + dt.timedelta(seconds=1)), "in the grace"
    over = rnd.closes_at + dt.timedelta(seconds=quiz_round.grace_s + 1)
    assert not services.review_allowed(attempt=mine, now=over), "a straggler's attempt is still open"
    services.attempts_sweep(now=over)
    assert services.review_allowed(attempt=mine, now=over)


@pytest.mark.django_db(transaction=True)
def test_closing_and_release_jobs_have_their_own_queue(
    make_quiz_round, player, now, django_capture_on_commit_callbacks
):
    quiz_round = make_quiz_round()
    services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    queues = dict(DBTaskResult.objects.values_list("task_path", "queue_name"))
    assert queues["quizzes.tasks.close_expired_attempts"] == ATTEMPTS_QUEUE
    assert queues["quizzes.tasks.release_quiz_round"] == ATTEMPTS_QUEUE


def _prediction_round_released_early(make_quiz_round, player, organiser, now):
    """A prediction round whose event the organiser closed early: released once the last attempt was over."""
    from contests import services as contest_services

    quiz_round = make_quiz_round(prediction_prompt=PROMPT)
    attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    services.attempt_submit(attempt_id=attempt.pk, user=player, now=now + dt.timedelta(minutes=1), prediction=2)
    event = quiz_round.round.event
    contest_services.event_transition(event=event, to_state="closed", by=organiser)
    services.attempts_sweep()
    config = BoardConfig.objects.get(round=quiz_round.round)
    assert config.released_at is not None, "an early close releases the round once its attempts are over"
    return quiz_round, event


def test_reopening_an_event_shuts_a_released_prediction_board_again(make_quiz_round, player, organiser, now):
    from contests import services as contest_services
    from leaderboard import selectors as boards

    quiz_round, event = _prediction_round_released_early(make_quiz_round, player, organiser, now)
    config = BoardConfig.objects.select_related("round__event").get(round=quiz_round.round)
    assert boards.board_is_public(config=config, now=timezone.now())
    contest_services.event_transition(event=event, to_state="open", by=organiser)
    config = BoardConfig.objects.select_related("round__event").get(round=quiz_round.round)
    assert not boards.board_is_public(config=config, now=timezone.now()), "entries are possible again"
    assert boards.applied_full_marks(config=config, now=timezone.now()) is None
    services.attempts_sweep()
    config.refresh_from_db()
    assert not boards.board_is_public(config=config, now=timezone.now()), "the sweep does not release it early"
    over = quiz_round.round.closes_at + dt.timedelta(seconds=quiz_round.grace_s + 1)
    services.attempts_sweep(now=over)
    config = BoardConfig.objects.select_related("round__event").get(round=quiz_round.round)
    assert config.released_at == over and boards.board_is_public(config=config, now=over)


def test_extending_a_released_round_shuts_its_board_until_the_new_close(make_quiz_round, player, now):
    from leaderboard import selectors as boards

    quiz_round = make_quiz_round(prediction_prompt=PROMPT)
    rnd = quiz_round.round
    over = rnd.closes_at + dt.timedelta(seconds=quiz_round.grace_s + 1)
    services.attempts_sweep(now=over)
    config = BoardConfig.objects.select_related("round__event").get(round=rnd)
    assert boards.board_is_public(config=config, now=over)
    type(rnd).objects.filter(pk=rnd.pk).update(closes_at=rnd.closes_at + dt.timedelta(days=1))
    config = BoardConfig.objects.select_related("round__event").get(round=rnd)
    assert not boards.board_is_public(config=config, now=over), "the window was extended after the release"


def test_results_cannot_be_published_while_a_round_can_still_take_answers(make_quiz_round, player, organiser, now):
    from django.core.exceptions import ValidationError

    from contests import services as contest_services
    from leaderboard import results

    quiz_round = make_quiz_round()
    services.attempt_start(quiz_round=quiz_round, user=player, now=timezone.now())
    event = quiz_round.round.event
    contest_services.event_transition(event=event, to_state="closed", by=organiser)
    event.refresh_from_db()
    with pytest.raises(ValidationError):
        results.results_publish(event=event, by=organiser, prizes={"first": 1})
    attempt = Attempt.objects.get(user=player)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=attempt.started_at + dt.timedelta(minutes=1))
    later = attempt.started_at + dt.timedelta(minutes=1, seconds=quiz_round.grace_s + 1)
    services.attempts_sweep(now=later)
    assert results.results_publish(event=event, by=organiser, prizes={"first": 1}, now=later).rows.count() == 1
