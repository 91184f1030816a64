"""A reading round's judging settings and its rubric (the criteria judges mark)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from submissions.models import ReadingRound

from .. import selectors as judging_selectors
from ..models import Criterion
from .common import JudgingError, _not_finalised

JUDGING_FIELDS = (
    "judging_opens_at",
    "judging_closes_at",
    "judges_per_entry",
    "blind_judging",
    "averaging",
    "normalise_judges",
    "disagreement_percent",
    "extra_judge_on_disagreement",
    "shortlist_size",
    "final_judges_per_entry",
    "finalise_at_close",
)


def judging_configure(*, reading_round: ReadingRound, settings: dict[str, Any]) -> ReadingRound:
    """Change the judging settings. Two stages cannot be turned on or off once the final stage began."""
    _not_finalised(reading_round)
    unknown = set(settings) - set(JUDGING_FIELDS)
    if unknown:
        raise ValueError(f"not judging settings: {sorted(unknown)}")
    if reading_round.in_final_stage and settings.get("shortlist_size", reading_round.shortlist_size) == 0:
        raise ValidationError({"shortlist_size": _("The final stage has begun: the round stays in two stages.")})
    for name, value in settings.items():
        setattr(reading_round, name, value)
    reading_round.full_clean()
    reading_round.save(update_fields=[*settings])
    return reading_round


def rubric_save(*, reading_round: ReadingRound, items: list[dict[str, Any]]) -> list[Criterion]:
    """Replace the rubric by ``items`` (dicts of name, description, max_points, weight and, for a kept
    criterion, its ``id``), in order. Refused once a score is submitted: the totals would change meaning."""
    _not_finalised(reading_round)
    if judging_selectors.rubric_locked(reading_round=reading_round):
        raise JudgingError(_("Judges have already submitted scores: the rubric can no longer change."))
    if not items:
        raise JudgingError(_("A rubric needs at least one criterion."))
    if sum(Decimal(item["weight"]) * Decimal(item["max_points"]) for item in items) <= 0:
        raise JudgingError(_("At least one criterion needs a weight above 0."))
    with transaction.atomic():
        existing = {c.pk: c for c in Criterion.objects.filter(reading_round=reading_round)}
        kept = []
        for position, item in enumerate(items):
            criterion = existing.pop(cast(int, item.get("id")), None) or Criterion(reading_round=reading_round)
            criterion.position = position
            for name in ("name", "description", "max_points", "weight"):
                setattr(criterion, name, item.get(name, getattr(criterion, name)))
            criterion.full_clean()
            criterion.save()
            kept.append(criterion)
        Criterion.objects.filter(pk__in=list(existing)).delete()
    return kept
