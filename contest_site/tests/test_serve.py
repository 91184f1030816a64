"""Our daphne (contest_site/serve.py) served for real: bodies over their route's limit are refused before the
client has sent them, chunked ones at the limit, legitimate large ones pass whole, and the process's memory
stays flat throughout (its peak RSS, VmHWM in /proc/<pid>/status, measured around each request).

Issue 15's numbers on plain daphne: +3.4 GB for one anonymous 300 MB POST, answered after 7-14 s.
About 20 s in all (a migrated database for the project's server, two processes)."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import select
import socket
import time
from pathlib import Path

import pytest

from tests.servers import Daphne, migrate, project_env, running

MB = 1024 * 1024
PIECE = 64 * 1024

# sha256 (16 hex) of the source of each daphne/Twisted piece serve.py relies on, as of daphne 4.2.3 and
# Twisted 26.10.0. A difference means an upgrade changed them: read serve.py again before updating a hash.
PINNED = {
    "daphne.http_protocol.WebRequest.process": "e9babd1c97ce710b",
    "daphne.http_protocol.WebRequest.send_disconnect": "9b72cc5511c4c1ba",
    "daphne.http_protocol.HTTPFactory.buildProtocol": "35e878a6e0e41af2",
    "daphne.server.Server.run": "447c6bd42c62e98c",
    "daphne.server.Server.create_application": "f1e300b4ecf636c8",
    "twisted.web.http.HTTPChannel.allHeadersReceived": "979a9a8410f41ad9",
    "twisted.web.http.HTTPChannel.lineReceived": "b77ec6f21116e827",
    "twisted.web.http.Request.requestReceived": "99ca6c5e24305de4",
}


def _source_hash(dotted: str) -> str:
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            target = getattr(target, name)
        return hashlib.sha256(inspect.getsource(target).encode()).hexdigest()[:16]
    raise ImportError(dotted)


def test_daphne_and_twisted_are_those_serve_was_written_for():
    import daphne

    from contest_site import serve

    assert daphne.__version__ == serve.DAPHNE_VERSION, "daphne was upgraded: check contest_site/serve.py"
    assert set(PINNED) == set(serve.RELIES_ON)
    changed = [dotted for dotted, pinned in PINNED.items() if _source_hash(dotted) != pinned]
    assert not changed, f"daphne/Twisted internals that contest_site/serve.py relies on changed: {changed}"


# --- A served process --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("serve")


@pytest.fixture(scope="module")
def project(folder):
    """The project, served as `make run` serves it."""
    env = project_env(folder)
    migrate(env)
    server = Daphne(env, folder)
    with running(server):
        yield server


@pytest.fixture(scope="module")
def echo(folder):
    """The body limits in front of an app that answers the length and SHA-256 of the body it was handed."""
    server = Daphne(project_env(folder), folder, app="contest_site.tests.echo_asgi:application")
    with running(server):
        yield server


def peak_rss_mb(server: Daphne) -> float:
    status = Path(f"/proc/{server.popen.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def post(server: Daphne, path: str, *, headers: dict, pieces: int, chunked: bool = False, pause_s: float = 0):
    """POST ``pieces`` × 64 KB to ``path``, sending headers first, then the body a piece at a time while
    watching for an answer; stop sending as soon as one comes. Returns (status, body, bytes of body sent)."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    if chunked:
        head += "Transfer-Encoding: chunked\r\n"
    piece = b"x" * PIECE
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head.encode() + b"\r\n")
        sent = 0
        for _ in range(pieces):
            if select.select([sock], [], [], pause_s)[0]:
                break  # an answer (or a close) already: the rest is not sent
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            except OSError:
                break
            sent += PIECE
        else:
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        return (*_read_response(sock), sent)


def _read_response(sock) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        assert more, f"connection closed without an answer: {data!r}"
        data += more
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    fields = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in lines[1:])}
    while len(body) < int(fields.get("content-length", 0)):
        more = sock.recv(65536)
        if not more:
            break
        body += more
    return int(lines[0].split()[1]), body


ENGLISH = {"Cookie": "django_language=en"}
SIGNED_IN = {"Cookie": "sessionid=not-checked-before-the-view; django_language=en"}


@pytest.fixture(scope="module")
def warm(project, echo):
    """One small refusal and one small body each first: lazy imports and catalogs are not what we measure."""
    for server in (project, echo):
        post(server, "/", headers={**ENGLISH, "Content-Length": str(2 * MB)}, pieces=1)
        post(server, "/", headers={**ENGLISH, "Content-Length": str(PIECE)}, pieces=1)


@pytest.mark.parametrize(
    ("path", "kind", "limit"),
    [
        ("/attempts/1/answer/", "application/json", 8 * 1024),
        ("/rounds/2/reading/entries/new/", "text/html", MB),  # anonymous: no session cookie
        ("/uploads/", "application/json", MB),
        ("/accounts/login/", "text/html", MB),  # a plain form page
    ],
)
def test_an_anonymous_300_mb_post_is_refused_before_it_is_sent(project, warm, path, kind, limit):
    before = peak_rss_mb(project)
    started = time.monotonic()
    headers = {**ENGLISH, "Content-Length": str(300 * MB), "Content-Type": "application/octet-stream"}
    status, body, sent = post(project, path, headers=headers, pieces=300 * MB // PIECE, pause_s=0.005)
    assert status == 413
    assert sent < 5 * MB, f"{sent} bytes went out before the answer"
    assert time.monotonic() - started < 5
    assert peak_rss_mb(project) - before < 32
    if kind == "application/json":
        assert json.loads(body)["max_bytes"] == limit
    else:
        assert b"This request is too large" in body


@pytest.mark.parametrize(("path", "limit"), [("/attempts/1/answer/", 8 * 1024), ("/accounts/login/", MB)])
def test_a_chunked_50_mb_body_is_stopped_at_the_limit(project, warm, path, limit):
    before = peak_rss_mb(project)
    status, _body, sent = post(project, path, headers=ENGLISH, pieces=50 * MB // PIECE, chunked=True, pause_s=0.002)
    assert status == 413
    assert sent < limit + 8 * MB  # the limit, plus what the sockets' buffers held when the answer came
    assert peak_rss_mb(project) - before < 32


def test_a_legitimate_100_mb_body_is_handed_over_whole_with_flat_memory(echo, warm):
    before = peak_rss_mb(echo)
    headers = {**SIGNED_IN, "Content-Length": str(100 * MB), "Content-Type": "application/octet-stream"}
    status, body, sent = post(echo, "/rounds/2/reading/entries/new/", headers=headers, pieces=100 * MB // PIECE)
    assert (status, sent) == (200, 100 * MB)
    assert json.loads(body) == {"length": 100 * MB, "sha256": hashlib.sha256(b"x" * 100 * MB).hexdigest()}
    assert peak_rss_mb(echo) - before < 64


def test_a_100_mb_upload_through_django_keeps_memory_flat(project, warm):
    """Django's handler reads the whole body before the view (which then sends the stranger to sign in)."""
    before = peak_rss_mb(project)
    headers = {**SIGNED_IN, "Content-Length": str(100 * MB), "Content-Type": "application/octet-stream"}
    status, _body, sent = post(project, "/rounds/2/reading/entries/new/", headers=headers, pieces=100 * MB // PIECE)
    assert (status, sent) == (302, 100 * MB)
    assert peak_rss_mb(project) - before < 64
