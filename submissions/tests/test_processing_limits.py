"""The transcode's time budget and the lease that covers the whole job.

A transcode runs in a child process that is killed past its budget (3 × duration + 60 s by default): the
version fails at once with a reason the participant reads. The job renews its lease while the child runs,
stops the child when the lease was taken over, and a second job for a version being processed does nothing.
Everything here runs the real child on real media; budgets are tiny so that the tests stay fast.
"""

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import OperationalError
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from contest_site.media_storage import is_local
from submissions import services, synth
from submissions.media_probe import MediaRejected, probe
from submissions.media_transcode import (
    TranscodeAbandoned,
    TranscodeTimeout,
    time_budget_s,
    transcode,
    transcode_in_child,
)
from submissions.models import EntryVersion
from submissions.services import processing


@pytest.fixture(scope="module")
def slow_video(tmp_path_factory) -> Path:
    """Twelve seconds of 640×480: a second or two of transcoding, far longer than the tests' budgets."""
    folder = tmp_path_factory.mktemp("slow")
    return Path(synth.video_file(folder / "slow.mp4", fmt="mp4", seconds=12, size=(640, 480), fps=15))


def _transcoders_of(source: str | Path) -> list[int]:
    """Process ids of transcoding children still working on ``source`` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"submissions.media_transcode" in command and os.fsencode(source) in command:
            found.append(int(entry.name))
    return found


def _source(version) -> str:
    """What the transcoding child reads: the original itself on disk, a temporary copy (``media-…``) on S3."""
    if is_local(version.original.storage):
        return version.original.path
    return "/media-"


def _gone(source, within_s: float = 3.0) -> bool:
    deadline = time.monotonic() + within_s
    while _transcoders_of(source):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# --- The child, on its own -----------------------------------------------------------------------------


def test_the_budget_is_proportional_to_the_duration():
    assert time_budget_s(100, factor=3, base_s=60) == 360
    assert services.transcode_budget_s(version=EntryVersion(duration_ms=100_000)) == 360, "the settings' default"


def test_a_transcode_in_a_child_gives_what_the_job_needs(media, tmp_path):
    here = transcode(media["video_webm"], tmp_path / "here.mp4", kind="video")
    there = transcode_in_child(media["video_webm"], tmp_path / "there.mp4", kind="video", budget_s=60)
    assert (there.duration_s, there.width, there.height, there.peaks) == (
        here.duration_s,
        here.width,
        here.height,
        here.peaks,
    )
    assert there.poster_png and there.poster_png[:4] == b"\x89PNG"
    assert probe(tmp_path / "there.mp4").video_codec == "h264"


def test_a_refusal_in_the_child_reaches_the_job(media, tmp_path):
    with pytest.raises(MediaRejected) as refused:
        transcode_in_child(media["text"], tmp_path / "out.mp4", kind="audio", budget_s=60)
    assert refused.value.code == "undecodable"


def test_a_transcode_past_its_budget_is_killed(slow_video, tmp_path):
    started = time.monotonic()
    with pytest.raises(TranscodeTimeout) as stopped:
        transcode_in_child(slow_video, tmp_path / "out.mp4", kind="video", budget_s=0.5)
    assert time.monotonic() - started < 1.5, "killed at the budget, not when it would have finished"
    assert stopped.value.budget_s == 0.5
    assert not _transcoders_of(slow_video), "the child is gone"
    assert not (tmp_path / "out.mp4.result.json").exists()


def test_a_transcode_stops_when_the_job_lets_go(slow_video, tmp_path):
    started = time.monotonic()
    with pytest.raises(TranscodeAbandoned):
        transcode_in_child(
            slow_video, tmp_path / "out.mp4", kind="video", budget_s=60, keep_going=lambda: False, poll_s=0.05
        )
    assert time.monotonic() - started < 1.0
    assert not _transcoders_of(slow_video)


def test_the_child_stops_when_its_worker_dies(slow_video, tmp_path):
    """A worker killed mid-job (the fault the sweep recovers from) leaves no orphan transcoding."""
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from submissions.media_transcode import transcode_in_child; "
            "transcode_in_child(sys.argv[1], sys.argv[2], kind='video', budget_s=600)",
            str(slow_video),
            str(tmp_path / "out.mp4"),
        ],
        cwd=Path(services.__file__).resolve().parents[2],  # the project root, above submissions/services/
    )
    try:
        deadline = time.monotonic() + 10
        while not _transcoders_of(slow_video) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _transcoders_of(slow_video), "the worker started its child"
    finally:
        worker.kill()
        worker.wait()
    assert _gone(slow_video), "the child noticed and stopped"


def test_surround_sound_is_downmixed_to_stereo(tmp_path):
    surround = synth.audio_file(tmp_path / "51.m4a", fmt="m4a", seconds=1, layout="5.1")
    transcode_in_child(surround, tmp_path / "out.mp4", kind="audio", budget_s=60)
    played = probe(tmp_path / "out.mp4")
    assert (played.channels, played.sample_rate) == (2, 48_000)


# --- The job --------------------------------------------------------------------------------------------


@pytest.fixture
def slow_entry(make_reading_round, reader, upload_of, slow_video, django_capture_on_commit_callbacks):
    """A received version of the slow video in a round that accepts a minute (its job queued)."""
    reading_round = make_reading_round(max_duration_s=60)
    with django_capture_on_commit_callbacks(execute=True):
        entry = services.entry_create(
            reading_round=reading_round,
            user=reader,
            fields={"title": "Bài đọc", "note": "", "consent_publish": True},
            upload=upload_of(slow_video),
            source="uploaded",
        )
    return entry


@pytest.mark.django_db
def test_a_hung_transcode_is_killed_and_the_version_fails_with_the_reason(
    slow_entry, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_TRANSCODE_BUDGET_FACTOR, settings.MEDIA_TRANSCODE_BUDGET_BASE_S = 0, 0.5
    version = slow_entry.versions.get()
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.version_process(version_id=version.pk) == "failed"
    assert time.monotonic() - started < 3
    version.refresh_from_db()
    assert (version.state, version.reason_code, version.attempts) == ("failed", "processing_timeout", 1)
    assert "TranscodeTimeout" in version.error and not version.media and not version.poster
    with translation.override("en"):
        assert version.reason.startswith("Processing this recording took longer than")
    assert DBTaskResult.objects.filter(status="READY").count() == 1, "not retried: it would hang again"
    assert not _transcoders_of(_source(version))


@pytest.mark.django_db
def test_a_second_job_for_a_version_being_processed_does_nothing(slow_entry):
    version = slow_entry.versions.get()
    held = timezone.now() - dt.timedelta(seconds=5)
    EntryVersion.objects.filter(pk=version.pk).update(state="processing", processing_started_at=held, attempts=1)
    assert services.version_process(version_id=version.pk) == "skipped"
    version.refresh_from_db()
    assert (version.state, version.processing_started_at, version.attempts) == ("processing", held, 1)
    assert not version.media


@pytest.mark.django_db
def test_an_organiser_cannot_requeue_a_version_while_a_job_holds_it(slow_entry, django_capture_on_commit_callbacks):
    version = slow_entry.versions.get()
    held = timezone.now()
    EntryVersion.objects.filter(pk=version.pk).update(state="processing", processing_started_at=held, attempts=1)
    with pytest.raises(services.EntryError):
        services.version_requeue(version=version, now=held + dt.timedelta(seconds=30))
    with django_capture_on_commit_callbacks(execute=True):
        services.version_requeue(version=version, now=held + services.PROCESSING_LEASE + dt.timedelta(seconds=1))
    version.refresh_from_db()
    assert (version.state, version.attempts) == ("received", 0), "a stuck one can be requeued"


def _retry_while_locked(write):
    """The lease thread writes beside the test: the in-memory SQLite test database answers "locked"
    instead of waiting (see the votes' race test), so retry."""
    for _attempt in range(200):
        try:
            return write()
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.01)
    raise AssertionError("the database stayed locked")


