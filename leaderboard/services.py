"""The one door into the leaderboard: every round kind records a participant's score here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from contests.models import Round

from .models import Score


@transaction.atomic
def score_record(
    *,
    rnd: Round,
    user,
    points: Decimal,
    max_points: Decimal,
    submitted_at: dt.datetime,
    time_used_ms: int | None = None,
    prediction: int | None = None,
    attempts_used: int = 1,
) -> Score:
    """Create or replace the participant's score for the round, with its tie-break fields.

    The caller decides which result counts (best/last/first attempt, judges' aggregate…); this stores it.
    """
    score, _created = Score.objects.update_or_create(
        round=rnd,
        user=user,
        defaults={
            "points": points,
            "max_points": max_points,
            "submitted_at": submitted_at,
            "time_used_ms": time_used_ms,
            "prediction": prediction,
            "attempts_used": attempts_used,
            "registered_at": user.date_joined,
        },
    )
    return score
