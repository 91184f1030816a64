"""Transcoding (pure) and the processing job: outputs that play (probed), loudness, posters, peaks,
retries and failure, requeue, replacement keeping the previous version, the worker and the sweep."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from PIL import Image

from contest_site.media_storage import local_copy
from submissions import media_transcode, services
from submissions.media_probe import MediaRejected, probe
from submissions.media_transcode import bucket_peaks, rotation_filters, target_size, transcode
from submissions.models import Entry, EntryVersion
from submissions.services import processing

# --- Pure transcoding ------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", ["webm", "m4a", "mp3", "wav", "ogg"])
def test_audio_becomes_aac_in_mp4_that_plays(media, tmp_path, sample):
    target = tmp_path / "out.mp4"
    result = transcode(media[sample], target, kind="audio")
    played = probe(target)
    assert (played.container, played.audio_codec, played.kind) == ("mov,mp4,m4a,3gp,3g2,mj2", "aac", "audio")
    assert played.duration_s == pytest.approx(3.0, abs=0.1)
    assert result.duration_s == pytest.approx(3.0, abs=0.1)
    assert 0 < len(result.peaks) <= media_transcode.PEAKS and all(0 <= p <= 1 for p in result.peaks)
    assert result.poster_png is None


@pytest.mark.parametrize("sample", ["video_webm", "video_mp4"])
def test_video_becomes_h264_aac_mp4_with_a_poster(media, tmp_path, sample):
    target = tmp_path / "out.mp4"
    result = transcode(media[sample], target, kind="video")
    played = probe(target)
    assert (played.kind, played.video_codec, played.audio_codec) == ("video", "h264", "aac")
    assert (played.width, played.height) == (320, 240)
    assert played.duration_s == pytest.approx(2.0, abs=0.2)
    assert result.poster_png and Image.open(__import__("io").BytesIO(result.poster_png)).size == (320, 240)


def test_large_video_is_scaled_to_720_lines(media, tmp_path):
    target = tmp_path / "out.mp4"
    result = transcode(media["big_video"], target, kind="video")
    played = probe(target)
    assert (played.width, played.height) == (960, 720) == (result.width, result.height)


def test_quiet_recording_is_made_louder(media, tmp_path):
    """loudnorm brings a whisper (peaks at 2 % of full scale) up towards −16 LUFS."""
    result = transcode(media["quiet"], tmp_path / "out.mp4", kind="audio")
    assert max(result.peaks) > 0.1


def test_sizes_peaks_and_rotation_rules():
    assert target_size(1920, 1080) == (1280, 720)
    assert target_size(1080, 1920) == (720, 1280)  # portrait stays portrait
    assert target_size(641, 361) == (640, 360)  # even dimensions for 4:2:0
    assert bucket_peaks([0.1, 0.5, 0.2, 0.9], buckets=2) == [0.5, 0.9]
    assert bucket_peaks([]) == []
    assert rotation_filters(0) == []
    assert rotation_filters(-90) == [("transpose", "clock")]
    assert rotation_filters(90) == [("transpose", "cclock")]
    assert rotation_filters(180) == [("hflip", ""), ("vflip", "")]


# --- The job ----------------------------------------------------------------------------------------

pytestmark_db = pytest.mark.django_db


@pytest.mark.django_db
def test_the_job_makes_a_version_ready_and_current(reading_round, reader, make_entry):
    entry = make_entry(reading_round, reader, process=False)
    version = entry.versions.get()
    assert version.state == EntryVersion.State.RECEIVED and entry.current is None
    assert services.version_process(version_id=version.pk) == "ready"
    version.refresh_from_db()
    entry.refresh_from_db()
    assert entry.current == version and version.state == "ready" and version.attempts == 1
    assert version.media.name == f"entries/{version.token}/media.mp4"
    assert version.original.name == f"entries/{version.token}/original.webm"
    assert _probe_stored(version.media).audio_codec == "aac"
    assert version.peaks and version.duration_ms == pytest.approx(3000, abs=100)
    assert services.version_process(version_id=version.pk) == "skipped", "a second run of the job is harmless"


@pytest.mark.django_db
def test_the_job_makes_a_poster_for_video(reading_round, reader, make_entry):
    entry = make_entry(reading_round, reader, sample="video_webm")
    version = entry.current
    assert version.kind == "video" and version.poster.name.endswith("poster.jpg")
    with version.poster.open("rb") as stored, Image.open(stored) as poster:
        assert poster.format == "JPEG" and poster.size == (320, 240)


@pytest.mark.django_db
def test_undecodable_content_found_by_the_job_is_rejected_without_retry(reading_round, reader, make_entry, monkeypatch):
    def broken(*args, **kwargs):
        raise MediaRejected("undecodable")

    monkeypatch.setattr(processing, "transcode", broken)
    entry = make_entry(reading_round, reader)
    version = entry.versions.get()
    assert version.state == "rejected" and version.reason_code == "undecodable" and version.attempts == 1
    assert entry.current is None


@pytest.mark.django_db
def test_infrastructure_errors_are_retried_then_marked_failed(
    reading_round, reader, make_entry, monkeypatch, django_capture_on_commit_callbacks
):
    def disk_full(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(processing, "transcode", disk_full)
    entry = make_entry(reading_round, reader, process=False)
    version = entry.versions.get()
    for attempt in range(1, services.MAX_ATTEMPTS + 1):
        with django_capture_on_commit_callbacks(execute=True):
            state = services.version_process(version_id=version.pk)
        version.refresh_from_db()
        assert version.attempts == attempt and "No space left" in version.error
        if attempt < services.MAX_ATTEMPTS:
            assert state == "received"
            job = DBTaskResult.objects.get(id=version.job_id)
            assert job.run_after is not None and job.run_after > timezone.now(), "retried after a delay"
    assert version.state == "failed" and version.reason_code == "processing_failed"
    assert "processing" in version.reason.lower() or version.reason


@pytest.mark.django_db
def test_organiser_can_requeue_a_failed_version(
    reading_round, reader, make_entry, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(processing, "MAX_ATTEMPTS", 1)
    monkeypatch.setattr(processing, "transcode", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("bug")))
    entry = make_entry(reading_round, reader)
    version = entry.versions.get()
    assert version.state == "failed"
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        services.version_requeue(version=version)
    version.refresh_from_db()
    assert (version.state, version.attempts, version.error, version.reason_code) == ("received", 0, "", "")
    assert DBTaskResult.objects.filter(id=version.job_id, status="READY").exists()
    assert services.version_process(version_id=version.pk) == "ready"
    with pytest.raises(services.EntryError):
        services.version_requeue(version=version)


@pytest.mark.django_db
def test_replacement_keeps_the_previous_version_until_the_new_one_is_ready(
    reading_round, reader, make_entry, upload_of, media, organiser, django_capture_on_commit_callbacks
):
    entry = make_entry(reading_round, reader)
    services.entries_moderate(entries=[entry], action="approve", by=organiser)
    first = entry.current
    second = services.entry_replace(entry=entry, upload=upload_of(media["m4a"]), source="uploaded")
    entry.refresh_from_db()
    assert entry.current == first and second.state == "received", "still playing the first version"
    media_name = first.media.name
    assert first.media.storage.exists(media_name)
    with django_capture_on_commit_callbacks(execute=True):
        services.version_process(version_id=second.pk)
    entry.refresh_from_db()
    first.refresh_from_db()
    assert entry.current == second and first.state == "superseded"
    assert not first.media.storage.exists(media_name), "the replaced files are deleted"
    assert (first.original.name, first.media.name) == ("", ""), "and forgotten"
    assert entry.moderation == Entry.Moderation.PENDING, "new content is reviewed again"


@pytest.mark.django_db
def test_an_older_version_finishing_after_a_newer_one_does_not_replace_it(
    reading_round, reader, make_entry, upload_of, media
):
    entry = make_entry(reading_round, reader, process=False)
    first = entry.versions.get()
    second = services.entry_replace(entry=entry, upload=upload_of(media["mp3"]), source="uploaded")
    services.version_process(version_id=second.pk)
    services.version_process(version_id=first.pk)
    entry.refresh_from_db()
    first.refresh_from_db()
    assert entry.current == second and first.state == "superseded"


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_queued_job(reading_round, reader, make_entry):
    """The job is a row in the database (it survives a restart); ``db_worker`` picks it up."""
    entry = make_entry(reading_round, reader, process=False)
    version = entry.versions.get()
    job = DBTaskResult.objects.get(id=version.job_id)
    assert job.status == "READY" and job.task_path == "submissions.tasks.process_entry_version"
    call_command("db_worker", "--batch", "--max-tasks", "1", "--no-startup-delay", verbosity=0)
    version.refresh_from_db()
    assert version.state == "ready"
    job.refresh_from_db()
    assert job.status == "SUCCESSFUL"


@pytest.mark.django_db
def test_sweep_recovers_a_version_whose_worker_died(
    reading_round, reader, make_entry, django_capture_on_commit_callbacks
):
    entry = make_entry(reading_round, reader, process=False)
    version = entry.versions.get()
    long_ago = timezone.now() - services.PROCESSING_LEASE - dt.timedelta(minutes=1)
    EntryVersion.objects.filter(pk=version.pk).update(state="processing", processing_started_at=long_ago, attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.versions_sweep() == 1
    version.refresh_from_db()
    assert version.state == "received" and "worker stopped" in version.error


@pytest.mark.django_db
def test_sweep_requeues_a_received_version_whose_job_is_gone(reading_round, reader, make_entry):
    entry = make_entry(reading_round, reader, process=False)
    version = entry.versions.get()
    DBTaskResult.objects.all().delete()
    assert services.versions_sweep() == 1
    version.refresh_from_db()
    assert DBTaskResult.objects.filter(id=version.job_id).exists()
    assert services.versions_sweep() == 0, "a job that still waits is left alone"


def _probe_stored(field_file):
    """Probe a stored file on either storage (a local copy on S3)."""
    with local_copy(field_file.storage, field_file.name) as path:
        return probe(path)
