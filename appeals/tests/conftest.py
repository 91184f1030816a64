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
    """A quiz round whose results are published (player 4/5 with the single-choice question wrong, player2
    5/5), with a 7-day appeal window of 2 appeals per participant."""
    quiz_round = make_quiz_round()
    take(quiz_round, player, now, wrong_single=True)
    take(quiz_round, player2, now + dt.timedelta(minutes=1))
    rnd = quiz_round.round
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
