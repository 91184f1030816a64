"""Authors hear when their entry is ready and when it is rejected, with the reason (notifications app, issue 16)."""

import pytest

from notifications.kinds import Kind
from notifications.models import Notification
from submissions import services
from submissions.media_probe import MediaRejected
from submissions.services import processing

pytestmark = pytest.mark.django_db


def test_a_processed_entry_notifies_its_author_that_it_is_ready(reading_round, reader, make_entry):
    entry = make_entry(reading_round, reader)
    note = Notification.objects.get(user=reader, kind=Kind.ENTRY_READY)
    assert note.key == f"entry-version:{entry.current_id}" and entry.title in note.text
    assert note.url == reading_round.round.get_absolute_url()


def test_a_file_refused_by_processing_notifies_the_reason(reading_round, reader, make_entry, monkeypatch):
    def refuse(*args, **kwargs):
        raise MediaRejected("undecodable")

    monkeypatch.setattr(processing, "transcode", refuse)
    entry = make_entry(reading_round, reader)
    version = entry.versions.get()
    assert version.state == "rejected"
    note = Notification.objects.get(user=reader, kind=Kind.ENTRY_REJECTED)
    assert note.params["reason"] and note.params["reason"] == str(version.reason)
    assert not Notification.objects.filter(kind=Kind.ENTRY_READY).exists()


def test_moderation_rejection_notifies_each_author_with_reason(reading_round, reader, reader2, make_entry, organiser):
    first, second = make_entry(reading_round, reader), make_entry(reading_round, reader2)
    services.entries_moderate(entries=[first], action="approve", by=organiser)
    assert not Notification.objects.filter(kind=Kind.ENTRY_REJECTED).exists()
    services.entries_moderate(entries=[first, second], action="reject", by=organiser, reason="Đọc sai văn bản")
    notes = Notification.objects.filter(kind=Kind.ENTRY_REJECTED)
    assert {n.user for n in notes} == {reader, reader2}
    assert all(n.params["reason"] == "Đọc sai văn bản" and "Đọc sai văn bản" in n.text for n in notes)
