"""Benchmark: one live quiz round (Kahoot!-style) with N WebSocket players. Last line: one JSON object.

    python bench/live_round.py [--players 1000] [--questions 5] [--servers K] [--workers W]
                               [--url ws://host:port[,ws://host:port…]] [--database-url postgres://…]

What it does (docs/live-protocol.md is the whole protocol):

1. Without ``--url``: a fresh SQLite file in a temporary folder (or, with ``--database-url``, a fresh
   PostgreSQL database ``live_bench_<pid>`` on that server, dropped at the end), ``manage.py migrate``, then a
   ``manage.py shell -c`` script makes an organiser, a quiz of ``--questions`` single-choice questions, a live
   session (``--time-limit`` s per question) and a signed-in session cookie for the host. Then ``--servers``
   daphne processes on free ports (``DJANGO_SETTINGS_MODULE=contest_site.settings.base``); with more than one
   (or ``--layer redis``) they share Redis (``REDIS_URL``, default redis://127.0.0.1:6379/13) through
   channels_redis. With ``--url`` it plays against running servers (comma-separated, one per process); the
   data is then written to the database the environment names (``DATABASE_URL`` / ``SQLITE_PATH`` and
   ``SECRET_KEY`` must be the servers') and left there.
2. The host connects (``/ws/live/host/<id>/``, cookie ``sessionid``) from this process. ``--workers``
   client processes run the players with the ``websockets`` asyncio client (no compression, no client
   pings), dealt round-robin over the servers. Players connect and ``join`` at ``--join-rate`` a second
   (a room filling up), each with a unique nickname.
3. For each question the host sends ``start`` / ``next``; every player answers a random choice at a random
   moment in the first ``--answer-window`` seconds (the issue's target: everyone answers within 2 s; pass
   ``--answer-window`` = ``--time-limit`` to spread answers over the whole timer). The server reveals by
   itself when everyone answered (the host connection's 0.3 s tick); then the host sends ``leaderboard``,
   and after the last question ``end``. The host waits until every player received each broadcast before
   sending the next command, so broadcasts never overlap.
4. After the game it reads the ``LiveAnswer`` rows back (``manage.py shell -c``): ``lost_answers`` are
   answers acknowledged with ``duplicate: false`` that are missing or stored with another choice,
   ``duplicate_answers`` are acknowledgements flagged duplicate (every player sends each answer once) plus
   extra rows for one player and question.
5. Baseline: a bare broadcast server written with ``websockets`` (asyncio server, ``broadcast()``) in a
   subprocess; the same client workers connect the same number of clients, and the bench triggers
   ``--questions`` broadcasts of a message as large as the live ``question`` message over a control
   connection. ``fanout_ratio_to_baseline`` = our fan-out p95 / the bare server's.

Clocks: every timestamp is ``time.monotonic_ns()`` (CLOCK_MONOTONIC, system-wide on Linux), taken in the
client's reader task the moment ``recv`` hands the frame over, so the workers' and the host's times compare.

Latencies: ``join`` = connect + ``join`` → ``joined``; ``fanout`` = host sends ``start``/``next`` → a player
receives ``question``; ``ack`` = ``answer`` sent → ``answer_received``; ``reveal`` = last answer of the
question acknowledged (all workers) → a player's ``result`` (it includes the host tick's up to 0.3 s);
``result_fanout`` = the host receives ``reveal`` → a player's ``result`` (the hub writes hosts first);
``leaderboard`` / ``ended`` = host command → player receives it.

CPU split (``cpu_join``: while the players join; ``cpu_game``: from the first question to ``ended``): user +
system CPU seconds from ``/proc/<pid>/stat`` before and after, per role — the daphne servers, the load
generator (client workers and this controller), redis-server, PostgreSQL (this run's backends and the
server's background processes) — each also as a share of one CPU (``_pct``; 2 vCPU = 200 %), with the whole
machine's busy share (``/proc/stat``) and what other processes on a shared machine took (``others_pct``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import multiprocessing
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = "contest_site.settings.base"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
now_ns = time.monotonic_ns


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, default=1000)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--time-limit", type=int, default=10, help="seconds per question (5-10 keeps runs short)")
    parser.add_argument(
        "--answer-window", type=float, default=2.0, help="players answer at a random time in the first S seconds"
    )
    parser.add_argument("--url", default="", help="ws://host:port of running server(s), comma-separated")
    parser.add_argument(
        "--servers",
        type=int,
        default=int(os.environ.get("BENCH_SERVERS", "1")),
        help="daphne processes to start (without --url; default $BENCH_SERVERS or 1)",
    )
    parser.add_argument("--layer", choices=["auto", "inmemory", "redis"], default="auto", help="auto: redis if K>1")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or DEFAULT_REDIS)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="PostgreSQL server: a fresh database is made there (default: $DATABASE_URL; none: SQLite)",
    )
    parser.add_argument("--workers", type=int, default=0, help="client processes (default: 1, 2 from 2,000 players)")
    parser.add_argument("--join-rate", type=float, default=100.0, help="players connecting+joining per second")
    parser.add_argument("--no-baseline", action="store_true", help="skip the bare websockets server")
    parser.add_argument("--baseline-only", action="store_true", help="only the bare websockets server")
    parser.add_argument(
        "--settings", default=SETTINGS, help="DJANGO_SETTINGS_MODULE for the servers (to try a variant)"
    )
    parser.add_argument(
        "--app", default="contest_site.asgi:application", help="ASGI app for daphne (e.g. an instrumented wrapper)"
    )
    parser.add_argument("--profile", default="", help="folder: run each daphne under cProfile, .prof files there")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (daphne logs)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not 0 < args.answer_window <= args.time_limit:
        parser.error("--answer-window must be within the time limit")
    if args.time_limit < 5:
        parser.error("--time-limit is at least 5 s (the importer's minimum)")
    args.workers = args.workers or (1 if args.players < 2000 else 2)
    return args


def percentile(samples, share: float):
    if not samples:
        return None
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def raise_open_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (Linux /proc), to show who was busy."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 2)
    except (OSError, IndexError, ValueError):
        return None


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def machine_busy_s() -> float:
    """CPU seconds the whole machine spent busy (every CPU, all processes), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_by_role(servers: list[int], clients: list[int], database: str) -> dict[str, dict[int, float]]:
    """CPU seconds so far of each process, by role: the daphne servers, the load generator (client workers and
    this controller, which drives the host), redis-server, and PostgreSQL (the backends of this run's database
    and the server's own background processes; other databases' backends on a shared machine are left out)."""
    roles: dict[str, dict[int, float]] = {"servers": {}, "load_generator": {}, "redis": {}, "postgresql": {}}
    for role, pids in (("servers", servers), ("load_generator", [*clients, os.getpid()])):
        for pid in pids:
            roles[role][pid] = process_cpu_s(pid) or 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid, comm = int(entry.name), _comm(int(entry.name))
        if comm.startswith("redis-server"):
            roles["redis"][pid] = process_cpu_s(pid) or 0.0
        elif comm.startswith("postgres"):
            command = _cmdline(pid)
            backend = "(" in command or " idle" in command  # "postgres: user db host(port) state"
            if not backend or (database and f" {database} " in command):
                roles["postgresql"][pid] = process_cpu_s(pid) or 0.0
    return roles


