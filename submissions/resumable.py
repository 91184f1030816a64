"""Every write of resumable (tus) uploads: create, hold the lease, commit bytes, delete, expire, attach.

The interface is ``tus.py`` (the ASGI door at ``/uploads/``); it parses headers and streams chunks to the
file these functions open, and calls them for every decision. The rules, and why:

- Creating an upload is checked like creating an entry (signed in, invite door, eligible, round open, quota,
  hourly upload limit) *and* against the round's size limit, before one byte of the file arrives: a refused
  participant costs no bandwidth and no disk.
- One writer at a time per upload: a lease (``lease_token`` until ``lease_until``) taken with one
  conditional UPDATE. A PATCH holds it while it streams (renewed while bytes keep coming); the entry form
  holds it while it attaches. A second PATCH of the same upload meets the lease and is told 423.
- ``offset`` counts only bytes that are on disk: the file is flushed and fsynced before the offset is
  committed, and a PATCH starts by cutting the file back to the committed offset (bytes a crashed process
  wrote but never committed are not trusted).
- Where the bytes are: appended on the local disk of the app host that receives the PATCHes (nginx sends
  every request of one upload URL to the same host, docs/deployment.md). On object storage
  (``MEDIA_S3_BUCKET``) the PATCH that completes the file moves it to the bucket (``resumable/<key>``)
  before the offset says it is finished, so the entry form may attach it on any host. Should a host vanish
  with a partial file, the next PATCH finds fewer bytes than the offset: the upload restarts from 0 (409,
  the client asks HEAD and resends).
- An upload is its creator's; it expires 24 h after creation if unfinished, 24 h after it finished if never
  attached; ``resumables_sweep`` (run by ``manage.py sweep_entries``) deletes expired rows and their files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from contest_site import ratelimit
from contest_site.media_storage import is_local, local_copy
from contests.selectors import access_round_for_participant

from . import selectors
from .media_probe import MediaRejected
from .models import ReadingRound, ResumableUpload, resumable_folder
from .services import entry_create_problems, entry_problems

EXPIRY = dt.timedelta(hours=24)
MAX_CHUNK = 8 * 1024 * 1024  # the most one PATCH may carry: memory and lease time stay small
PATCH_LEASE = dt.timedelta(seconds=60)  # renewed while bytes keep arriving
ATTACH_LEASE = dt.timedelta(minutes=15)  # probing and storing a 300 MB file takes seconds; a dead process, this
OPEN_UPLOADS_PER_USER = 5  # unfinished uploads at once: enough for a retry on another device, not a disk filler
UPLOADS_PER_HOUR = 30  # shared with the multipart form (views.participant): same key, same budget


class UploadRefused(Exception):
    """A refusal with its HTTP status and a sentence in the participant's language."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class UploadLocked(Exception):
    """Another request holds the upload's lease (a PATCH in flight, or the entry form attaching it)."""


class OffsetMoved(Exception):
    """The upload's offset changed since the request read it (another PATCH committed meanwhile)."""


class BytesLost(Exception):
    """This host holds fewer bytes of the upload than its offset says (its partial file was on a host that is
    gone): the upload must restart from 0."""


def _in_bucket() -> bool:
    """Finished uploads live in object storage (moved there by their last PATCH), not on this disk."""
    return not is_local(default_storage)


# --- Creation ---------------------------------------------------------------------------------------


