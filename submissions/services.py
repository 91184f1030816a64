"""Every write of the submissions app: round settings, entries and their versions, processing, moderation, votes.

One clock: services take ``now`` so that every check in a request agrees. The file a participant sends is
probed before anything is stored (a refused file changes nothing); an accepted one is stored under a
generated name and processed by a background job (``tasks.process_entry_version``) that is retried, then
marked failed with its reason. Jobs live in the database, so they survive a restart. A worker that dies
mid-job (killed, machine restarted) is another matter: django-tasks-db never looks at a job again once a
worker claimed it, so the job stays "running" for ever. Hence a lease: the job renews it while it works, and
``versions_sweep`` (``manage.py sweep_entries``) takes over a version whose lease ran out — minutes, not
hours, after its worker died. The transcode itself runs in a child process under a time budget
(``media_transcode.transcode_in_child``), so a job always ends and its lease never needs a cap of its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import os
import tempfile
import threading
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from contest_site import ratelimit
from contest_site.media_storage import local_copy
from contests.images import normalise_image
from contests.models import Event, Round
from contests.participation import event_participation_problems
from leaderboard.services import board_await_release
from notifications import hooks as notification_hooks

from .media_probe import MediaInfo, MediaLimits, MediaRejected, check_rules, probe
from .media_transcode import TranscodeAbandoned, Transcoded, TranscodeTimeout, time_budget_s
from .media_transcode import transcode_in_child as transcode  # the job's transcode: a child, under a budget
from .models import Entry, EntryVersion, ReadingRound, Vote
from .panel import is_panel_judge
from .selectors import in_public_gallery

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
RETRY_AFTER = (dt.timedelta(seconds=30), dt.timedelta(minutes=2))  # after the 1st and 2nd failure
# The lease of a version being processed is ``processing_started_at``: set when a job claims the version,
# renewed every LEASE_RENEW_S while it transcodes. Without renewal for PROCESSING_LEASE the worker is gone.
PROCESSING_LEASE = dt.timedelta(minutes=2)
LEASE_RENEW_S = 20
POSTER_SIZE = (1280, 720)
VOTES_PER_MINUTE = 30


class EntryError(Exception):
    """A refusal the participant should read (window closed, quota used, not eligible…)."""


class WorkerLost(Exception):
    """The worker stopped (killed, machine restarted) while it held the job."""

    def __init__(self, message: str = "the worker stopped while processing"):
        super().__init__(message)


class VoteError(Exception):
    """A vote that cannot count, with the reason in the voter's language."""


class VoteLimited(VoteError, ratelimit.RateLimited):
    """Too many votes in a short time: the view answers 429."""


# --- Round settings -------------------------------------------------------------------------------

FIXED_AFTER_JUDGING = ("voting_enabled", "vote_weight")


def reading_round_configure(*, rnd: Round, settings: dict) -> ReadingRound:
    """Create or update the settings of a round of kind reading.

    Once judging is finalised the public vote's part of the score is fixed: ``verify_results`` must find
    the recorded scores again from the stored votes and settings.
    """
    if rnd.kind != Round.Kind.READING:
        raise ValidationError(_("Only a read-aloud round has these settings."))
    reading_round = ReadingRound.objects.filter(round=rnd).first() or ReadingRound(round=rnd)
    if reading_round.judging_finalised_at is not None:
        changed = [
            name
            for name in FIXED_AFTER_JUDGING
            if name in settings
            and ReadingRound._meta.get_field(name).to_python(settings[name]) != getattr(reading_round, name)
        ]
        if changed:
            message = _("Judging is finalised: the public vote's part of the score can no longer change.")
            raise ValidationError(dict.fromkeys(changed, message))
    created = reading_round.pk is None
    for name, value in settings.items():
        setattr(reading_round, name, value)
    reading_round.full_clean()
    reading_round.save()
    if created:
        board_await_release(rnd=rnd)  # its results wait for judging to be finalised
    return reading_round


# --- Entries --------------------------------------------------------------------------------------


def entry_problems(*, reading_round: ReadingRound, user, now: dt.datetime) -> list[str]:
    """Why ``user`` cannot send a recording now (empty list = they can). Checked again on every send."""
    rnd, event = reading_round.round, reading_round.round.event
    if event.state != Event.State.OPEN:
        return [_("The event is not open.")]
    if now < rnd.opens_at:
        return [_("The round has not opened yet.")]
    if now >= reading_round.deadline:
        return [_("The deadline for entries has passed.")]
    return event_participation_problems(event=event, user=user, now=now)


def quota_left(*, reading_round: ReadingRound, user) -> int:
    used = Entry.objects.filter(reading_round=reading_round, user_id=user.pk).count()
    return max(0, reading_round.entries_per_participant - used)


def _quota_used_message() -> str:
    return _("You have sent all the entries this round allows. You can still replace them.")


def entry_create_problems(*, reading_round: ReadingRound, user, now: dt.datetime) -> list[str]:
    """Why ``user`` cannot start a new entry now: ``entry_problems`` plus the per-participant quota.

    Views ask before reading an upload's body, so that a refused send costs no bandwidth.
    """
    problems = entry_problems(reading_round=reading_round, user=user, now=now)
    if not problems and quota_left(reading_round=reading_round, user=user) <= 0:
        problems = [_quota_used_message()]
    return problems


@contextlib.contextmanager
def _local_path(upload):
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


