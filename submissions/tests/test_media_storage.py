"""Media on either storage (issue 18): a local file for PyAV from any storage, a tus upload whose partial file
is on another machine, a finished upload moved to the bucket, and the bucket's origin in CSP.

Runs on the disk in `make test` and on a local S3 endpoint in `make test-s3` (MEDIA_STORAGE=s3); the tests
that only mean something on one of them say so."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from conftest import media_on_object_storage
from contest_site.media_storage import is_local, local_copy
from contest_site.settings.env import media_s3_origin
from submissions import resumable
from submissions.models import ResumableUpload
from submissions.tests.test_tus import create, patch, tus
from tests.sessions import signed_in_session


@pytest.fixture
def stored_name(db):
    name = default_storage.save("tests/local-copy.bin", ContentFile(b"\x00\x01" * 300_000))
    yield name
    default_storage.delete(name)


def test_local_copy_is_the_file_itself_on_disk_and_a_temporary_copy_on_s3(stored_name):
    with local_copy(default_storage, stored_name) as path:
        assert Path(path).read_bytes() == b"\x00\x01" * 300_000
        assert Path(path).suffix == ".bin"
        if is_local(default_storage):
            assert path == default_storage.path(stored_name), "no copy of a file already on this disk"
        else:
            assert Path(path).parent == Path(tempfile.gettempdir()) and Path(path).name.startswith("media-")
    assert default_storage.exists(stored_name)
    if not is_local(default_storage):
        assert not Path(path).exists(), "the temporary copy is gone after the block"


def test_local_copy_deletes_its_copy_when_the_block_fails(stored_name):
    if is_local(default_storage):
        pytest.skip("on disk there is no copy to delete")
    with pytest.raises(RuntimeError), local_copy(default_storage, stored_name) as path:
        raise RuntimeError("the transcode failed")
    assert not Path(path).exists()


@pytest.mark.parametrize(
    ("endpoint", "style", "origin"),
    [
        ("http://127.0.0.1:9000", "path", "http://127.0.0.1:9000"),
        ("https://s3.example.vn/", "path", "https://s3.example.vn"),
        ("https://s3.example.vn", "virtual", "https://contest-media.s3.example.vn"),
        ("", "virtual", "https://contest-media.s3.ap-southeast-1.amazonaws.com"),
    ],
)
def test_the_buckets_origin_for_csp(endpoint, style, origin):
    assert media_s3_origin(endpoint, bucket="contest-media", region="ap-southeast-1", style=style) == origin


def test_csp_lets_media_come_from_the_bucket(client, settings):
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    bucket = [source for source in directives["media-src"] if source.startswith("http")]
    if media_on_object_storage():
        endpoint = settings.STORAGES["default"]["OPTIONS"]["endpoint_url"]
        assert bucket == [endpoint.rstrip("/")] and bucket[0] in directives["img-src"]
    else:
        assert bucket == [], "on disk, media come from this site only"


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_patch_on_a_machine_without_the_partial_file_restarts_the_upload(reader, reading_round):
    """The first bytes went to a machine that is gone: this one has no file, or a shorter one. Appending
    would leave a hole of zeros; the upload is reset to 0 (409) and the client sends it again from the start."""
    session = await database_sync_to_async(signed_in_session)(reader)
    location = (await create(session, reading_round.round_id, length=1000))["Location"]
    assert (await patch(session, location, 0, b"a" * 400)).status == 204
    upload = await ResumableUpload.objects.aget(key=location.rsplit("/", 1)[-1])
    upload.path.unlink()  # the machine that held it is gone

    reply = await patch(session, location, 400, b"b" * 600)
    assert reply.status == 409 and reply["Upload-Offset"] == "0"
    upload = await ResumableUpload.objects.aget(pk=upload.pk)
    assert upload.offset == 0 and not upload.lease_token, "reset and released"
    head = await tus("HEAD", location, session)
    assert head["Upload-Offset"] == "0"
    assert (await patch(session, location, 0, b"c" * 1000)).status == 204
    upload = await ResumableUpload.objects.aget(pk=upload.pk)
    assert upload.is_finished
    assert await database_sync_to_async(resumable.resumable_read)(upload) == b"c" * 1000


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_first_patch_creates_the_file_on_a_machine_that_did_not_create_the_upload(reader, reading_round):
    session = await database_sync_to_async(signed_in_session)(reader)
    location = (await create(session, reading_round.round_id, length=10))["Location"]
    upload = await ResumableUpload.objects.aget(key=location.rsplit("/", 1)[-1])
    upload.path.unlink()  # created through another machine
    assert (await patch(session, location, 0, b"0123456789")).status == 204
    upload = await ResumableUpload.objects.aget(pk=upload.pk)
    assert await database_sync_to_async(resumable.resumable_read)(upload) == b"0123456789"


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_finished_upload_moves_to_the_bucket(reader, reading_round):
    if not media_on_object_storage():
        pytest.skip("on disk a finished upload stays where it was appended")
    session = await database_sync_to_async(signed_in_session)(reader)
    location = (await create(session, reading_round.round_id, length=8))["Location"]
    assert (await patch(session, location, 0, b"half")).status == 204
    upload = await ResumableUpload.objects.aget(key=location.rsplit("/", 1)[-1])
    assert upload.path.exists() and not await database_sync_to_async(default_storage.exists)(upload.stored_name)
    assert (await patch(session, location, 4, b"full")).status == 204
    assert not upload.path.exists(), "no longer on this machine"
    assert await database_sync_to_async(default_storage.exists)(upload.stored_name)
    assert (await tus("DELETE", location, session)).status == 204
    assert not await database_sync_to_async(default_storage.exists)(upload.stored_name), "termination empties it"