def resumable_create(
    *,
    user,
    round_id: int,
    invite_codes: set[str],
    filename: str,
    length: int | None,
    entry_id: int | None = None,
    now: dt.datetime | None = None,
) -> ResumableUpload:
    """Open an upload of ``length`` bytes (None: deferred until the recording stops) for a reading round.

    With ``entry_id`` the upload will replace that entry's recording: the owner may do so until the
    deadline whatever their quota; without it, it is a new entry and the quota counts. Raise UploadRefused.
    """
    now = now or timezone.now()
    reading_round = _round_for_participant(user=user, round_id=round_id, invite_codes=invite_codes)
    entry = None
    if entry_id is not None:
        try:
            entry = selectors.access_entry_for_owner(user=user, entry_id=entry_id)
        except Http404:
            raise UploadRefused(404, _("No such entry.")) from None
        if entry.reading_round_id != reading_round.pk:
            raise UploadRefused(404, _("No such entry."))
        problems = entry_problems(reading_round=reading_round, user=user, now=now)
    else:
        problems = entry_create_problems(reading_round=reading_round, user=user, now=now)
    if problems:
        raise UploadRefused(403, " ".join(problems))
    if length is not None and length > reading_round.max_bytes:
        raise UploadRefused(413, MediaRejected("too_big", limit=reading_round.max_size_mb).message)
    _make_room(user=user, reading_round=reading_round, now=now)
    if not ratelimit.hit(f"upload:{user.pk}", limit=UPLOADS_PER_HOUR, period_s=3600, now=now):
        raise UploadRefused(429, _("Too many files sent in the last hour."))
    upload = ResumableUpload(
        user=user,
        reading_round=reading_round,
        entry=entry,
        filename=_safe_name(filename),
        length=length,
        created_at=now,
        expires_at=now + EXPIRY,
    )
    folder = resumable_folder()
    folder.mkdir(parents=True, exist_ok=True)
    upload.path.touch(exist_ok=False)  # a random key: an existing file would be a bug, not a collision
    try:
        upload.save()
    except Exception:
        upload.path.unlink(missing_ok=True)
        raise
    return upload


def _round_for_participant(*, user, round_id: int, invite_codes: set[str]) -> ReadingRound:
    """The round's settings if this person may see it (invite door included), else 404 like a missing round."""
    try:
        access_round_for_participant(user=user, round_id=round_id, invite_codes=invite_codes)
        return selectors.access_reading_round(round_id=round_id)
    except Http404:
        raise UploadRefused(404, _("No such round.")) from None


def _make_room(*, user, reading_round: ReadingRound, now: dt.datetime) -> None:
    """Keep a person's waiting uploads (unfinished, or finished and not attached yet) under the cap, so that
    one account cannot fill the disk: at the cap, the oldest one of this round that no request holds goes
    (a file picked again, a take recorded again, a tab closed mid-upload); if none can go, 429."""
    waiting = ResumableUpload.objects.filter(user_id=user.pk, expires_at__gt=now)
    if waiting.count() < OPEN_UPLOADS_PER_USER:
        return
    free = Q(lease_until__isnull=True) | Q(lease_until__lte=now)
    oldest = waiting.filter(free, reading_round=reading_round).order_by("created_at", "pk").first()
    if oldest is None:
        raise UploadRefused(429, _("Too many unfinished uploads: finish or cancel one first."))
    _forget(oldest)


