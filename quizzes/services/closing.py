"""Closing at the deadline: the per-round close job, the round's release, the lazy close and the sweep.

Apart from answers because they all close attempts for the participant (through ``attempt_submit``), by
the server's clock rather than by a request.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from contests.models import Event, EventTransition
from leaderboard.services import board_release

from ..models import Attempt, QuizRound
from .answers import attempt_submit
from .clock import attempt_is_open, quiz_round_is_over


def attempts_close_expired(*, quiz_round: QuizRound, now: dt.datetime | None = None) -> int:
    """Close every attempt of ``quiz_round`` whose deadline + grace has passed (the scheduled close job)."""
    now = now or timezone.now()
    closed = 0
    expired = Attempt.objects.filter(quiz_round=quiz_round, status=Attempt.Status.ACTIVE, deadline__lt=now)
    for attempt in expired.select_related("quiz_round"):
        if attempt_close_if_expired(attempt=attempt, now=now):
            closed += 1
    return closed


def quiz_round_release_if_over(*, quiz_round: QuizRound, now: dt.datetime | None = None) -> bool:
    """At ``closes_at + grace``: close the attempts still open (their deadline and grace have passed by
    then), then tell the leaderboard that every score is in, which opens a board hidden until close and
    lets the prediction key apply. Idempotent; True once the round is released."""
    now = now or timezone.now()
    if not quiz_round_is_over(quiz_round=quiz_round, now=now):
        return False
    for attempt_id in Attempt.objects.filter(quiz_round=quiz_round, status=Attempt.Status.ACTIVE).values_list(
        "pk", flat=True
    ):
        attempt_submit(attempt_id=attempt_id, now=now, closed_by=Attempt.ClosedBy.DEADLINE)
    board_release(rnd=quiz_round.round, now=now)
    return True


def attempt_close_if_expired(*, attempt: Attempt, now: dt.datetime) -> bool:
    """Close an attempt whose deadline (plus grace) has passed; True if it is (now) closed."""
    if attempt.status == Attempt.Status.SUBMITTED:
        return True
    if attempt_is_open(attempt=attempt, now=now):
        return False
    attempt_submit(attempt_id=attempt.pk, now=now, closed_by=Attempt.ClosedBy.DEADLINE)
    attempt.refresh_from_db()
    return True


def attempts_sweep(*, now: dt.datetime | None = None) -> int:
    """Close every expired attempt and release every round that is over (the safety net behind the
    per-attempt deadline job and the per-round release job)."""
    now = now or timezone.now()
    closed = 0
    for attempt in Attempt.objects.filter(status=Attempt.Status.ACTIVE, deadline__lt=now).select_related("quiz_round"):
        if not attempt_is_open(attempt=attempt, now=now):
            attempt_submit(attempt_id=attempt.pk, now=now, closed_by=Attempt.ClosedBy.DEADLINE)
            closed += 1
    reopened_since = EventTransition.objects.filter(
        event_id=OuterRef("round__event_id"),
        to_state=Event.State.OPEN,
        at__gt=OuterRef("round__board_config__released_at"),
    )
    unreleased = (
        QuizRound.objects.filter(
            Q(round__board_config__released_at__isnull=True)
            | Q(round__board_config__released_at__lt=F("round__closes_at"))
            | Q(Exists(reopened_since))
        )
        .filter(Q(round__closes_at__lt=now) | ~Q(round__event__state=Event.State.OPEN))
        .exclude(round__event__state=Event.State.DRAFT)
        .select_related("round__event")
    )
    for quiz_round in unreleased:
        quiz_round_release_if_over(quiz_round=quiz_round, now=now)
    return closed
