"""Organisers' insight pages. Thin: authorise through an ``access_*`` selector, read, render. Nothing here
writes: the pages inform organisers, who decide."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from contest_site import downloads
from contests.models import Round
from contests.organiser_area import organiser_required

from . import selectors
from .export import flag_labels, item_analysis_workbook
from .forms import AttemptFilterForm, SuspicionForm
from .pictures import dashboard_charts
from .suspicion import DEFAULT_WINDOW_S


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
    return downloads.attachment(data, filename=f"phan-tich-cau-hoi-vong-{rnd.pk}.xlsx", content_type=downloads.XLSX)


ATTEMPTS_PER_PAGE = 50


@organiser_required
def attempts(request, round_id: int):
    rnd = selectors.access_round(user=request.user, round_id=round_id, kind=Round.Kind.QUIZ)
    form = AttemptFilterForm(request.GET or None, rnd=rnd)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    page = Paginator(selectors.attempts_listed(rnd=rnd, filters=filters), ATTEMPTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "insights/attempts.html",
        {"event": rnd.event, "rnd": rnd, "form": form, "page": page, "query": query.urlencode()},
    )


@organiser_required
def attempt_detail(request, attempt_id: int):
    attempt = selectors.access_attempt(user=request.user, attempt_id=attempt_id)
    answers = selectors.attempt_answers(attempt)
    rnd = attempt.quiz_round.round
    return render(
        request,
        "insights/attempt.html",
        {
            "event": rnd.event,
            "rnd": rnd,
            "attempt": attempt,
            "profile": getattr(attempt.user, "profile", None),
            "answers": answers,
            "left_page": max((row.item.left_page for row in answers), default=0),
        },
    )


@organiser_required
def suspicion(request, round_id: int):
    rnd = selectors.access_round(user=request.user, round_id=round_id, kind=Round.Kind.QUIZ)
    form = SuspicionForm(request.GET or None)
    window = DEFAULT_WINDOW_S
    if form.is_bound and form.is_valid() and form.cleaned_data["window"]:
        window = form.cleaned_data["window"]
    groups = selectors.suspicion_report(rnd=rnd, window_s=window)
    return render(
        request,
        "insights/suspicion.html",
        {"event": rnd.event, "rnd": rnd, "form": form, "groups": groups, "window": window},
    )
