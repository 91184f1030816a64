"""Benchmark: N participants send M MB each over tus (resumable uploads) at the same time. Last line: JSON.

    python bench/upload.py [--uploads 5] [--mb 200] [--chunk-mb 5] [--processes 1]

The script makes everything itself and removes it at the end: a fresh SQLite file and media folder in a
temporary folder, ``manage.py migrate``, an open event with one reading round (through the app's services),
one signed-in participant per upload (a session written directly, as bench/quiz_submit.py does), then
``--processes`` daphne processes on free ports (uploads dealt round-robin over them).

Each upload is what tus-js-client does in a browser: ``POST /uploads/`` with ``Upload-Length`` and
``Upload-Metadata`` (filename, round), then ``PATCH`` chunks of ``--chunk-mb`` in order. Once per upload, in
the middle of the file, the client sends half a chunk and drops the connection (a phone losing its network),
then asks ``HEAD`` for the offset and continues from there: ``resumes`` counts those resumptions that
worked. At the end every upload's file on the server is compared byte for byte with what was sent.

``mb_per_s``: megabytes sent by all uploads over the wall time. ``peak_rss_growth_mb``: for each daphne
process, its largest resident set size during the load minus its size before it (target < 64 MB, whatever
the file sizes: chunks are streamed to disk). ``errors``: unexpected statuses or failed comparisons.
Docs: docs/submissions.md.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from quiz_submit import ROOT, log, signed_in_participant, start_servers, stop_servers

SETTINGS = "contest_site.settings.base"
MB = 1024 * 1024
BLOCK = os.urandom(MB)  # the content: this block repeated, so that any range can be made again to compare


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=5, help="concurrent uploads (default 5)")
    parser.add_argument("--mb", type=int, default=200, help="size of each upload in MB (default 200)")
    parser.add_argument("--chunk-mb", type=int, default=5, help="bytes per PATCH in MB (default 5, as the page)")
    parser.add_argument("--processes", type=int, default=1, help="daphne processes (default 1)")
    parser.add_argument("--app", default="contest_site.asgi:application", help="ASGI app for daphne")
    return parser.parse_args()


def content(start: int, end: int) -> bytes:
    """Bytes ``start``…``end`` of every upload (at most a chunk at a time)."""
    pieces, position = [], start
    while position < end:
        offset = position % MB
        take = min(MB - offset, end - position)
        pieces.append(BLOCK[offset : offset + take])
        position += take
    return b"".join(pieces)


def prepare(count: int, mb: int, tag: str) -> tuple[int, list[str]]:
    """An open event with a reading round accepting ``mb`` MB files; ``count`` signed-in participants."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone

    from contests import services as contests
    from contests.models import Organisation, Region
    from submissions import services

    User = get_user_model()
    call_command("load_regions", verbosity=0)
    region = Region.objects.get(code="TN-DT-01")
    now = timezone.now()
    organisation = Organisation.objects.create(name=f"Thư viện bench {tag}", slug=f"bench-{tag}")
    organiser = User.objects.create_user(f"organiser-{tag}", f"organiser-{tag}@example.vn", None)
    contests.membership_add(user=organiser, organisation=organisation)
    window = {"opens_at": now - dt.timedelta(hours=1), "closes_at": now + dt.timedelta(days=1)}
    event = contests.event_create(
        organisation=organisation, by=organiser, fields={"title": "Tuần lễ đọc", "kind": "contest", **window}
    )
    rnd = contests.round_create(event=event, fields={"title": "Đọc diễn cảm", "kind": "reading", **window})
    services.reading_round_configure(rnd=rnd, settings={"max_size_mb": mb + 1, "max_duration_s": 3600})
    contests.event_transition(event=event, to_state="open", by=organiser)
    sessions = []
    for index in range(count):
        _user, session_key = signed_in_participant(
            username=f"u{index:04d}-{tag}", full_name=f"Người Đọc {index}", phone=f"+849150{index:05d}", region=region
        )
        sessions.append(session_key)
    return rnd.pk, sessions