def cpu_split(before: tuple, after: tuple) -> dict:
    """CPU seconds by role between two ``(monotonic, cpu_by_role, machine_busy_s)`` snapshots, each role's
    share of the machine (2 vCPU = 200 %), and what the rest of the machine (others' work) took."""
    (t0, roles0, busy0), (t1, roles1, busy1) = before, after
    wall = max(t1 - t0, 1e-9)
    split: dict = {"wall_s": round(wall, 1), "cpus": os.cpu_count()}
    total = 0.0
    for role, now in roles1.items():
        used = sum(cpu - roles0.get(role, {}).get(pid, 0.0) for pid, cpu in now.items())
        total += used
        split[f"{role}_s"] = round(used, 1)
        split[f"{role}_pct"] = round(100 * used / wall)
    split["machine_busy_pct"] = round(100 * (busy1 - busy0) / wall)
    split["others_pct"] = round(100 * ((busy1 - busy0) - total) / wall)
    return split


# --- Data and servers ---------------------------------------------------------------------------

SETUP = r"""
import json, os
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from contests.models import Organisation
from contests import services as contest_services
from quizzes import services
from quizzes.importing.base import ParsedChoice, ParsedQuestion
from live import payloads
from live import services as live

tag = os.environ["BENCH_TAG"]
count = int(os.environ["BENCH_QUESTIONS"])
org = Organisation.objects.create(name=f"Sở GD&ĐT bench {tag}", slug=f"live-bench-{tag}")
host = get_user_model().objects.create_user(f"live-host-{tag}", f"live-host-{tag}@example.vn", None)
contest_services.membership_add(user=host, organisation=org)
bank = services.bank_create(organisation=org, title=f"Ngân hàng bench {tag}")
questions = [
    ParsedQuestion(
        where=str(i), type="single",
        text=f"Câu {i + 1}: Khi nhận được tin nhắn yêu cầu cung cấp mã OTP để nhận quà, bạn nên làm gì?",
        choices=[ParsedChoice("Cung cấp ngay để nhận quà", False),
                 ParsedChoice("Không cung cấp và báo cho cơ quan chức năng", True),
                 ParsedChoice("Hỏi lại người gửi xem có thật không", False),
                 ParsedChoice("Chia sẻ tin nhắn cho bạn bè", False)],
    )
    for i in range(count)
]
services.questions_import(bank=bank, questions=questions)
ids = list(bank.questions.order_by("pk").values_list("pk", flat=True))
quiz = services.quiz_create(organisation=org, bank=bank, title="Đề bench", question_ids=ids,
                            shuffle_questions=False, shuffle_choices=False)
session = live.session_create(quiz=quiz, host=host, question_time_s=int(os.environ["BENCH_LIMIT"]))
store = SessionStore()
store["_auth_user_id"] = str(host.pk)
store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
store["_auth_user_hash"] = host.get_session_auth_hash()
store.create()
# Phones see and send choice tokens; the database keeps choice ids: the map, to check answers read back.
from quizzes.models import Choice
tokens = [
    {token: choice for choice, token in payloads.question_tokens(
        session, index, Choice.objects.filter(question_id=qid).values_list("pk", flat=True)).by_id.items()}
    for index, qid in enumerate(session.question_ids)
]
print(json.dumps({"session": session.pk, "pin": session.pin, "cookie": store.session_key, "tokens": tokens}))
"""

