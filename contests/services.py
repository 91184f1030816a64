"""Every write of the contests app. Views and commands call these; they never save domain rows themselves."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.text import slugify
from django.utils.translation import gettext as _

from contest_site import ratelimit

from .images import normalise_image
from .models import (
    ConsentEvent,
    ConsentKind,
    ConsentRecord,
    Event,
    EventTransition,
    Membership,
    Organisation,
    Profile,
    Region,
    Round,
)
from .roster import RosterRow
from .selectors import navigation_flag_forget

if TYPE_CHECKING:
    from collections.abc import Iterable

BANNER_SIZE = (1600, 600)

# The lifecycle of an event. Re-opening a closed event is allowed (a window extended after an outage);
# nothing leaves "results published": later changes are audited corrections, never a state change.
EVENT_TRANSITIONS: dict[str, set[str]] = {
    Event.State.DRAFT: {Event.State.OPEN},
    Event.State.OPEN: {Event.State.CLOSED},
    Event.State.CLOSED: {Event.State.OPEN, Event.State.RESULTS_PUBLISHED},
    Event.State.RESULTS_PUBLISHED: set(),
}


class TransitionError(Exception):
    """An event state change that the lifecycle or the event's content does not allow."""


class InviteCodeLimited(ratelimit.RateLimited):
    """Too many wrong invite codes lately, from this address or this account."""


# Wrong invite codes: eight characters from 32 are too many to guess, but only if nobody may try them in a
# loop. Per address generously (a school's network shares one), per account tighter; counted on failures
# only and checked before the comparison, so that a blocked guesser learns nothing, even a right code.
WRONG_INVITE_CODES_PER_ADDRESS = 20
WRONG_INVITE_CODES_PER_ACCOUNT = 10
WRONG_INVITE_CODES_PERIOD_S = 600


