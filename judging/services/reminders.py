"""Reminders: e-mailing the judges who still have entries to score in the current stage."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from submissions.models import ReadingRound

from .. import emails
from .. import selectors as judging_selectors
from ..models import RoundJudge
from .common import _email_later, _not_finalised


@transaction.atomic
def reminders_send(
    *, reading_round: ReadingRound, judge: RoundJudge | None = None, now: dt.datetime | None = None
) -> int:
    """E-mail each judge (or one) who has entries left to score in the current stage; return how many."""
    now = now or timezone.now()
    _not_finalised(reading_round)
    sent = 0
    for row in judging_selectors.judges_progress(reading_round=reading_round):
        if row.remaining <= 0 or (judge is not None and row.judge.pk != judge.pk):
            continue
        RoundJudge.objects.filter(pk=row.judge.pk).update(reminded_at=now)
        _email_later(emails.REMINDER, row.judge.pk)
        sent += 1
    return sent
