"""Unit boards — the "collective prizes" of Vietnamese contests: organisations and regions compared by
how many of their people took part, not only by how well.

Participation rate = participants ÷ headcount of the unit. Units are compared within their group (khối:
primary schools with primary schools), because a 40-person office and a 1,500-pupil school are not alike,
and a unit qualifies for a collective prize only above a minimum rate that depends on its size.

A unit board at contest scale (10⁵–10⁶ scores) is a grouped query over every score of the event. It is
computed in the database (one row per unit comes back, not one per participant) and cached per event, board
kind and set of hidden rounds; ``score_record`` and the other score writers mark the event's boards stale
after commit (``units_changed``). A stale board is recomputed on the next read, but at most once every
``REFRESH_S`` seconds: during a deadline rush (scores every few milliseconds) readers get the board as it
was up to ``REFRESH_S`` seconds ago instead of each paying the grouped query. Changes that do not go
through a score (a participant moving to another unit, a round's weight) show within ``boardcache.TTL_S``.
Names, groups and headcounts of units are read fresh on every request (one small query).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connections, router
from django.db.models import DecimalField, F, Sum
from django.utils import timezone

from contests.models import Organisation, Region

from . import boardcache
from .models import Score

# Default (headcount up to, minimum participation rate): bigger units need a lower rate to qualify. An
# organiser sets the event's own rules (UnitRules); these apply until then.
MIN_RATE_BY_SIZE = [(100, Decimal("0.80")), (500, Decimal("0.60")), (None, Decimal("0.40"))]

REFRESH_S = boardcache.REFRESH_S
CENT = Decimal("0.01")


def rules_of(event) -> tuple[list[tuple[int | None, Decimal]], int]:
    from .models import UnitRules

    rules = UnitRules.objects.filter(event=event).first()
    if rules is None or not rules.min_rates:
        return MIN_RATE_BY_SIZE, (rules.prizes_per_group if rules else 1)
    return [(limit, Decimal(str(rate))) for limit, rate in rules.min_rates], rules.prizes_per_group


def minimum_rate(headcount: int | None, table=MIN_RATE_BY_SIZE) -> Decimal | None:
    if not headcount:
        return None
    for limit, rate in table:
        if limit is None or headcount <= limit:
            return rate
    return None


@dataclass
class UnitRow:
    """A unit's participants (people with at least one counted score), the sum of their event totals and
    the best total, from which the board derives the rate and the average."""

    key: int | None
    name: str
    group: str
    headcount: int | None
    participants: int = 0
    total_sum: Decimal = Decimal(0)
    best: Decimal = Decimal(0)
    min_rates: list = field(default_factory=lambda: MIN_RATE_BY_SIZE)

    @property
    def rate(self) -> Decimal | None:
        if not self.headcount:
            return None
        return (Decimal(self.participants) / Decimal(self.headcount)).quantize(Decimal("0.0001"))

    @property
    def average(self) -> Decimal:
        return (self.total_sum / self.participants).quantize(CENT) if self.participants else Decimal(0)

    @property
    def qualifies(self) -> bool:
        needed = minimum_rate(self.headcount, self.min_rates)
        return needed is not None and self.rate is not None and self.rate >= needed


def _decimal(value) -> Decimal:
    """A sum from the database, exact: SQLite returns floats for decimal arithmetic, but points (2 places)
    × weights (2 places) have at most 4, so rounding to 4 places gives the exact sum back. Nothing is
    rounded to cents before the average is taken (the board rounds what it shows)."""
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(round(value, 4)))


def unit_aggregates(*, event, by: str, exclude_rounds=()) -> dict[int, tuple[int, Decimal, Decimal]]:
    """``{unit id: (participants, sum of totals, best total)}`` computed from scratch in one query.

    The inner query is every participant's weighted event total (Σ points × round weight) with their unit
    (organisation, or the region of their profile); the outer one groups those totals per unit, so that
    the database returns one row per unit instead of one per participant. Regions are grouped by the
    profile's own region here; ``unit_rows`` folds communes into their district (counts, sums and maxima
    add up across communes because each participant has one region)."""
    unit = "user__profile__organisation_id" if by == "organisation" else "user__profile__region_id"
    per_user = (
        Score.objects.filter(round__event=event, **{f"{unit}__isnull": False})
        .exclude(round__in=list(exclude_rounds))
        .values("user_id", unit_id=F(unit))
        .annotate(
            total=Sum(F("points") * F("round__weight"), output_field=DecimalField(max_digits=14, decimal_places=2))
        )
        .order_by()
    )
    inner, params = per_user.query.sql_with_params()
    with connections[router.db_for_read(Score)].cursor() as cursor:
        cursor.execute(
            f"SELECT u.unit_id, COUNT(*), SUM(u.total), MAX(u.total) FROM ({inner}) u GROUP BY u.unit_id",  # noqa: S608
            params,
        )
        return {unit_id: (n, _decimal(total), _decimal(best)) for unit_id, n, total, best in cursor.fetchall()}


# --- The cache ----------------------------------------------------------------------------------


def event_scope(event_id: int) -> str:
    return f"units:{event_id}"


def units_changed(*, event_id: int) -> None:
    """Mark the event's unit boards stale (after commit of a score write)."""
    boardcache.mark_changed(event_scope(event_id))