def event_invite_check(*, event: Event, code: str, ip: str, user: Any, now: dt.datetime | None = None) -> bool:
    """Whether ``code`` opens invite-only ``event`` (case and spaces ignored); count it if wrong.

    Raises InviteCodeLimited, before looking at the code, once this address or account has typed too many
    wrong codes in the window, for any event: a script trying codes is stopped long before it finds one.
    """
    keys = [(f"invite-code-ip:{ip}", WRONG_INVITE_CODES_PER_ADDRESS)]
    if user is not None and user.is_authenticated:
        keys.append((f"invite-code-user:{user.pk}", WRONG_INVITE_CODES_PER_ACCOUNT))
    if any(ratelimit.over(key, limit=limit, period_s=WRONG_INVITE_CODES_PERIOD_S, now=now) for key, limit in keys):
        raise InviteCodeLimited(
            _("Too many wrong invite codes were typed. Wait %(minutes)s minutes, then try again.")
            % {"minutes": WRONG_INVITE_CODES_PERIOD_S // 60}
        )
    code = code.strip().upper()
    if event.visibility == Event.Visibility.INVITE and code and code == event.invite_code.upper():
        return True
    for key, limit in keys:
        ratelimit.hit(key, limit=limit, period_s=WRONG_INVITE_CODES_PERIOD_S, now=now)
    return False


# --- Profiles ---------------------------------------------------------------------------------


def profile_get_or_create(*, user: Any) -> Profile:
    profile, _created = Profile.objects.get_or_create(user=user)
    return profile


def profile_create(*, user: Any, full_name: str, phone: str) -> tuple[Profile, bool]:
    """The profile of a new account, from the sign-up form: name and phone number. Returns the profile and
    whether the phone number was kept: if another sign-up took the same number in the meantime (the unique
    constraint decides), the account is kept without a phone and the profile page asks for one."""
    profile = profile_get_or_create(user=user)
    try:
        with transaction.atomic():
            Profile.objects.filter(pk=profile.pk).update(full_name=full_name, phone=phone)
    except IntegrityError:
        Profile.objects.filter(pk=profile.pk).update(full_name=full_name)
        profile.refresh_from_db()
        return profile, False
    profile.refresh_from_db()
    return profile, True


@transaction.atomic
def profile_update(
    *,
    profile: Profile,
    data: dict[str, Any],
    data_consent: bool,
    guardian_consent: bool,
    by: Any = None,
    now: dt.datetime | None = None,
) -> Profile:
    """Save profile fields and consents; ``by`` is who saves them (the person themself by default).

    A consent is stored as the time it was given and kept while it stays given; unticking it withdraws it
    (Decree 13 lets people withdraw consent as easily as they gave it), which makes the profile incomplete.
    Each change goes into the consent history through ``consent_change``. Guardian consent exists only
    while the person is a minor (the form checks that it is given): an adult's ends with its guardian.
    """
    now = now or timezone.now()
    if profile.pk is not None:  # the stamps as they are now, locked: a withdrawal in another tab counts
        stamps = Profile.objects.select_for_update().filter(pk=profile.pk).values(*CONSENT_STAMPS.values()).get()
        for field, value in stamps.items():
            setattr(profile, field, value)
    for field, value in data.items():
        setattr(profile, field, value)
    if not profile.is_minor:
        profile.guardian_name = ""
    profile.full_clean()
    profile.save()
    by = by if by is not None else profile.user
    wanted = {ConsentKind.DATA_PROCESSING: data_consent, ConsentKind.GUARDIAN: guardian_consent and profile.is_minor}
    for kind, given in wanted.items():
        consent_change(profile=profile, kind=kind, given=given, by=by, now=now)
    return profile


CONSENT_STAMPS: dict[str, str] = {
    ConsentKind.DATA_PROCESSING: "data_consent_at",
    ConsentKind.GUARDIAN: "guardian_consent_at",
}


@transaction.atomic
def consent_change(
    *,
    profile: Profile,
    kind: str,
    given: bool,
    by: Any,
    now: dt.datetime | None = None,
    paper_form: ConsentRecord | None = None,
) -> ConsentEvent | None:
    """Give or withdraw one consent of ``profile``'s person and record the change, with its time and who
    recorded it, in the one consent history (``ConsentEvent``). Every way a consent changes goes through
    here: the profile form, My data's withdrawal, an erasure, a teacher recording a guardian's paper form.

    Returns the event, or None when nothing changes: giving a given consent keeps the time it was first
    given (the stamp says since when it holds), except a new paper form, which is new evidence and is
    recorded as such. Caller has read ``profile`` in its transaction (locked when others may change it).
    """
    now = now or timezone.now()
    field = CONSENT_STAMPS[kind]
    current = getattr(profile, field)
    if (given and current is not None and paper_form is None) or (not given and current is None):
        return None
    stamp = now if given else None
    Profile.objects.filter(pk=profile.pk).update(**{field: stamp})
    setattr(profile, field, stamp)
    action = ConsentEvent.Action.GIVEN if given else ConsentEvent.Action.WITHDRAWN
    return ConsentEvent.objects.create(
        user_id=profile.user_id, kind=kind, action=action, at=now, recorded_by=by, paper_form=paper_form
    )


# --- Events -----------------------------------------------------------------------------------


def _unique_slug(model: Any, base: str, *, exclude_pk: int | None = None) -> str:
    stem = (slugify(base) or "event")[:60]
    slug, taken = stem, model.objects.exclude(pk=exclude_pk)
    while taken.filter(slug=slug).exists():
        slug = f"{stem}-{get_random_string(4, 'abcdefghijkmnpqrstuvwxyz23456789')}"
    return slug


def _apply_banner(event: Event, banner: Any) -> None:
    if banner is None:
        return
    if banner is False:  # the form's "clear" box
        event.banner.delete(save=False)
        return
    cleaned = normalise_image(banner, max_size=BANNER_SIZE, name_stem=get_random_string(16))
    event.banner.save(cast(str, cleaned.name), cleaned, save=False)


@transaction.atomic
def event_create(
    *,
    organisation: Organisation,
    by: Any,
    fields: dict[str, Any],
    eligible_regions: Iterable[Any] = (),
    banner: Any = None,
) -> Event:
    """Create a draft event of ``organisation``. The caller has checked that ``by`` organises it."""
    event = Event(organisation=organisation, created_by=by, state=Event.State.DRAFT, **fields)
    event.slug = _unique_slug(Event, fields.get("slug") or fields["title"])
    if event.visibility == Event.Visibility.INVITE and not event.invite_code:
        event.invite_code = get_random_string(8, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
    event.full_clean()
    _apply_banner(event, banner)
    event.save()
    event.eligible_regions.set(eligible_regions)
    return event


@transaction.atomic
def event_update(
    *, event: Event, fields: dict[str, Any], eligible_regions: Iterable[Any] | None = None, banner: Any = None
) -> Event:
    """Change an event's content. Its state changes only through ``event_transition``."""
    if event.state == Event.State.RESULTS_PUBLISHED:
        raise ValidationError(_("Results are published: the event can no longer be edited."))
    fields.pop("state", None)
    for field, value in fields.items():
        setattr(event, field, value)
    if event.visibility == Event.Visibility.INVITE and not event.invite_code:
        event.invite_code = get_random_string(8, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
    event.full_clean()
    _apply_banner(event, banner)
    event.save()
    if eligible_regions is not None:
        event.eligible_regions.set(eligible_regions)
    return event


def event_transition_problems(*, event: Event, to_state: str) -> list[str]:
    """Why ``event`` cannot move to ``to_state`` now (empty list = it can)."""
    if to_state not in EVENT_TRANSITIONS.get(event.state, set()):
        return [
            _("An event cannot go from “%(from)s” to “%(to)s”.")
            % {"from": Event.State(event.state).label, "to": Event.State(to_state).label}
        ]
    problems = []
    if to_state == Event.State.OPEN:
        rounds = list(event.rounds.all())
        if not rounds:
            problems.append(_("Add at least one round before opening the event."))
        for rnd in rounds:
            if rnd.opens_at < event.opens_at or rnd.closes_at > event.closes_at:
                problems.append(_("Round “%(round)s” lies outside the event's window.") % {"round": rnd.title})
    return problems


@transaction.atomic
def event_transition(*, event: Event, to_state: str, by: Any, now: dt.datetime | None = None) -> Event:
    """Move ``event`` along its lifecycle and record who did it. Raise TransitionError if not allowed.

    The row is locked so that two organisers clicking at once cannot both move it from the same state.
    """
    now = now or timezone.now()
    locked = Event.objects.select_for_update().get(pk=event.pk)
    problems = event_transition_problems(event=locked, to_state=to_state)
    if problems:
        raise TransitionError(" ".join(problems))
    EventTransition.objects.create(event=locked, from_state=locked.state, to_state=to_state, by=by, at=now)
    locked.state = to_state
    locked.save(update_fields=["state", "updated_at"])
    event.state = to_state
    return locked


# --- Rounds -----------------------------------------------------------------------------------


def _check_round_editable(event: Event) -> None:
    if event.state == Event.State.RESULTS_PUBLISHED:
        raise ValidationError(_("Results are published: rounds can no longer be changed."))


@transaction.atomic
def round_create(*, event: Event, fields: dict[str, Any]) -> Round:
    """Append a round at the end of the event's order."""
    _check_round_editable(event)
    Event.objects.select_for_update().filter(pk=event.pk).first()
    last = event.rounds.aggregate(last=Max("position"))["last"] or 0
    rnd = Round(event=event, position=last + 1, **fields)
    rnd.full_clean()
    rnd.save()
    return rnd


@transaction.atomic
def round_update(*, rnd: Round, fields: dict[str, Any]) -> Round:
    _check_round_editable(rnd.event)
    for field, value in fields.items():
        setattr(rnd, field, value)
    rnd.full_clean()
    rnd.save()
    return rnd


@transaction.atomic
def round_delete(*, rnd: Round) -> None:
    """Delete a round while its event is a draft; once open, participants' work may depend on it."""
    if rnd.event.state != Event.State.DRAFT:
        raise ValidationError(_("Rounds can only be deleted while the event is a draft."))
    event = rnd.event
    rnd.delete()
    for position, other in enumerate(event.rounds.order_by("position"), start=1):
        if other.position != position:
            other.position = position
            other.save(update_fields=["position"])


@transaction.atomic
def round_move(*, rnd: Round, offset: int) -> None:
    """Swap a round with its neighbour (offset -1 = earlier, +1 = later). Does nothing at either end.

    Position 0 is a parking spot so that the unique (event, position) constraint holds at every step.
    """
    _check_round_editable(rnd.event)
    neighbour = rnd.event.rounds.filter(position=rnd.position + offset).first()
    if neighbour is None:
        return
    mine, theirs = rnd.position, neighbour.position
    rnd.position = 0
    rnd.save(update_fields=["position"])
    neighbour.position = mine
    neighbour.save(update_fields=["position"])
    rnd.position = theirs
    rnd.save(update_fields=["position"])


# --- Organisations ----------------------------------------------------------------------------


def membership_add(*, user: Any, organisation: Organisation, role: str = Membership.Role.ORGANISER) -> Membership:
    membership, _created = Membership.objects.get_or_create(user=user, organisation=organisation, role=role)
    navigation_flag_forget("organiser", user.pk)
    return membership


def organisation_update(*, organisation: Organisation, fields: dict[str, Any]) -> Organisation:
    for field, value in fields.items():
        setattr(organisation, field, value)
    organisation.full_clean()
    organisation.save()
    return organisation


@dataclass(frozen=True)
class RosterResult:
    created: int
    updated: int


@transaction.atomic
def roster_import(*, organisation: Organisation, rows: list[RosterRow]) -> RosterResult:
    """Create or update the units of ``organisation`` from a clean roster, matched by unit code.

    The caller shows the preview first; this refuses a roster with any error so that a half-imported
    roster never exists.
    """
    if any(row.errors for row in rows):
        raise ValidationError(_("The roster has errors; nothing was imported."))
    regions = {r.code: r for r in Region.objects.filter(code__in={row.region_code for row in rows if row.region_code})}
    created = updated = 0
    for row in rows:
        unit = Organisation.objects.filter(parent=organisation, code=row.code).first()
        if unit is None:
            unit = Organisation(
                parent=organisation, code=row.code, slug=_unique_slug(Organisation, f"{organisation.slug}-{row.code}")
            )
            created += 1
        else:
            updated += 1
        unit.name = row.name
        unit.group = row.group
        unit.headcount = row.headcount
        unit.region = regions.get(row.region_code) if row.region_code else unit.region
        unit.full_clean()
        unit.save()
    return RosterResult(created=created, updated=updated)


# --- Regions ----------------------------------------------------------------------------------


@transaction.atomic
def regions_load(*, nodes: list[dict[str, Any]], parent: Region | None = None) -> int:
    """Create or update regions from a nested list ``[{code, name, level, children}]``, keyed by code.

    Idempotent: loading the same file twice changes nothing; renamed units keep their id (and every
    profile that points at them).
    """
    count = 0
    for node in nodes:
        region, _created = Region.objects.update_or_create(
            code=node["code"], defaults={"name": node["name"], "level": node["level"], "parent": parent}
        )
        count += 1 + regions_load(nodes=node.get("children", []), parent=region)
    return count