# Read back with plain SQL, not Django: the check must not depend on anything but the tables.
READ_ANSWERS = (
    "SELECT p.nickname, a.question_index, a.response FROM quizzes_liveanswer a"
    " JOIN quizzes_liveplayer p ON p.id = a.player_id WHERE a.session_id = {mark}"
)


def manage(env: dict, *command: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *command], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"manage.py {command[0]} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def database_url_with_name(url: str, name: str) -> str:
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="/" + name))


def postgres_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(database_url_with_name(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def start_servers(
    count: int, env: dict, folder: Path, profile: str, app: str
) -> list[tuple[subprocess.Popen, int, Path]]:
    servers = []
    for index in range(count):
        port = free_port()
        log_path = folder / f"daphne-{index}.log"
        serve = ["-m", "contest_site.serve", "-b", "127.0.0.1", "-p", str(port), app]  # our daphne (bodies bounded)
        command = [sys.executable, *serve]
        if profile:
            Path(profile).mkdir(parents=True, exist_ok=True)
            command = [sys.executable, "-m", "cProfile", "-o", str(Path(profile) / f"daphne-{index}.prof"), *serve]
        handle = open(log_path, "wb")  # noqa: SIM115 - kept open for the life of the server
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
        servers.append((process, port, log_path))
    for process, port, log_path in servers:
        wait_healthy(port, process, log_path)
    return servers


def healthz(port: int, host: str = "127.0.0.1") -> tuple[int, dict]:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        body = response.read()
        return response.status, json.loads(body) if body.startswith(b"{") else {}
    finally:
        conn.close()


def wait_healthy(port: int, process: subprocess.Popen, log_path: Path) -> None:
    give_up, last = time.monotonic() + 60, ""
    while time.monotonic() < give_up:
        if process.poll() is not None:
            raise SystemExit(f"daphne on port {port} exited:\n{log_path.read_text(errors='replace')[-3000:]}")
        try:
            status, body = healthz(port)
            if status == 200:
                return
            last = f"{status} {body}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.2)
    raise SystemExit(f"/healthz on port {port} never answered 200 ({last})")


def stop_processes(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- Client workers (one process each, asyncio, many connections) -----------------------------------


class Worker:
    """A client process: its share of the players (or of the baseline's clients), measured on arrival.

    It reports to the controller through a pipe: ``("joined", w, ok, failed)`` once every client tried to
    join, ``("got", w, kind, index)`` once every live client received that broadcast, ``("acked", w, index,
    last_ack_ns, complete)`` once every live client's answer to a question was answered, and ``("done", w,
    data)`` after the controller says ``finish``."""

    def __init__(self, conn, spec: dict):
        self.conn, self.spec, self.w = conn, spec, spec["worker"]
        self.rng = random.Random(spec["seed"] * 7919 + self.w)
        self.alive = 0
        self.tried = 0
        self.arrivals: dict[tuple[str, int], list[int]] = defaultdict(list)
        self.reported: set[tuple] = set()
        self.join_ms: list[float] = []
        self.ack_ms: list[float] = []
        self.last_ack: dict[int, int] = defaultdict(int)
        self.settled: Counter = Counter()  # question index → answers acknowledged or refused
        self.incomplete: set[int] = set()  # questions where some answer was refused or never sent
        self.acks: list[tuple[str, int, int, bool]] = []  # nickname, index, choice, duplicate
        self.sent = 0
        self.errors: Counter = Counter()
        self.sockets: list = []
        self.question_bytes: dict[int, int] = {}
        self.last_raw, self.last_message = "", {}
        self.finish = asyncio.Event()

    def send(self, *message) -> None:
        self.conn.send(message)

    def check(self, key: tuple | None = None) -> None:
        """Report every broadcast and answer round that all live clients completed (only ``key`` if given)."""
        keys = [key] if key is not None else [*self.arrivals, *(("acked", i) for i in self.settled)]
        for key in keys:
            if key in self.reported:
                continue
            if key[0] == "acked":
                index = key[1]
                if self.settled[index] >= self.alive:
                    self.reported.add(key)
                    self.send("acked", self.w, index, self.last_ack[index], index not in self.incomplete)
            elif len(self.arrivals[key]) >= self.alive:
                self.reported.add(key)
                self.send("got", self.w, key[0], key[1])

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_reader(self.conn.fileno(), self.on_command)
        clients = self.spec["clients"]
        per_s = self.spec["join_rate"]
        started, tasks = time.monotonic(), []
        for number, (nickname, url) in enumerate(clients):
            due = started + number / per_s
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.client(nickname, url)))
        await self.finish.wait()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        data = {
            "join_ms": self.join_ms,
            "ack_ms": self.ack_ms,
            "arrivals": {f"{k}:{i}": v for (k, i), v in self.arrivals.items()},
            "acks": self.acks,
            "sent": self.sent,
            "errors": dict(self.errors),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "question_bytes": list(self.question_bytes.values()),
        }
        self.send("done", self.w, data)
        for ws in self.sockets:  # drop the connections; the servers see them go
            with contextlib.suppress(Exception):
                ws.transport.abort()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def on_command(self) -> None:
        try:
            while self.conn.poll():
                if self.conn.recv()[0] == "finish":
                    self.finish.set()
        except (EOFError, OSError):
            self.finish.set()

    def joined_one(self, ok: bool) -> None:
        self.tried += 1
        if ok:
            self.alive += 1
        if self.tried == len(self.spec["clients"]):
            self.send("joined", self.w, self.alive, self.tried - self.alive)

    async def client(self, nickname: str, url: str) -> None:
        from websockets.asyncio.client import connect

        origin = "http://" + urllib.parse.urlsplit(url).netloc
        baseline = self.spec["mode"] == "baseline"
        started = now_ns()
        try:
            ws = await connect(
                url,
                additional_headers={"Origin": origin},
                compression=None,  # daphne does not negotiate permessage-deflate; the bare server would
                ping_interval=None,
                open_timeout=120,
                close_timeout=1,
                max_size=2**20,
            )
            if not baseline:
                await ws.send(json.dumps({"type": "join", "nickname": nickname}))
                reply = json.loads(await asyncio.wait_for(ws.recv(), 120))
                if reply.get("type") != "joined":
                    self.errors[f"join:{reply.get('code', reply.get('type'))}"] += 1
                    await ws.close()
                    self.joined_one(False)
                    return
        except Exception as exc:
            self.errors[f"join:{type(exc).__name__}"] += 1
            self.joined_one(False)
            return
        self.join_ms.append((now_ns() - started) / 1e6)
        self.sockets.append(ws)
        self.joined_one(True)
        pending: dict[int, tuple[int, int]] = {}  # question index → (sent at, choice)
        loop = asyncio.get_running_loop()
        try:
            async for raw in ws:
                at = now_ns()
                if raw == self.last_raw:  # a broadcast: every client of this process got the same text
                    message = self.last_message
                else:
                    message = self.last_message = json.loads(raw)
                    self.last_raw = raw
                kind = message["type"]
                if kind == "question":
                    index = message["index"]
                    key = ("question", index)
                    self.arrivals[key].append(at)
                    if not baseline:
                        if index not in self.question_bytes:
                            self.question_bytes[index] = len(raw.encode())
                        choice = self.rng.choice(message["choices"])["id"]
                        delay = self.rng.uniform(0, self.spec["answer_window"])
                        loop.call_later(delay, self.answer, ws, nickname, index, choice, pending)
                elif kind == "answer_received":
                    index = message["index"]
                    sent_at, choice = pending.pop(index, (None, None))
                    if sent_at is None:
                        self.errors["ack:unexpected"] += 1
                        continue
                    self.ack_ms.append((at - sent_at) / 1e6)
                    self.acks.append((nickname, index, choice, bool(message["duplicate"])))
                    self.last_ack[index] = max(self.last_ack[index], at)
                    self.settled[index] += 1
                    key = ("acked", index)
                elif kind in ("result", "leaderboard"):
                    key = (kind, message["index"])
                    self.arrivals[key].append(at)
                elif kind == "ended":
                    key = ("ended", 0)
                    self.arrivals[key].append(at)
                elif kind == "error":
                    self.errors[f"error:{message.get('code')}"] += 1
                    key = None
                    for index in list(pending):  # one answer in flight at most: the refused one
                        pending.pop(index)
                        self.incomplete.add(index)
                        self.settled[index] += 1
                        key = ("acked", index)
                    if key is None:
                        continue
                else:
                    continue
                self.check(key)
        except Exception as exc:
            if not self.finish.is_set():
                self.errors[f"recv:{type(exc).__name__}"] += 1
        if not self.finish.is_set():
            self.errors["closed_early"] += 1
            self.alive -= 1
            self.check()

    def answer(self, ws, nickname: str, index: int, choice: str, pending: dict) -> None:
        pending[index] = (now_ns(), choice)
        self.sent += 1
        task = asyncio.ensure_future(ws.send(json.dumps({"type": "answer", "question": index, "response": choice})))
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # a closed socket: counted on recv


def worker_entry(conn, spec: dict) -> None:
    raise_open_files()
    asyncio.run(Worker(conn, spec).run())


class Workers:
    """The controller's side of the client processes: start them, wait for their reports, collect data."""

    def __init__(self, specs: list[dict]):
        context = multiprocessing.get_context("spawn")  # the controller runs an event loop: no fork
        self.conns, self.processes = [], []
        for spec in specs:
            parent, child = context.Pipe()
            process = context.Process(target=worker_entry, args=(child, spec), daemon=True)
            process.start()
            child.close()
            self.conns.append(parent)
            self.processes.append(process)
        self.count = len(specs)
        self.events: asyncio.Queue = asyncio.Queue()
        self.got: dict[tuple, dict[int, tuple]] = defaultdict(dict)
        loop = asyncio.get_running_loop()
        for conn in self.conns:
            loop.add_reader(conn.fileno(), self.on_report, conn)

    def on_report(self, conn) -> None:
        try:
            while conn.poll():
                message = conn.recv()
                kind, worker, *rest = message
                key = (kind, *rest[:2]) if kind in ("got",) else (kind, rest[0]) if kind == "acked" else (kind,)
                self.got[key][worker] = tuple(rest)
                self.events.put_nowait(key)
        except (EOFError, OSError):
            asyncio.get_running_loop().remove_reader(conn.fileno())

    async def wait(self, key: tuple, timeout: float) -> dict[int, tuple] | None:
        """Every worker's report for ``key``, or None after ``timeout`` seconds."""
        give_up = time.monotonic() + timeout
        while len(self.got.get(key, {})) < self.count:
            remaining = give_up - time.monotonic()
            if remaining <= 0:
                log(f"  timeout waiting for {key}: {len(self.got.get(key, {}))}/{self.count} workers")
                return None
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.events.get(), remaining)
        return self.got[key]

    async def finish(self) -> list[dict]:
        for conn in self.conns:
            with contextlib.suppress(OSError):
                conn.send(("finish",))
        done = await self.wait(("done",), 120)
        loop = asyncio.get_running_loop()
        for conn in self.conns:
            with contextlib.suppress(Exception):
                loop.remove_reader(conn.fileno())
        for process in self.processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
        return [done[w][0] for w in sorted(done)] if done else []