def _safe_name(name: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip().replace("\x00", "")
    return base[:200] or "recording"


# --- The lease: one writer per upload -------------------------------------------------------------


def resumable_lease(*, upload: ResumableUpload, duration: dt.timedelta, now: dt.datetime | None = None) -> str:
    """Take the upload's lease for ``duration``; return its token. Raise UploadLocked if someone holds it.

    One conditional UPDATE: of two requests at the same moment, exactly one matches the free lease. It also
    matches only the offset (and length) the caller read: a PATCH that read its offset before another one
    committed must not cut the file back to it (OffsetMoved: the client asks HEAD again, as tus says)."""
    now = now or timezone.now()
    token = secrets.token_hex(16)
    free = Q(lease_until__isnull=True) | Q(lease_until__lte=now)
    unchanged = Q(offset=upload.offset) & (Q(length=upload.length) if upload.length is not None else Q(length=None))
    taken = (
        ResumableUpload.objects.filter(pk=upload.pk)
        .filter(free, unchanged)
        .update(lease_token=token, lease_until=now + duration)
    )
    if taken:
        return token
    if ResumableUpload.objects.filter(pk=upload.pk).filter(free).exists():
        raise OffsetMoved
    raise UploadLocked


def resumable_renew(*, upload: ResumableUpload, token: str, now: dt.datetime | None = None) -> bool:
    """Extend a PATCH's lease while bytes keep arriving; False if the lease was lost (then stop writing)."""
    now = now or timezone.now()
    return bool(ResumableUpload.objects.filter(pk=upload.pk, lease_token=token).update(lease_until=now + PATCH_LEASE))


def resumable_release(*, upload: ResumableUpload, token: str) -> None:
    ResumableUpload.objects.filter(pk=upload.pk, lease_token=token).update(lease_token="", lease_until=None)


def resumable_commit(
    *, upload: ResumableUpload, token: str, offset: int, length: int | None = None, now: dt.datetime | None = None
) -> ResumableUpload | None:
    """Record ``offset`` bytes as safely on disk (the caller synced the file) and release the lease.

    ``length`` is the length a deferred upload declares once its recording stopped. A finished upload
    waits 24 h more for the entry form. None if the lease was lost: nothing is recorded, the client's
    HEAD tells it where to resume."""
    now = now or timezone.now()
    total = upload.length if upload.length is not None else length
    moved = _in_bucket() and total is not None and offset == total
    if moved:  # before the offset says "finished": a finished upload is always in the bucket
        _store_finished(upload)
    with transaction.atomic():
        locked = ResumableUpload.objects.select_for_update().filter(pk=upload.pk, lease_token=token).first()
        if locked is None:
            if moved:
                default_storage.delete(upload.stored_name)
            return None
        if locked.length is None and length is not None:
            locked.length = length
        locked.offset = offset
        if locked.is_finished and locked.finished_at is None:
            locked.finished_at = now
            locked.expires_at = now + EXPIRY
        locked.lease_token, locked.lease_until = "", None
        locked.save(update_fields=["length", "offset", "finished_at", "expires_at", "lease_token", "lease_until"])
    if moved:
        upload.path.unlink(missing_ok=True)
    return locked


def _store_finished(upload: ResumableUpload) -> None:
    """Copy the complete file to the bucket under its fixed name (a retried commit replaces its own copy)."""
    default_storage.delete(upload.stored_name)
    with open(upload.path, "rb") as handle:
        stored = default_storage.save(upload.stored_name, File(handle))
    if stored != upload.stored_name:  # never: the name is random and was just freed; but never guess either
        default_storage.delete(stored)
        raise RuntimeError(f"the bucket stored {upload.stored_name} as {stored}")


def resumable_restart(*, upload: ResumableUpload, token: str) -> ResumableUpload | None:
    """Start the upload again from byte 0 (its partial bytes are lost, ``BytesLost``) and release the lease."""
    ResumableUpload.objects.filter(pk=upload.pk, lease_token=token).update(offset=0, lease_token="", lease_until=None)
    return ResumableUpload.objects.filter(pk=upload.pk).first()


# --- Bytes on disk --------------------------------------------------------------------------------


def resumable_open_for_append(*, upload: ResumableUpload):
    """The upload's file opened at its committed offset, for the holder of the lease.

    Bytes past the offset were written by a request that never committed them (its process died between
    the write and the commit): cut them off, so that the file is exactly what ``offset`` says. The file is
    created if this host has none yet (the upload was created through another host); one shorter than the
    offset raises BytesLost."""
    upload.path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(upload.path, os.O_RDWR | os.O_CREAT, 0o600)
    handle = os.fdopen(descriptor, "r+b")
    if os.fstat(descriptor).st_size < upload.offset:
        handle.close()
        raise BytesLost
    handle.truncate(upload.offset)
    handle.seek(upload.offset)
    return handle


def resumable_sync_and_close(handle) -> int:
    """Flush and fsync the file (the offset will say these bytes exist); return its size."""
    try:
        handle.flush()
        os.fsync(handle.fileno())
        return handle.tell()
    finally:
        handle.close()


# --- Termination and expiry -----------------------------------------------------------------------


def resumable_delete(*, upload: ResumableUpload, now: dt.datetime | None = None) -> None:
    """Cancel an upload (tus termination): its row and its bytes. Raise UploadLocked while a request holds
    it: the file of a PATCH in flight or of an entry being attached must not vanish under it."""
    resumable_lease(upload=upload, duration=ATTACH_LEASE, now=now)
    _forget(upload)


def _forget(upload: ResumableUpload) -> None:
    ResumableUpload.objects.filter(pk=upload.pk).delete()
    _delete_bytes(upload)


def _delete_bytes(upload: ResumableUpload) -> None:
    Path(upload.path).unlink(missing_ok=True)
    if _in_bucket():
        default_storage.delete(upload.stored_name)


def resumable_file_exists(upload: ResumableUpload) -> bool:
    """Whether the upload's bytes are still kept: on this disk, or (finished, on object storage) in the bucket."""
    if _in_bucket() and upload.is_finished:
        return default_storage.exists(upload.stored_name)
    return upload.path.exists()


def resumable_read(upload: ResumableUpload) -> bytes:
    """The upload's bytes as kept (tests and small checks: the whole file in memory)."""
    if _in_bucket() and upload.is_finished:
        with default_storage.open(upload.stored_name, "rb") as handle:
            return handle.read()
    return upload.path.read_bytes()


def resumables_sweep(*, now: dt.datetime | None = None) -> int:
    """Delete expired uploads and their files; return how many. One that a request still holds is left for
    the next sweep. Files with no row (a crash between file and row) go too once a day old."""
    now = now or timezone.now()
    removed = 0
    expired = ResumableUpload.objects.filter(expires_at__lte=now).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lte=now)
    )
    for upload in expired:
        # Deleted only if still expired and free at this moment: a request may have taken it meanwhile.
        gone, _detail = (
            ResumableUpload.objects.filter(pk=upload.pk, expires_at__lte=now)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
            .delete()
        )
        if gone:
            _delete_bytes(upload)
            removed += 1
    folder = resumable_folder()
    if folder.is_dir():
        known = set(ResumableUpload.objects.values_list("key", flat=True))
        cutoff = (now - EXPIRY).timestamp()
        for path in folder.iterdir():
            if path.name not in known and path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
    return removed


