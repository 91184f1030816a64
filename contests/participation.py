"""Who may take part in (score in) a round of an event: the one rule that every kind of round shares.

The quiz round's start check (``quizzes.services.attempt_start_problems``) adds its own window and attempt
limits on top of the same people rule; a live round asks this at the end of its counting session, so that
anyone may play for fun while only eligible, consenting participants who neither organise nor judge the
event reach its leaderboard.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from .eligibility import eligibility_problems
from .models import Membership, Round
from .selectors import region_with_descendants


def is_insider(*, event, user) -> bool:
    """Whether ``user`` organises, judges or otherwise belongs to the organising committee of ``event``:
    a member of its organisation, or a judge on a panel of one of its rounds."""
    if Membership.objects.filter(user=user, organisation_id=event.organisation_id).exists():
        return True
    return user.judging_panels.filter(reading_round__round__event=event).exists()


def round_participation_problems(*, rnd: Round, user, now: dt.datetime) -> list[str]:
    """Why ``user`` may not score in ``rnd`` (empty list = they may). Profile complete with consent, the
    event's categories, regions and ages (``eligibility_problems``), and no insider of the event."""
    if user is None or not user.is_authenticated:
        return [_("Only signed-in participants score in this round.")]
    event = rnd.event
    if is_insider(event=event, user=user):
        return [_("Members of the organising committee and judges cannot take part in their own event.")]
    profile = getattr(user, "profile", None)
    regions = region_with_descendants(event.eligible_regions.values_list("pk", flat=True))
    return eligibility_problems(event=event, profile=profile, today=timezone.localdate(now), region_ids=regions)
