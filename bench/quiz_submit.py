"""Benchmark: N participants take a quiz round over real HTTP against daphne. Last line: one JSON object.

    python bench/quiz_submit.py [--participants 200] [--questions 20] [--concurrency N]
                                [--database-url postgres://…] [--processes K] [--url http://host:port]

Each participant starts an attempt (GET the round's rules page, POST …/quiz/start/), opens the attempt page,
autosaves an answer to every question (POST /attempts/<id>/answer/, JSON) and submits the form (POST …/submit/,
then GET the result), as attempt.js and the browser do. By default the four steps run as phases (every
participant starts, then every participant opens the page, then answers, then submits), so each step's figures
are measured at exactly ``--concurrency`` participants doing it at once; ``--mixed`` runs each participant's
whole flow back to back instead. No think time: each virtual participant sends its next request as soon as the
previous one is answered (a closed loop), on its own keep-alive connection.

Without ``--url`` the script makes everything itself and removes it at the end: a fresh SQLite file in a
temporary folder (or, given ``--database-url`` / ``DATABASE_URL``, a fresh PostgreSQL database
``contest_bench_<pid>`` on that server, dropped at the end), ``manage.py migrate``, the data (through the
app's services), then ``--processes`` daphne processes on free ports (participants are dealt round-robin
over them), waiting for ``GET /healthz`` to answer 200. With ``--url`` it loads a server already running;
the data is then written to the database the environment names (``DATABASE_URL`` or ``SQLITE_PATH``, which
must be the server's, with the server's ``SECRET_KEY``) and is left there.

Participants do not log in through the login page (password hashing would dominate): the script writes a
signed-in session for each of them and sends it as the ``sessionid`` cookie.

After the run it reads every ``AttemptItem`` back: ``answers_lost`` counts answers acknowledged to the
client with ``{"saved": true}`` whose stored response differs or is missing after grading. ``p50_ms`` …
``p99_ms`` are latencies of the answer saves (every one, errors included); ``answer_saves_per_s`` is the
number of saves over the time from the first save sent to the last one answered; ``errors`` counts every
unexpected status; ``database_locked`` counts responses and server log events mentioning "database is
locked".

Efficiency beside the latencies (the machine is shared): ``cpu_ms_per_start`` / ``_page`` / ``_save`` /
``_submit`` are the server processes' own CPU time (utime + stime from /proc/<pid>/stat) spent in each phase,
divided by the participants (by the saves for ``_save``); ``cpu_ms_per_attempt`` is the whole flow. After the
run, the bare reference: a minimal ASGI app under plain daphne doing one SQLite INSERT per POST, loaded in the
shape of the answer phase (``bare_saves_per_s``; ``save_ratio_to_bare`` = our saves/s ÷ its;
``bare_cpu_ms_per_save``, its server's CPU per request, gauges the machine's speed in that run, and
``attempt_cpu_in_bare_saves`` is a whole attempt's CPU in those units). ``--profile DIR``
runs the server with every thread under cProfile and writes each phase's profile to DIR (``<phase>.txt``: top
functions by cumulative and own time; ``<phase>.prof`` for pstats). ``BENCH_THREADS=1`` logs each server
thread's CPU per phase (/proc/<pid>/task; the event loop is the thread whose id is the process's). When a run had errors the temporary folder (server logs) is kept and its path printed.
Docs: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SETTINGS = "contest_site.settings.base"
LOCKED = "database is locked"
SERVER_EXCEPTION = re.compile(r"^[\w.]+(Error|Exception): ")  # the last line of a traceback in the server log


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=200, help="virtual participants (default 200)")
    parser.add_argument("--questions", type=int, default=20, help="questions in the quiz (default 20)")
    parser.add_argument("--concurrency", type=int, default=0, help="participants at once (default: all)")
    parser.add_argument("--url", default="", help="load this running server instead of starting one")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="PostgreSQL server to make a fresh database on (default: $DATABASE_URL; none: SQLite)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=int(os.environ.get("BENCH_SERVERS", "1")),
        help="daphne processes to start (one port each; default $BENCH_SERVERS or 1)",
    )
    parser.add_argument("--mixed", action="store_true", help="no phases: each participant's flow back to back")
    parser.add_argument(
        "--bare-submit", action="store_true", help="submit with the CSRF token only, not every answer as the form does"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the participants' answers")
    parser.add_argument(
        "--no-bare", action="store_true", help="skip the bare reference (a minimal ASGI app, one INSERT per POST)"
    )
    parser.add_argument(
        "--profile",
        default="",
        help="folder: run the server under cProfile (every thread) and write each phase's profile there "
        "(slows the server down: take timings and CPU figures from runs without it)",
    )
    parser.add_argument(
        "--app", default="contest_site.asgi:application", help="ASGI app for daphne (e.g. a profiling wrapper)"
    )
    args = parser.parse_args()
    args.concurrency = args.concurrency or args.participants
    if args.profile:
        args.app = "bench.quiz_submit:profiled_application"
    return args


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(samples: list[float], share: float) -> float | None:
    if not samples:
        return None
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- Databases and servers ----------------------------------------------------------------------


def database_url_with_name(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def postgres_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(database_url_with_name(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def start_servers(servers: list, count: int, env: dict, folder: Path, app: str) -> None:
    """Start ``count`` daphne processes, appending (process, port, log path) to ``servers`` as they start
    (so that the caller stops them whatever happens), then wait until each answers /healthz."""
    for index in range(count):
        port = free_port()
        log_path = folder / f"daphne-{index}.log"
        handle = open(log_path, "wb")  # noqa: SIM115 - kept open for the life of the server
        process = subprocess.Popen(
            [sys.executable, "-m", "contest_site.serve", "-b", "127.0.0.1", "-p", str(port), app],  # our daphne
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        servers.append((process, port, log_path))
    for process, port, log_path in servers:
        wait_healthy("127.0.0.1", port, process, log_path)


def wait_healthy(host: str, port: int, process: subprocess.Popen | None = None, log_path: Path | None = None) -> None:
    give_up = time.monotonic() + 60
    last = ""
    while time.monotonic() < give_up:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"daphne on port {port} exited:\n{log_path.read_text(errors='replace')[-3000:]}")
        try:
            conn = http.client.HTTPConnection(host, port, timeout=10)
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            body = response.read()
            conn.close()
            if response.status == 200:
                return
            last = f"{response.status} {body[:300]!r}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.2)
    raise SystemExit(f"/healthz on port {port} never answered 200 ({last})")


def stop_servers(servers) -> None:
    for process, _port, _log in servers:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process, _port, _log in servers:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- Data, through the app's services -------------------------------------------------------------

SHORT_TEXT_ANSWERS = ["dichvucong.gov.vn", "Hà Nội", "112", "VNeID", "không biết"]


def build_questions(count: int):
    from quizzes.importing.base import ParsedChoice, ParsedQuestion

    kinds = ["single", "multiple", "true_false", "short_text"]
    questions = []
    for index in range(count):
        qtype = kinds[index % len(kinds)]
        text = f"Câu hỏi số {index + 1} về an toàn thông tin ({qtype})?"
        if qtype == "single":
            choices = [("Phương án A", False), ("Phương án B", True), ("Phương án C", False), ("Phương án D", False)]
        elif qtype == "multiple":
            choices = [("Hối thúc", True), ("Xin mã OTP", True), ("Lời chào", False), ("Đường link lạ", True)]
        elif qtype == "true_false":
            choices = [("Đúng", index % 2 == 0), ("Sai", index % 2 == 1)]
        else:
            choices = [(SHORT_TEXT_ANSWERS[index % 2], True)]
        questions.append(
            ParsedQuestion(
                where=f"câu {index + 1}",
                type=qtype,
                text=text,
                topic="An toàn số",
                choices=[ParsedChoice(t, c) for t, c in choices],
                partial_credit=qtype == "multiple",
                ignore_diacritics=qtype == "short_text",
            )
        )
    return questions


def prepare(participants: int, questions: int, tag: str) -> tuple[int, list[dict]]:
    """Organisation, organiser, open event with one quiz round, ``participants`` signed-in users.
    Returns the round id and, per participant, its user id and session key."""
    import datetime as dt

    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from contests import services as contests
    from contests.models import Organisation, Profile, Region
    from quizzes import services as quizzes

    User = get_user_model()
    call_command("load_regions", verbosity=0)
    region = Region.objects.get(code="TN-DT-01")
    now = timezone.now()
    with transaction.atomic():
        organisation = Organisation.objects.create(name=f"Sở Giáo dục bench {tag}", slug=f"bench-{tag}")
        organiser = User.objects.create_user(f"organiser-{tag}", f"organiser-{tag}@example.vn", None)
        EmailAddress.objects.create(user=organiser, email=organiser.email, verified=True, primary=True)
        contests.membership_add(user=organiser, organisation=organisation)
        bank = quizzes.bank_create(organisation=organisation, title=f"Ngân hàng bench {tag}")
        quizzes.questions_import(bank=bank, questions=build_questions(questions))
        from quizzes.review import questions_approve_as_system

        questions_approve_as_system(questions=bank.questions.all(), comment="test data")
        quiz = quizzes.quiz_create(
            organisation=organisation,
            bank=bank,
            title="Đề thi bench",
            question_ids=list(bank.questions.order_by("pk").values_list("pk", flat=True)),
        )
        event = contests.event_create(
            organisation=organisation,
            by=organiser,
            fields={
                "title": f"Cuộc thi bench {tag}",
                "kind": "contest",
                "opens_at": now - dt.timedelta(hours=1),
                "closes_at": now + dt.timedelta(days=1),
            },
        )
        rnd = contests.round_create(
            event=event,
            fields={"title": "Vòng 1", "kind": "quiz", "opens_at": event.opens_at, "closes_at": event.closes_at},
        )
        quizzes.quiz_round_configure(rnd=rnd, quiz=quiz, settings={"time_limit_s": 3600, "attempts_allowed": 1})
        contests.event_transition(event=event, to_state="open", by=organiser)

    # A phone block no earlier run on this database used (only matters with --url on a kept database).
    block = 0
    while Profile.objects.filter(phone__startswith=f"+8491{block + 20:02d}").exists():
        block += 1
    people = []
    with transaction.atomic():
        for index in range(participants):
            user, session_key = signed_in_participant(
                username=f"p{index:05d}-{tag}",
                full_name=f"Nguyễn Văn Thí Sinh {index}",
                phone=f"+8491{block + 20:02d}{index:05d}",
                region=region,
            )
            people.append({"user_id": user.pk, "session_key": session_key})
    return rnd.pk, people


def signed_in_participant(*, username: str, full_name: str, phone: str, region):
    """An adult citizen with a complete, consenting profile and a verified address, signed in by a session
    written directly (no password hashing, no login request): (user, session key). Used by every bench that
    acts as participants."""
    import datetime as dt

    from allauth.account.models import EmailAddress
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from contests import services as contests
    from contests.models import Category

    email = f"{username}@example.vn"
    user = get_user_model().objects.create_user(username, email, None)  # unusable password: no hashing
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    contests.profile_update(
        profile=contests.profile_get_or_create(user=user),
        data={
            "full_name": full_name,
            "date_of_birth": dt.date(1990, 1, 1),
            "phone": phone,
            "region": region,
            "category": Category.CITIZEN,
        },
        data_consent=True,
        guardian_consent=False,
    )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return user, session.session_key


# --- The HTTP client ----------------------------------------------------------------------------


@dataclass
class Stats:
    samples: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    locked: int = 0
    first_save: float = float("inf")
    last_save: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, ms: float) -> None:
        with self.lock:
            self.samples.setdefault(kind, []).append(ms)

    def error(self, kind: str, detail: str) -> None:
        with self.lock:
            self.errors[kind] += 1
            self.examples.setdefault(kind, detail[:300])


class ParticipantFailed(Exception):
    pass


QUESTION_CARD = re.compile(
    r'<fieldset class="question-card"[^>]*data-position="(\d+)" data-type="(\w+)">(.*?)</fieldset>', re.S
)


class Participant:
    """One virtual participant: its own keep-alive connection and cookies, and what the server acknowledged."""

    def __init__(self, index: int, person: dict, host: str, port: int, round_id: int, stats: Stats, args):
        self.index, self.host, self.port = index, host, port
        self.round_id, self.stats, self.args = round_id, stats, args
        self.user_id = person["user_id"]
        self.cookies = {"sessionid": person["session_key"]}
        self.conn: http.client.HTTPConnection | None = None
        self.rng = random.Random(args.seed * 100_003 + index)
        self.attempt_id: int | None = None
        self.cards: list[tuple[int, str, list[int]]] = []  # (position, type, choice ids)
        self.answers: dict[int, object] = {}  # position -> last response the server acknowledged (canonical)
        self.failed = False

    def request(self, kind: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = {
            "Host": f"{self.host}:{self.port}",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            **(headers or {}),
        }
        for retry in (False, True):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.HTTPException, OSError) as exc:
                self.conn.close()
                self.conn = None
                if retry:
                    self.stats.error(f"{kind}:connection", repr(exc))
                    raise ParticipantFailed(kind) from exc
                continue
            ended = time.perf_counter()
            self.stats.add(kind, (ended - started) * 1000)
            for header in response.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(header)
                for name, morsel in jar.items():
                    self.cookies[name] = morsel.value
            if LOCKED.encode() in data:
                with self.stats.lock:
                    self.stats.locked += 1
            if response.headers.get("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return response, data, started, ended
        raise AssertionError("unreachable")

    def expect(self, kind: str, response, data: bytes, status: int, location: str | None = None) -> None:
        got_location = response.headers.get("Location", "")
        if response.status != status or (location is not None and not re.fullmatch(location, got_location)):
            self.stats.error(f"{kind}:{response.status}", f"{got_location} {data[:300]!r}")
            raise ParticipantFailed(kind)

    def form(self, fields: list[tuple[str, str]]) -> tuple[bytes, dict]:
        body = urllib.parse.urlencode([("csrfmiddlewaretoken", self.cookies.get("csrftoken", "")), *fields]).encode()
        return body, {"Content-Type": "application/x-www-form-urlencoded"}

    # The three steps -------------------------------------------------------------------------

    def start(self) -> None:
        response, data, *_ = self.request("round_page", "GET", f"/rounds/{self.round_id}/quiz/")
        self.expect("round_page", response, data, 200)
        body, headers = self.form([])
        response, data, *_ = self.request("start", "POST", f"/rounds/{self.round_id}/quiz/start/", body, headers)
        self.expect("start", response, data, 302, r"/attempts/\d+/")
        self.attempt_id = int(re.search(r"/attempts/(\d+)/", response.headers["Location"]).group(1))

    def page(self) -> None:
        response, data, *_ = self.request("attempt_page", "GET", f"/attempts/{self.attempt_id}/")
        self.expect("attempt_page", response, data, 200)
        html = data.decode()
        for position, qtype, inner in QUESTION_CARD.findall(html):
            # Choices are named by the attempt's opaque tokens, read from the page as a browser does.
            tokens = re.findall(rf'name="q{position}" value="([a-z2-7]+)"', inner)
            self.cards.append((int(position), qtype, tokens))
        if len(self.cards) != self.args.questions:
            self.stats.error("attempt_page:parse", f"{len(self.cards)} question cards")
            raise ParticipantFailed("attempt_page")

    def pick(self, qtype: str, ids: list[str]):
        if qtype in ("single", "true_false"):
            return self.rng.choice(ids)
        if qtype == "multiple":
            return self.rng.sample(ids, self.rng.randint(1, len(ids)))
        if qtype == "short_text":
            return self.rng.choice(SHORT_TEXT_ANSWERS) + self.rng.choice(["", " "])
        return self.rng.sample(ids, len(ids))  # ordering: a full permutation

    @staticmethod
    def canonical(qtype: str, response):
        if qtype == "multiple":
            return sorted(set(response))
        if qtype == "short_text":
            return response.strip()
        return response

    def answer(self) -> None:
        path = f"/attempts/{self.attempt_id}/answer/"
        headers = {"Content-Type": "application/json", "X-CSRFToken": self.cookies.get("csrftoken", "")}
        for position, qtype, ids in self.cards:
            response_value = self.pick(qtype, ids)
            body = json.dumps({"position": position, "response": response_value}).encode()
            response, data, started, ended = self.request("answer", "POST", path, body, headers)
            with self.stats.lock:
                self.stats.first_save = min(self.stats.first_save, started)
                self.stats.last_save = max(self.stats.last_save, ended)
            try:
                reply = json.loads(data)
            except ValueError:
                reply = {}
            if response.status == 200 and reply.get("saved") is True:
                self.answers[position] = self.canonical(qtype, response_value)
            else:
                self.stats.error(f"answer:{response.status}", data[:300].decode(errors="replace"))

    def submit(self) -> None:
        fields = []
        if not self.args.bare_submit:  # what the browser posts: every answer on the page
            for position, _qtype, _ids in self.cards:
                if position not in self.answers:
                    continue
                value = self.answers[position]
                for one in value if isinstance(value, list) else [value]:
                    fields.append((f"q{position}", str(one)))
        body, headers = self.form(fields)
        response, data, *_ = self.request("submit", "POST", f"/attempts/{self.attempt_id}/submit/", body, headers)
        self.expect("submit", response, data, 302, rf"/attempts/{self.attempt_id}/result/")
        response, data, *_ = self.request("result", "GET", f"/attempts/{self.attempt_id}/result/")
        self.expect("result", response, data, 200)

    def step(self, name: str) -> None:
        if self.failed:
            return
        try:
            getattr(self, name)()
        except ParticipantFailed:
            self.failed = True
        except Exception as exc:  # a bench bug or an unreadable page: count it, keep the others going
            self.stats.error(f"{name}:exception", repr(exc))
            self.failed = True

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


STEPS = ["start", "page", "answer", "submit"]  # start = rules page + POST start; submit = POST submit + result


async def load(participants: list[Participant], concurrency: int, mixed: bool, meter: ServerMeter) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    phases: dict[str, float] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:

        async def phase(name: str, steps: list[str]) -> None:
            meter.begin()
            started = time.perf_counter()
            await asyncio.gather(
                *(loop.run_in_executor(pool, lambda p=p: [p.step(s) for s in steps]) for p in participants)
            )
            phases[name] = time.perf_counter() - started
            meter.end(name)
            log(f"  {name}: {phases[name]:.2f} s, server CPU {meter.cpu_s.get(name, 0):.2f} s")

        if mixed:
            await phase("all", STEPS)
        else:
            for name in STEPS:
                await phase(name, [name])
    return phases


class ServerMeter:
    """The servers' own CPU time (user + system, from /proc/<pid>/stat) spent in each phase: unlike latencies
    it hardly moves when other work shares the machine. With --profile, also each phase's cProfile."""

    def __init__(self, servers, profile: str = ""):
        self.pids = [process.pid for process, _port, _log in servers]
        self.ports = [port for _process, port, _log in servers]
        self.profile = profile
        self.cpu_s: dict[str, float] = {}
        self._started = 0.0

    def _cpu(self) -> float:
        total = 0
        for pid in self.pids:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
        return total / os.sysconf("SC_CLK_TCK")

    def _threads(self) -> dict[str, float]:
        """CPU seconds of each thread of the servers, by thread id."""
        import glob

        out = {}
        for pid in self.pids:
            for path in glob.glob(f"/proc/{pid}/task/*/stat"):
                tid = path.split("/")[4]
                try:
                    with open(path) as stat:
                        fields = stat.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                out[tid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return out

    def begin(self) -> None:
        if self.pids:
            self._started = self._cpu()
            self._threads_started = self._threads()

    def end(self, name: str) -> None:
        if not self.pids:
            return
        self.cpu_s[name] = self._cpu() - self._started
        if os.environ.get("BENCH_THREADS"):
            now = self._threads()
            busy = {t: round(v - self._threads_started.get(t, 0), 2) for t, v in now.items()}
            log(f"  threads {name}: " + str(sorted(((v, t) for t, v in busy.items() if v > 0.01), reverse=True)))
        if self.profile:
            for port in self.ports:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                conn.request("GET", f"{PROFILE_PATH}?phase={name}")
                conn.getresponse().read()
                conn.close()

    def per(self, name: str, count: int) -> float | None:
        if name not in self.cpu_s or not count:
            return None
        return round(self.cpu_s[name] * 1000 / count, 2)


# --- Server-side helpers (daphne imports them from here: bench.quiz_submit:<name>) -------------------

PROFILE_PATH = "/__bench_profile__"
_profiles: list = []


def __getattr__(name: str):
    """``profiled_application`` and ``bare_application`` are made when daphne asks for them, so that the
    load generator never imports Django's ASGI stack or opens the bare database."""
    if name == "profiled_application":
        return _profiled_application()
    if name == "bare_application":
        return BareApplication(os.environ["BENCH_BARE_DB"])
    raise AttributeError(name)


def _profiled_application():
    """Our application with every thread under cProfile (the event loop, Django's per-request threads, the
    autosave writer). ``GET /__bench_profile__?phase=NAME`` writes what was spent since the previous call to
    $BENCH_PROFILE_DIR/NAME.prof and NAME.txt (top functions by cumulative time, then by own time)."""
    import cProfile
    import threading

    def profile_this_thread(*_args):  # threading.setprofile: first event of a new thread
        # CPU time of the thread, not wall time: under load the wall clock mostly measures waits for the
        # GIL (BENCH_PROFILE_CLOCK=wall for those).
        wall = os.environ.get("BENCH_PROFILE_CLOCK") == "wall"
        profiler = cProfile.Profile() if wall else cProfile.Profile(time.thread_time)
        _profiles.append(profiler)
        profiler.enable()

    threading.setprofile(profile_this_thread)
    profile_this_thread()
    from contest_site.asgi import application

    folder = Path(os.environ["BENCH_PROFILE_DIR"])
    previous: dict = {}

    async def app(scope, receive, send):
        if scope["type"] != "http" or scope["path"] != PROFILE_PATH:
            return await application(scope, receive, send)
        phase = urllib.parse.parse_qs(scope["query_string"].decode()).get("phase", ["phase"])[0]
        current = _merged_stats()
        _write_profile(folder, phase, _stats_since(current, previous))
        previous.clear()
        previous.update(current)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


def _merged_stats() -> dict:
    merged: dict = {}
    for profiler in list(_profiles):
        profiler.snapshot_stats()  # reads the counters without stopping the profiler (create_stats would)
        for func, (cc, nc, tt, ct, callers) in profiler.stats.items():
            old = merged.get(func, (0, 0, 0.0, 0.0, {}))
            joined = dict(old[4])
            for caller, counts in callers.items():
                joined[caller] = tuple(
                    a + b for a, b in zip(joined.get(caller, (0,) * len(counts)), counts, strict=True)
                )
            merged[func] = (old[0] + cc, old[1] + nc, old[2] + tt, old[3] + ct, joined)
    return merged


def _stats_since(current: dict, previous: dict) -> dict:
    diff = {}
    for func, (cc, nc, tt, ct, callers) in current.items():
        old = previous.get(func, (0, 0, 0.0, 0.0, {}))
        if nc - old[1] <= 0:
            continue
        old_callers = old[4]
        diff[func] = (
            cc - old[0],
            nc - old[1],
            tt - old[2],
            ct - old[3],
            {
                caller: tuple(a - b for a, b in zip(counts, old_callers.get(caller, (0,) * len(counts)), strict=True))
                for caller, counts in callers.items()
                if counts != old_callers.get(caller)
            },
        )
    return diff


def _write_profile(folder: Path, phase: str, stats: dict) -> None:
    import io
    import marshal
    import pstats

    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{phase}.prof").write_bytes(marshal.dumps(stats))
    out = io.StringIO()
    loaded = pstats.Stats(str(folder / f"{phase}.prof"), stream=out)
    loaded.sort_stats("cumulative").print_stats(60)
    loaded.sort_stats("tottime").print_stats(40)
    (folder / f"{phase}.txt").write_text(out.getvalue())


class BareApplication:
    """The bare reference: the least an ASGI app under daphne can do for an autosave, one SQLite INSERT per
    POST (WAL, synchronous=NORMAL, as ours) and a small JSON reply, on the event loop's thread."""

    def __init__(self, path: str):
        import sqlite3

        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS save (id INTEGER PRIMARY KEY, body BLOB, at REAL)")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["method"] == "POST":
            self.db.execute("INSERT INTO save (body, at) VALUES (?, ?)", (body, time.time()))
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"saved": true}'})