def cached_unit_aggregates(
    *, event, by: str, exclude_rounds=(), now: dt.datetime | None = None
) -> dict[int, tuple[int, Decimal, Decimal]]:
    """``unit_aggregates`` through the board cache (``boardcache``: fresh at most ``REFRESH_S`` after a
    score). The key holds the event's creation moment (an id can come back after a deletion, with SQLite)
    and the set of hidden rounds: a board cached while a round was hidden is never served once it opens."""
    hidden = ",".join(str(pk) for pk in sorted(exclude_rounds))
    digest = hashlib.blake2b(f"{event.created_at.isoformat()}|{hidden}".encode(), digest_size=8).hexdigest()
    return boardcache.cached(
        key=f"unit-board:{event.pk}:{by}:{digest}",
        scope=event_scope(event.pk),
        now=now or timezone.now(),
        compute=lambda: unit_aggregates(event=event, by=by, exclude_rounds=exclude_rounds),
    )


def unit_rows(
    *, event, by: str, exclude_rounds=(), now: dt.datetime | None = None, cached: bool = True
) -> list[UnitRow]:
    """One row per organisation (or per district-level region) with its participants' totals.

    ``exclude_rounds`` (ids) are left out entirely, participants included: the public board passes the
    rounds whose board is closed (``selectors.closed_board_rounds``), so that neither an average nor a
    participation rate moves while a prediction round's scores are secret. The set of hidden rounds is
    part of the cache key: a board cached while a round was hidden is never served once it opens.
    ``cached=False`` computes from the scores as they are (what gets published)."""
    if cached:
        aggregates = cached_unit_aggregates(event=event, by=by, exclude_rounds=exclude_rounds, now=now)
    else:
        aggregates = unit_aggregates(event=event, by=by, exclude_rounds=exclude_rounds)
    table, _per_group = rules_of(event)
    rows: dict[int | None, UnitRow] = {}
    if by == "organisation":
        for unit in Organisation.objects.filter(pk__in=list(aggregates)):
            participants, total_sum, best = aggregates[unit.pk]
            rows[unit.pk] = UnitRow(
                unit.pk, unit.name, unit.group, unit.headcount, participants, total_sum, best, min_rates=table
            )
    else:
        regions = {r.pk: r for r in Region.objects.select_related("parent")}
        for region_id, (participants, total_sum, best) in aggregates.items():
            region = regions.get(region_id)
            if region is None:
                continue
            district = region if region.level != Region.Level.COMMUNE else region.parent
            row = rows.setdefault(district.pk, UnitRow(district.pk, district.name, "", None))
            row.best = best if not row.participants else max(row.best, best)
            row.participants += participants
            row.total_sum += total_sum
    return sorted(rows.values(), key=lambda r: (-(r.rate or 0), -r.participants, -r.average, r.name))


def by_group(rows: list[UnitRow]) -> dict[str, list[UnitRow]]:
    """Rows grouped by khối, each group ordered by participation rate then participants and average."""
    groups: dict[str, list[UnitRow]] = defaultdict(list)
    for row in rows:
        groups[row.group].append(row)
    return dict(sorted(groups.items()))


def unit_prizes(*, event, exclude_rounds=()) -> list[dict]:
    """The best qualifying units of each group (by participation rate, then participants and average).

    Computed from scratch, never from the cache: what is published must be the scores as they are."""
    _table, per_group = rules_of(event)
    rows = unit_rows(event=event, by="organisation", exclude_rounds=exclude_rounds, cached=False)
    awarded = []
    for group, grouped in by_group(rows).items():
        for place, row in enumerate([r for r in grouped if r.qualifies][:per_group], 1):
            awarded.append(
                {
                    "unit": row.name,
                    "group": group,
                    "rate": str(row.rate),
                    "place": place,
                    "participants": row.participants,
                }
            )
    return awarded
