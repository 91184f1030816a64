"""What every judging write shares: the refusal it raises, the round lock, the finalised guard and the
e-mail sent after commit. One module that all the others import, so that they need not import each other
for these.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from submissions.models import ReadingRound


class JudgingError(Exception):
    """A refusal the organiser or the judge should read, in their language."""


def _email_later(kind: str, object_id: int) -> None:
    from ..tasks import judging_email_send

    transaction.on_commit(lambda: judging_email_send.enqueue(kind, object_id))


def _lock(reading_round: ReadingRound) -> ReadingRound:
    """Serialise writes that read-then-write a round's assignments (two "assign" clicks at once)."""
    return ReadingRound.objects.select_for_update().get(pk=reading_round.pk)


def _not_finalised(reading_round: ReadingRound) -> None:
    if reading_round.judging_finalised_at is not None:
        raise JudgingError(_("Judging of this round is finalised: nothing can change any more."))
