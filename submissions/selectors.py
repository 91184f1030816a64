"""Reads of the submissions app. ``access_*`` helpers fetch an object *and* check permission; their error
is the same 404 for "does not exist" and "not yours", so that ids reveal nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from contests.models import Event, Round
from contests.selectors import access_round_for_organiser, organisations_organised_by, region_with_descendants

from .models import Entry, EntryVersion, ReadingRound, ResumableUpload, Vote
from .panel import is_panel_judge, judges_entry

MEDIA_PARTS = ("media", "poster", "original")


def access_reading_round(*, round_id: int) -> ReadingRound:
    """A configured reading round of a visible (non-draft) event, for participants and the public."""
    reading_round = (
        ReadingRound.objects.select_related("round__event__organisation")
        .filter(round_id=round_id, round__kind=Round.Kind.READING)
        .exclude(round__event__state=Event.State.DRAFT)
        .first()
    )
    if reading_round is None:
        raise Http404
    return reading_round


def access_round_settings_for_organiser(*, user: Any, round_id: int) -> tuple[Round, ReadingRound | None]:
    """A reading round the user organises, with its settings if they exist yet (404 for other kinds)."""
    rnd = access_round_for_organiser(user=user, round_id=round_id)
    if rnd.kind != Round.Kind.READING:
        raise Http404
    return rnd, ReadingRound.objects.filter(round=rnd).first()


def access_reading_round_for_organiser(*, user: Any, round_id: int) -> ReadingRound:
    _rnd, reading_round = access_round_settings_for_organiser(user=user, round_id=round_id)
    if reading_round is None:
        raise Http404
    return reading_round


def _entries() -> QuerySet[Entry]:
    return Entry.objects.select_related(
        "reading_round__round__event__organisation", "user__profile__region__parent", "current"
    )


def access_entry_for_owner(*, user: Any, entry_id: int) -> Entry:
    entry = _entries().filter(pk=entry_id, user_id=user.pk).first() if user.is_authenticated else None
    if entry is None:
        raise Http404
    return entry


def access_resumable_for_owner(*, user: Any, key: str, now: dt.datetime) -> ResumableUpload:
    """A resumable upload of ``user`` that has not expired; 404 for missing, someone else's or expired alike."""
    upload = (
        ResumableUpload.objects.select_related("reading_round").filter(key=key, user_id=user.pk).first()
        if user.is_authenticated
        else None
    )
    if upload is None or upload.is_expired(now):
        raise Http404
    return upload


def access_entry_for_organiser(*, user: Any, entry_id: int) -> Entry:
    entry = (
        _entries()
        .filter(pk=entry_id, reading_round__round__event__organisation__in=organisations_organised_by(user))
        .first()
    )
    if entry is None:
        raise Http404
    return entry


def access_version_for_organiser(*, user: Any, version_id: int) -> EntryVersion:
    version = (
        EntryVersion.objects.select_related("entry__reading_round__round__event")
        .filter(pk=version_id, entry__reading_round__round__event__organisation__in=organisations_organised_by(user))
        .first()
    )
    if version is None:
        raise Http404
    return version


def kept_blind(*, user: Any, reading_round: ReadingRound, now: dt.datetime) -> bool:
    """Whether ``user`` sits on the panel of this blind round while its judging is not closed (the window has
    not ended and judging is not finalised): until then no page that names the round's entrants — the
    gallery, with authors' and groups' names beside the titles the judge scores — is theirs to open.

    Organisers and site admins are not judges for this rule unless they sit on the panel. A round that is
    not blind shows judges the authors on purpose: nothing to keep from them.
    """
    if not user.is_authenticated or not reading_round.blind_judging or reading_round.judging_closed(now):
        return False
    return is_panel_judge(user=user, reading_round=reading_round)


# --- Who may play what -------------------------------------------------------------------------


def _organises(user: Any, event: Event) -> bool:
    return organisations_organised_by(user).filter(pk=event.organisation_id).exists()


def in_public_gallery(entry: Entry) -> bool:
    reading_round = entry.reading_round
    return reading_round.gallery_enabled and reading_round.round.event.state != Event.State.DRAFT and entry.in_gallery


