"""Entries and their versions: who may send a recording, the probe of the file before anything is stored,
creating, replacing and editing an entry.

Apart from processing because this is the participant's request: it stores and enqueues, the job does the rest.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from contests.models import Event
from contests.participation import event_participation_problems

from ..media_probe import MediaInfo, MediaLimits, MediaRejected, check_rules, probe
from ..models import Entry, EntryVersion, ReadingRound
from .errors import EntryError
from .processing import version_enqueue

if TYPE_CHECKING:
    from collections.abc import Iterator


def entry_problems(*, reading_round: ReadingRound, user: Any, now: dt.datetime) -> list[str]:
    """Why ``user`` cannot send a recording now (empty list = they can). Checked again on every send."""
    rnd, event = reading_round.round, reading_round.round.event
    if event.state != Event.State.OPEN:
        return [_("The event is not open.")]
    if now < rnd.opens_at:
        return [_("The round has not opened yet.")]
    if now >= reading_round.deadline:
        return [_("The deadline for entries has passed.")]
    return event_participation_problems(event=event, user=user, now=now)


def quota_left(*, reading_round: ReadingRound, user: Any) -> int:
    used = Entry.objects.filter(reading_round=reading_round, user_id=user.pk).count()
    return max(0, reading_round.entries_per_participant - used)


def _quota_used_message() -> str:
    return _("You have sent all the entries this round allows. You can still replace them.")


def entry_create_problems(*, reading_round: ReadingRound, user: Any, now: dt.datetime) -> list[str]:
    """Why ``user`` cannot start a new entry now: ``entry_problems`` plus the per-participant quota.

    Views ask before reading an upload's body, so that a refused send costs no bandwidth.
    """
    problems = entry_problems(reading_round=reading_round, user=user, now=now)
    if not problems and quota_left(reading_round=reading_round, user=user) <= 0:
        problems = [_quota_used_message()]
    return problems


@contextlib.contextmanager
def _local_path(upload: Any) -> Iterator[str]:
    """A path PyAV can open: the upload's temporary file, or a copy of an in-memory or stored file."""
    temporary = getattr(upload, "temporary_file_path", None)
    if temporary is not None:
        yield temporary()
        return
    with tempfile.NamedTemporaryFile(suffix=".upload") as copy:
        upload.seek(0)
        for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1 << 20), b""):
            copy.write(chunk)
        copy.flush()
        yield copy.name


def media_accept(*, reading_round: ReadingRound, upload: Any) -> MediaInfo:
    """Probe the sent file by its content and apply the round's rules; raise MediaRejected if refused."""
    if upload.size > reading_round.max_bytes:
        raise MediaRejected("too_big", limit=reading_round.max_size_mb)
    with _local_path(upload) as path:
        info = probe(path, limits=media_limits(reading_round=reading_round))
    check_rules(info, reading_round.media_rules())
    return info


def media_limits(*, reading_round: ReadingRound) -> MediaLimits:
    """The platform's maxima (settings ``MEDIA_MAX_*``) with the round's longest duration, for the probe."""
    return MediaLimits(
        max_duration_s=reading_round.max_duration_s,
        max_lines=settings.MEDIA_MAX_LINES,
        max_fps=settings.MEDIA_MAX_FPS,
        max_channels=settings.MEDIA_MAX_CHANNELS,
        max_sample_rate=settings.MEDIA_MAX_SAMPLE_RATE,
    )


def _safe_name(name: str) -> str:
    """The sender's file name, kept only as a label for the organisers' archive."""
    base = os.path.basename(name or "").strip().replace("\x00", "")
    return base[:200] or "recording"


def _version_add(*, entry: Entry, upload: Any, info: MediaInfo, source: str, now: dt.datetime) -> EntryVersion:
    """Store the file under a generated name and its row; the job is queued once the transaction commits."""
    number = (entry.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = EntryVersion(
        entry=entry,
        number=number,
        source=source,
        kind=info.kind,
        extension=info.extension,
        original_name=_safe_name(upload.name),
        original_size=info.size_bytes,
        container=info.container,
        audio_codec=info.audio_codec,
        video_codec=info.video_codec,
        width=info.width,
        height=info.height,
        duration_ms=round(info.duration_s * 1000),
        received_at=now,
    )
    upload.seek(0)
    version.original.save("original", upload, save=False)
    try:
        version.save()
    except Exception:
        version.original.delete(save=False)
        raise
    transaction.on_commit(lambda: version_enqueue(version_id=version.pk))
    return version


def entry_create(
    *,
    reading_round: ReadingRound,
    user: Any,
    fields: dict[str, Any],
    upload: Any,
    source: str,
    now: dt.datetime | None = None,
) -> Entry:
    """Create an entry with its first recording. Raise EntryError (not allowed) or MediaRejected (bad file).

    The quota is counted inside the transaction and guarded by the unique (round, user, number)
    constraint, so two sends at the same moment cannot exceed it.
    """
    now = now or timezone.now()
    problems = entry_create_problems(reading_round=reading_round, user=user, now=now)
    if problems:
        raise EntryError(" ".join(problems))
    info = media_accept(reading_round=reading_round, upload=upload)
    try:
        with transaction.atomic():
            number = (
                Entry.objects.filter(reading_round=reading_round, user=user).aggregate(n=Max("number"))["n"] or 0
            ) + 1
            if number > reading_round.entries_per_participant:
                raise EntryError(_quota_used_message())
            entry = Entry(reading_round=reading_round, user=user, number=number, created_at=now, **fields)
            entry.full_clean(exclude=["current"])
            entry.save()
            _version_add(entry=entry, upload=upload, info=info, source=source, now=now)
    except IntegrityError as exc:
        raise EntryError(_quota_used_message()) from exc
    return entry


def entry_replace(*, entry: Entry, upload: Any, source: str, now: dt.datetime | None = None) -> EntryVersion:
    """Add a new recording to an entry until the deadline. The current version stays playable until the
    new one is ready (see ``_finish_ready``)."""
    now = now or timezone.now()
    problems = entry_problems(reading_round=entry.reading_round, user=entry.user, now=now)
    if problems:
        raise EntryError(" ".join(problems))
    info = media_accept(reading_round=entry.reading_round, upload=upload)
    with transaction.atomic():
        Entry.objects.select_for_update().filter(pk=entry.pk).first()  # version numbers in order
        return _version_add(entry=entry, upload=upload, info=info, source=source, now=now)


def entry_update(*, entry: Entry, fields: dict[str, Any], now: dt.datetime | None = None) -> Entry:
    """Change the title, note or group until the deadline; consent to publish can be withdrawn or given at
    any time (withdrawing it takes the entry out of the gallery at once)."""
    now = now or timezone.now()
    changed = {name for name, value in fields.items() if getattr(entry, name) != value}
    if changed - {"consent_publish"} and now >= entry.reading_round.deadline:
        raise EntryError(_("The deadline has passed: only the consent to publish can still change."))
    for name in changed:
        setattr(entry, name, fields[name])
    entry.full_clean(exclude=["current"])
    entry.save(update_fields=[*sorted(changed), "updated_at"])
    return entry
