"""Boards and overview pages: a forum's contribution board and a playground's page with its weekly board."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone

from .. import playgrounds, points, selectors
from .threads import invite_codes


def forum_board(request, slug: str):
    event = selectors.access_forum_for_reader(user=request.user, slug=slug, invite_codes=invite_codes(request))
    mine = None
    if request.user.is_authenticated and not selectors.is_moderator(user=request.user, event=event):
        mine = selectors.contribution_breakdown(event=event, user=request.user)
    context = {
        "event": event,
        "standings": selectors.forum_board(event=event),
        "mine": mine,
        "rules": points,
        "points_round": selectors.points_round_of(event=event),
    }
    return render(request, "forums/board.html", context)


def playground(request, slug: str):
    now = timezone.now()
    event = playgrounds.access_playground(user=request.user, slug=slug, invite_codes=invite_codes(request))
    week_start, week_end = playgrounds.week_bounds(now)
    context = {
        "event": event,
        "now": now,
        "banks": playgrounds.practice_banks(event=event),
        "quiz_rounds": playgrounds.quiz_rounds(event=event, now=now),
        "live": playgrounds.live_of(event=event),
        "moderator": selectors.is_moderator(user=request.user, event=event),
        "board": playgrounds.weekly_board(event=event, now=now),
        "week_start": week_start,
        "week_end": week_end,
    }
    return render(request, "forums/playground.html", context)
