"""Who may take part in (score in) a round of an event: the one rule that every kind of round shares,
and the forums too (``event_participation_problems``: a reading round's entries, a forum's messages).

The quiz round's start check (``quizzes.services.attempt_start_problems``) adds its own window and attempt
limits on top of the same people rule; a live round asks this at the end of its counting session, so that
anyone may play for fun while only eligible, consenting participants who neither organise nor judge the
event reach its leaderboard.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from .eligibility import eligibility_problems
from .models import Event, Membership, Round
from .selectors import event_region_ids

if TYPE_CHECKING:
    from collections.abc import Iterable


def is_insider(*, event: Event, user: Any) -> bool:
    """Whether ``user`` organises, judges or otherwise belongs to the organising committee of ``event``:
    a member of its organisation, or a judge on a panel of one of its rounds."""
    if Membership.objects.filter(user=user, organisation_id=event.organisation_id).exists():
        return True
    return bool(user.judging_panels.filter(reading_round__round__event=event).exists())


def round_participation_problems(*, rnd: Round, user: Any, now: dt.datetime) -> list[str]:
    """Why ``user`` may not score in ``rnd`` (empty list = they may). Profile complete with consent, the
    event's categories, regions and ages (``eligibility_problems``), and no insider of the event."""
    return RoundParticipation(rnd=rnd, now=now, user_ids=[getattr(user, "pk", None)]).problems(user)


def event_participation_problems(
    *, event: Event, user: Any, now: dt.datetime, insiders_welcome: bool = False
) -> list[str]:
    """The same people rule for what belongs to the whole event rather than one scored round: a reading
    round's entries (insiders refused, as in every round) and a forum's messages (``insiders_welcome``:
    the organising committee moderates, and a judge may discuss; eligibility still applies to them)."""
    people = RoundParticipation(event=event, now=now, user_ids=[getattr(user, "pk", None)])
    return people.problems(user, insiders_welcome=insiders_welcome)


class RoundParticipation:
    """The people rule of one round (or event) for many users at once (the end of a live game with
    thousands of players): the event's insiders are read once, not per player, and its regions are cached
    per event version (``event_region_ids``); each
    user's profile should come with the user (``select_related("user__profile")``)."""

    def __init__(
        self, *, rnd: Round | None = None, event: Event | None = None, now: dt.datetime, user_ids: Iterable[int | None]
    ) -> None:
        if event is None:
            if rnd is None:
                raise TypeError("RoundParticipation needs a round or an event")
            event = rnd.event
        self.event = event
        self.today = timezone.localdate(now)
        ids = [pk for pk in user_ids if pk is not None]
        members = Membership.objects.filter(organisation_id=self.event.organisation_id, user_id__in=ids)
        judges = get_user_model().objects.filter(pk__in=ids, judging_panels__reading_round__round__event=self.event)
        # One query for both (a UNION): this runs on every round page and every start.
        self.insiders = set(members.values_list("user_id", flat=True).union(judges.values_list("pk", flat=True)))
        self.regions = event_region_ids(self.event)

    def problems(self, user: Any, *, insiders_welcome: bool = False) -> list[str]:
        if user is None or not user.is_authenticated:
            return [_("Only signed-in participants score in this round.")]
        if user.pk in self.insiders and not insiders_welcome:
            return [_("Members of the organising committee and judges cannot take part in their own event.")]
        profile = getattr(user, "profile", None)
        return eligibility_problems(event=self.event, profile=profile, today=self.today, region_ids=self.regions)
