"""Two app hosts sharing no disk (issue 18): a participant sends a recording by tus to host A and attaches it
with the entry form on host B; the worker (a host of its own) transcodes it; a judge on host B plays it with
a Range request, following the redirect to the bucket's signed URL; a live game has its host on A and its
players on B. Nothing is read from another host's folders: the bucket, PostgreSQL and Redis are shared.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.multihost.conftest import bucket_names
from tests.servers import next_message, project_call, ws_connect

pytestmark = [pytest.mark.multihost, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

CSRF = "m" * 32
READY_TIMEOUT_S = 120


class Client:
    """One person's browser talking to one daphne process of one host, signed in by a session cookie."""

    def __init__(self, base_url: str, session: str | None = None):
        self.base_url, self.session = base_url, session
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port

    def headers(self, extra: dict | None = None) -> dict:
        cookies = [f"csrftoken={CSRF}", "django_language=en"]
        if self.session:
            cookies.append(f"sessionid={self.session}")
        return {"Cookie": "; ".join(cookies), "X-CSRFToken": CSRF, "Origin": self.base_url, **(extra or {})}

    def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None):
        """One request, no redirect followed: (status, headers, body)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, path, body=body or None, headers=self.headers(headers))
            reply = connection.getresponse()
            return reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read()
        finally:
            connection.close()


def _metadata(**pairs) -> str:
    return ",".join(f"{key} {base64.b64encode(str(value).encode()).decode()}" for key, value in pairs.items())


def _tus_upload(client: Client, round_id: int, data: bytes) -> str:
    """Create the upload and send it in two PATCHes, as tus-js-client does with a chunk size; its Location."""
    status, headers, body = client.request(
        "POST",
        "/uploads/",
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(len(data)),
            "Upload-Metadata": _metadata(filename="doc-sach.m4a", round=round_id),
        },
    )
    assert status == 201, body
    location = urlsplit(headers["location"]).path
    half = len(data) // 2
    for offset, chunk in ((0, data[:half]), (half, data[half:])):
        status, headers, body = client.request(
            "PATCH",
            location,
            body=chunk,
            headers={
                "Tus-Resumable": "1.0.0",
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": str(offset),
            },
        )
        assert status == 204, body
        assert headers["upload-offset"] == str(offset + len(chunk))
    return location


def _multipart(fields: dict) -> tuple[bytes, str]:
    boundary = "multihost-boundary"
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _wait_ready(client: Client, entry_id: int) -> dict:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        status, _headers, body = client.request("GET", f"/reading/entries/{entry_id}/status/")
        assert status == 200, body
        state = json.loads(body)
        if not state["pending"]:
            return state
        assert time.monotonic() < deadline, f"entry {entry_id} still {state['state']} after {READY_TIMEOUT_S} s"
        time.sleep(0.5)


def _follow(location: str, headers: dict | None = None):
    """What the browser does with the app's 302: ask the bucket itself (no cookie goes there)."""
    request = urllib.request.Request(location, headers=headers or {})  # noqa: S310 -- the test's S3 endpoint
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310
            return reply.status, {k.lower(): v for k, v in reply.headers.items()}, reply.read()
    except urllib.error.HTTPError as reply:
        return reply.code, {k.lower(): v for k, v in reply.headers.items()}, reply.read()


@pytest.fixture(scope="module")
def world(hosts):
    return project_call(hosts["a"].env, "tests.multihost.data:world")


