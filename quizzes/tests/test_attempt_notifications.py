"""The owner of an attempt closed by the deadline is notified (notifications app, issue 16); one closed by
its owner is not."""

import datetime as dt

import pytest

from notifications.kinds import Kind
from notifications.models import Notification
from quizzes import services

pytestmark = pytest.mark.django_db


def test_an_attempt_closed_by_the_deadline_notifies_its_owner_once(quiz_round, player, player2):
    late = services.attempt_start(quiz_round=quiz_round, user=player)
    on_time = services.attempt_start(quiz_round=quiz_round, user=player2)
    services.attempt_submit(attempt_id=on_time.pk, user=player2)
    over = late.deadline + dt.timedelta(minutes=5)
    assert services.attempts_sweep(now=over) == 1
    services.attempts_sweep(now=over + dt.timedelta(minutes=1))
    note = Notification.objects.get(kind=Kind.ATTEMPT_CLOSED)
    assert note.user == player and note.key == f"attempt:{late.pk}"
    assert note.url == quiz_round.round.get_absolute_url()
    assert quiz_round.round.title in note.text
    assert not Notification.objects.filter(user=player2).exists()