def bare_reference(participants: int, questions: int, folder: Path, env: dict) -> tuple[float, float]:
    """Saves per second of the bare app under plain daphne, in the same shape as our answer phase (every
    participant on its own keep-alive connection, ``questions`` POSTs each, all at once), and the server's
    CPU milliseconds per save: this machine's speed at the moment, which moves between runs."""
    port = free_port()
    bare_env = {**env, "BENCH_BARE_DB": str(folder / "bare.sqlite3")}
    with open(folder / "daphne-bare.log", "wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "bench.quiz_submit:bare_application"],
            cwd=ROOT,
            env=bare_env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    servers = [(process, port, folder / "daphne-bare.log")]
    try:
        wait_healthy("127.0.0.1", port, process, folder / "daphne-bare.log")
        body = json.dumps({"position": 1, "response": "abcdefghijklmnop"}).encode()
        headers = {"Content-Type": "application/json", "Cookie": "sessionid=x; csrftoken=y", "X-CSRFToken": "y"}
        times: list[tuple[float, float]] = []

        def one(_index: int) -> None:
            conn = None
            for _ in range(questions):
                for _try in range(3):  # a connection reset under load: reconnect, as our participants do
                    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                    started = time.perf_counter()
                    try:
                        conn.request("POST", "/attempts/1/answer/", body=body, headers=headers)
                        conn.getresponse().read()
                    except (http.client.HTTPException, OSError):
                        conn.close()
                        conn = None
                        continue
                    times.append((started, time.perf_counter()))
                    break
            if conn is not None:
                conn.close()

        meter = ServerMeter(servers)
        meter.begin()
        with concurrent.futures.ThreadPoolExecutor(max_workers=participants) as pool:
            list(pool.map(one, range(participants)))
        meter.end("bare")
        window = max(end for _s, end in times) - min(start for start, _e in times)
        return round(len(times) / window, 1), meter.per("bare", len(times)) or 0.0
    finally:
        stop_servers(servers)


# --- After the run --------------------------------------------------------------------------------


def check_answers(participants: list[Participant]) -> dict:
    from types import SimpleNamespace

    from quizzes.choice_tokens import ChoiceTokens, attempt_scope
    from quizzes.models import Attempt, AttemptItem

    ids = [p.attempt_id for p in participants if p.attempt_id]
    stored = {
        (row["attempt_id"], row["position"]): row
        for row in AttemptItem.objects.filter(attempt_id__in=ids).values(
            "attempt_id", "position", "response", "points", "choice_order", "question__type"
        )
    }
    lost = ungraded = 0
    for p in participants:
        for position, sent in p.answers.items():
            row = stored.get((p.attempt_id, position))
            if row is not None:  # the client sent tokens; the database keeps choice ids
                tokens = ChoiceTokens(
                    scope=attempt_scope(SimpleNamespace(pk=p.attempt_id)), choice_ids=row["choice_order"]
                )
                expected = tokens.response_from_client(row["question__type"], sent)
                expected = (
                    sorted(expected) if isinstance(expected, list) and row["question__type"] == "multiple" else expected
                )
            if row is None or row["response"] != expected:
                lost += 1
            elif row["points"] is None:
                ungraded += 1
    submitted = Attempt.objects.filter(pk__in=ids, status=Attempt.Status.SUBMITTED).count()
    return {"answers_lost": lost, "answers_ungraded": ungraded, "attempts": len(ids), "attempts_submitted": submitted}


def main() -> None:
    args = parse_args()
    tag = f"{os.getpid()}-{int(time.time())}"
    folder = Path(tempfile.mkdtemp(prefix="bench-quiz-"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS, "PYTHONUNBUFFERED": "1"}
    if args.profile:
        env["BENCH_PROFILE_DIR"] = str(Path(args.profile).resolve())
    created_db = ""
    database_url = args.database_url
    if not args.url:
        env["MEDIA_ROOT"] = str(folder / "media")
        if database_url:
            created_db = f"contest_bench_{os.getpid()}"
            postgres_admin(database_url, f'DROP DATABASE IF EXISTS "{created_db}"')
            postgres_admin(database_url, f'CREATE DATABASE "{created_db}"')
            env["DATABASE_URL"] = database_url_with_name(database_url, created_db)
        else:
            env.pop("DATABASE_URL", None)
            env["SQLITE_PATH"] = str(folder / "db.sqlite3")
            if args.processes > 1:
                log("warning: several processes on one SQLite file measure lock contention, not the app")
    elif database_url:
        env["DATABASE_URL"] = database_url
    os.environ.update(env)
    if "DATABASE_URL" not in env:
        os.environ.pop("DATABASE_URL", None)

    servers = []
    keep_logs = False  # the temporary folder (server logs, SQLite file) is kept when a run had errors
    try:
        if not args.url:
            log(f"migrate ({'postgresql ' + created_db if created_db else 'sqlite ' + env['SQLITE_PATH']})")
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
            )
        import django

        django.setup()
        from django.db import connection, connections

        started = time.perf_counter()
        round_id, people = prepare(args.participants, args.questions, tag)
        vendor = connection.vendor
        connections.close_all()
        log(f"data: {len(people)} participants, round {round_id} ({time.perf_counter() - started:.1f} s)")

        if args.url:
            parts = urllib.parse.urlsplit(args.url)
            targets = [(parts.hostname, parts.port or 80)]
            wait_healthy(*targets[0])
        else:
            start_servers(servers, args.processes, env, folder, args.app)
            targets = [("127.0.0.1", port) for _process, port, _log in servers]
            log(f"daphne × {len(servers)} on ports {[port for _h, port in targets]}")

        stats = Stats()
        participants = [
            Participant(i, person, *targets[i % len(targets)], round_id, stats, args) for i, person in enumerate(people)
        ]
        log(f"load: {len(participants)} participants, {args.concurrency} at once")
        meter = ServerMeter(servers, args.profile)
        wall_started = time.perf_counter()
        phases = asyncio.run(load(participants, args.concurrency, args.mixed, meter))
        wall = time.perf_counter() - wall_started
        for p in participants:
            p.close()

        stop_servers(servers)
        server_lines = [
            line for _process, _port, log_path in servers for line in log_path.read_text(errors="replace").splitlines()
        ]
        # One event logs two lines (sqlite3's error, then Django's re-raise): count Django's.
        log_locked = sum(LOCKED in line and not line.startswith("sqlite3.") for line in server_lines)
        exceptions = Counter(line.strip()[:200] for line in server_lines if SERVER_EXCEPTION.match(line))
        for line, count in exceptions.most_common(5):
            log(f"server log ×{count}: {line}")
        checked = check_answers(participants)
        connections.close_all()
        bare = bare_cpu_ms = None
        if not args.no_bare and not args.url and not args.mixed:
            try:
                bare, bare_cpu_ms = bare_reference(args.concurrency, args.questions, folder, env)
            except Exception as exc:  # the reference is a comparison: never lose the run's own figures to it
                log(f"bare reference failed: {exc!r}")
            log(f"bare reference: {bare} saves/s, {bare_cpu_ms} ms of CPU per save")

        saves = stats.samples.get("answer", [])
        save_window = (stats.last_save - stats.first_save) if saves else 0.0
        saves_per_s = round(len(saves) / save_window, 1) if save_window else None
        people = len(participants)
        requests = sum(len(v) for v in stats.samples.values())
        errors = sum(stats.errors.values())
        keep_logs = bool(errors or exceptions) and not args.url
        for kind, example in stats.examples.items():
            log(f"error {kind} ×{stats.errors[kind]}: {example}")
        result = {
            "bench": "quiz_submit",
            "participants": args.participants,
            "concurrency": args.concurrency,
            "questions": args.questions,
            "database": "postgresql" if vendor == "postgresql" else "sqlite",
            "processes": len(servers) if servers else None,
            "mode": "mixed" if args.mixed else "phased",
            "requests": requests,
            "wall_s": round(wall, 2),
            "requests_per_s": round(requests / wall, 1) if wall else None,
            "answer_saves": len(saves),
            "answer_saves_per_s": saves_per_s,
            "p50_ms": percentile(saves, 0.50),
            "p95_ms": percentile(saves, 0.95),
            "p99_ms": percentile(saves, 0.99),
            "max_ms": percentile(saves, 1.0),
            "errors": errors,
            "error_kinds": dict(stats.errors),
            "database_locked": stats.locked + log_locked,
            **checked,
            "round_page_p95_ms": percentile(stats.samples.get("round_page", []), 0.95),
            "start_p95_ms": percentile(stats.samples.get("start", []), 0.95),
            "attempt_page_p95_ms": percentile(stats.samples.get("attempt_page", []), 0.95),
            "submit_p50_ms": percentile(stats.samples.get("submit", []), 0.50),
            "submit_p95_ms": percentile(stats.samples.get("submit", []), 0.95),
            "result_p95_ms": percentile(stats.samples.get("result", []), 0.95),
            "phases_s": {name: round(seconds, 2) for name, seconds in phases.items()},
            # The server processes' own CPU time per step (robust to other work on the machine).
            "cpu_ms_per_start": meter.per("start", people),  # rules page + POST start
            "cpu_ms_per_page": meter.per("page", people),
            "cpu_ms_per_save": meter.per("answer", len(saves)),
            "cpu_ms_per_submit": meter.per("submit", people),  # POST submit + result page
            "cpu_ms_per_attempt": round(sum(meter.cpu_s.values()) * 1000 / people, 1) if meter.cpu_s else None,
            "bare_saves_per_s": bare,
            "save_ratio_to_bare": round(saves_per_s / bare, 2) if bare and saves_per_s else None,
            # The machine's speed moves between runs (other tenants of the host): the bare app's CPU per
            # INSERT of the same run, and a whole attempt's CPU in those units, compare runs on other days.
            "bare_cpu_ms_per_save": bare_cpu_ms,
            "attempt_cpu_in_bare_saves": round(sum(meter.cpu_s.values()) * 1000 / people / bare_cpu_ms, 1)
            if bare_cpu_ms and meter.cpu_s
            else None,
        }
    except BaseException:
        keep_logs = not args.url
        raise
    finally:
        stop_servers(servers)
        if created_db:
            with contextlib.suppress(Exception):
                from django.db import connections

                connections.close_all()
            postgres_admin(database_url, f'DROP DATABASE IF EXISTS "{created_db}" WITH (FORCE)')
        if keep_logs:
            log(f"server logs kept in {folder}")
        else:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