def deal(names: list[str], urls: list[str], workers: int) -> list[list[tuple[str, str]]]:
    """Players round-robin over the servers, then round-robin over the client processes."""
    shares: list[list[tuple[str, str]]] = [[] for _ in range(workers)]
    for number, name in enumerate(names):
        shares[number % workers].append((name, urls[number % len(urls)]))
    return shares


def merged(datas: list[dict], key: str) -> list:
    return [value for data in datas for value in data.get(key, [])]


def arrivals(datas: list[dict], kind: str, index: int) -> list[int]:
    return [t for data in datas for t in data["arrivals"].get(f"{kind}:{index}", [])]


# --- The live round -----------------------------------------------------------------------------


async def live_round(args, base_urls: list[str], data: dict, server_pids: list[int], database: str) -> dict:
    from websockets.asyncio.client import connect

    host_base = base_urls[0]
    host = await connect(
        f"{host_base}/ws/live/host/{data['session']}/",
        additional_headers={
            "Origin": "http://" + urllib.parse.urlsplit(host_base).netloc,
            "Cookie": f"sessionid={data['cookie']}",
        },
        compression=None,
        ping_interval=None,
        max_size=2**24,
    )
    state = json.loads(await host.recv())
    if state.get("type") != "state":
        raise SystemExit(f"the host was not let in: {state}")
    host_seen: dict[tuple[str, int], int] = {}
    host_errors: Counter = Counter()

    async def host_reader() -> None:
        with contextlib.suppress(Exception):
            async for raw in host:
                at = now_ns()
                message = json.loads(raw)
                kind = message["type"]
                if kind in ("question", "reveal", "leaderboard", "ended"):
                    host_seen.setdefault((kind, message.get("index", 0)), at)
                elif kind == "error":
                    host_errors[message.get("code")] += 1

    reader = asyncio.create_task(host_reader())

    async def command(kind: str) -> int:
        at = now_ns()
        await host.send(json.dumps({"type": kind}))
        return at

    names = [f"Bạn chơi {n:05d}" for n in range(args.players)]
    player_urls = [f"{base}/ws/live/{data['pin']}/" for base in base_urls]
    specs = [
        {
            "mode": "live",
            "worker": w,
            "clients": share,
            "join_rate": args.join_rate / args.workers,
            "answer_window": args.answer_window,
            "seed": args.seed,
        }
        for w, share in enumerate(deal(names, player_urls, args.workers))
    ]
    started = time.monotonic()
    workers = Workers(specs)
    client_pids = [process.pid for process in workers.processes]

    def snapshot() -> tuple:
        return time.monotonic(), cpu_by_role(server_pids, client_pids, database), machine_busy_s()

    cpu_start = snapshot()
    joined = await workers.wait(("joined",), args.players / args.join_rate + 180)
    cpu_joined = snapshot()
    join_s = time.monotonic() - started
    ok = sum(report[0] for report in (joined or {}).values())
    log(f"  {ok}/{args.players} players joined in {join_s:.1f} s")
    sent_at: dict[tuple[str, int], int] = {}
    last_ack: dict[int, tuple[int, bool]] = {}
    step_timeout = args.time_limit + 30
    for index in range(args.questions):
        sent_at[("question", index)] = await command("start" if index == 0 else "next")
        await workers.wait(("got", "question", index), step_timeout)
        acked = await workers.wait(("acked", index), step_timeout)
        if acked:
            last_ack[index] = (max(r[1] for r in acked.values()), all(r[2] for r in acked.values()))
        await workers.wait(("got", "result", index), step_timeout)
        await asyncio.sleep(0.2)
        sent_at[("leaderboard", index)] = await command("leaderboard")
        await workers.wait(("got", "leaderboard", index), step_timeout)
        await asyncio.sleep(0.2)
        log(f"  question {index + 1}/{args.questions} done")
    sent_at[("ended", 0)] = await command("end")
    await workers.wait(("got", "ended", 0), step_timeout)
    cpu_ended = snapshot()
    datas = await workers.finish()
    reader.cancel()
    with contextlib.suppress(Exception):
        await host.close()

    def lat(kind: str, reference) -> list[float]:
        samples = []
        for index in range(args.questions if kind != "ended" else 1):
            ref = reference(index)
            if ref is not None:
                samples += [(t - ref) / 1e6 for t in arrivals(datas, kind, index)]
        return samples

    fanout = lat("question", lambda i: sent_at.get(("question", i)))
    per_question = [
        percentile([(t - sent_at[("question", i)]) / 1e6 for t in arrivals(datas, "question", i)], 0.95)
        for i in range(args.questions)
    ]
    first = [
        round((min(arrivals(datas, "question", i)) - sent_at[("question", i)]) / 1e6, 1)
        for i in range(args.questions)
        if arrivals(datas, "question", i)
    ]
    reveal = lat(
        "result", lambda i: last_ack[i][0] if i in last_ack and last_ack[i][1] else host_seen.get(("reveal", i))
    )
    result_fanout = lat("result", lambda i: host_seen.get(("reveal", i)))
    leaderboard = lat("leaderboard", lambda i: sent_at.get(("leaderboard", i)))
    ended = lat("ended", lambda i: sent_at.get(("ended", 0)))
    errors: Counter = Counter()
    for d in datas:
        errors.update(d["errors"])
    sizes = merged(datas, "question_bytes")
    return {
        "joined": ok,
        "join_ms": merged(datas, "join_ms"),
        "fanout": fanout,
        "fanout_p95_per_question": per_question,
        "fanout_first": first,
        "host_question": [
            round((host_seen[("question", i)] - sent_at[("question", i)]) / 1e6, 1)
            for i in range(args.questions)
            if ("question", i) in host_seen
        ],
        "join_s": join_s,
        "ack": merged(datas, "ack_ms"),
        "reveal": reveal,
        "reveal_from_last_ack": all(i in last_ack and last_ack[i][1] for i in range(args.questions)),
        "result_fanout": result_fanout,
        "leaderboard": leaderboard,
        "ended": ended,
        "acks": [tuple(a) for a in merged(datas, "acks")],
        "sent": sum(d["sent"] for d in datas),
        "errors": dict(errors) | {f"host:{k}": v for k, v in host_errors.items()},
        "client_cpu_s": [d["cpu_s"] for d in datas],
        "question_bytes": max(sizes) if sizes else None,
        "cpu_join": cpu_split(cpu_start, cpu_joined),
        "cpu_game": cpu_split(cpu_joined, cpu_ended),
    }