def media_accept(*, reading_round: ReadingRound, upload) -> MediaInfo:
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


def _version_add(*, entry: Entry, upload, info: MediaInfo, source: str, now: dt.datetime) -> EntryVersion:
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
    *, reading_round: ReadingRound, user, fields: dict, upload, source: str, now: dt.datetime | None = None
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


def entry_replace(*, entry: Entry, upload, source: str, now: dt.datetime | None = None) -> EntryVersion:
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


def entry_update(*, entry: Entry, fields: dict, now: dt.datetime | None = None) -> Entry:
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


# --- Processing -----------------------------------------------------------------------------------


def version_enqueue(*, version_id: int, run_after: dt.datetime | None = None) -> None:
    """Queue the processing job and remember its id (the sweep checks that it still exists)."""
    from .tasks import process_entry_version

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
    with local_copy(version.original.storage, version.original.name) as source, tempfile.TemporaryDirectory() as work:
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
    def renewing(self):
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


def _delete_files(*files) -> None:
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
        previous = EntryVersion.objects.filter(pk=entry.current_id).first()
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


def _finish_failed(version: EntryVersion, lease: _Lease, *, code: str, params: dict, exc: Exception) -> str:
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


def _lease_expired(now: dt.datetime):
    return EntryVersion.objects.filter(
        state=EntryVersion.State.PROCESSING, processing_started_at__lt=now - PROCESSING_LEASE
    )


def _job_waiting(job_id: str, now: dt.datetime) -> bool:
    """Will the queued job still process its version? (waiting, or just claimed by a live worker)"""
    from django_tasks import TaskResultStatus
    from django_tasks.exceptions import TaskResultDoesNotExist

    from .tasks import process_entry_version

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


# --- Moderation -----------------------------------------------------------------------------------

MODERATION_ACTIONS = {
    "approve": Entry.Moderation.APPROVED,
    "hide": Entry.Moderation.HIDDEN,
    "reject": Entry.Moderation.REJECTED,
    "pending": Entry.Moderation.PENDING,
}


def entries_moderate(*, entries, action: str, by, reason: str = "", now: dt.datetime | None = None) -> int:
    """Approve, hide, reject (with a reason the participant sees) or reset entries; return how many changed.

    Only an entry with a playable version can be approved: the gallery never shows an empty player.
    """
    now = now or timezone.now()
    if action not in MODERATION_ACTIONS:
        raise ValidationError(_("Unknown moderation action."))
    reason = reason.strip()
    if action == "reject" and not reason:
        raise ValidationError(_("Give the participant a reason for the rejection."))
    targets = Entry.objects.filter(pk__in=[entry.pk for entry in entries])
    if action == "approve":
        targets = targets.filter(current__isnull=False)
    notification_hooks.entries_moderated(entries=targets, action=action, reason=reason, at=now)  # people16
    return targets.update(
        moderation=MODERATION_ACTIONS[action],
        moderation_reason=reason if action in ("reject", "hide") else "",
        moderated_by=by,
        moderated_at=now,
        updated_at=now,
    )


def entries_requeue_failed(*, entries) -> int:
    """Requeue the latest version of each entry when it failed (bulk action of the queue)."""
    count = 0
    for entry in entries:
        latest = entry.versions.order_by("-number").first()
        if latest is not None and latest.state == EntryVersion.State.FAILED:
            version_requeue(version=latest)
            count += 1
    return count


# --- Votes ----------------------------------------------------------------------------------------


def vote_problems(*, entry: Entry, user, now: dt.datetime) -> list[str]:
    reading_round = entry.reading_round
    if not user.is_authenticated:
        return [_("Sign in to vote.")]
    if not in_public_gallery(entry) or not reading_round.voting_enabled:
        return [_("This entry cannot receive votes.")]
    if not reading_round.voting_open(now):
        return [_("Voting is not open.")]
    if reading_round.judging_finalised_at is not None:  # the final scores are recorded: a vote would change nothing
        return [_("Judging is finalised: voting has ended.")]
    if entry.user_id == user.pk:
        return [_("You cannot vote for your own entry.")]
    if is_panel_judge(user=user, reading_round=reading_round):
        # the vote is a share of the final score: a judge would weigh twice on the entries they score
        return [_("Judges of this round do not vote in its public vote.")]
    if not EmailAddress.objects.filter(user_id=user.pk, verified=True).exists():
        return [_("Verify your email address before voting.")]
    return []


def vote_cast(*, entry: Entry, user, now: dt.datetime | None = None) -> Vote:
    """Count one vote of ``user`` for ``entry``; raise VoteError with the reason when it cannot count.

    One vote per account and entry is the database's unique constraint: two requests at the same moment
    cannot both insert, and the loser is told it already voted. A per-account rate limit stops scripts.
    """
    now = now or timezone.now()
    problems = vote_problems(entry=entry, user=user, now=now)
    if problems:
        raise VoteError(" ".join(problems))
    if not ratelimit.hit(f"vote:{user.pk}", limit=VOTES_PER_MINUTE, period_s=60, now=now):
        raise VoteLimited(_("Too many votes in a short time: wait a minute and try again."))
    try:
        with transaction.atomic():
            return Vote.objects.create(entry=entry, user=user, created_at=now)
    except IntegrityError as exc:
        raise VoteError(_("You have already voted for this entry.")) from exc
