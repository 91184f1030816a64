"""Reads of the appeals app, with the permission checks of ``access_*`` (404 for missing and forbidden alike)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, Min, Q, QuerySet, Value, When
from django.http import Http404

from contests.models import Event, Round
from contests.selectors import events_managed_by
from leaderboard.models import ResultRow, ResultSet
from quizzes.models import Attempt, AttemptItem

from .models import Appeal, AppealPolicy


@dataclass(frozen=True)
class Window:
    policy: AppealPolicy
    opens_at: dt.datetime
    closes_at: dt.datetime

    def is_open(self, now: dt.datetime) -> bool:
        return self.opens_at <= now <= self.closes_at


def _published_sets(rnd: Round) -> QuerySet[ResultSet]:
    return ResultSet.objects.filter(Q(round=rnd) | Q(event_id=rnd.event_id))


def published_rows(*, rnd: Round) -> QuerySet[ResultRow]:
    """The published result rows that include ``rnd``: its own results and its event's."""
    return ResultRow.objects.filter(Q(result_set__round=rnd) | Q(result_set__event_id=rnd.event_id))


def appeal_window(*, rnd: Round) -> Window | None:
    """The round's appeal window: from the first publication that includes it, for the policy's days.
    None when the round takes no appeals or nothing is published yet."""
    policy = AppealPolicy.objects.filter(round=rnd, days__gt=0).first()
    return None if policy is None else _window_of(policy, rnd)


def _window_of(policy: AppealPolicy, rnd: Round) -> Window | None:
    published = _published_sets(rnd).aggregate(first=Min("published_at"))["first"]
    if published is None:
        return None
    return Window(policy=policy, opens_at=published, closes_at=published + dt.timedelta(days=policy.days))


def appealable_rounds(*, event: Event, user: Any, now: dt.datetime) -> list[tuple[Round, Window]]:
    """The event's rounds whose window is open now and where ``user`` has a published result. The rounds
    that take appeals are read with their policies in one query (every result page asks, most events take
    none)."""
    found = []
    policies = AppealPolicy.objects.filter(round__event=event, days__gt=0).select_related("round")
    for policy in policies.order_by("round__position", "round_id"):
        rnd = policy.round
        window = _window_of(policy, rnd)
        if window and window.is_open(now) and published_rows(rnd=rnd).filter(user=user).exists():
            found.append((rnd, window))
    return found


def appealable_items(*, rnd: Round, user: Any) -> QuerySet[AttemptItem]:
    """The questions of the participant's submitted attempts of the round, for the appeal form."""
    return (
        AttemptItem.objects.filter(
            attempt__user=user, attempt__quiz_round__round=rnd, attempt__status=Attempt.Status.SUBMITTED
        )
        .select_related("question", "attempt")
        .order_by("attempt__number", "position")
    )


def my_appeals(*, rnd: Round, user: Any) -> QuerySet[Appeal]:
    return Appeal.objects.filter(round=rnd, user=user).select_related("question")


def access_appeal_for_appellant(*, user: Any, appeal_id: int) -> Appeal:
    """The appellant's own appeal; anybody else's is a 404, as a missing one is."""
    appeal = Appeal.objects.select_related("round__event", "question", "item").filter(pk=appeal_id, user=user).first()
    if appeal is None:
        raise Http404
    return appeal


def access_appeal_for_organiser(*, user: Any, appeal_id: int) -> Appeal:
    """An appeal of an event the user organises (a site admin: any)."""
    appeal = (
        Appeal.objects.select_related("round__event", "question", "item", "user__profile")
        .filter(pk=appeal_id, round__event__in=events_managed_by(user))
        .first()
    )
    if appeal is None:
        raise Http404
    return appeal


def event_appeals(*, event: Event, status: str = "") -> QuerySet[Appeal]:
    """The event's appeals, open ones first, for the organiser's inbox and the export."""
    appeals = Appeal.objects.filter(round__event=event).select_related("round", "question", "user__profile")
    if status in Appeal.Status.values:
        appeals = appeals.filter(status=status)
    waiting_first = Case(When(status=Appeal.Status.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    return appeals.order_by(waiting_first, "created_at", "pk")
