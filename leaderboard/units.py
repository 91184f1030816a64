"""Unit boards — the "collective prizes" of Vietnamese contests: organisations and regions compared by
how many of their people took part, not only by how well.

Participation rate = participants ÷ headcount of the unit. Units are compared within their group (khối:
primary schools with primary schools), because a 40-person office and a 1,500-pupil school are not alike,
and a unit qualifies for a collective prize only above a minimum rate that depends on its size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, F, Sum

from contests.models import Organisation, Region

from .models import Score

# Default (headcount up to, minimum participation rate): bigger units need a lower rate to qualify. An
# organiser sets the event's own rules (UnitRules); these apply until then.
MIN_RATE_BY_SIZE = [(100, Decimal("0.80")), (500, Decimal("0.60")), (None, Decimal("0.40"))]


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
    key: int | None
    name: str
    group: str
    headcount: int | None
    totals: list[Decimal] = field(default_factory=list)
    min_rates: list = field(default_factory=lambda: MIN_RATE_BY_SIZE)

    @property
    def participants(self) -> int:
        return len(self.totals)

    @property
    def rate(self) -> Decimal | None:
        if not self.headcount:
            return None
        return (Decimal(self.participants) / Decimal(self.headcount)).quantize(Decimal("0.0001"))

    @property
    def average(self) -> Decimal:
        return (sum(self.totals) / len(self.totals)).quantize(Decimal("0.01")) if self.totals else Decimal(0)

    @property
    def best(self) -> Decimal:
        return max(self.totals, default=Decimal(0))

    @property
    def qualifies(self) -> bool:
        needed = minimum_rate(self.headcount, self.min_rates)
        return needed is not None and self.rate is not None and self.rate >= needed


def _user_totals(event, exclude_rounds=()) -> list[dict]:
    return list(
        Score.objects.filter(round__event=event)
        .exclude(round__in=exclude_rounds)
        .values("user_id", "user__profile__organisation_id", "user__profile__region_id")
        .annotate(
            total=Sum(F("points") * F("round__weight"), output_field=DecimalField(max_digits=14, decimal_places=2))
        )
    )


def unit_rows(*, event, by: str, exclude_rounds=()) -> list[UnitRow]:
    """One row per organisation (or per district-level region) with its participants' totals.

    ``exclude_rounds`` (ids) are left out entirely, participants included: the public board passes the
    rounds whose board is closed (``selectors.closed_board_rounds``), so that neither an average nor a
    participation rate moves while a prediction round's scores are secret."""
    totals = _user_totals(event, exclude_rounds)
    table, _per_group = rules_of(event)
    rows: dict[int | None, UnitRow] = {}
    if by == "organisation":
        units = Organisation.objects.in_bulk({t["user__profile__organisation_id"] for t in totals} - {None})
        for total in totals:
            unit = units.get(total["user__profile__organisation_id"])
            if unit is None:
                continue
            row = rows.setdefault(unit.pk, UnitRow(unit.pk, unit.name, unit.group, unit.headcount, min_rates=table))
            row.totals.append(total["total"])
    else:
        regions = {r.pk: r for r in Region.objects.select_related("parent")}
        for total in totals:
            region = regions.get(total["user__profile__region_id"])
            if region is None:
                continue
            district = region if region.level != Region.Level.COMMUNE else region.parent
            row = rows.setdefault(district.pk, UnitRow(district.pk, district.name, "", None))
            row.totals.append(total["total"])
    return sorted(rows.values(), key=lambda r: (-(r.rate or 0), -r.participants, -r.average, r.name))


def by_group(rows: list[UnitRow]) -> dict[str, list[UnitRow]]:
    """Rows grouped by khối, each group ordered by participation rate then participants and average."""
    groups: dict[str, list[UnitRow]] = defaultdict(list)
    for row in rows:
        groups[row.group].append(row)
    return dict(sorted(groups.items()))


def unit_prizes(*, event, exclude_rounds=()) -> list[dict]:
    """The best qualifying units of each group (by participation rate, then participants and average)."""
    _table, per_group = rules_of(event)
    awarded = []
    for group, rows in by_group(unit_rows(event=event, by="organisation", exclude_rounds=exclude_rounds)).items():
        for place, row in enumerate([r for r in rows if r.qualifies][:per_group], 1):
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
