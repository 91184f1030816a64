"""Processing a version in the background: the job, its lease, retries, requeues and the sweep that takes
over a version whose worker died.

One module because the lease, the retry policy and the transcode call share the same constants
(``MAX_ATTEMPTS``, ``LEASE_RENEW_S``) and the same locking rules; tests patch them here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contest_site.media_storage import local_copy
from contests.images import normalise_image
from notifications import hooks as notification_hooks

from ..media_probe import MediaRejected
from ..media_transcode import TranscodeAbandoned, Transcoded, TranscodeTimeout, time_budget_s
from ..media_transcode import transcode_in_child as transcode  # the job's transcode: a child, under a budget
from ..models import Entry, EntryVersion
from .errors import EntryError, WorkerLost

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.db.models import QuerySet

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
RETRY_AFTER = (dt.timedelta(seconds=30), dt.timedelta(minutes=2))  # after the 1st and 2nd failure
# The lease of a version being processed is ``processing_started_at``: set when a job claims the version,
# renewed every LEASE_RENEW_S while it transcodes. Without renewal for PROCESSING_LEASE the worker is gone.
PROCESSING_LEASE = dt.timedelta(minutes=2)
LEASE_RENEW_S = 20
POSTER_SIZE = (1280, 720)


def version_enqueue(*, version_id: int, run_after: dt.datetime | None = None) -> None:
    """Queue the processing job and remember its id (the sweep checks that it still exists)."""
    from ..tasks import process_entry_version

    task = process_entry_version.using(run_after=run_after) if run_after else process_entry_version
    result = task.enqueue(version_id)
    EntryVersion.objects.filter(pk=version_id).update(job_id=result.id)


def _claim(version_id: int, now: dt.datetime) -> EntryVersion | None:
    """Mark a received version as processing; None if another job got it first or it is no longer wanted."""
    with transaction.atomic():
        version = EntryVersion.objects.select_for_update().filter(pk=version_id).first()
        if version is None or version.state != EntryVersion.State.RECEIVED:
            return None
        version.state = EntryVersion.State.PROCESSING
        version.attempts += 1
        version.processing_started_at = now
        version.save(update_fields=["state", "attempts", "processing_started_at"])
        return version


def _save_outputs(version: EntryVersion, target: Path, result: Transcoded) -> None:
    """Store the web file and the poster under the version's generated folder (storage API: disk or S3)."""
    for stored in (version.media, version.poster):
        if stored:
            stored.delete(save=False)  # left by an earlier attempt that failed after saving
    with open(target, "rb") as handle:
        version.media.save("media.mp4", File(handle), save=False)
    if result.poster_png:
        poster = normalise_image(io.BytesIO(result.poster_png), max_size=POSTER_SIZE, name_stem="poster")
        version.poster.save("poster.jpg", poster, save=False)


def transcode_budget_s(*, version: EntryVersion) -> float:
    """How long the transcode of this version may take (settings ``MEDIA_TRANSCODE_BUDGET_*``)."""
    return time_budget_s(
        version.duration_ms / 1000,
        factor=settings.MEDIA_TRANSCODE_BUDGET_FACTOR,
        base_s=settings.MEDIA_TRANSCODE_BUDGET_BASE_S,
    )


def _transcode_version(version: EntryVersion, lease: _Lease) -> Transcoded:
    with (
        local_copy(version.original.storage, cast(str, version.original.name)) as source,
        tempfile.TemporaryDirectory() as work,
    ):
        target = Path(work) / "media.mp4"
        result = transcode(
            source, target, kind=version.kind, budget_s=transcode_budget_s(version=version), keep_going=lease.held
        )
        _save_outputs(version, target, result)
    return result


