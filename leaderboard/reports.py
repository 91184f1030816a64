"""Reports the Department sends upward: results and participation by region, organisation, category and
day, as rows that the XLSX/CSV exports and the statistics page share. Aggregates are grouped queries."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from django.db.models import Count, Min
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from contests.models import Category, Region

from . import selectors
from .models import ResultSet, Score


def result_rows(event) -> tuple[list[str], list[list]]:
    """The published results if any, else the current standings, with the fields a report needs."""
    headers = [
        _("Rank"),
        _("Full name"),
        _("Email"),
        _("Category"),
        _("Region"),
        _("Organisation / school"),
        _("Total"),
        _("Prize"),
    ]
    result_set = ResultSet.objects.filter(event=event).first()
    profiles = {}
    if result_set is not None:
        rows = list(result_set.rows.select_related("user__profile__region", "user__profile__organisation"))
        data = [(r.rank, r.full_name, r.user, r.total, r.get_prize_display()) for r in rows]
    else:
        totals = selectors.event_totals(event=event)
        from django.contrib.auth import get_user_model

        users = (
            get_user_model()
            .objects.select_related("profile__region", "profile__organisation")
            .in_bulk([t["user_id"] for t in totals])
        )
        data = [
            (t["rank"], t["user__profile__full_name"] or t["name"], users[t["user_id"]], t["total"], "") for t in totals
        ]
    table = []
    for rank, name, user, total, prize in data:
        profile = profiles.get(user.pk) or getattr(user, "profile", None)
        table.append(
            [
                rank,
                name,
                user.email,
                profile.get_category_display() if profile else "",
                profile.region.path if profile and profile.region else "",
                (
                    profile.organisation.name
                    if profile and profile.organisation
                    else (profile.organisation_name if profile else "")
                ),
                total,
                prize,
            ]
        )
    return headers, table


def participation(event, *, exclude_rounds=()) -> dict[str, list[tuple[str, int]]]:
    """Participants (distinct people with a score in the event) by district, organisation, category, day.

    ``exclude_rounds`` (ids): rounds left out, for the public page (``selectors.closed_board_rounds``): who
    has a score in a hidden round, and when, is already a number derived from its scores."""
    scores = Score.objects.filter(round__event=event).exclude(round__in=exclude_rounds)
    regions = {r.pk: r for r in Region.objects.select_related("parent")}
    by_region: Counter = Counter()
    for region_id, n in (
        scores.values("user__profile__region")
        .annotate(n=Count("user", distinct=True))
        .values_list("user__profile__region", "n")
    ):
        region = regions.get(region_id)
        district = region if region is None or region.level != "commune" else region.parent
        by_region[district.name if district else _("Unknown")] += n
    by_organisation = [
        (name or _("Not stated"), n)
        for name, n in scores.values("user__profile__organisation__name")
        .annotate(n=Count("user", distinct=True))
        .order_by("-n")
        .values_list("user__profile__organisation__name", "n")
    ]
    labels = dict(Category.choices)
    by_category = [
        (str(labels.get(value, _("Not stated"))), n)
        for value, n in scores.values("user__profile__category")
        .annotate(n=Count("user", distinct=True))
        .order_by("-n")
        .values_list("user__profile__category", "n")
    ]
    first_days = (
        scores.values("user")
        .annotate(first=Min("submitted_at"))
        .annotate(day=TruncDate("first"))
        .values_list("day", flat=True)
    )
    by_day = sorted(Counter(first_days).items())
    return {
        "region": sorted(by_region.items(), key=lambda kv: -kv[1]),
        "organisation": by_organisation,
        "category": by_category,
        "day": [(day.strftime("%d/%m/%Y"), n) for day, n in by_day],
    }


def score_distribution(event, bins: int = 10, *, exclude_rounds=()) -> list[tuple[str, int]]:
    """How many participants' totals fall in each tenth of the range (a histogram for the stats page),
    without the ``exclude_rounds`` (ids; the public page leaves out rounds whose board is closed)."""
    totals = [row["total"] for row in selectors.event_totals(event=event, exclude_rounds=exclude_rounds)]
    if not totals:
        return []
    high = max(totals) or Decimal(1)
    width = high / bins
    counts = [0] * bins
    for total in totals:
        counts[min(bins - 1, int(total / width)) if width else 0] += 1
    return [(f"{(width * i):.0f}–{(width * (i + 1)):.0f}", n) for i, n in enumerate(counts)]
