"""The tus 1.0 door (submissions/tus.py) through the ASGI application daphne runs: real files, real database."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import tracemalloc

import pytest
from channels.db import database_sync_to_async
from channels.testing import ApplicationCommunicator, HttpCommunicator
from django.utils import timezone

from contest_site.asgi import application
from contests.models import Event
from submissions import resumable
from submissions.models import MB, ResumableUpload
from tests.sessions import signed_in_session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
CSRF = "c" * 32


def metadata(**pairs) -> str:
    return ",".join(f"{key} {base64.b64encode(str(value).encode()).decode()}" for key, value in pairs.items())


def headers_for(session=None, *, csrf=CSRF, tus="1.0.0", extra=None, language="en") -> list[tuple[bytes, bytes]]:
    cookies = [f"csrftoken={CSRF}", f"django_language={language}"]
    if session:
        cookies.append(f"sessionid={session}")
    headers = {"host": "testserver", "cookie": "; ".join(cookies), "x-csrftoken": csrf}
    if tus:
        headers["tus-resumable"] = tus
    headers.update(extra or {})
    return [(name.encode(), str(value).encode()) for name, value in headers.items()]


class Reply:
    def __init__(self, response):
        self.status = response["status"]
        self.headers = {name.decode().lower(): value.decode() for name, value in response["headers"]}
        self.body = response.get("body", b"")

    def __getitem__(self, name):
        return self.headers[name.lower()]


async def tus(method, path, session=None, *, body=b"", **kwargs) -> Reply:
    communicator = HttpCommunicator(application, method, path, body=body, headers=headers_for(session, **kwargs))
    return Reply(await communicator.get_response(timeout=10))


async def create(session, round_id, *, length=None, filename="doc-sach.webm", extra=None, **kwargs) -> Reply:
    headers = {"upload-metadata": metadata(filename=filename, round=round_id)}
    headers.update({"upload-length": length} if length is not None else {"upload-defer-length": "1"})
    headers.update(extra or {})
    return await tus("POST", "/uploads/", session, extra=headers, **kwargs)


async def patch(session, location, offset, data, *, extra=None, **kwargs) -> Reply:
    headers = {
        "content-type": "application/offset+octet-stream",
        "upload-offset": offset,
        "content-length": len(data),
        **(extra or {}),
    }
    return await tus("PATCH", location, session, body=data, extra=headers, **kwargs)


def patch_scope(session, location, offset, length=None) -> dict:
    extra = {"content-type": "application/offset+octet-stream", "upload-offset": offset}
    if length is not None:
        extra["content-length"] = length
    return {
        "type": "http",
        "http_version": "1.1",
        "method": "PATCH",
        "path": location,
        "raw_path": location.encode(),
        "query_string": b"",
        "root_path": "",
        "scheme": "http",
        "headers": headers_for(session, extra=extra),
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


@pytest.fixture
def session(reader):
    return signed_in_session(reader)


@pytest.fixture
def round_id(reading_round):
    return reading_round.round_id


async def file_bytes(location) -> bytes:
    upload = await ResumableUpload.objects.aget(key=location.rsplit("/", 1)[-1])
    return await database_sync_to_async(resumable.resumable_read)(upload)


# --- Creation ----------------------------------------------------------------------------------------


async def test_options_advertises_the_protocol_and_extensions(reading_round):
    reply = await tus("OPTIONS", "/uploads/", tus=None)
    assert reply.status == 204
    assert reply["Tus-Version"] == "1.0.0"
    assert set(reply["Tus-Extension"].split(",")) == {
        "creation",
        "creation-defer-length",
        "termination",
        "expiration",
    }
    assert int(reply["Tus-Max-Size"]) == reading_round.max_size_mb * MB


async def test_creation_answers_201_with_an_unguessable_location_and_an_expiry(session, round_id, reader):
    before = timezone.now()
    reply = await create(session, round_id, length=1000)
    assert reply.status == 201 and reply["Tus-Resumable"] == "1.0.0"
    location = reply["Location"]
    assert location.startswith("/uploads/") and len(location.rsplit("/", 1)[-1]) >= 32
    upload = await ResumableUpload.objects.aget(key=location.rsplit("/", 1)[-1])
    assert upload.user_id == reader.pk and upload.length == 1000 and upload.offset == 0
    assert upload.filename == "doc-sach.webm" and resumable.resumable_file_exists(upload)
    assert dt.timedelta(hours=23, minutes=59) < upload.expires_at - before <= dt.timedelta(hours=24, seconds=5)
    assert reply["Upload-Expires"].endswith("GMT")
    second = await create(session, round_id, length=1000)
    assert second["Location"] != location


@pytest.mark.parametrize(
    "extra",
    [
        {"upload-metadata": metadata(filename="a.webm")},  # no round
        {"upload-metadata": metadata(round=1)},  # no filename
        {"upload-metadata": "filename !!notbase64"},
        {"upload-length": "-5"},
        {"upload-defer-length": "2"},
    ],
)
async def test_creation_refuses_unreadable_headers_with_400(session, round_id, extra):
    reply = await create(session, round_id, length=10, extra=extra)
    assert reply.status == 400
    assert await ResumableUpload.objects.acount() == 0


async def test_anonymous_is_401_and_a_csrf_failure_403(session, round_id):
    assert (await create(None, round_id, length=10)).status == 401
    assert (await create(session, round_id, length=10, csrf="x" * 32)).status == 403
    evil = await create(session, round_id, length=10, extra={"origin": "https://evil.example"})
    assert evil.status == 403
    assert await ResumableUpload.objects.acount() == 0


async def test_an_unsupported_protocol_version_is_412(session, round_id):
    reply = await create(session, round_id, length=10, tus="0.2.2")
    assert reply.status == 412 and reply["Tus-Version"] == "1.0.0"
    assert (await create(session, round_id, length=10, tus=None)).status == 412


async def test_a_length_over_the_rounds_limit_is_413_before_any_byte(session, round_id, reading_round):
    reply = await create(session, round_id, length=reading_round.max_bytes + 1)
    assert reply.status == 413 and b"2 MB" in reply.body
    assert await ResumableUpload.objects.acount() == 0


async def test_creation_checks_what_entry_creation_checks(
    session, reader, make_reading_round, make_entry, organiser, make_user
):
    closed = await database_sync_to_async(make_reading_round)(
        opens=timezone.now() - dt.timedelta(days=3), closes=timezone.now() + dt.timedelta(days=3)
    )
    await database_sync_to_async(_close_for_entries)(closed)
    reply = await create(session, closed.round_id, length=10)
    assert reply.status == 403 and b"deadline" in reply.body

    full = await database_sync_to_async(make_reading_round)(entries_per_participant=1)
    await database_sync_to_async(make_entry)(full, reader, process=False)
    reply = await create(session, full.round_id, length=10)
    assert reply.status == 403 and b"all the entries" in reply.body

    draft = await database_sync_to_async(make_reading_round)(state=Event.State.DRAFT)
    assert (await create(session, draft.round_id, length=10)).status == 404

    member = await database_sync_to_async(signed_in_session)(organiser)
    open_round = await database_sync_to_async(make_reading_round)()
    assert (await create(member, open_round.round_id, length=10)).status == 403
    assert await ResumableUpload.objects.acount() == 0


def _close_for_entries(reading_round):
    reading_round.submission_deadline = timezone.now() - dt.timedelta(minutes=1)
    reading_round.save(update_fields=["submission_deadline"])


async def test_an_invite_only_event_needs_its_code(session, make_reading_round):
    def invite_only():
        reading_round = make_reading_round()
        event = reading_round.round.event
        event.visibility = Event.Visibility.INVITE
        event.invite_code = "MOI-2025"
        event.save(update_fields=["visibility", "invite_code"])
        return reading_round

    reading_round = await database_sync_to_async(invite_only)()
    assert (await create(session, reading_round.round_id, length=10)).status == 404


# --- PATCH, HEAD -------------------------------------------------------------------------------------


async def test_chunks_append_and_head_reports_the_offset(session, round_id):
    data = bytes(range(256)) * 40  # 10 240 bytes
    location = (await create(session, round_id, length=len(data)))["Location"]
    first = await patch(session, location, 0, data[:4000])
    assert first.status == 204 and first["Upload-Offset"] == "4000" and "upload-expires" in first.headers
    head = await tus("HEAD", location, session)
    assert head.status == 200 and head["Upload-Offset"] == "4000" and head["Upload-Length"] == str(len(data))
    assert head["Cache-Control"] == "no-store" and head.body == b""
    assert "filename" in head["Upload-Metadata"]
    assert (await patch(session, location, 4000, data[4000:])).status == 204
    assert await file_bytes(location) == data
    upload = await ResumableUpload.objects.aget(key=location.rsplit("/", 1)[-1])
    assert upload.is_finished and upload.finished_at is not None


async def test_a_wrong_offset_is_409_and_a_wrong_type_415(session, round_id):
    location = (await create(session, round_id, length=100))["Location"]
    assert (await patch(session, location, 5, b"x" * 10)).status == 409
    wrong = await patch(session, location, 0, b"x" * 10, extra={"content-type": "application/octet-stream"})
    assert wrong.status == 415
    assert (await tus("HEAD", location, session))["Upload-Offset"] == "0"


async def test_a_patch_over_8_mib_or_past_the_length_is_413(session, round_id, reading_round):
    def bigger_round():
        reading_round.max_size_mb = 20
        reading_round.save(update_fields=["max_size_mb"])

    await database_sync_to_async(bigger_round)()
    location = (await create(session, round_id, length=20 * MB))["Location"]
    declared = await patch(session, location, 0, b"", extra={"content-length": 8 * MB + 1})
    assert declared.status == 413
    small = (await create(session, round_id, length=10))["Location"]
    assert (await patch(session, small, 0, b"x" * 11)).status == 413
    assert (await tus("HEAD", small, session))["Upload-Offset"] == "0"


async def test_a_chunked_patch_stops_at_8_mib_and_keeps_what_fitted(session, round_id, reading_round):
    """No Content-Length (chunked): bytes are counted as they stream; past 8 MiB the request ends with 413."""

    def bigger_round():
        reading_round.max_size_mb = 20
        reading_round.save(update_fields=["max_size_mb"])

    await database_sync_to_async(bigger_round)()
    location = (await create(session, round_id, length=20 * MB))["Location"]
    communicator = ApplicationCommunicator(application, patch_scope(session, location, 0))
    piece = b"z" * MB
    for _ in range(9):
        await communicator.send_input({"type": "http.request", "body": piece, "more_body": True})
    start = await communicator.receive_output(timeout=10)
    assert start["status"] == 413
    await communicator.wait(timeout=5)
    assert (await tus("HEAD", location, session))["Upload-Offset"] == str(8 * MB)


async def test_memory_stays_flat_while_a_chunk_streams(session, round_id, reading_round):
    """An 8 MiB PATCH sent in 64 KiB messages: the door holds one message at a time, never the chunk."""

    def bigger_round():
        reading_round.max_size_mb = 20
        reading_round.save(update_fields=["max_size_mb"])

    await database_sync_to_async(bigger_round)()
    # One byte more than the chunk: the measured PATCH only streams (on object storage the one that finishes
    # the file also copies it to the bucket, in the storage's bounded multipart parts).
    location = (await create(session, round_id, length=8 * MB + 1))["Location"]
    communicator = ApplicationCommunicator(application, patch_scope(session, location, 0, 8 * MB))
    piece = b"m" * (64 * 1024)
    tracemalloc.start()
    try:
        for index in range(128):
            await communicator.send_input({"type": "http.request", "body": piece, "more_body": index < 127})
            await asyncio.sleep(0)
        start = await communicator.receive_output(timeout=10)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    await communicator.receive_output(timeout=5)
    assert start["status"] == 204
    assert peak < 3 * MB, f"peak {peak / MB:.1f} MB while receiving 8 MB"
    assert (await patch(session, location, 8 * MB, b"!")).status == 204
    assert len(await file_bytes(location)) == 8 * MB + 1


async def test_resume_after_a_connection_dropped_mid_patch(session, round_id):
    data = bytes(range(251)) * 4000  # 1 004 000 bytes, not a multiple of anything
    location = (await create(session, round_id, length=len(data)))["Location"]
    communicator = ApplicationCommunicator(application, patch_scope(session, location, 0, len(data)))
    await communicator.send_input({"type": "http.request", "body": data[:300_000], "more_body": True})
    await communicator.send_input({"type": "http.request", "body": data[300_000:450_000], "more_body": True})
    await communicator.send_input({"type": "http.disconnect"})
    await communicator.wait(timeout=10)  # nobody to answer: the door just ends

    head = await tus("HEAD", location, session)
    assert head["Upload-Offset"] == "450000", "the bytes that arrived are kept and counted"
    rest = await patch(session, location, 450_000, data[450_000:])
    assert rest.status == 204 and rest["Upload-Offset"] == str(len(data))
    assert await file_bytes(location) == data, "byte-identical after the resume"


async def test_uncommitted_bytes_on_disk_are_not_trusted(session, round_id):
    """A process that died between writing and committing left bytes past the offset: the next PATCH
    starts from the committed offset and the file ends up exactly as sent."""
    location = (await create(session, round_id, length=10))["Location"]
    assert (await patch(session, location, 0, b"abcd")).status == 204
    upload = await ResumableUpload.objects.aget(key=location.rsplit("/", 1)[-1])
    with open(upload.path, "ab") as handle:
        handle.write(b"GARBAGE")
    assert (await patch(session, location, 4, b"efghij")).status == 204
    assert await file_bytes(location) == b"abcdefghij"


async def test_two_patches_of_one_upload_cannot_interleave(session, round_id):
    location = (await create(session, round_id, length=1000))["Location"]
    first = ApplicationCommunicator(application, patch_scope(session, location, 0, 1000))
    await first.send_input({"type": "http.request", "body": b"a" * 400, "more_body": True})
    for _ in range(50):  # until the first PATCH holds the lease
        upload = await ResumableUpload.objects.aget(key=location.rsplit("/", 1)[-1])
        if upload.lease_token:
            break
        await asyncio.sleep(0.02)
    second = await patch(session, location, 0, b"b" * 1000)
    assert second.status == 423
    assert (await tus("DELETE", location, session)).status == 423, "nor deleted under a PATCH"
    await first.send_input({"type": "http.request", "body": b"a" * 600, "more_body": False})
    assert (await first.receive_output(timeout=10))["status"] == 204
    assert await file_bytes(location) == b"a" * 1000


async def test_deferred_length_is_declared_by_a_later_patch(session, round_id, reading_round):
    """The recorder uploads while it records: the length is known only when the participant presses stop."""
    reply = await create(session, round_id)
    location = reply["Location"]
    assert reply.status == 201
    head = await tus("HEAD", location, session)
    assert head["Upload-Defer-Length"] == "1" and "upload-length" not in head.headers
    assert (await patch(session, location, 0, b"r" * 3000)).status == 204
    over = await patch(session, location, 3000, b"", extra={"upload-length": reading_round.max_bytes + 1})
    assert over.status == 413
    last = await patch(session, location, 3000, b"s" * 500, extra={"upload-length": 3500})
    assert last.status == 204
    head = await tus("HEAD", location, session)
    assert head["Upload-Length"] == "3500" and head["Upload-Offset"] == "3500"
    changed = await patch(session, location, 3500, b"", extra={"upload-length": 4000})
    assert changed.status == 400


async def test_a_deferred_upload_stops_at_the_rounds_limit(session, round_id, reading_round):
    location = (await create(session, round_id))["Location"]
    offset = 0
    while offset < reading_round.max_bytes:
        size = min(MB, reading_round.max_bytes - offset)
        assert (await patch(session, location, offset, b"d" * size)).status == 204
        offset += size
    assert (await patch(session, location, offset, b"d")).status == 413


# --- Ownership, termination, expiry ------------------------------------------------------------------


async def test_someone_elses_upload_is_404_for_every_method(session, round_id, reader2):
    location = (await create(session, round_id, length=10))["Location"]
    other = await database_sync_to_async(signed_in_session)(reader2)
    assert (await tus("HEAD", location, other)).status == 404
    assert (await patch(other, location, 0, b"x" * 10)).status == 404
    assert (await tus("DELETE", location, other)).status == 404
    assert (await tus("HEAD", location)).status == 401
    assert (await tus("HEAD", "/uploads/not-a-real-key", session)).status == 404
    assert (await tus("HEAD", location, session))["Upload-Offset"] == "0"


async def test_delete_removes_the_upload_and_its_file(session, round_id):
    location = (await create(session, round_id, length=10))["Location"]
    upload = await ResumableUpload.objects.aget(key=location.rsplit("/", 1)[-1])
    assert (await tus("DELETE", location, session, csrf="bad")).status == 403
    assert (await tus("DELETE", location, session)).status == 204
    assert not resumable.resumable_file_exists(upload)
    assert (await tus("HEAD", location, session)).status == 404


async def test_expired_uploads_are_gone_and_swept_with_their_files(session, round_id):
    location = (await create(session, round_id, length=10))["Location"]
    upload = await ResumableUpload.objects.aget(key=location.rsplit("/", 1)[-1])
    later = upload.expires_at + dt.timedelta(seconds=1)
    await ResumableUpload.objects.filter(pk=upload.pk).aupdate(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert (await tus("HEAD", location, session)).status == 404
    assert (await patch(session, location, 0, b"x")).status == 404
    assert await database_sync_to_async(resumable.resumables_sweep)(now=later) >= 1  # + old orphan files
    assert not resumable.resumable_file_exists(upload) and await ResumableUpload.objects.acount() == 0


async def test_unknown_methods_are_405(session, round_id):
    assert (await tus("GET", "/uploads/", session)).status == 405
    location = (await create(session, round_id, length=10))["Location"]
    assert (await tus("GET", location, session)).status == 405
    assert (await tus("POST", location, session)).status == 405


async def test_method_override_tunnels_patch_through_post(session, round_id):
    location = (await create(session, round_id, length=3))["Location"]
    extra = {
        "x-http-method-override": "PATCH",
        "content-type": "application/offset+octet-stream",
        "upload-offset": "0",
    }
    reply = await tus("POST", location, session, body=b"abc", extra=extra)
    assert reply.status == 204 and reply["Upload-Offset"] == "3"


# --- Review fixes: stale offsets, the cap on waiting uploads ------------------------------------------


async def test_a_patch_that_read_its_offset_before_another_committed_gets_409_and_cuts_nothing(session, round_id):
    """PATCH B read offset 0; A then sent the whole file. B must not take the lease and cut the file back."""
    from channels.db import database_sync_to_async

    from submissions import resumable

    location = (await create(session, round_id, length=20))["location"]
    key = location.rsplit("/", 1)[-1]
    stale = await ResumableUpload.objects.aget(key=key)  # what B read
    assert (await patch(session, location, 0, b"a" * 20)).status == 204  # A
    with pytest.raises(resumable.OffsetMoved):
        await database_sync_to_async(resumable.resumable_lease)(upload=stale, duration=resumable.PATCH_LEASE)
    upload = await ResumableUpload.objects.aget(key=key)
    assert upload.offset == 20 and upload.finished_at is not None and not upload.lease_token
    assert await file_bytes(location) == b"a" * 20


async def test_finished_uploads_count_against_the_cap_and_the_oldest_of_the_round_makes_room(session, round_id):
    from submissions import resumable

    locations = []
    for _index in range(resumable.OPEN_UPLOADS_PER_USER):
        location = (await create(session, round_id, length=4))["location"]
        assert (await patch(session, location, 0, b"abcd")).status == 204  # finished, never attached
        locations.append(location)
    newest = await create(session, round_id, length=4)
    assert newest.status == 201, "the oldest waiting upload of this round made room"
    keys = {loc.rsplit("/", 1)[-1] async for loc in _aiter(locations[1:])} | {newest["location"].rsplit("/", 1)[-1]}
    assert {u.key async for u in ResumableUpload.objects.all()} == keys
    assert await ResumableUpload.objects.acount() == resumable.OPEN_UPLOADS_PER_USER


async def _aiter(items):
    for item in items:
        yield item


async def test_the_door_reads_sessions_through_one_cache_client_per_process(session, round_id, settings):
    """Each chunk of an upload is a request of this door. Its session (cached_db) is read through Django's
    cache, which is context-local: read in the request's context it made a new cache client, with Redis a
    new connection, for every chunk. Ten HEADs now open at most one."""
    import os

    import redis

    if not os.environ.get("REDIS_URL"):
        pytest.skip("counts connections to the Redis server the cache uses")
    location = (await create(session, round_id, length=100))["Location"]
    server = redis.Redis.from_url(os.environ["REDIS_URL"])
    before = server.info("stats")["total_connections_received"]
    for _ in range(10):
        assert (await tus("HEAD", location, session)).status == 200
    opened = server.info("stats")["total_connections_received"] - before
    assert opened <= 1, f"{opened} new Redis connections for 10 requests"
