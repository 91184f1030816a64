"""Reads of the contests app. ``access_*`` helpers fetch an object *and* check permission; their error
is the same 404 for "does not exist" and "not yours", so that ids reveal nothing."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from .models import Event, Membership, Organisation, Region, Round
from .phones import normalise_phone

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable


def organisations_organised_by(user: Any) -> QuerySet[Organisation]:
    """Organisations whose events ``user`` may manage: their organiser memberships, or all for a site admin."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    if user.is_superuser:
        return Organisation.objects.all()
    return Organisation.objects.filter(memberships__user=user, memberships__role=Membership.Role.ORGANISER).distinct()


def organisations_hosting_live(user: Any) -> QuerySet[Organisation]:
    """Organisations whose quizzes ``user`` may host live: as organiser, or as a teacher the organisers
    named (teachers run games in classrooms and playgrounds; they manage nothing else)."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    if user.is_superuser:
        return Organisation.objects.all()
    return Organisation.objects.filter(
        memberships__user=user, memberships__role__in=[Membership.Role.ORGANISER, Membership.Role.TEACHER]
    ).distinct()


def is_organiser(user: Any) -> bool:
    return organisations_organised_by(user).exists()


# The links of the navigation ("Organiser area", "Judging") are drawn on every page, and asking the database
# for them was two of a participant's queries per page at a deadline rush. They are cached per user; the
# services that change them (a membership, a seat on a panel) forget the user's flag at once, and anything
# else (an admin's edit, another process's memory cache) shows within NAVIGATION_FLAG_S. Only links depend on
# them: every view still checks its permissions itself.
NAVIGATION_FLAG_S = 60
NAVIGATION_NAMESPACE = "nav"  # tests give each test its own (ids are reused between test databases)


def navigation_flag(name: str, user: Any, compute: Callable[[], bool]) -> bool:
    key = f"{NAVIGATION_NAMESPACE}:{name}:{user.pk}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, NAVIGATION_FLAG_S)
    return bool(value)


def navigation_flag_forget(name: str, user_id: int) -> None:
    """Forget a user's flag now and again once the change is committed (a page drawn in between could have
    cached the old value again)."""
    key = f"{NAVIGATION_NAMESPACE}:{name}:{user_id}"
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def shows_organiser_area(user: Any) -> bool:
    """For the navigation: whether ``user`` organises anything (``is_organiser``, cached per user)."""
    return navigation_flag("organiser", user, lambda: is_organiser(user))


def events_managed_by(user: Any) -> QuerySet[Event]:
    return Event.objects.filter(organisation__in=organisations_organised_by(user)).select_related("organisation")


def access_organisation_for_organiser(*, user: Any, slug: str) -> Organisation:
    organisation = organisations_organised_by(user).filter(slug=slug).first()
    if organisation is None:
        raise Http404
    return organisation


def access_event_for_organiser(*, user: Any, event_id: int) -> Event:
    event = events_managed_by(user).filter(pk=event_id).first()
    if event is None:
        raise Http404
    return event


def access_round_for_organiser(*, user: Any, round_id: int) -> Round:
    rnd = (
        Round.objects.select_related("event__organisation")
        .filter(pk=round_id, event__organisation__in=organisations_organised_by(user))
        .first()
    )
    if rnd is None:
        raise Http404
    return rnd


def participants_of_organiser(*, user: Any) -> QuerySet[Any]:
    """The people an organiser may look up (by e-mail or phone, e.g. to grant an accommodation): those who
    took part in an event of their organisations (an attempt, a reading entry, a live game, a score on a
    board) and those on their roster (a profile naming one of their organisations or its units). Nobody
    else: an organiser must not learn the e-mail behind any phone number on the platform, minors' above all.
    A site admin may look up anyone.

    The apps that build on this one are reached by model name, so that this core app imports none of them.
    """
    User = get_user_model()
    if not user.is_authenticated:
        return User.objects.none()
    if user.is_superuser:
        return User.objects.all()
    orgs = organisations_organised_by(user)
    in_events = Q(round__event__organisation__in=orgs)
    took_part = [
        apps.get_model("leaderboard", "Score").objects.filter(in_events),
        apps.get_model("quizzes", "Attempt").objects.filter(quiz_round__round__event__organisation__in=orgs),
        apps.get_model("submissions", "Entry").objects.filter(reading_round__round__event__organisation__in=orgs),
        apps.get_model("live", "LivePlayer").objects.filter(
            user__isnull=False, session__round__event__organisation__in=orgs
        ),
    ]
    roster = Q(profile__organisation__in=orgs) | Q(profile__organisation__parent__in=orgs)
    for rows in took_part:
        roster |= Q(pk__in=rows.values("user_id"))
    return User.objects.filter(roster)


def participant_find_for_organiser(*, user: Any, identifier: str) -> Any:
    """The participant with this e-mail address or phone number among ``participants_of_organiser``, or None
    (also when someone has it elsewhere on the platform: the answer must not tell)."""
    identifier = identifier.strip()
    people = participants_of_organiser(user=user)
    found = people.filter(email__iexact=identifier).first() if identifier else None
    if found is None and identifier:
        try:
            found = people.filter(profile__phone=normalise_phone(identifier)).first()
        except ValidationError:
            found = None
    return found


def events_listed(*, now: dt.datetime) -> QuerySet[Event]:
    """Public events that are open or about to open, for the home page (drafts never appear)."""
    return (
        Event.objects.filter(visibility=Event.Visibility.PUBLIC, state=Event.State.OPEN, closes_at__gt=now)
        .select_related("organisation")
        .prefetch_related(Prefetch("rounds", queryset=Round.objects.order_by("position")))
        .order_by("opens_at")
    )


def events_past(*, now: dt.datetime, limit: int = 6) -> QuerySet[Event]:
    return (
        Event.objects.filter(visibility=Event.Visibility.PUBLIC)
        .filter(
            Q(state__in=[Event.State.CLOSED, Event.State.RESULTS_PUBLISHED])
            | Q(state=Event.State.OPEN, closes_at__lte=now)
        )
        .select_related("organisation")
        .order_by("-closes_at")[:limit]
    )


def event_is_open_to(*, user: Any, event: Event, invite_codes: set[str]) -> bool:
    """THE rule for who may see and enter an event's content (its rounds, boards, gallery, media and live
    games): anyone for a public or unlisted event that is not a draft; for an invite-only event, whoever has
    its code in ``invite_codes`` (kept in the session by ``event_unlock``) or already takes part in it (see
    ``takes_part``: they came through the door once, perhaps on another device); its organisers and site
    admins always. A draft is open to its organisers only."""
    if event.state != Event.State.DRAFT and event.visibility != Event.Visibility.INVITE:
        return True  # open to all: no need to ask whether the visitor organises it (every round page asks)
    if events_managed_by(user).filter(pk=event.pk).exists():
        return True
    if event.state == Event.State.DRAFT:
        return False
    return bool(event.invite_code and event.invite_code in invite_codes) or takes_part(user=user, event=event)


def takes_part(*, user: Any, event: Event) -> bool:
    """Whether ``user`` has a place in ``event``: an attempt, a reading entry, a seat in one of its live
    games or on a judging panel, a score. All of these were reached through the invite door (or given by
    the organisers), so they keep the way to what is theirs without typing the code on every device.

    The apps that build on this one are reached by model name, so that this core app imports none of them.
    """
    if not user.is_authenticated:
        return False
    places = [
        apps.get_model("leaderboard", "Score").objects.filter(round__event=event),
        apps.get_model("quizzes", "Attempt").objects.filter(quiz_round__round__event=event),
        apps.get_model("submissions", "Entry").objects.filter(reading_round__round__event=event),
        apps.get_model("judging", "RoundJudge").objects.filter(reading_round__round__event=event),
        apps.get_model("live", "LivePlayer").objects.filter(session__round__event=event),
    ]
    return any(rows.filter(user=user).exists() for rows in places)


def access_event_for_visitor(*, user: Any, slug: str, invite_codes: set[str]) -> tuple[Event, bool]:
    """Return the event and whether its page may show its content.

    Drafts exist only for their organisers. An invite-only event shows its title and a code box to
    anyone with the link, its content once the right code is in ``invite_codes`` (kept in the session).
    """
    event = Event.objects.select_related("organisation").filter(slug=slug).first()
    if event is None:
        raise Http404
    if event.state == Event.State.DRAFT and not events_managed_by(user).filter(pk=event.pk).exists():
        raise Http404
    return event, event_is_open_to(user=user, event=event, invite_codes=invite_codes)


def access_event_for_participant(*, user: Any, event_id: int, invite_codes: set[str]) -> Event:
    """The event if its content is open to ``user`` (``event_is_open_to``), else 404 as if it did not exist:
    an invite-only event's rounds, boards and entries are not reachable by id without its code."""
    event = Event.objects.select_related("organisation").filter(pk=event_id).first()
    if event is None or not event_is_open_to(user=user, event=event, invite_codes=invite_codes):
        raise Http404
    return event