# --- Attaching a finished upload to an entry ------------------------------------------------------


class ResumableFile(File):
    """A finished upload as the entry services take a posted file: a name, a size and a path on disk."""

    def __init__(self, path: str, *, name: str):
        super().__init__(open(path, "rb"), name=name)  # noqa: SIM115 (closed by the caller)
        self._path = str(path)

    def temporary_file_path(self) -> str:
        return self._path


@contextlib.contextmanager
def _finished_file(upload: ResumableUpload):
    """The finished upload as a ResumableFile: its own file on disk, or a local copy of the bucket's."""
    if _in_bucket():
        with local_copy(default_storage, upload.stored_name) as path:
            file = ResumableFile(path, name=upload.filename)
            try:
                yield file
            finally:
                file.close()
        return
    file = ResumableFile(str(upload.path), name=upload.filename)
    try:
        yield file
    finally:
        file.close()


def key_from_reference(reference: str) -> str:
    """The upload's key from what the form sent: its Location (absolute or not) or the key itself."""
    return (reference or "").strip().rstrip("/").rsplit("/", 1)[-1]


@contextlib.contextmanager
def resumable_attach(*, user, reading_round: ReadingRound, reference: str, now: dt.datetime | None = None):
    """Lend the finished upload named by ``reference`` as a file to the entry service called in the block.

    The upload must be the user's, for this round, complete and not held by another request. Its lease is
    held during the block, so it cannot be attached twice at the same moment nor deleted while it is
    probed. If the block raises (file refused, quota used…), the upload is left exactly as it was and can
    be attached again; if it succeeds, the upload is consumed (row and file deleted)."""
    now = now or timezone.now()
    upload = (
        ResumableUpload.objects.filter(
            key=key_from_reference(reference), user_id=user.pk, reading_round=reading_round, expires_at__gt=now
        ).first()
        if reference
        else None
    )
    if upload is None:
        raise UploadRefused(404, _("The uploaded file was not found: it may have expired. Send it again."))
    if not upload.is_finished:
        raise UploadRefused(409, _("The file has not finished uploading yet."))
    try:
        token = resumable_lease(upload=upload, duration=ATTACH_LEASE, now=now)
    except UploadLocked:
        raise UploadRefused(409, _("This file is being sent or attached by another request.")) from None
    try:
        with _finished_file(upload) as file:
            yield file
    except BaseException:
        if resumable_file_exists(upload):
            resumable_release(upload=upload, token=token)
        else:  # disk storage moved the file into the entry before a later step failed: nothing left to lend
            _forget(upload)
        raise
    _forget(upload)
