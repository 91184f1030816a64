"""Ranking a published snapshot by the full chain, and the event-total chain. Pure: no database.

A row of a snapshot stores its values of the set's chain (``ResultRow.keys``); the same functions rank at
publication, after a correction and in ``verify_results``, so that all three agree. Only rows equal on EVERY
key of the chain share a rank, and only they share a prize: with thousands on full marks, the tie-breaks
(not luck, not the row order) decide the prizes.

Event totals use this chain (the provincial plan says nothing on tie-breaks; DESIGN.md §4's convention,
summed across rounds):
1. the weighted total (Σ round points × round weight), more first;
2. the prediction errors summed over the rounds that rank by prediction (|prediction − real full-marks
   count|, a missing prediction counts as ``ranking.NO_VALUE``), smaller first;
3. the time used summed over the rounds that rank by time used (a missing time counts as NO_VALUE),
   smaller first;
4. the earlier registration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby
from typing import Any

from django.utils.translation import gettext_lazy as _

from . import ranking

TOTAL = "total"
PREDICTION_ERROR = "prediction_error"
TIME_USED_SUM = "time_used_sum"
EVENT_CHAIN = [TOTAL, PREDICTION_ERROR, TIME_USED_SUM, ranking.REGISTERED_AT]
DESCENDING = {ranking.POINTS, TOTAL}
DECIMALS = {ranking.POINTS, TOTAL}
DATETIMES = {ranking.SUBMITTED_AT, ranking.REGISTERED_AT}
PRIZE_ORDER = ["first", "second", "third", "consolation"]

LABELS = {
    TOTAL: _("higher weighted total"),
    PREDICTION_ERROR: _("smaller sum of prediction errors across rounds"),
    TIME_USED_SUM: _("less time used across rounds"),
}


def describe(chain: Sequence[str]) -> list[str]:
    """The chain in words, for the results page."""
    return [str(LABELS.get(key) or ranking.LABELS[key]) for key in chain]


def dump(chain: Sequence[str], values: Sequence[Any]) -> list[str | int]:
    """The key values as JSON (decimals and datetimes as strings, the rest as integers)."""
    out: list[str | int] = []
    for key, value in zip(chain, values, strict=True):
        if key in DECIMALS:
            out.append(str(value))
        elif key in DATETIMES:
            out.append(value.isoformat())
        else:
            out.append(int(value))
    return out


def load(chain: Sequence[str], stored: Sequence[Any]) -> tuple[Any, ...]:
    values: list[Any] = []
    for key, value in zip(chain, stored, strict=True):
        if key in DECIMALS:
            values.append(Decimal(value))
        elif key in DATETIMES:
            values.append(dt.datetime.fromisoformat(value))
        else:
            values.append(int(value))
    return tuple(values)


def sort_key(chain: Sequence[str], values: Sequence[Any]) -> tuple[Any, ...]:
    """Ascending sort key, best first: bigger-is-better keys negated."""
    return tuple(-v if key in DESCENDING else v for key, v in zip(chain, values, strict=True))


def assign_prizes(ranks: list[int], prizes: dict[str, int]) -> list[str]:
    """Prize per row, rows sorted best first with their competition ranks.

    Each prize goes to the next ``count`` places; everyone tied with the last awarded place (equal on every
    key of the chain) gets the same prize, and the following prize starts after them.
    """
    awarded: list[str] = []
    index = 0
    for prize in PRIZE_ORDER:
        count = int(prizes.get(prize, 0) or 0)
        if count <= 0 or index >= len(ranks):
            continue
        end = min(index + count, len(ranks))
        while end < len(ranks) and ranks[end] == ranks[end - 1]:
            end += 1
        awarded += [prize] * (end - index)
        index = end
    return awarded + [""] * (len(ranks) - len(awarded))


@dataclass
class Ranked:
    user_id: int
    section: str
    keys: tuple[Any, ...]
    rank: int = 0
    prize: str = ""


def prizes_of(section: str, prizes: dict[str, int], section_prizes: dict[str, dict[str, int]] | None) -> dict[str, int]:
    """The prize counts of one prize list: its own (``section_prizes``, e.g. fewer prizes for a small
    district) or the set's common counts."""
    return (section_prizes or {}).get(section) or prizes


def rank_and_award(
    rows: list[Ranked],
    *,
    chain: Sequence[str],
    prizes: dict[str, int],
    fixed: dict[int, str] | None = None,
    section_prizes: dict[str, dict[str, int]] | None = None,
) -> list[Ranked]:
    """Rank each section (a separate prize list) by the chain and give its prizes (its own counts if
    ``section_prizes`` names it, else ``prizes``); sorted by section, rank.

    ``fixed`` maps a user id to the prize an organiser set by an audited correction (a disqualification is
    ""): that row keeps it, and the list's prizes go to the others in rank order, so a disqualified winner's
    prize passes to the next participant rather than being lost or coming back at the next re-ranking."""
    fixed = fixed or {}
    ordered = sorted(rows, key=lambda r: (r.section, sort_key(chain, r.keys), r.user_id))
    for section, group in groupby(ordered, key=lambda r: r.section):
        members = list(group)
        ranks = ranking.competition_ranks([m.keys for m in members])
        for member, rank in zip(members, ranks, strict=True):
            member.rank = rank
        competing = [m for m in members if m.user_id not in fixed]
        counts = prizes_of(section, prizes, section_prizes)
        for member, prize in zip(competing, assign_prizes([m.rank for m in competing], counts), strict=True):
            member.prize = prize
        for member in members:
            if member.user_id in fixed:
                member.prize = fixed[member.user_id]
    return ordered


@dataclass(frozen=True)
class RoundRule:
    """What the event chain needs of a round: its weight and which tie-breaks it ranks by."""

    weight: Decimal
    chain: tuple[str, ...]
    full_marks: int | None


def event_keys(scores: list[dict[str, Any]], rules: dict[int, RoundRule]) -> tuple[Any, ...]:
    """The event chain's values for one participant from their scores (``round_id``, ``points``,
    ``prediction``, ``time_used_ms``, ``registered_at``)."""
    total, errors, time_used = Decimal(0), 0, 0
    by_round = {score["round_id"]: score for score in scores}
    for round_id, rule in rules.items():
        # A round not taken counts as the worst value on its tie-breaks, as a missing prediction or time
        # already does: skipping a round must never rank anyone above a participant who took it.
        score = by_round.get(round_id, {"points": Decimal(0), "prediction": None, "time_used_ms": None})
        total += score["points"] * rule.weight
        if ranking.PREDICTION in rule.chain and rule.full_marks is not None:
            prediction = score["prediction"]
            errors += ranking.NO_VALUE if prediction is None else abs(prediction - rule.full_marks)
        if ranking.TIME_USED in rule.chain:
            time_used += ranking.NO_VALUE if score["time_used_ms"] is None else score["time_used_ms"]
    registered = min(score["registered_at"] for score in scores)
    return (total.quantize(Decimal("0.01")), errors, time_used, registered)
