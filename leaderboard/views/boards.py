"""Board pages: a round's board (live, freezable, filterable), an event's weighted totals, unit boards."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contests.invites import require_round
from contests.models import Category, Region, Round
from contests.organiser_area import organiser_required
from contests.selectors import access_event_for_visitor, access_round_for_organiser, events_managed_by

from .. import ranking, selectors, services, units


def _round_for_visitor(request, round_id: int) -> Round:
    return require_round(request, round_id)


def _subset(request) -> tuple[Q | None, dict]:
    """Filters by category and region (a district includes its communes): ranks are within the subset."""
    where, chosen = Q(), {}
    category = request.GET.get("category", "")
    if category in Category.values:
        where &= Q(user__profile__category=category)
        chosen["category"] = category
    region = Region.objects.filter(pk=request.GET.get("region") or 0).first()
    if region is not None:
        where &= Q(user__profile__region__in=_region_and_below(region))
        chosen["region"] = region.pk
    return (where if chosen else None), chosen


def _region_and_below(region: Region) -> list[int]:
    from contests.selectors import region_with_descendants

    return list(region_with_descendants([region.pk]))


def round_board(request, round_id: int):
    now = timezone.now()
    rnd = _round_for_visitor(request, round_id)
    config = selectors.board_config(rnd=rnd)
    organiser = events_managed_by(request.user).filter(pk=rnd.event_id).exists()
    public = selectors.board_is_public(config=config, now=now) or organiser
    frozen = config.frozen_at is not None and not organiser
    where, chosen = _subset(request)
    context = {
        "rnd": rnd,
        "event": rnd.event,
        "config": config,
        "public": public,
        "frozen": frozen,
        "organiser": organiser,
        "chain": ranking.describe(config.chain),
        "chosen": chosen,
        "categories": Category.choices,
        "regions": Region.objects.filter(level__in=["province", "district"]).order_by("code"),
        "full_marks": selectors.applied_full_marks(config=config, now=now) if public else None,
        "top": [],
        "frozen_rows": [],
    }
    if public and frozen and where is None:
        context["frozen_rows"] = selectors.frozen_top(config=config)
    elif public:
        context["top"] = selectors.top(config=config, now=now, where=where)
        context["size"] = selectors.board_size(config=config, where=where)
    if request.user.is_authenticated:
        mine = selectors.standing_of(config=config, user=request.user, now=now, where=where)
        context["mine"] = mine
        if mine and public and not frozen:
            context["neighbours"] = selectors.neighbours(config=config, standing=mine, now=now)
            context.setdefault("size", selectors.board_size(config=config, where=where))
    template = "leaderboard/_round_board.html" if request.GET.get("fragment") else "leaderboard/round_board.html"
    return render(request, template, context)


def event_board(request, slug: str):
    event, unlocked = access_event_for_visitor(
        user=request.user, slug=slug, invite_codes=set(request.session.get("event_invite_codes", []))
    )
    if not unlocked:
        raise Http404
    now = timezone.now()
    hidden = selectors.closed_board_rounds(now=now, event=event)
    rounds = list(event.rounds.order_by("position"))
    totals = selectors.event_totals(event=event, exclude_rounds=hidden)
    mine = (
        selectors.event_standing(event=event, user=request.user, exclude_rounds=hidden)
        if request.user.is_authenticated
        else None
    )
    return render(
        request,
        "leaderboard/event_board.html",
        {
            "event": event,
            "rows": totals[:100],
            "mine": mine,
            "hidden_rounds": [r for r in rounds if r.pk in hidden],
            "rounds": rounds,
        },
    )


def unit_board(request, slug: str):
    event, unlocked = access_event_for_visitor(
        user=request.user, slug=slug, invite_codes=set(request.session.get("event_invite_codes", []))
    )
    if not unlocked:
        raise Http404
    by = request.GET.get("by", "organisation")
    if by not in ("organisation", "region"):
        by = "organisation"
    hidden = selectors.closed_board_rounds(now=timezone.now(), event=event)
    rows = units.unit_rows(event=event, by=by, exclude_rounds=hidden)
    return render(
        request,
        "leaderboard/unit_board.html",
        {
            "event": event,
            "by": by,
            "groups": units.by_group(rows),
            "hidden_rounds": event.rounds.filter(pk__in=hidden).order_by("position"),
            "min_rate": units.MIN_RATE_BY_SIZE,
        },
    )


@require_POST
@organiser_required
def board_freeze(request, round_id: int):
    rnd = access_round_for_organiser(user=request.user, round_id=round_id)
    if request.POST.get("action") == "unfreeze":
        services.board_unfreeze(rnd=rnd)
        messages.success(request, _("The public board is live again."))
    else:
        services.board_freeze(rnd=rnd, by=request.user)
        messages.success(request, _("The public board is frozen at the current standings."))
    return redirect("round_board", round_id=rnd.pk)