# --- The bare websockets server -------------------------------------------------------------------

BARE_SERVER = r"""
import asyncio, sys
from websockets.asyncio.server import broadcast, serve

clients = set()

async def handler(ws):
    if ws.request.path == "/control":
        async for message in ws:
            broadcast(clients, message)
        return
    clients.add(ws)
    try:
        await ws.wait_closed()
    finally:
        clients.discard(ws)

async def main():
    async with serve(handler, "127.0.0.1", int(sys.argv[1]), compression=None, ping_interval=None,
                     backlog=4096, max_size=2**20):
        print("ready", flush=True)
        await asyncio.get_running_loop().create_future()

asyncio.run(main())
"""


async def baseline(args, size: int) -> dict:
    from websockets.asyncio.client import connect

    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(port)], stdout=subprocess.PIPE, cwd=ROOT)
    try:
        line = await asyncio.wait_for(asyncio.to_thread(server.stdout.readline), 30)
        if line.strip() != b"ready":
            raise SystemExit("the bare websockets server did not start")
        url = f"ws://127.0.0.1:{port}"
        control = await connect(f"{url}/control", compression=None, ping_interval=None)
        names = [str(n) for n in range(args.players)]
        specs = [
            {
                "mode": "baseline",
                "worker": w,
                "clients": share,
                "join_rate": args.join_rate * 4 / args.workers,
                "answer_window": 1,
                "seed": args.seed,
            }
            for w, share in enumerate(deal(names, [f"{url}/"], args.workers))
        ]
        workers = Workers(specs)
        await workers.wait(("joined",), args.players / args.join_rate + 120)
        await asyncio.sleep(0.5)
        samples = []
        for index in range(args.questions):
            head = json.dumps({"type": "question", "index": index, "pad": ""})
            text = json.dumps({"type": "question", "index": index, "pad": "x" * max(0, size - len(head))})
            at = now_ns()
            await control.send(text)
            await workers.wait(("got", "question", index), 60)
            await asyncio.sleep(0.3)
            samples.append(at)
        datas = await workers.finish()
        await control.close()
        fanout, per_question, first = [], [], []
        for index, at in enumerate(samples):
            mine = [(t - at) / 1e6 for t in arrivals(datas, "question", index)]
            per_question.append(percentile(mine, 0.95))
            first.append(round(min(mine), 1) if mine else None)
            fanout += mine
        errors: Counter = Counter()
        for d in datas:
            errors.update(d["errors"])
        return {
            "fanout": fanout,
            "per_question": per_question,
            "first": first,
            "clients": len(merged(datas, "join_ms")),
            "errors": dict(errors),
            "server_cpu_s": process_cpu_s(server.pid),
            "client_cpu_s": [d["cpu_s"] for d in datas],
        }
    finally:
        stop_processes([server])


