"""A reading round's settings, and the ones fixed once judging has begun."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from contests.models import Round
from leaderboard.services import board_await_release

from ..models import ReadingRound

if TYPE_CHECKING:
    from django.db.models import Field

FIXED_AFTER_JUDGING = ("voting_enabled", "vote_weight")


def reading_round_configure(*, rnd: Round, settings: dict[str, Any]) -> ReadingRound:
    """Create or update the settings of a round of kind reading.

    Once judging is finalised the public vote's part of the score is fixed: ``verify_results`` must find
    the recorded scores again from the stored votes and settings.
    """
    if rnd.kind != Round.Kind.READING:
        raise ValidationError(_("Only a read-aloud round has these settings."))
    reading_round = ReadingRound.objects.filter(round=rnd).first() or ReadingRound(round=rnd)
    if reading_round.judging_finalised_at is not None:
        changed = [
            name
            for name in FIXED_AFTER_JUDGING
            if name in settings
            and cast("Field[Any, Any]", ReadingRound._meta.get_field(name)).to_python(settings[name])
            != getattr(reading_round, name)
        ]
        if changed:
            message = _("Judging is finalised: the public vote's part of the score can no longer change.")
            raise ValidationError(dict.fromkeys(changed, message))
    created = reading_round.pk is None
    for name, value in settings.items():
        setattr(reading_round, name, value)
    reading_round.full_clean()
    reading_round.save()
    if created:
        board_await_release(rnd=rnd)  # its results wait for judging to be finalised
    return reading_round