def may_play(*, user: Any, version: EntryVersion, part: str) -> bool:
    """The one rule for every media URL.

    The owner hears every version of their entry and downloads its originals; the event's organisers
    see everything; the judges assigned to the entry play its current version; the public plays the
    current version of an entry that is in the gallery. Originals are for the owner and organisers.
    """
    entry, event = version.entry, version.entry.reading_round.round.event
    if user.is_authenticated and (entry.user_id == user.pk or _organises(user, event)):
        return True
    if part == "original" or entry.current_id != version.pk:
        return False
    if in_public_gallery(entry):
        return True
    return user.is_authenticated and judges_entry(user=user, entry=entry)


def access_media(*, user: Any, version_id: int, part: str) -> tuple[EntryVersion, Any]:
    """The stored file of one part ("media", "poster", "original") of a version, if ``user`` may have it."""
    if part not in MEDIA_PARTS:
        raise Http404
    version = EntryVersion.objects.select_related("entry__reading_round__round__event").filter(pk=version_id).first()
    if version is None or not may_play(user=user, version=version, part=part):
        raise Http404
    stored = getattr(version, part)
    if not stored:
        raise Http404
    return version, stored


# --- Participant's and public pages ---------------------------------------------------------------


def my_entries(*, reading_round: ReadingRound, user: Any) -> list[Entry]:
    if not user.is_authenticated:
        return []
    versions = EntryVersion.objects.order_by("-number")
    return list(
        Entry.objects.filter(reading_round=reading_round, user=user)
        .select_related("current")
        .prefetch_related(Prefetch("versions", queryset=versions))
        .order_by("number")
    )


def gallery_entries(*, reading_round: ReadingRound) -> QuerySet[Entry]:
    """Approved entries with consent and a playable version, with their vote counts. One query."""
    return (
        Entry.objects.filter(
            reading_round=reading_round,
            moderation=Entry.Moderation.APPROVED,
            consent_publish=True,
            current__isnull=False,
        )
        .select_related("current", "user__profile__region__parent")
        .annotate(vote_count=Count("votes"))
        .order_by("created_at", "pk")
    )


def voted_entry_ids(*, reading_round: ReadingRound, user: Any) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(Vote.objects.filter(entry__reading_round=reading_round, user=user).values_list("entry_id", flat=True))


def vote_counts(*, reading_round: ReadingRound) -> dict[int, int]:
    """Votes per entry of the round (every entry, zero included): what judging combines with ``vote_weight``."""
    return dict(Entry.objects.filter(reading_round=reading_round).annotate(n=Count("votes")).values_list("pk", "n"))


def public_label(user: Any) -> str:
    """How an author appears in the gallery: given name and district, or initials, as they chose."""
    profile = getattr(user, "profile", None)
    if profile is None or not profile.full_name:
        return str(user.get_username()[:1].upper() + ".")
    region = profile.region
    place = ""
    if region is not None:
        place = region.parent.name if region.level == "commune" and region.parent else region.name
    if profile.public_name == profile.PublicName.FULL:
        given = profile.full_name.split()[-1]  # Vietnamese names end with the given name
        return f"{given} · {place}" if place else given
    return str(profile.display_name)


# --- Organiser's queue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    state: str = ""  # the latest version's state
    moderation: str = ""
    region_id: int | None = None
    organisation_id: int | None = None


def _latest_state() -> Subquery:
    return Subquery(EntryVersion.objects.filter(entry=OuterRef("pk")).order_by("-number").values("state")[:1])


def moderation_entries(*, reading_round: ReadingRound, filters: QueueFilters) -> QuerySet[Entry]:
    entries = (
        Entry.objects.filter(reading_round=reading_round)
        .select_related("user__profile__region", "user__profile__organisation", "current")
        .annotate(latest_state=_latest_state(), vote_count=Count("votes"))
        .order_by("-created_at", "-pk")
    )
    if filters.state:
        entries = entries.filter(latest_state=filters.state)
    if filters.moderation:
        entries = entries.filter(moderation=filters.moderation)
    if filters.region_id:
        entries = entries.filter(user__profile__region_id__in=region_with_descendants([filters.region_id]))
    if filters.organisation_id:
        entries = entries.filter(
            Q(user__profile__organisation_id=filters.organisation_id)
            | Q(user__profile__organisation__parent_id=filters.organisation_id)
        )
    return entries


def round_summary(*, reading_round: ReadingRound) -> dict[str, Any]:
    return Entry.objects.filter(reading_round=reading_round).aggregate(
        total=Count("pk"),
        people=Count("user", distinct=True),
        approved=Count("pk", filter=Q(moderation=Entry.Moderation.APPROVED)),
        pending=Count("pk", filter=Q(moderation=Entry.Moderation.PENDING)),
    )