class Uploader(threading.Thread):
    """One participant's tus client: create, PATCH chunks, drop once mid-file, HEAD, resume."""

    CSRF = "b" * 32

    def __init__(self, index: int, port: int, session: str, round_id: int, args):
        super().__init__(name=f"upload-{index}", daemon=True)
        self.port, self.round_id, self.args = port, round_id, args
        self.length = args.mb * MB
        self.headers = {
            "Tus-Resumable": "1.0.0",
            "Cookie": f"sessionid={session}; csrftoken={self.CSRF}",
            "X-CSRFToken": self.CSRF,
        }
        self.location, self.errors, self.resumes, self.dropped = "", [], 0, False

    def request(self, method: str, path: str, headers: dict, body: bytes = b"") -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        conn.request(method, path, body=body, headers={**self.headers, **headers})
        response = conn.getresponse()
        response.read()
        conn.close()
        return response

    def run(self) -> None:
        try:
            self.upload()
        except Exception as exc:  # every failure is reported, none stops the others
            self.errors.append(f"{type(exc).__name__}: {exc}")

    def upload(self) -> None:
        meta = f"filename {base64.b64encode(b'video.mp4').decode()},round {base64.b64encode(str(self.round_id).encode()).decode()}"
        created = self.request("POST", "/uploads/", {"Upload-Length": str(self.length), "Upload-Metadata": meta})
        if created.status != 201:
            self.errors.append(f"create {created.status}")
            return
        self.location = created.getheader("Location")
        offset, chunk = 0, self.args.chunk_mb * MB
        while offset < self.length:
            end = min(offset + chunk, self.length)
            if not self.dropped and offset >= self.length // 2:
                self.drop_mid_chunk(offset, end)
                offset = self.resume()
                continue
            response = self.request(
                "PATCH",
                self.location,
                {"Content-Type": "application/offset+octet-stream", "Upload-Offset": str(offset)},
                content(offset, end),
            )
            if response.status != 204:
                self.errors.append(f"patch {response.status}")
                offset = self.resume()
                continue
            offset = int(response.getheader("Upload-Offset"))

    def drop_mid_chunk(self, offset: int, end: int) -> None:
        """Send the headers of a whole chunk and half its bytes, then close the socket."""
        self.dropped = True
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.putrequest("PATCH", self.location)
        headers = {
            **self.headers,
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": str(offset),
            "Content-Length": str(end - offset),
        }
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        conn.send(content(offset, offset + (end - offset) // 2))
        conn.sock.close()
        time.sleep(0.5)

    def resume(self) -> int:
        head = self.request("HEAD", self.location, {})
        if head.status != 200:
            raise RuntimeError(f"head {head.status}")
        self.resumes += 1
        return int(head.getheader("Upload-Offset"))


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def watch_memory(pids: list[int], peaks: dict[int, float], stop: threading.Event) -> None:
    while not stop.wait(0.05):
        for pid in pids:
            with contextlib.suppress(OSError):  # the process ended
                peaks[pid] = max(peaks.get(pid, 0.0), rss_mb(pid))


def verify(uploaders: list[Uploader], media_root: Path) -> list[str]:
    """Every upload complete on the server, and its file byte for byte what was sent."""
    problems = []
    for uploader in uploaders:
        if not uploader.location:
            continue
        path = media_root / "resumable" / uploader.location.rsplit("/", 1)[-1]
        if not path.exists() or path.stat().st_size != uploader.length:
            problems.append(f"{uploader.name}: size {path.stat().st_size if path.exists() else None}")
            continue
        with open(path, "rb") as handle:
            position = 0
            while position < uploader.length:
                piece = handle.read(MB)
                if piece != content(position, position + len(piece)):
                    problems.append(f"{uploader.name}: bytes differ at {position}")
                    break
                position += len(piece)
    return problems


def main() -> None:
    args = parse_args()
    tag = f"{os.getpid()}-{int(time.time())}"
    folder = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    media_root = folder / "media"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS, "PYTHONUNBUFFERED": "1"}
    env.pop("DATABASE_URL", None)
    env.update(MEDIA_ROOT=str(media_root), SQLITE_PATH=str(folder / "db.sqlite3"), TMPDIR=str(folder))
    os.environ.update(env)
    os.environ.pop("DATABASE_URL", None)
    servers, keep = [], False
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        import django

        django.setup()
        from django.db import connections

        round_id, sessions = prepare(args.uploads, args.mb, tag)
        connections.close_all()
        start_servers(servers, args.processes, env, folder, args.app)
        pids = [process.pid for process, _port, _log in servers]
        before = {pid: rss_mb(pid) for pid in pids}
        peaks, stop = dict(before), threading.Event()
        watcher = threading.Thread(target=watch_memory, args=(pids, peaks, stop), daemon=True)
        watcher.start()
        uploaders = [
            Uploader(i, servers[i % len(servers)][1], session, round_id, args) for i, session in enumerate(sessions)
        ]
        log(f"load: {len(uploaders)} uploads of {args.mb} MB in {args.chunk_mb} MB chunks, daphne × {len(servers)}")
        started = time.perf_counter()
        for uploader in uploaders:
            uploader.start()
        for uploader in uploaders:
            uploader.join()
        wall = time.perf_counter() - started
        stop.set()
        watcher.join()
        errors = [f"{u.name}: {e}" for u in uploaders for e in u.errors] + verify(uploaders, media_root)
        for error in errors[:10]:
            log(f"error: {error}")
        keep = bool(errors)
        result = {
            "bench": "upload",
            "uploads": args.uploads,
            "mb": args.mb,
            "chunk_mb": args.chunk_mb,
            "processes": len(servers),
            "wall_s": round(wall, 2),
            "mb_per_s": round(args.uploads * args.mb / wall, 1) if wall else None,
            "peak_rss_growth_mb": [round(peaks[pid] - before[pid], 1) for pid in pids],
            "errors": len(errors),
            "resumes": sum(u.resumes for u in uploaders),
        }
    except BaseException:
        keep = True
        raise
    finally:
        stop_servers(servers)
        if keep:
            log(f"server logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
