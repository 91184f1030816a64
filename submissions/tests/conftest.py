"""Fixtures of the submissions tests: real recordings made with PyAV once per session, the fakes the issue
lists, and reading rounds set up through the services as the app sets them up."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from contests import services as contest_services
from contests.models import Event
from submissions import services, synth


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> dict[str, Path]:
    """Every sample file by name. Real media are a few seconds long so that the suite stays fast."""
    folder = tmp_path_factory.mktemp("media")
    files = {
        "webm": synth.audio_file(folder / "recording.webm", fmt="webm", seconds=3),  # no duration, like Chrome
        "m4a": synth.audio_file(folder / "tone.m4a", fmt="m4a", seconds=3),
        "mp3": synth.audio_file(folder / "tone.mp3", fmt="mp3", seconds=3),
        "wav": synth.audio_file(folder / "tone.wav", fmt="wav", seconds=3),
        "ogg": synth.audio_file(folder / "tone.ogg", fmt="ogg", seconds=3),
        "quiet": synth.audio_file(folder / "quiet.wav", fmt="wav", seconds=3, amplitude=0.02, speech=True),
        "long": synth.audio_file(folder / "long.webm", fmt="webm", seconds=9),
        "video_webm": synth.video_file(folder / "camera.webm", fmt="webm", seconds=2),
        "video_mp4": synth.video_file(folder / "clip.mp4", fmt="mp4", seconds=2),
        "silent_video": synth.video_file(folder / "silent.mp4", fmt="mp4", seconds=1, sound=False),
        "big_video": synth.video_file(folder / "big.mp4", fmt="mp4", seconds=1.5, size=(1280, 960), fps=4),
    }
    files = {name: Path(path) for name, path in files.items()}
    files["text"] = folder / "notes.mp3"
    files["text"].write_text("Đây là một tệp văn bản, không phải âm thanh.\n" * 50, encoding="utf-8")
    files["png"] = folder / "picture.mp4"
    Image.new("RGB", (64, 64), (200, 30, 30)).save(files["png"], format="PNG")
    files["empty"] = folder / "empty.wav"
    files["empty"].write_bytes(b"")
    files["truncated"] = folder / "cut.m4a"
    data = files["m4a"].read_bytes()
    files["truncated"].write_bytes(data[: len(data) // 2])
    files["playlist"] = folder / "playlist.mp3"
    files["playlist"].write_text("#EXTM3U\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n")
    return files


@pytest.fixture
def copy_of(tmp_path):
    def copy(path: Path, name: str | None = None) -> Path:
        target = tmp_path / (name or path.name)
        shutil.copy(path, target)
        return target

    return copy


@pytest.fixture
def upload_of():
    """An uploaded file as Django hands it to a view (its name says nothing about its content)."""

    def make(path: Path, name: str | None = None) -> SimpleUploadedFile:
        return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="application/octet-stream")

    return make


TEST_SETTINGS = {
    "min_duration_s": 1,
    "max_duration_s": 5,
    "max_size_mb": 2,
    "min_video_lines": 120,
    "entries_per_participant": 2,
}


@pytest.fixture
def make_reading_round(organisation, organiser, now):
    """An open event with one reading round configured through the services (test-sized limits)."""

    def make(*, state=Event.State.OPEN, org=None, opens=None, closes=None, **settings):
        opens = opens or now - dt.timedelta(days=1)
        closes = closes or now + dt.timedelta(days=7)
        event = contest_services.event_create(
            organisation=org or organisation,
            by=organiser,
            fields={"title": "Cuộc thi đọc sách", "kind": Event.Kind.CONTEST, "opens_at": opens, "closes_at": closes},
        )
        rnd = contest_services.round_create(
            event=event, fields={"title": "Vòng đọc", "kind": "reading", "opens_at": opens, "closes_at": closes}
        )
        reading_round = services.reading_round_configure(rnd=rnd, settings={**TEST_SETTINGS, **settings})
        if state != Event.State.DRAFT:
            contest_services.event_transition(event=event, to_state=Event.State.OPEN, by=organiser)
        reading_round.refresh_from_db()
        return reading_round

    return make


@pytest.fixture
def reading_round(make_reading_round):
    return make_reading_round()


@pytest.fixture
def reader(make_user, complete_profile):
    return make_user("reader@example.vn", profile=complete_profile("+84912000333"))


@pytest.fixture
def reader2(make_user, complete_profile):
    return make_user("reader2@example.vn", profile=complete_profile("+84912000444"))


@pytest.fixture
def make_entry(upload_of, media):
    """An entry sent through ``entry_create``; ``process=True`` runs the job body as the worker would."""

    def make(reading_round, user, *, sample="webm", title="Bài đọc", process=True, consent=True):
        entry = services.entry_create(
            reading_round=reading_round,
            user=user,
            fields={"title": title, "note": "", "consent_publish": consent},
            upload=upload_of(media[sample]),
            source="uploaded",
        )
        if process:
            for version in entry.versions.all():
                services.version_process(version_id=version.pk)
            entry.refresh_from_db()
        return entry

    return make


@pytest.fixture
def gallery_entry(make_entry, reading_round, reader, organiser):
    entry = make_entry(reading_round, reader)
    services.entries_moderate(entries=[entry], action="approve", by=organiser)
    entry.refresh_from_db()
    return entry


# --- Judging -------------------------------------------------------------------------------------

RUBRIC = [  # M = 3 × 10 + 2 × 10 = 50
    {"name": "Phát âm, lưu loát", "description": "Đọc rõ, đúng, không vấp.", "max_points": 10, "weight": 3},
    {"name": "Diễn cảm", "description": "Ngữ điệu phù hợp nội dung.", "max_points": 10, "weight": 2},
]


@pytest.fixture
def make_reader(make_user, complete_profile):
    """Participants with complete profiles (distinct phone numbers), optionally from an organisation."""
    counter = iter(range(100, 1000))

    def make(email: str | None = None, *, organisation=None, full_name: str = "Nguyễn Văn Test"):
        number = next(counter)
        profile = {**complete_profile(f"+849130{number:05d}"), "organisation": organisation, "full_name": full_name}
        return make_user(email or f"reader{number}@example.vn", profile=profile)

    return make


@pytest.fixture
def make_judge(make_user, organiser):
    """A person put on a round's panel through ``judge_invite`` (an account exists: they are seated at once)."""
    from contests import services as contest_services
    from judging import services as judging

    def make(reading_round, email: str, *, stages="first", organisation=None):
        user = make_user(email)
        if organisation is not None:
            profile = contest_services.profile_get_or_create(user=user)
            contest_services.profile_update(
                profile=profile, data={"organisation": organisation}, data_consent=True, guardian_consent=False
            )
        return judging.judge_invite(reading_round=reading_round, email=email, stages=stages, by=organiser)

    return make


@pytest.fixture
def judging_round(make_reading_round):
    """A reading round with the test rubric; judging open now (rolling: no window set)."""
    from judging import services as judging

    def make(**settings):
        reading_round = make_reading_round(**settings)
        judging.rubric_save(reading_round=reading_round, items=[dict(item) for item in RUBRIC])
        return reading_round

    return make


@pytest.fixture
def marks_for():
    """Marks for the test rubric as ``score_save`` takes them: ``marks_for(rr, 8, 6)``."""
    from judging.models import Criterion

    def build(reading_round, *values):
        criteria = list(Criterion.objects.filter(reading_round=reading_round).order_by("position"))
        return {c.pk: (None if v is None else Decimal(str(v))) for c, v in zip(criteria, values, strict=True)}

    return build
