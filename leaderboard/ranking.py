"""Ranking rules (DESIGN.md §4), as data: an ordered chain of keys per round, turned into an ORDER BY.

The Vietnamese online-contest convention: more points first; then the prediction closest to the real
number of participants with full marks (known only when the round closes); then less time used *or* the
earlier submission (the round says which — both are used in real contests); then fewer attempts; then
the earlier registration. True ties share a rank and the next rank skips ("1, 2, 2, 4"): SQL's RANK().
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import BigIntegerField, F, OrderBy, Value
from django.db.models.functions import Abs, Cast
from django.utils.translation import gettext_lazy as _

POINTS = "points"
PREDICTION = "prediction"
TIME_USED = "time_used"
SUBMITTED_AT = "submitted_at"
ATTEMPTS = "attempts"
REGISTERED_AT = "registered_at"

LABELS = {
    POINTS: _("more points"),
    PREDICTION: _("prediction closer to the number of participants with full marks"),
    TIME_USED: _("less time used"),
    SUBMITTED_AT: _("earlier submission"),
    ATTEMPTS: _("fewer attempts"),
    REGISTERED_AT: _("earlier registration"),
}


def default_chain(*, with_prediction: bool, time_key: str = TIME_USED) -> list[str]:
    chain = [POINTS]
    if with_prediction:
        chain.append(PREDICTION)
    chain += [time_key, ATTEMPTS, REGISTERED_AT]
    return chain


def order_by(chain: Sequence[str], *, full_marks_count: int | None) -> list[OrderBy]:
    """The ORDER BY of a chain over ``leaderboard.Score`` rows. Missing values rank last.

    The prediction key needs the real number of full marks; while it is unknown (round open) the key is
    left out, which is why the public board of a prediction round stays closed until the round closes.
    """
    terms: list[OrderBy] = []
    for key in chain:
        if key == POINTS:
            terms.append(F("points").desc())
        elif key == PREDICTION and full_marks_count is not None:
            error = Abs(Cast(F("prediction"), BigIntegerField()) - Value(full_marks_count))
            terms.append(OrderBy(error, nulls_last=True))
        elif key == TIME_USED:
            terms.append(F("time_used_ms").asc(nulls_last=True))
        elif key == SUBMITTED_AT:
            terms.append(F("submitted_at").asc())
        elif key == ATTEMPTS:
            terms.append(F("attempts_used").asc())
        elif key == REGISTERED_AT:
            terms.append(F("registered_at").asc())
    return terms


def describe(chain: Sequence[str]) -> list[str]:
    """The chain in words, for the round's rules page."""
    return [str(LABELS[key]) for key in chain]