def version_process(*, version_id: int) -> str:
    """The job: transcode a received version; return its final state (or "skipped").

    A file that turns out undecodable is rejected (no retry: it will not improve), and so is one whose
    transcode outlasts its time budget (failed at once: it would hang again); any other error is ours
    (disk, database, a bug) and is retried after a delay, then the version is marked failed. A job that
    lost its lease (taken over by the sweep or requeued by an organiser) stops its transcode and writes
    nothing: the version belongs to another job now.
    """
    version = _claim(version_id, timezone.now())
    if version is None:
        return "skipped"
    lease = _Lease(version)
    try:
        with lease.renewing():
            result = _transcode_version(version, lease)
    except TranscodeAbandoned:
        logger.warning("entry version %s was taken over while this job processed it; stopped", version_id)
        return "abandoned"
    except TranscodeTimeout as exc:
        return _finish_failed(version, lease, code="processing_timeout", params={"limit": exc.budget_s}, exc=exc)
    except MediaRejected as exc:
        return _finish_rejected(version, exc, lease=lease)
    except Exception as exc:  # the job must record every failure, whatever raised it
        logger.exception("processing of entry version %s failed", version_id)
        return _retry_or_fail(version, exc, lease=lease)
    return _finish_ready(version, result, lease=lease)


class _Lease:
    """A job's hold on the version it processes: ``processing_started_at`` as this job last wrote it.

    Renewal is a compare-and-set on that value, so a job learns at its next renewal that its version was
    taken over (the sweep after renewals failed for PROCESSING_LEASE, an organiser's requeue) and stops;
    the finishing writes check the same value under the row lock. Hence a version is never transcoded by
    two jobs at once, nor finished by a job that no longer holds it.
    """

    def __init__(self, version: EntryVersion):
        self.version_id = version.pk
        self.value = version.processing_started_at
        self.lost = threading.Event()

    def held(self) -> bool:
        return not self.lost.is_set()

    def holds(self, locked: EntryVersion) -> bool:
        """Is ``locked`` (read under its row lock) still processing under this lease?"""
        return locked.state == EntryVersion.State.PROCESSING and locked.processing_started_at == self.value

    def renew(self, *, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        renewed = EntryVersion.objects.filter(
            pk=self.version_id, state=EntryVersion.State.PROCESSING, processing_started_at=self.value
        ).update(processing_started_at=now)
        if renewed:
            self.value = now
        else:
            self.lost.set()
        return bool(renewed)

    @contextlib.contextmanager
    def renewing(self) -> Iterator[_Lease]:
        """Renew every LEASE_RENEW_S while the block runs (a thread beside the job: download, transcode,
        upload), so that the sweep tells a long job from a dead worker."""
        stop = threading.Event()
        renewer = threading.Thread(target=self._renew_until, args=(stop,), name=f"lease-{self.version_id}")
        renewer.daemon = True
        renewer.start()
        try:
            yield self
        finally:
            stop.set()
            renewer.join()

    def _renew_until(self, stop: threading.Event) -> None:
        try:
            while not stop.wait(LEASE_RENEW_S) and self.held():
                try:
                    self.renew()
                except DatabaseError:  # one missed renewal is harmless: the lease outlasts several
                    logger.warning("could not renew the lease of entry version %s", self.version_id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection


def _holds(locked: EntryVersion, lease: _Lease | None) -> bool:
    if lease is None:  # the sweep, taking over a version whose lease ran out
        return locked.state == EntryVersion.State.PROCESSING
    return lease.holds(locked)


def _delete_files(*files: Any) -> None:
    for stored in files:
        if stored:
            stored.delete(save=False)


def _retire(version: EntryVersion) -> None:
    """Delete a superseded version's files (after commit) and forget their names: the row stays as history."""
    _delete_files(version.original, version.media, version.poster)
    EntryVersion.objects.filter(pk=version.pk).update(original="", media="", poster="")


def _finish_ready(version: EntryVersion, result: Transcoded, *, lease: _Lease) -> str:
    """Make the version playable and current, unless a newer version of the entry is already current.

    The version it replaces is superseded and its files deleted after commit; new content needs a new
    review, so an approved or rejected entry goes back to "awaiting review".
    """
    now = timezone.now()
    with transaction.atomic():
        entry = Entry.objects.select_for_update().get(pk=version.entry_id)
        locked = EntryVersion.objects.select_for_update().get(pk=version.pk)
        if not _holds(locked, lease):
            transaction.on_commit(lambda: _delete_files(version.media, version.poster))
            return locked.state
        locked.media, locked.poster = version.media.name, version.poster.name
        locked.peaks = result.peaks
        locked.duration_ms = round(result.duration_s * 1000)
        locked.width, locked.height = result.width, result.height
        locked.state, locked.finished_at, locked.error = EntryVersion.State.READY, now, ""
        previous = EntryVersion.objects.filter(pk=cast(Any, entry.current_id)).first()
        retired: EntryVersion | None
        if previous is not None and previous.number > locked.number:
            locked.state = EntryVersion.State.SUPERSEDED  # an older send finished after a newer one
            retired = locked
        else:
            entry.current = locked
            retired = previous
            if previous is not None and entry.moderation != Entry.Moderation.PENDING:
                entry.moderation, entry.moderation_reason = Entry.Moderation.PENDING, ""
            entry.save(update_fields=["current", "moderation", "moderation_reason", "updated_at"])
        locked.save()
        if retired is not None and retired.pk != locked.pk:
            retired.state = EntryVersion.State.SUPERSEDED
            retired.save(update_fields=["state"])
        if retired is not None:
            transaction.on_commit(lambda: _retire(retired))
        notification_hooks.entry_ready(version=locked)  # people16: only when it became the playable version
    return locked.state


def _finish_rejected(version: EntryVersion, exc: MediaRejected, *, lease: _Lease) -> str:
    with transaction.atomic():
        locked = EntryVersion.objects.select_for_update().get(pk=version.pk)
        if not _holds(locked, lease):
            return locked.state
        locked.state = EntryVersion.State.REJECTED
        locked.reason_code, locked.reason_params = exc.code, exc.params
        locked.error = repr(exc.__cause__ or exc)[:2000]
        locked.finished_at = timezone.now()
        locked.save(update_fields=["state", "reason_code", "reason_params", "error", "finished_at"])
        notification_hooks.entry_file_rejected(version=locked)  # people16
    _delete_files(version.media, version.poster)
    return EntryVersion.State.REJECTED


def _finish_failed(version: EntryVersion, lease: _Lease, *, code: str, params: dict[str, Any], exc: Exception) -> str:
    """Fail the version at once with a reason the participant reads (no retry: a transcode that outlasted
    its budget would outlast it again)."""
    with transaction.atomic():
        locked = EntryVersion.objects.select_for_update().get(pk=version.pk)
        if not _holds(locked, lease):
            return locked.state
        locked.state, locked.reason_code, locked.reason_params = EntryVersion.State.FAILED, code, params
        locked.error, locked.finished_at = f"{type(exc).__name__}: {exc}"[:2000], timezone.now()
        locked.save(update_fields=["state", "reason_code", "reason_params", "error", "finished_at"])
    return EntryVersion.State.FAILED


def _retry_or_fail(
    version: EntryVersion,
    exc: Exception,
    *,
    now: dt.datetime | None = None,
    wait: bool = True,
    lease: _Lease | None = None,
) -> str:
    """Count a failed attempt: queue the job again (after a delay, unless ``wait`` is False) or, after the
    last attempt, mark the version failed."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = EntryVersion.objects.select_for_update().get(pk=version.pk)
        if not _holds(locked, lease):
            return locked.state
        locked.error = f"{type(exc).__name__}: {exc}"[:2000]
        if locked.attempts < MAX_ATTEMPTS:
            locked.state = EntryVersion.State.RECEIVED
            delay = RETRY_AFTER[min(locked.attempts, len(RETRY_AFTER)) - 1]
            run_after = now + delay if wait else None
            transaction.on_commit(lambda: version_enqueue(version_id=locked.pk, run_after=run_after))
        else:
            locked.state = EntryVersion.State.FAILED
            locked.reason_code, locked.finished_at = "processing_failed", now
        locked.save(update_fields=["state", "error", "reason_code", "finished_at"])
    return locked.state


REQUEUEABLE = (
    EntryVersion.State.FAILED,
    EntryVersion.State.REJECTED,
    EntryVersion.State.RECEIVED,
    EntryVersion.State.PROCESSING,
)


def version_requeue(*, version: EntryVersion, now: dt.datetime | None = None) -> EntryVersion:
    """Process a version again from scratch (organisers: after fixing a cause, or a stuck job).

    Not while a job holds its lease: that job would go on transcoding beside the new one.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = EntryVersion.objects.select_for_update().get(pk=version.pk)
        if locked.state not in REQUEUEABLE:
            raise EntryError(_("Only a failed, rejected or waiting recording can be processed again."))
        if _lease_fresh(locked, now):
            raise EntryError(_("This recording is being processed right now; try again if that fails."))
        locked.state, locked.attempts = EntryVersion.State.RECEIVED, 0
        locked.reason_code, locked.reason_params, locked.error = "", {}, ""
        locked.processing_started_at = locked.finished_at = None
        locked.save()
        transaction.on_commit(lambda: version_enqueue(version_id=locked.pk))
    return locked


def versions_sweep(*, now: dt.datetime | None = None) -> int:
    """Recover versions whose job was lost; return how many.

    - processing, lease run out: the worker died mid-job. That counts as a failed attempt, retried at once
      (the lease already waited); its job, which django-tasks-db would show as running for ever, is marked
      failed.
    - received, and no job waits for it: the job was never queued, deleted, or its worker died between
      claiming the job and the version. Queued again.

    Why not recover at worker start instead: with several workers, a starting one cannot tell a job whose
    worker died from one that another worker is running; the lease can.
    """
    now = now or timezone.now()
    recovered = 0
    for version in EntryVersion.objects.filter(state=EntryVersion.State.RECEIVED):
        if not _job_waiting(version.job_id, now):
            _job_abandon(version.job_id)
            version_enqueue(version_id=version.pk)
            recovered += 1
    lost = _lease_expired(now).values_list("pk", flat=True)
    recovered += sum(_recover_lost(version_id, now) for version_id in lost)
    return recovered


def _lease_fresh(version: EntryVersion, now: dt.datetime) -> bool:
    started = version.processing_started_at
    return version.state == EntryVersion.State.PROCESSING and started is not None and started >= now - PROCESSING_LEASE


def _lease_expired(now: dt.datetime) -> QuerySet[EntryVersion]:
    return EntryVersion.objects.filter(
        state=EntryVersion.State.PROCESSING, processing_started_at__lt=now - PROCESSING_LEASE
    )


def _job_waiting(job_id: str, now: dt.datetime) -> bool:
    """Will the queued job still process its version? (waiting, or just claimed by a live worker)"""
    from django_tasks import TaskResultStatus
    from django_tasks.exceptions import TaskResultDoesNotExist

    from ..tasks import process_entry_version

    if not job_id:
        return False
    try:
        job = process_entry_version.get_result(job_id)
    except (TaskResultDoesNotExist, ValueError):
        return False
    if job.status == TaskResultStatus.RUNNING:  # a live job claims its version within milliseconds
        return job.started_at is not None and job.started_at >= now - PROCESSING_LEASE
    return job.status == TaskResultStatus.READY


def _job_abandon(job_id: str) -> None:
    """Mark a job that a dead worker left "running" as failed, so that the queue tells the truth."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    job = DBTaskResult.objects.filter(pk=job_id, status=TaskResultStatus.RUNNING).first() if job_id else None
    if job is not None:
        job.set_failed(WorkerLost())


def _recover_lost(version_id: int, now: dt.datetime) -> bool:
    """Take over a version whose lease ran out (checked again under the row lock: the job may have renewed)."""
    with transaction.atomic():
        version = _lease_expired(now).select_for_update().filter(pk=version_id).first()
        if version is None:
            return False
        _job_abandon(version.job_id)
        _retry_or_fail(version, WorkerLost(), now=now, wait=False)
    return True
