"""Playground events (and the live part of forums), read-only: what a playground offers and its weekly board.

A playground is an open, low-stakes event: the organisation's public practice banks, its quiz rounds
(taken again as often as each round allows), live quizzes, and a board that starts again every Monday.
Nothing here writes: quiz and live rounds report their scores to the leaderboard themselves, and the
weekly board is computed from those ``leaderboard.Score`` rows.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import F, FloatField, Max, Q, QuerySet, Sum
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone

from contests.models import Event, Round
from contests.selectors import access_event_for_visitor
from leaderboard.ranking import competition_ranks
from leaderboard.selectors import closed_board_rounds, scores_in_event
from live.models import LiveSession
from quizzes.models import QuestionBank, QuizRound

WEEKLY_BOARD_SIZE = 20


def access_playground(*, user, slug: str, invite_codes: set[str]) -> Event:
    event, unlocked = access_event_for_visitor(user=user, slug=slug, invite_codes=invite_codes)
    if event.kind != Event.Kind.PLAYGROUND or not unlocked:
        raise Http404
    return event


def practice_banks(*, event: Event) -> QuerySet[QuestionBank]:
    """Banks open for practice: the organisation's public banks and any public bank a round's quiz uses."""
    used = QuizRound.objects.filter(round__event=event).values("quiz__bank")
    return (
        QuestionBank.objects.filter(is_public=True)
        .filter(Q(organisation=event.organisation) | Q(pk__in=used))
        .order_by("title")
    )


def quiz_rounds(*, event: Event, now: dt.datetime) -> list[tuple[QuizRound, str]]:
    """The event's quiz rounds with their phase ("upcoming", "running", "ended")."""
    rows = QuizRound.objects.filter(round__event=event).select_related("round", "quiz").order_by("round__position")
    return [(quiz_round, quiz_round.round.phase(now)) for quiz_round in rows]


def live_of(*, event: Event) -> dict:
    """The event's live rounds and the games running in them now (a PIN to join)."""
    rounds = list(event.rounds.filter(kind=Round.Kind.LIVE).order_by("position"))
    running = list(
        LiveSession.objects.filter(round__in=rounds)
        .exclude(state=LiveSession.State.ENDED)
        .select_related("round", "quiz")
        .order_by("-created_at")
    )
    return {"rounds": rounds, "running": running}


def week_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Monday 00:00 to the next Monday 00:00 in the site's time zone, around ``now``."""
    local = timezone.localtime(now)
    monday = (local - dt.timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    start = timezone.make_aware(monday.replace(tzinfo=None))
    end = timezone.make_aware((monday + dt.timedelta(days=7)).replace(tzinfo=None))
    return start, end


def weekly_board(*, event: Event, now: dt.datetime, limit: int = WEEKLY_BOARD_SIZE) -> list[dict]:
    """This week's best players of the event: Σ over its rounds of (score ÷ maximum × 100 × round weight)
    for the scores recorded this week. Percentages put a 10-question quiz and a live game (thousands of
    points) on one scale. One grouped query, plus one for the names.

    A ``Score`` row keeps only the result that counts for its round, stamped with when it was achieved:
    a better result this week moves that round's score into this week (and out of an earlier one).

    The board is public, so rounds whose own board is still closed (a prediction round before its close,
    ``leaderboard.selectors.closed_board_rounds``) count only once their board opens.
    """
    start, end = week_bounds(now)
    share = Cast(F("points"), FloatField()) * 100.0 * Cast(F("round__weight"), FloatField())
    rows = list(
        scores_in_event(event=event, scored_out_of_something=True)
        .filter(submitted_at__gte=start, submitted_at__lt=end)
        .exclude(round__in=closed_board_rounds(now=now, event=event))
        .values("user_id")
        .annotate(total=Sum(share / Cast(F("max_points"), FloatField())), last=Max("submitted_at"))
        .order_by("-total", "last", "user_id")[:limit]
    )
    users = get_user_model().objects.select_related("profile").in_bulk([row["user_id"] for row in rows])
    ranks = competition_ranks([round(row["total"], 2) for row in rows])
    return [
        {"rank": rank, "user": users[row["user_id"]], "total": round(row["total"], 1), "last": row["last"]}
        for rank, row in zip(ranks, rows, strict=True)
    ]
