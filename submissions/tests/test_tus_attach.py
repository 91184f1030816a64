"""A finished resumable upload becomes an entry's recording through the entry form (new and edit): the same
probe, rules and worker as a posted file, then the upload is consumed."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from submissions import resumable, services
from submissions.models import Entry, EntryVersion, ResumableUpload

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def sent_upload():
    """An upload created and filled through the services the tus door calls (``upto`` bytes of the file)."""

    def send(reading_round, user, path: Path, *, upto: int | None = None) -> ResumableUpload:
        data = path.read_bytes()
        upload = resumable.resumable_create(
            user=user, round_id=reading_round.round_id, invite_codes=set(), filename=path.name, length=len(data)
        )
        token = resumable.resumable_lease(upload=upload, duration=resumable.PATCH_LEASE)
        handle = resumable.resumable_open_for_append(upload=upload)
        handle.write(data[:upto])
        size = resumable.resumable_sync_and_close(handle)
        return resumable.resumable_commit(upload=upload, token=token, offset=size)

    return send


def _english(client):
    client.post(reverse("set_language"), {"language": "en"})


def _create(client, reading_round, **fields):
    data = {"title": "Bài đọc", "note": "", "consent_publish": "on", "source": "recorded", **fields}
    url = reverse("reading_entry_create", kwargs={"round_id": reading_round.round_id})
    return client.post(url, data, **JSON)


def test_a_finished_upload_becomes_the_entry_and_is_processed_like_a_file(
    client, reading_round, reader, media, sent_upload
):
    upload = sent_upload(reading_round, reader, media["webm"])
    client.force_login(reader)
    response = _create(client, reading_round, upload=upload.location)
    assert response.status_code == 200, response.content
    entry = Entry.objects.get()
    version = entry.versions.get()
    assert version.state == EntryVersion.State.RECEIVED and version.source == "recorded"
    assert version.original_name == "recording.webm" and version.kind == "audio"
    with version.original.open("rb") as stored:
        assert stored.read() == media["webm"].read_bytes()
    assert not ResumableUpload.objects.exists() and not resumable.resumable_file_exists(upload), "consumed"
    assert services.version_process(version_id=version.pk) == EntryVersion.State.READY


def test_an_upload_cannot_be_attached_twice(client, make_reading_round, reader, media, sent_upload):
    reading_round = make_reading_round(entries_per_participant=3)
    upload = sent_upload(reading_round, reader, media["webm"])
    client.force_login(reader)
    _english(client)
    assert _create(client, reading_round, upload=upload.key).status_code == 200
    again = _create(client, reading_round, upload=upload.key)
    assert again.status_code == 400 and "not found" in again.json()["errors"]["recording"][0]
    assert Entry.objects.count() == 1


def test_only_the_owners_finished_upload_of_this_round_is_accepted(
    client, make_reading_round, reading_round, reader, reader2, media, sent_upload
):
    theirs = sent_upload(reading_round, reader2, media["webm"])
    unfinished = sent_upload(reading_round, reader, media["webm"], upto=1000)
    other_round = make_reading_round()
    elsewhere = sent_upload(other_round, reader, media["webm"])
    client.force_login(reader)
    _english(client)
    for upload, words in ((theirs, "not found"), (unfinished, "not finished"), (elsewhere, "not found")):
        response = _create(client, reading_round, upload=upload.location)
        assert response.status_code == 400 and words in response.json()["errors"]["recording"][0]
    assert not Entry.objects.exists() and ResumableUpload.objects.count() == 3


def test_a_refused_file_changes_nothing_and_the_upload_stays(client, reading_round, reader, media, sent_upload):
    upload = sent_upload(reading_round, reader, media["text"])
    client.force_login(reader)
    _english(client)
    response = _create(client, reading_round, upload=upload.location)
    assert response.status_code == 400
    assert "not an audio or video" in " ".join(response.json()["errors"]["recording"]).lower()
    assert not Entry.objects.exists()
    upload.refresh_from_db()
    assert resumable.resumable_file_exists(upload) and not upload.lease_token, "released: it may be attached again"


def test_the_edit_form_replaces_the_recording_with_an_upload(
    client, reading_round, reader, make_entry, media, sent_upload
):
    entry = make_entry(reading_round, reader)
    upload = sent_upload(reading_round, reader, media["video_mp4"])
    client.force_login(reader)
    data = {"title": "Bài mới", "note": "", "consent_publish": "on", "source": "uploaded", "upload": upload.location}
    response = client.post(reverse("reading_entry_update", args=[entry.pk]), data, **JSON)
    assert response.status_code == 200, response.content
    latest = entry.versions.order_by("-number").first()
    assert latest.number == 2 and latest.kind == "video" and latest.state == EntryVersion.State.RECEIVED
    assert not ResumableUpload.objects.exists()


def test_a_file_and_an_upload_together_are_refused(client, reading_round, reader, media, sent_upload):
    upload = sent_upload(reading_round, reader, media["webm"])
    client.force_login(reader)
    data = {"recording": SimpleUploadedFile("a.webm", media["webm"].read_bytes()), "upload": upload.location}
    response = _create(client, reading_round, **data)
    assert response.status_code == 400 and not Entry.objects.exists()
    assert ResumableUpload.objects.filter(pk=upload.pk).exists()


def test_a_concurrent_attach_is_refused_while_the_lease_is_held(reading_round, reader, media, sent_upload):
    upload = sent_upload(reading_round, reader, media["webm"])
    with resumable.resumable_attach(user=reader, reading_round=reading_round, reference=upload.key):
        with (
            pytest.raises(resumable.UploadRefused) as refused,
            resumable.resumable_attach(user=reader, reading_round=reading_round, reference=upload.key),
        ):
            pass
        assert refused.value.status == 409
        with pytest.raises(resumable.UploadLocked):
            resumable.resumable_delete(upload=upload)


def test_a_finished_unattached_upload_expires_too(reading_round, reader, media, sent_upload):
    upload = sent_upload(reading_round, reader, media["webm"])
    assert upload.finished_at is not None
    assert resumable.resumables_sweep(now=upload.expires_at) >= 1
    assert not ResumableUpload.objects.exists() and not resumable.resumable_file_exists(upload)