def test_upload_on_host_a_processed_by_the_worker_played_with_seeking_on_host_b(hosts, world, s3_endpoint, tmp_path):
    from submissions import synth

    recording = Path(synth.audio_file(tmp_path / "doc.m4a", fmt="m4a", seconds=3)).read_bytes()
    on_a = Client(hosts["a"].urls[0], world["sessions"]["player"])
    on_b = Client(hosts["b"].urls[1], world["sessions"]["player"])

    location = _tus_upload(on_a, world["reading_round"], recording)
    key = location.rsplit("/", 1)[-1]
    assert f"media/resumable/{key}" in bucket_names(s3_endpoint), "the finished upload moved to the bucket"
    assert not any(key in path.name for path in hosts["a"].disk_files()), "and left host A's disk"

    body, content_type = _multipart(
        {"title": "Bài đọc hai máy", "consent_publish": "on", "source": "uploaded", "upload": location}
    )
    status, _headers, reply = on_b.request(
        "POST",
        f"/rounds/{world['reading_round']}/reading/entries/new/",
        body=body,
        headers={"Content-Type": content_type, "Accept": "application/json"},
    )
    assert status == 200 and json.loads(reply)["ok"], reply
    entry_id = int(re.search(r"/reading/entries/(\d+)/", json.loads(reply)["redirect"]).group(1))
    assert f"media/resumable/{key}" not in bucket_names(s3_endpoint), "attached on host B: the upload is consumed"

    assert _wait_ready(on_a, entry_id)["state"] == "ready"
    assert "Task" in hosts["worker"].folder.joinpath("db_worker.log").read_text(), "the worker host ran the job"

    version_id = project_call(hosts["a"].env, "tests.multihost.data:assign_to_judge", entry_id=entry_id)
    files = project_call(hosts["a"].env, "tests.multihost.data:stored", version_id=version_id)
    assert files["state"] == "ready" and files["storage"] == "S3Storage"
    media = bytes.fromhex(files["media_hex"])
    assert media[4:8] == b"ftyp", "the worker's AAC in MP4, in the bucket"
    assert {f"media/{files['media']}", f"media/{files['original']}"} <= bucket_names(s3_endpoint)

    judge_on_b = Client(hosts["b"].urls[0], world["sessions"]["judge"])
    url = f"/reading/media/{version_id}/media/"
    status, headers, _body = judge_on_b.request("GET", url, headers={"Range": "bytes=10-109"})
    assert status == 302 and headers["cache-control"] == "private, no-store"
    assert headers["location"].startswith(s3_endpoint["MEDIA_S3_ENDPOINT_URL"])
    status, headers, part = _follow(headers["location"], {"Range": "bytes=10-109"})
    assert status == 206 and part == media[10:110], "seeking works against the bucket"
    assert headers["content-range"] == f"bytes 10-109/{len(media)}"
    status, _headers, whole = _follow(judge_on_b.request("GET", url)[1]["location"])
    assert status == 200 and whole == media

    stranger = Client(hosts["b"].urls[0])  # not signed in; the entry is not in the public gallery
    assert stranger.request("GET", url)[0] == 404, "no signed URL without the permission check"

    for name in ("a", "b", "worker"):
        kept = [path for path in hosts[name].disk_files() if "resumable" not in path.parts]
        assert kept == [], f"host {name} keeps media on its own disk: {kept}"


def test_live_game_with_its_host_on_a_and_its_players_on_b(hosts, world):
    host_url, player_url = hosts["a"].urls[0], hosts["b"].urls[1]
    host = ws_connect(host_url, f"/ws/live/host/{world['session']}/", world["sessions"]["host"])
    assert next_message(host, "state")["state"] == "lobby"
    players = []
    for number, url in enumerate([player_url, hosts["b"].urls[0], player_url]):
        ws = ws_connect(url, f"/ws/live/{world['pin']}/")
        ws.send(json.dumps({"type": "join", "nickname": f"Máy B {number}"}))
        next_message(ws, "joined")
        players.append(ws)
    host.send(json.dumps({"type": "start"}))
    for index, right in enumerate(world["right"]):
        for ws in players:
            assert next_message(ws, "question")["index"] == index
            ws.send(json.dumps({"type": "answer", "question": index, "response": right}))
            assert next_message(ws, "answer_received")["duplicate"] is False
        reveal = next_message(host, "reveal")  # every answer counted on B reaches the host's socket on A
        assert reveal["answered"] == len(players) and reveal["correct"] == [right]
        for ws in players:
            assert next_message(ws, "result")["index"] == index
        host.send(json.dumps({"type": "next"}))
    ended = [next_message(ws, "ended") for ws in players]
    assert len(ended[0]["podium"]) == 3
    for ws in [*players, host]:
        ws.close()