# --- Main -----------------------------------------------------------------------------------------


def question_size_estimate() -> int:
    """The live question message's size when the live round is skipped (it is measured otherwise)."""
    return 700


def read_answers(env: dict, session_id: int) -> list[tuple[str, int, object]]:
    """Every LiveAnswer of the session, from the database the servers used."""
    if env.get("DATABASE_URL"):
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as conn:
            return list(conn.execute(READ_ANSWERS.format(mark="%s"), (session_id,)))
    import sqlite3

    path = env.get("SQLITE_PATH") or str(ROOT / "var" / "db.sqlite3")
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
        rows = conn.execute(READ_ANSWERS.format(mark="?"), (session_id,)).fetchall()
    return [(nickname, index, json.loads(response)) for nickname, index, response in rows]


def count_answers(env: dict, session_id: int, acks: list[tuple], tokens: list[dict]) -> dict:
    """Acknowledged answers (choice tokens) against the stored rows (choice ids), through the setup's map."""
    rows = read_answers(env, session_id)
    stored: dict[tuple[str, int], list] = defaultdict(list)
    for nickname, index, response in rows:
        stored[(nickname, index)].append(response)
    lost = sum(
        1
        for nickname, index, choice, duplicate in acks
        if not duplicate and stored.get((nickname, index), [None])[0] != tokens[index].get(choice)
    )
    extra_rows = sum(len(v) - 1 for v in stored.values())
    acked = {(nickname, index) for nickname, index, _c, _d in acks}
    return {
        "answers_recorded": len(rows),
        "lost_answers": lost,
        "duplicate_answers": sum(1 for a in acks if a[3]) + extra_rows,
        "recorded_not_acknowledged": sum(1 for key in stored if key not in acked),
    }


