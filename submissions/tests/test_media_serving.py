"""Media URLs: HTTP ranges (200, 206, 416), conditional requests, the nginx hand-off, and who may fetch what."""

import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import override_settings
from django.urls import reverse

from conftest import media_on_object_storage
from contest_site.serving import Unsatisfiable, parse_range
from submissions import services

pytestmark = pytest.mark.django_db


def _url(version, part="media"):
    return reverse("reading_media", kwargs={"version_id": version.pk, "part": part})


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-99", (0, 99)),
        ("bytes=100-", (100, 999)),
        ("bytes=-100", (900, 999)),
        ("bytes=900-5000", (900, 999)),
        ("bytes=0-0", (0, 0)),
        ("bytes=5-2", None),  # invalid: ignored
        ("items=0-1", None),
        ("bytes=0-1,5-6", None),  # several ranges: the whole file
    ],
)
def test_parse_range(header, expected):
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=2000-3000", "bytes=-0"])
def test_unsatisfiable_ranges(header):
    with pytest.raises(Unsatisfiable):
        parse_range(header, 1000)


def test_whole_file_partial_content_and_416(fetch_media, gallery_entry):
    """On either storage: the app's own answer on disk, the bucket's after the signed redirect on S3."""
    version = gallery_entry.current
    with version.media.open("rb") as handle:
        data = handle.read()
    whole = fetch_media(_url(version))
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes" and whole["Content-Type"] == "audio/mp4"
    assert whole["Content-Length"] == str(len(data)) and whole.body == data

    part = fetch_media(_url(version), {"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(data)}" and part["Content-Length"] == "100"
    assert part.body == data[100:200]

    tail = fetch_media(_url(version), {"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.body == data[-10:]

    outside = fetch_media(_url(version), {"Range": f"bytes={len(data)}-"})
    assert outside.status_code == 416


def test_object_storage_redirects_to_a_short_lived_signed_url(client, gallery_entry, settings):
    if not media_on_object_storage():
        pytest.skip("media on the local disk: the app serves the bytes itself")
    version = gallery_entry.current
    response = client.get(_url(version, "original"), HTTP_RANGE="bytes=0-9")
    assert response.status_code == 404, "the permission check still comes first"
    client.force_login(gallery_entry.user)
    response = client.get(_url(version))
    assert response.status_code == 302 and response["Cache-Control"] == "private, no-store"
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["X-Amz-Expires"] == [str(settings.MEDIA_S3_URL_EXPIRY_S)] and "X-Amz-Signature" in query
    assert query["response-content-type"] == ["audio/mp4"]
    endpoint = settings.STORAGES["default"]["OPTIONS"]["endpoint_url"]
    assert urlsplit(response["Location"]).netloc == urlsplit(endpoint).netloc
    unsigned = response["Location"].split("?", 1)[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(unsigned, timeout=30)  # noqa: S310 -- the test's own S3 endpoint
    assert refused.value.code == 403, "the bucket is private: no URL works without a signature"


@pytest.mark.skipif(media_on_object_storage(), reason="on S3 the bucket answers conditional requests")
def test_conditional_requests(client, gallery_entry):
    version = gallery_entry.current
    first = client.get(_url(version))
    etag = first["ETag"]
    assert client.get(_url(version), HTTP_IF_NONE_MATCH=etag).status_code == 304
    stale = client.get(_url(version), HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"other"')
    assert stale.status_code == 200, "If-Range that does not match: the whole file"
    fresh = client.get(_url(version), HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=etag)
    assert fresh.status_code == 206


@pytest.mark.skipif(media_on_object_storage(), reason="on S3 the app answers 302 to any method")
def test_head_requests_answer_headers_only(client, gallery_entry):
    version = gallery_entry.current
    response = client.head(_url(version))
    assert response.status_code == 200 and response["Accept-Ranges"] == "bytes" and not response.streaming
    assert response["Content-Length"] == str(version.media.size) and response.content == b""


@pytest.mark.skipif(media_on_object_storage(), reason="on S3 the hand-off is a signed redirect")
@override_settings(MEDIA_X_ACCEL_PREFIX="/_protected/")
def test_nginx_hand_off(client, gallery_entry):
    version = gallery_entry.current
    response = client.get(_url(version), HTTP_RANGE="bytes=0-9")
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == f"/_protected/{version.media.name}"
    assert response["Content-Type"] == "audio/mp4"


@override_settings(MEDIA_X_ACCEL_PREFIX="/_protected/")
def test_nginx_hand_off_still_checks_permission(client, reading_round, reader, make_entry):
    entry = make_entry(reading_round, reader)  # not in the gallery
    assert client.get(_url(entry.current)).status_code == 404


@pytest.mark.skipif(media_on_object_storage(), reason="on S3 the bucket streams the bytes")
def test_asgi_streams_with_an_async_iterator(gallery_entry):
    """Under daphne a sync iterator would be drained into memory by Django; ours is async.

    Run through ``async_to_sync`` so that the view's ORM calls happen in this test's thread and transaction.
    """
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    url = _url(gallery_entry.current)

    async def fetch():
        response = await AsyncClient().get(url, headers={"Range": "bytes=0-99"})
        return response, [chunk async for chunk in response.streaming_content]

    response, chunks = async_to_sync(fetch)()
    assert response.status_code == 206 and response.is_async
    assert len(b"".join(chunks)) == 100


# --- Who may fetch what ------------------------------------------------------------------------------

ROLES = ["anonymous", "stranger", "owner", "judge", "assigned_judge", "other_organiser", "organiser", "admin_user"]


@pytest.fixture
def people(request, reader, make_user, versions, organiser):
    """``judge`` is a judge of the organisation with nothing assigned; ``assigned_judge`` has the entry."""
    from judging import services as judging

    people = {"anonymous": None, "owner": reader, "stranger": make_user("stranger@example.vn")}
    for role in ("judge", "other_organiser", "organiser", "admin_user"):
        people[role] = request.getfixturevalue(role)
    people["assigned_judge"] = make_user("assigned.judge@example.vn")
    entry = versions["entry"]
    seat = judging.judge_invite(reading_round=entry.reading_round, email="assigned.judge@example.vn", by=organiser)
    judging.assignment_add(entry=entry, judge=seat, by=organiser)
    return people


@pytest.fixture
def versions(reading_round, reader, make_entry, upload_of, media, organiser, django_capture_on_commit_callbacks):
    """A video entry whose current version is v2 (v1 superseded), approved; and a pending v3."""
    entry = make_entry(reading_round, reader, sample="video_webm")
    second = services.entry_replace(entry=entry, upload=upload_of(media["video_mp4"]), source="uploaded")
    services.version_process(version_id=second.pk)
    services.entries_moderate(entries=[entry], action="approve", by=organiser)
    third = services.entry_replace(entry=entry, upload=upload_of(media["video_webm"]), source="uploaded")
    entry.refresh_from_db()
    assert entry.current == second
    return {"entry": entry, "current": second, "pending": third}


def _may(client, user, version, part):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(_url(version, part)).status_code == (302 if media_on_object_storage() else 200)


EXPECTED = {
    # role: (current media/poster in the gallery, current original, hidden entry's current media)
    "anonymous": (True, False, False),
    "stranger": (True, False, False),
    "owner": (True, True, True),
    "judge": (True, False, False),  # a judge of the organisation plays only what they are assigned
    "assigned_judge": (True, False, True),
    "other_organiser": (True, False, False),
    "organiser": (True, True, True),
    "admin_user": (True, True, True),
}


@pytest.mark.parametrize("role", ROLES)
def test_media_permissions(client, people, versions, organiser, role):
    user, current = people[role], versions["current"]
    in_gallery, original, hidden = EXPECTED[role]
    assert _may(client, user, current, "media") is in_gallery
    assert _may(client, user, current, "poster") is in_gallery
    assert _may(client, user, current, "original") is original
    assert _may(client, user, versions["pending"], "original") is original, "only owner and organisers"
    services.entries_moderate(entries=[versions["entry"]], action="hide", by=organiser)
    assert _may(client, user, current, "media") is hidden


@pytest.mark.parametrize("role", ROLES)
def test_withdrawn_consent_takes_the_media_out_of_public_reach(client, people, versions, role):
    services.entry_update(entry=versions["entry"], fields={"consent_publish": False})
    expected = role in ("owner", "assigned_judge", "organiser", "admin_user")
    assert _may(client, people[role], versions["current"], "media") is expected


def test_unknown_parts_and_ids_are_404(client, gallery_entry):
    assert client.get(reverse("reading_media", kwargs={"version_id": 999999, "part": "media"})).status_code == 404
    assert client.get(_url(gallery_entry.current, "secret")).status_code == 404


def test_draft_event_media_are_private(client, make_reading_round, reader, make_entry, organiser):
    from contests.models import Event

    reading_round = make_reading_round()
    entry = make_entry(reading_round, reader)
    services.entries_moderate(entries=[entry], action="approve", by=organiser)
    Event.objects.filter(pk=reading_round.round.event_id).update(state="draft")
    assert client.get(_url(entry.current)).status_code == 404
