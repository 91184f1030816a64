"""The accommodation form looks a participant up among the organiser's own people only (issue 13)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from quizzes import services
from quizzes.models import Accommodation

pytestmark = pytest.mark.django_db


def _grant(client, quiz_round, identifier):
    return client.post(
        reverse("organiser_accommodation_grant", args=[quiz_round.round_id]),
        {"participant": identifier, "extra_time_percent": "25", "extra_attempts": "0", "reason": "Khiếm thị"},
    )


def test_an_accommodation_reaches_someone_who_entered_the_organisers_event(client, organiser, quiz_round, player, now):
    services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    client.force_login(organiser)
    _grant(client, quiz_round, "0912 000 111")
    assert Accommodation.objects.get().user == player


def test_a_phone_number_of_someone_outside_the_organisers_events_finds_nobody(client, organiser, quiz_round, player):
    client.force_login(organiser)
    response = _grant(client, quiz_round, "0912 000 111")
    assert response.status_code == 302 and not Accommodation.objects.exists()