def code_version() -> str | None:
    """The commit the servers ran (``+dirty`` with uncommitted changes outside bench/ and docs/)."""
    git = shutil.which("git")
    if git is None:
        return None
    head = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(
        [git, "status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench", ":!docs"],
        cwd=ROOT,
        capture_output=True,
    )
    if head.returncode:
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def main() -> None:
    args = parse_args()
    raise_open_files()
    result: dict = {"bench": "live_round", "players": args.players, "questions": args.questions}
    result["commit"] = code_version()
    folder = Path(tempfile.mkdtemp(prefix="live-bench-"))
    database_name = ""
    servers: list = []
    live: dict | None = None
    try:
        if not args.baseline_only:
            env = {**os.environ, "DJANGO_SETTINGS_MODULE": args.settings, "MEDIA_ROOT": str(folder / "media")}
            env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            env["DEBUG"] = "0"
            if args.url:
                base_urls = [u.strip().rstrip("/") for u in args.url.split(",") if u.strip()]
                layers = set()
                for base in base_urls:
                    parts = urllib.parse.urlsplit(base)
                    _status, body = healthz(parts.port or 80, parts.hostname)
                    layers.add(body.get("checks", {}).get("channel_layer", {}).get("backend", "?"))
                layer = "redis" if any("Redis" in name for name in layers) else "inmemory"
            else:
                layer = args.layer if args.layer != "auto" else ("redis" if args.servers > 1 else "inmemory")
                if layer == "redis":
                    import redis

                    env["REDIS_URL"] = args.redis_url
                    redis.Redis.from_url(args.redis_url, socket_connect_timeout=2).ping()
                else:
                    env.pop("REDIS_URL", None)
                if args.database_url:
                    database_name = f"live_bench_{os.getpid()}"
                    postgres_admin(args.database_url, f'CREATE DATABASE "{database_name}"')
                    env["DATABASE_URL"] = database_url_with_name(args.database_url, database_name)
                else:
                    env.pop("DATABASE_URL", None)
                    env["SQLITE_PATH"] = str(folder / "db.sqlite3")
                log("migrate …")
                manage(env, "migrate", "-v0")
            tag = f"{os.getpid()}-{int(time.time())}"
            data = json.loads(
                manage(
                    {
                        **env,
                        "BENCH_TAG": tag,
                        "BENCH_QUESTIONS": str(args.questions),
                        "BENCH_LIMIT": str(args.time_limit),
                    },
                    "shell",
                    "-c",
                    SETUP,
                ).splitlines()[-1]
            )
            if not args.url:
                if layer == "redis":  # a previous run's dead hubs in the same group (same session id)
                    import redis

                    redis.Redis.from_url(args.redis_url).delete(f"asgi:group:live-{data['session']}")
                servers = start_servers(args.servers, env, folder, args.profile, args.app)
                base_urls = [f"ws://127.0.0.1:{port}" for _p, port, _l in servers]
            result.update(layer=layer, servers=len(base_urls))
            log(
                f"live round: {args.players} players, {len(base_urls)} server(s), {layer} layer, "
                f"{args.workers} client process(es)"
            )
            server_pids = [p.pid for p, _port, _l in servers]
            live = asyncio.run(live_round(args, base_urls, data, server_pids, database_name))
            result["server_cpu_s"] = [process_cpu_s(p.pid) for p, _port, _l in servers] if servers else None
            result.update(count_answers(env, data["session"], live["acks"], data["tokens"]))
            stop_processes([p for p, _port, _l in servers])
            for _process, port, log_path in servers:
                tail = [line for line in log_path.read_text(errors="replace").splitlines() if "Error" in line]
                if tail:
                    log(f"daphne {port}: {len(tail)} error lines, e.g. {tail[-1][:200]}")
        size = (live or {}).get("question_bytes") or question_size_estimate()
        base = None
        if not args.no_baseline:
            log(f"baseline: bare websockets broadcast server, {args.players} clients, {size}-byte message")
            base = asyncio.run(baseline(args, size))
    finally:
        stop_processes([p for p, _port, _l in servers])
        if database_name:
            postgres_admin(args.database_url, f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)')
        if args.keep:
            log(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)

    if live is not None:
        result.update(
            joined=live["joined"],
            join_p50_ms=percentile(live["join_ms"], 0.5),
            join_p95_ms=percentile(live["join_ms"], 0.95),
            join_all_s=round(live["join_s"], 1),
            fanout_p50_ms=percentile(live["fanout"], 0.5),
            fanout_p95_ms=percentile(live["fanout"], 0.95),
            fanout_max_ms=round(max(live["fanout"]), 1) if live["fanout"] else None,
            fanout_p95_per_question_ms=live["fanout_p95_per_question"],
            fanout_first_ms=live["fanout_first"],
            host_question_ms=live["host_question"],
            fanout_samples=len(live["fanout"]),
            ack_p50_ms=percentile(live["ack"], 0.5),
            ack_p95_ms=percentile(live["ack"], 0.95),
            ack_max_ms=round(max(live["ack"]), 1) if live["ack"] else None,
            reveal_p50_ms=percentile(live["reveal"], 0.5),
            reveal_p95_ms=percentile(live["reveal"], 0.95),
            reveal_from_last_ack=live["reveal_from_last_ack"],
            result_fanout_p95_ms=percentile(live["result_fanout"], 0.95),
            leaderboard_p95_ms=percentile(live["leaderboard"], 0.95),
            ended_p95_ms=percentile(live["ended"], 0.95),
            answers_sent=live["sent"],
            errors=live["errors"],
            question_bytes=size,
            client_cpu_s=live["client_cpu_s"],
            cpu_join=live["cpu_join"],
            cpu_game=live["cpu_game"],
        )
    if base is not None:
        result.update(
            baseline_fanout_p50_ms=percentile(base["fanout"], 0.5),
            baseline_fanout_p95_ms=percentile(base["fanout"], 0.95),
            baseline_fanout_max_ms=round(max(base["fanout"]), 1) if base["fanout"] else None,
            baseline_fanout_p95_per_question_ms=base["per_question"],
            baseline_fanout_first_ms=base["first"],
            baseline_clients=base["clients"],
            baseline_errors=base["errors"],
            baseline_server_cpu_s=base["server_cpu_s"],
        )
        if result.get("fanout_p95_ms") and result["baseline_fanout_p95_ms"]:
            result["fanout_ratio_to_baseline"] = round(result["fanout_p95_ms"] / result["baseline_fanout_p95_ms"], 2)
    result.update(
        workers=args.workers,
        join_rate=args.join_rate,
        answer_window_s=args.answer_window,
        time_limit_s=args.time_limit,
        database="postgresql" if args.database_url else "sqlite",
    )
    if args.settings != SETTINGS:
        result["settings"] = args.settings
    result.setdefault("fanout_ratio_to_baseline", None)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
