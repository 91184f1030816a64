"""Ranking rules (DESIGN.md §4), as data: an ordered chain of keys per round.

The Vietnamese online-contest convention: more points first; then the prediction closest to the real
number of participants with full marks (known only when the round closes); then less time used *or* the
earlier submission (the round says which — both are used in real contests); then fewer attempts; then
the earlier registration. True ties share a rank and the next rank skips ("1, 2, 2, 4").

A chain becomes (1) an ORDER BY for the top of a board and (2) a "strictly better than" filter, so that a
participant's rank is ``1 + COUNT(better)``: one indexed count instead of ranking every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import BigIntegerField, F, OrderBy, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Abs, Cast, Coalesce
from django.utils.translation import gettext_lazy as _

POINTS = "points"
PREDICTION = "prediction"
TIME_USED = "time_used"
SUBMITTED_AT = "submitted_at"
ATTEMPTS = "attempts"
REGISTERED_AT = "registered_at"
KEYS = (POINTS, PREDICTION, TIME_USED, SUBMITTED_AT, ATTEMPTS, REGISTERED_AT)
NO_VALUE = 2**62  # missing time / prediction ranks after every real value
# Every key expression is typed 64-bit on purpose: with a 32-bit type, Django treats a comparison with
# NO_VALUE as out of range and drops it from the WHERE clause on PostgreSQL (not on SQLite).
BIG = BigIntegerField()

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


def effective_chain(chain: Sequence[str], *, full_marks_count: int | None) -> list[str]:
    """The chain as it can be applied now: the prediction key waits for the real count (round closed)."""
    return [key for key in chain if key != PREDICTION or full_marks_count is not None]


@dataclass(frozen=True)
class Term:
    """One key as SQL: an expression over ``leaderboard.Score`` and whether bigger is better."""

    expression: Any
    descending: bool


def _terms(chain: Sequence[str], full_marks_count: int | None) -> list[Term]:
    terms: list[Term] = []
    for key in effective_chain(chain, full_marks_count=full_marks_count):
        if key == POINTS:
            terms.append(Term(F("points"), True))
        elif key == PREDICTION:
            error = Abs(Cast(F("prediction"), BIG) - Value(full_marks_count, output_field=BIG), output_field=BIG)
            terms.append(Term(Coalesce(error, Value(NO_VALUE, output_field=BIG), output_field=BIG), False))
        elif key == TIME_USED:
            terms.append(Term(time_used_key(), False))
        elif key == SUBMITTED_AT:
            terms.append(Term(F("submitted_at"), False))
        elif key == ATTEMPTS:
            terms.append(Term(F("attempts_used"), False))
        elif key == REGISTERED_AT:
            terms.append(Term(F("registered_at"), False))
    return terms


def no_value() -> RawSQL:
    """NO_VALUE written into the SQL, not passed as a parameter: an index on an expression can serve an
    ORDER BY only when the query's expression is the same text (``score_board_chain_idx``)."""
    return RawSQL(str(NO_VALUE), (), output_field=BIG)  # noqa: S611 - a constant integer


def time_used_key() -> Coalesce:
    return Coalesce(F("time_used_ms"), no_value(), output_field=BIG)


def order_by(chain: Sequence[str], *, full_marks_count: int | None) -> list[OrderBy]:
    """ORDER BY for the chain, best first."""
    return [t.expression.desc() if t.descending else t.expression.asc() for t in _terms(chain, full_marks_count)]


def values_of(score: Any, chain: Sequence[str], *, full_marks_count: int | None) -> tuple[Any, ...]:
    """The chain's key values of one score, in Python, comparable with ``better_than``'s SQL."""
    values: list[Any] = []
    for key in effective_chain(chain, full_marks_count=full_marks_count):
        if key == POINTS:
            values.append(score.points)
        elif key == PREDICTION:
            values.append(NO_VALUE if score.prediction is None else abs(score.prediction - full_marks_count))
        elif key == TIME_USED:
            values.append(NO_VALUE if score.time_used_ms is None else score.time_used_ms)
        elif key == SUBMITTED_AT:
            values.append(score.submitted_at)
        elif key == ATTEMPTS:
            values.append(score.attempts_used)
        elif key == REGISTERED_AT:
            values.append(score.registered_at)
    return tuple(values)


def better_than(score: Any, chain: Sequence[str], *, full_marks_count: int | None) -> tuple[dict[str, Any], Q]:
    """Annotations and a filter selecting the rows ranked strictly above ``score`` (lexicographic order)."""
    terms = _terms(chain, full_marks_count)
    values = values_of(score, chain, full_marks_count=full_marks_count)
    annotations = {f"k{i}": term.expression for i, term in enumerate(terms)}
    condition, equal_so_far = Q(pk__in=[]), Q()
    for i, (term, value) in enumerate(zip(terms, values, strict=True)):
        beats = Q(**{f"k{i}__gt" if term.descending else f"k{i}__lt": value})
        condition |= equal_so_far & beats
        equal_so_far &= Q(**{f"k{i}": value})
    return annotations, condition


def competition_ranks(keyed: Sequence[object]) -> list[int]:
    """Ranks of rows already sorted best first by their keys (tuples, or plain scores): equal keys share a
    rank and the next one skips ("1, 2, 2, 4"). The one ranking rule of boards, live games and forums."""
    ranks: list[int] = []
    previous = object()
    for position, key in enumerate(keyed, 1):
        ranks.append(ranks[-1] if key == previous else position)
        previous = key
    return ranks


def describe(chain: Sequence[str]) -> list[str]:
    """The chain in words, for the round's rules page."""
    return [str(LABELS[key]) for key in chain]
