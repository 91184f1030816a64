import datetime as dt

import pytest

from appeals import services as appeal_services
from quizzes import services as quiz_services
from quizzes.tests.conftest import (  # noqa: F401  (fixtures shared with the quizzes tests)
    _fresh_close_slots,
    bank,
    make_quiz_round,
    player,
    player2,
    publish_round_results,
    quiz,
    right_answers,
)

SINGLE_TEXT = "Mật khẩu mạnh?"


@pytest.fixture(autouse=True)
def _english():
    """Refusals are matched by their English text; the default language is Vietnamese."""
    from django.utils import translation

    with translation.override("en"):
        yield


def take(quiz_round, user, now, *, wrong_single: bool = False):
    """Submit an attempt with every answer right (or the single-choice one wrong)."""
    attempt = quiz_services.attempt_start(quiz_round=quiz_round, user=user, now=now)
    answers = right_answers(attempt)
    for item in attempt.items.select_related("question"):
        if wrong_single and item.question.text == SINGLE_TEXT:
            answers[item.position] = item.question.choices.get(is_correct=False, text="123456").pk
    for position, response in answers.items():
        quiz_services.attempt_answer(attempt_id=attempt.pk, user=user, position=position, response=response, now=now)
    quiz_services.attempt_submit(attempt_id=attempt.pk, now=now + dt.timedelta(seconds=30))
    return attempt


@pytest.fixture
def published(make_quiz_round, player, player2, now):  # noqa: F811 (fixtures)
    """A quiz round that closed an hour ago and whose results are published (player 4/5 with the
    single-choice question wrong, player2 5/5), with a 7-day appeal window of 2 appeals per participant."""
    from contests.models import Event, EventTransition, Round

    quiz_round = make_quiz_round()
    take(quiz_round, player, now - dt.timedelta(hours=3), wrong_single=True)
    take(quiz_round, player2, now - dt.timedelta(hours=2))
    rnd = quiz_round.round
    Round.objects.filter(pk=rnd.pk).update(closes_at=now - dt.timedelta(hours=1))
    Event.objects.filter(pk=rnd.event_id).update(closes_at=now - dt.timedelta(hours=1))
    EventTransition.objects.filter(event_id=rnd.event_id).update(at=now - dt.timedelta(days=1))  # opened then
    quiz_round.refresh_from_db()
    rnd.refresh_from_db()
    appeal_services.appeal_policy_set(rnd=rnd, days=7, max_per_round=2)
    result_set = publish_round_results(quiz_round)
    rnd.result_set_obj = result_set
    return rnd


@pytest.fixture
def after_publication(published):
    return published.result_set_obj.published_at + dt.timedelta(hours=1)


def wrong_item(rnd, user):
    from quizzes.models import AttemptItem

    return AttemptItem.objects.get(attempt__quiz_round__round=rnd, attempt__user=user, question__text=SINGLE_TEXT)
