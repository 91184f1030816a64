"""Exports for organisers (XLSX/CSV of results and participation) and the public statistics page."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from contest_site import downloads
from contests.organiser_area import organiser_required
from contests.selectors import access_event_for_organiser, access_event_for_visitor
from contests.xlsx import spreadsheet_safe

from .. import reports, selectors


@organiser_required
def export_xlsx(request, event_id: int):
    event = access_event_for_organiser(user=request.user, event_id=event_id)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Results")[:31]
    headers, rows = reports.result_rows(event)
    sheet.append(headers)
    for row in rows:
        sheet.append([float(v) if hasattr(v, "as_tuple") else spreadsheet_safe(v) for v in row])
    titles = {
        "region": _("By region"),
        "organisation": _("By organisation"),
        "category": _("By category"),
        "day": _("By day"),
    }
    for key, values in reports.participation(event).items():
        part = workbook.create_sheet(str(titles[key])[:31])
        part.append([str(titles[key]), _("Participants")])
        for label, count in values:
            part.append([spreadsheet_safe(label), count])
    return downloads.workbook_attachment(workbook, filename=f"bao-cao-{event.slug}.xlsx")


@organiser_required
def export_csv(request, event_id: int):
    event = access_event_for_organiser(user=request.user, event_id=event_id)
    headers, rows = reports.result_rows(event)
    safe_rows = ([spreadsheet_safe(value) for value in row] for row in rows)
    return downloads.csv_attachment(headers, safe_rows, filename=f"ket-qua-{event.slug}.csv")


def statistics(request, slug: str):
    event, unlocked = access_event_for_visitor(
        user=request.user, slug=slug, invite_codes=set(request.session.get("event_invite_codes", []))
    )
    if not unlocked:
        raise Http404
    # A public page: nothing of a round whose board is still closed (a prediction round before its close).
    hidden = selectors.closed_board_rounds(now=timezone.now(), event=event)
    participation = reports.participation(event, exclude_rounds=hidden)
    charts = [
        (_("Participation over time (first entry per day)"), participation["day"]),
        (_("Participants by region"), participation["region"]),
        (_("Participants by category"), participation["category"]),
        (_("Participants by organisation"), participation["organisation"][:15]),
        (_("Score distribution (event totals)"), reports.score_distribution(event, exclude_rounds=hidden)),
    ]
    return render(
        request,
        "leaderboard/statistics.html",
        {
            "event": event,
            "charts": [(title, _bars(values)) for title, values in charts],
            "hidden_rounds": event.rounds.filter(pk__in=hidden).order_by("position"),
        },
    )


def _bars(values: list[tuple[str, int]]) -> list[dict]:
    """Each bar with its share of the largest, for a server-side SVG/CSS chart that needs no script."""
    top = max((n for _label, n in values), default=0) or 1
    return [{"label": label, "value": n, "percent": round(100 * n / top, 1)} for label, n in values]