def access_round_for_participant(*, user: Any, round_id: int, invite_codes: set[str]) -> Round:
    """The round if its event's content is open to ``user`` (``event_is_open_to``), else 404."""
    rnd = Round.objects.select_related("event__organisation").filter(pk=round_id).first()
    if rnd is None or not event_is_open_to(user=user, event=rnd.event, invite_codes=invite_codes):
        raise Http404
    return rnd


def region_with_descendants(region_ids: Iterable[int]) -> set[int]:
    """The ids of these regions and every region below them (the tree is shallow: three levels)."""
    found = set(region_ids)
    frontier = set(found)
    while frontier:
        frontier = set(Region.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
        found |= frontier
    return found


# Every rules page and every start of a timed attempt asks which regions may take part (1 to 4 queries:
# the event's regions, then each level below them). The answer is cached per event *version*: the key holds
# the event's ``updated_at``, and ``event_update`` saves the event and sets its regions in one transaction,
# so an edited event is read afresh at once. A region added to the tree (``load_regions``) shows within
# EVENT_REGIONS_S.
EVENT_REGIONS_S = 600
EVENT_REGIONS_NAMESPACE = "event-regions"  # tests give each test its own (ids are reused between test databases)


def event_region_ids(event: Event) -> set[int]:
    """The regions whose people may take part in ``event``: its eligible regions and every region below them
    (empty: every region)."""
    key = f"{EVENT_REGIONS_NAMESPACE}:{event.pk}:{event.updated_at.isoformat()}"
    regions: set[int] | None = cache.get(key)
    if regions is None:
        regions = region_with_descendants(event.eligible_regions.values_list("pk", flat=True))
        cache.set(key, regions, EVENT_REGIONS_S)
    return regions


def region_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Regions grouped by district for a select box: [(district path, [(id, label), …]), …]."""
    regions = list(Region.objects.select_related("parent").order_by("code"))
    children: dict[int | None, list[Region]] = {}
    for region in regions:
        children.setdefault(region.parent_id, []).append(region)
    groups = []
    for province in children.get(None, []):
        groups.append((province.name, [(province.pk, province.name)]))
        for district in children.get(province.pk, []):
            options = [(district.pk, district.name)]
            options += [(commune.pk, f"— {commune.name}") for commune in children.get(district.pk, [])]
            groups.append((f"{district.name}, {province.name}", options))
    return groups
