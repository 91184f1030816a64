"""``manage.py verify_results`` on a quiz round: regrade the stored answers, compare with the recorded score."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from quizzes import services as quiz_services

from .conftest import right_answers

pytestmark = pytest.mark.django_db


def test_verify_results_recomputes_a_quiz_round_and_catches_tampering(quiz_round, player, organiser, now):
    from leaderboard.models import Score

    attempt = quiz_services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    for position, response in right_answers(attempt).items():
        quiz_services.attempt_answer(attempt_id=attempt.pk, user=player, position=position, response=response, now=now)
    quiz_services.attempt_submit(attempt_id=attempt.pk, now=now + dt.timedelta(seconds=30))
    call_command("verify_results", str(quiz_round.round_id))
    Score.objects.filter(user=player).update(points=Decimal(4))
    with pytest.raises(CommandError, match="1 differences"):
        call_command("verify_results", str(quiz_round.round_id))
