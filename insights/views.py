"""Organisers' insight pages. Thin: authorise through an ``access_*`` selector, read, render. Nothing here
writes: the pages inform organisers, who decide."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from contests.models import Round
from contests.views.organiser import organiser_required

from . import selectors
from .export import XLSX, flag_labels, item_analysis_workbook
from .pictures import dashboard_charts


def _district(request) -> int | None:
    value = request.GET.get("district", "")
    return int(value) if value.isdigit() else None


@organiser_required
def event_dashboard(request, event_id: int):
    event, rounds = selectors.access_event_rounds(user=request.user, event_id=event_id)
    district = _district(request)
    board = selectors.dashboard_for(rounds=rounds, district_id=district)
    return render(
        request,
        "insights/dashboard.html",
        {
            "event": event,
            "rnd": None,
            "rounds": rounds,
            "board": board,
            "district": district,
            "charts": dashboard_charts(board, now=timezone.now()),
        },
    )


@organiser_required
def round_dashboard(request, round_id: int):
    rnd = selectors.access_round(user=request.user, round_id=round_id)
    district = _district(request)
    board = selectors.dashboard_for(rounds=[rnd], district_id=district)
    return render(
        request,
        "insights/dashboard.html",
        {
            "event": rnd.event,
            "rnd": rnd,
            "rounds": [rnd],
            "board": board,
            "district": district,
            "charts": dashboard_charts(board, now=timezone.now()),
        },
    )


def _which(request) -> str:
    return "all" if request.GET.get("attempts") == "all" else "first"


@organiser_required
def item_analysis(request, round_id: int):
    rnd = selectors.access_round(user=request.user, round_id=round_id, kind=Round.Kind.QUIZ)
    analysis = selectors.item_analysis_for(rnd=rnd, which=_which(request))
    return render(
        request,
        "insights/items.html",
        {"event": rnd.event, "rnd": rnd, "analysis": analysis, "flag_labels": flag_labels()},
    )


@organiser_required
def item_analysis_export(request, round_id: int):
    rnd = selectors.access_round(user=request.user, round_id=round_id, kind=Round.Kind.QUIZ)
    analysis = selectors.item_analysis_for(rnd=rnd, which=_which(request))
    data = item_analysis_workbook(analysis, title=f"{rnd.event.title} · {rnd.title}")
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="phan-tich-cau-hoi-vong-{rnd.pk}.xlsx"'
    return response
