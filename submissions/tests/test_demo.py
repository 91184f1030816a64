"""The demo seeder: the reading round of the demo contest gets settings and processed, approved entries
from the demo participants, with real media; running it again changes nothing."""

import io

import pytest
from django.core.management import call_command

from contest_site.media_storage import local_copy
from submissions.media_probe import probe
from submissions.models import Entry, EntryVersion, ReadingRound, Vote

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_playable_reading_entries_and_is_idempotent(client):
    call_command("seed_demo", stdout=io.StringIO())
    reading_round = ReadingRound.objects.get(round__event__slug="cong-dan-so-2023", round__kind="reading")
    entries = list(Entry.objects.filter(reading_round=reading_round).select_related("current", "user"))
    assert {e.user.email for e in entries} == {"an@demo.vn", "binh@demo.vn"}
    assert {e.current.kind for e in entries} == {"audio", "video"}
    for entry in entries:
        assert entry.current.state == EntryVersion.State.READY and entry.in_gallery
        assert _probe_stored(entry.current.media).audio_codec == "aac"
    assert Vote.objects.filter(entry__reading_round=reading_round).count() == 2

    call_command("seed_demo", stdout=io.StringIO())
    assert Entry.objects.filter(reading_round=reading_round).count() == 2
    assert EntryVersion.objects.filter(entry__reading_round=reading_round).count() == 2

    gallery = client.get(f"/rounds/{reading_round.round_id}/reading/gallery/").content.decode()
    assert "Nhận diện tin giả" in gallery and "<video" in gallery and "<audio" in gallery


def _probe_stored(field_file):
    """Probe a stored file on either storage (a local copy on S3)."""
    with local_copy(field_file.storage, field_file.name) as path:
        return probe(path)