@pytest.mark.django_db(transaction=True)
def test_the_job_renews_its_lease_while_the_child_transcodes(slow_entry, monkeypatch):
    monkeypatch.setattr(processing, "LEASE_RENEW_S", 0.1)
    version = slow_entry.versions.get()
    started = timezone.now()
    assert services.version_process(version_id=version.pk) == "ready"
    version.refresh_from_db()
    assert version.processing_started_at > started + dt.timedelta(seconds=0.5), "renewed while the child ran"


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_lease_was_taken_over_stops_its_child_and_writes_nothing(slow_entry, monkeypatch):
    """Renewals failed for longer than the lease (say the database was unreachable): the sweep took the
    version over. The first job learns it at its next renewal, kills its child and leaves the version to
    the new job."""
    monkeypatch.setattr(processing, "LEASE_RENEW_S", 0.1)
    version = slow_entry.versions.get()
    first_job = version.job_id
    in_child = processing.transcode

    def taken_over_as_it_starts(source, target, **options):
        later = timezone.now() + services.PROCESSING_LEASE + dt.timedelta(seconds=1)
        assert _retry_while_locked(lambda: services.versions_sweep(now=later)) == 1
        return in_child(source, target, **{**options, "poll_s": 0.05})

    monkeypatch.setattr(processing, "transcode", taken_over_as_it_starts)
    started = time.monotonic()
    assert services.version_process(version_id=version.pk) == "abandoned"
    assert time.monotonic() - started < 1.5, "stopped well before the transcode would have finished"
    version.refresh_from_db()
    assert (version.state, version.attempts) == ("received", 1) and "WorkerLost" in version.error
    assert not version.media and not version.poster
    assert version.job_id != first_job, "queued again by the sweep"
    assert DBTaskResult.objects.get(id=version.job_id).status == "READY", "the new job will process it"
    assert _gone(_source(version))


# --- At upload: the platform's settings and the round's duration reach the probe --------------------------


@pytest.mark.django_db
def test_an_upload_over_the_platform_settings_is_refused_before_anything_is_stored(
    make_reading_round, reader, upload_of, tmp_path, settings
):
    settings.MEDIA_MAX_FPS = 30
    reading_round = make_reading_round(min_video_lines=100)
    fast = Path(synth.video_file(tmp_path / "60.webm", fmt="webm", seconds=1.5, fps=60, size=(160, 120)))
    with pytest.raises(MediaRejected) as refused:
        services.entry_create(
            reading_round=reading_round,
            user=reader,
            fields={"title": "Bài đọc", "note": "", "consent_publish": True},
            upload=upload_of(fast),
            source="uploaded",
        )
    assert (refused.value.code, refused.value.params) == ("too_many_fps", {"fps": 60, "limit": 30})
    assert not EntryVersion.objects.exists()
    limits = services.media_limits(reading_round=reading_round)
    assert (limits.max_duration_s, limits.max_fps, limits.max_lines) == (reading_round.max_duration_s, 30, 2160)
