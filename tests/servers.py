"""The project served for real, for tests that need WebSockets or several processes: a throw-away database
prepared through manage.py, and daphne processes on free ports, stopped at the end.

pytest-django's live_server is a WSGI thread and cannot serve WebSockets; these tests run the ASGI app
exactly as `make run` does. The fault tests (tests/faults) also kill these processes (daphne, the job worker,
a private redis-server) and start them again: ``Process`` and its kinds below.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
MANAGE = [sys.executable, str(ROOT / "manage.py")]
RESULT_MARKER = "@@result@@"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def project_env(folder: Path, **overrides) -> dict:
    """The embedded default on a fresh SQLite file in ``folder``, whatever the test run points at, with
    Django's async-safety guard on (browser fixtures lift it for the test process only)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(
        DJANGO_SETTINGS_MODULE="contest_site.settings.base",
        SQLITE_PATH=str(folder / "db.sqlite3"),
        MEDIA_ROOT=str(folder / "media"),
        PYTHONUNBUFFERED="1",
        **overrides,
    )
    return env


def manage(env: dict, *args: str) -> str:
    """Run a management command as an operator would; return what it printed."""
    done = subprocess.run([*MANAGE, *args], **_run_options(env))
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def migrate(env: dict) -> None:
    manage(env, "migrate", "--noinput", "-v", "0")


def prepare_database(env: dict, setup_script: str, marker: str | None = None) -> dict:
    """Migrate, run ``setup_script`` in ``manage.py shell`` and return the JSON it prints last (or on the line
    starting with ``marker``)."""
    migrate(env)
    made = subprocess.run([*MANAGE, "shell", "-c", setup_script], **_run_options(env))
    assert made.returncode == 0, made.stderr
    lines = made.stdout.strip().splitlines()
    if marker:
        return json.loads(next(line for line in lines if line.startswith(marker))[len(marker) :])
    return json.loads(lines[-1])


def project_call(env: dict, target: str, **kwargs):
    """Call ``"package.module:function"`` with ``kwargs`` inside the project (``manage.py shell``, the
    processes' settings and database) and return what it returns, through JSON. Data set-up and checks are
    then ordinary, linted Python functions instead of script strings."""
    module, function = target.split(":")
    script = (
        "import importlib, json\n"
        f"result = getattr(importlib.import_module({module!r}), {function!r})(**json.loads({json.dumps(kwargs)!r}))\n"
        f"print({RESULT_MARKER!r} + json.dumps(result, default=str))\n"
    )
    done = subprocess.run([*MANAGE, "shell", "-c", script], **_run_options(env))
    assert done.returncode == 0, f"{target} failed:\n{done.stderr}"
    line = next(line for line in done.stdout.splitlines() if line.startswith(RESULT_MARKER))
    return json.loads(line[len(RESULT_MARKER) :])


def _run_options(env: dict) -> dict:
    return {"env": env, "cwd": ROOT, "capture_output": True, "text": True, "timeout": 300}


# --- The test run's database engine ------------------------------------------------------------


@contextmanager
def scratch_database(env: dict, prefix: str = "scratch", *, template: str | None = None):
    """``env`` on the test run's database engine: with DATABASE_URL set, a new PostgreSQL database on that
    server (empty, or a copy of ``template``), dropped at the end whoever still holds a connection;
    otherwise ``env``'s SQLite file."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield env
        return
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _postgres_admin(url, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield {**env, "DATABASE_URL": urlsplit(url)._replace(path=f"/{name}").geturl()}
    finally:
        _postgres_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def migrated_databases(folder: Path, prefix: str = "scratch"):
    """Migrate one template database on the test run's engine, then yield ``fresh(subfolder) -> env``: a copy
    of it per caller (a file copy, or CREATE DATABASE … TEMPLATE), so that each test module gets its own
    migrated database without paying for the migrations again. All are dropped at the end."""
    with ExitStack() as stack:
        template_env = stack.enter_context(scratch_database(project_env(folder), prefix))
        migrate(template_env)
        template_name = urlsplit(template_env.get("DATABASE_URL", "")).path.lstrip("/") or None

        def fresh(subfolder: Path) -> dict:
            env = project_env(subfolder)
            if template_name is None:
                _sqlite_copy(template_env["SQLITE_PATH"], env["SQLITE_PATH"])
                return env
            return stack.enter_context(scratch_database(env, prefix, template=template_name))

        yield fresh


def _sqlite_copy(source: str, target: str) -> None:
    """Copy a SQLite database with its write-ahead log folded in (the backup API, not a file copy)."""
    with closing(sqlite3.connect(source)) as original, closing(sqlite3.connect(target)) as copy:
        original.backup(copy)


def _postgres_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(urlsplit(url)._replace(path="/postgres").geturl(), autocommit=True) as admin:
        admin.execute(sql)


def db_rows(env: dict, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of a plain SQL query (``%s`` placeholders) on ``env``'s database, straight from the test process:
    for polling at a pace that ``project_call`` (a Django start per call) cannot keep."""
    if env.get("DATABASE_URL"):
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as conn:
            return conn.execute(sql, params).fetchall()
    with closing(sqlite3.connect(f"file:{env['SQLITE_PATH']}?mode=ro", uri=True, timeout=20)) as conn:
        return conn.execute(sql.replace("%s", "?"), params).fetchall()


# --- Processes ---------------------------------------------------------------------------------


class Process:
    """A child process of a test (daphne, the job worker, redis-server) writing to its own log. A fault test
    kills it with any signal and starts it again with the same command, so on the same port."""

    name = "process"

    def __init__(self, argv: list[str], *, env: dict | None, log_path: Path, ready_timeout_s: float = 60):
        self.argv, self.env, self.log_path, self.ready_timeout_s = argv, env, log_path, ready_timeout_s
        self.popen: subprocess.Popen | None = None

    def start(self) -> Process:
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.ready_timeout_s
        while not self.ready():
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready in {self.ready_timeout_s} s:\n{self.log()}")
            time.sleep(0.1)
        return self

    def ready(self) -> bool:
        """Does it serve yet? (each kind knows how to ask)"""
        return True

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self, sig: int = signal.SIGKILL, timeout_s: float = 15) -> int:
        """Send ``sig`` and wait for the exit (a SIGTERM not honoured in time ends in SIGKILL); the exit code."""
        if not self.running:
            return self.popen.returncode if self.popen else 0
        self.popen.send_signal(sig)
        try:
            return self.popen.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait()

    def stop(self) -> None:
        self.kill(signal.SIGTERM, timeout_s=10)

    def restart(self, sig: int = signal.SIGKILL) -> Process:
        self.kill(sig)
        return self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Daphne(Process):
    """daphne serving the project through our entry point (contest_site/serve.py: bodies bounded), as `make run`
    starts it; ready when /healthz answers 200."""

    name = "daphne"

    def __init__(
        self,
        env: dict,
        folder: Path,
        *,
        port: int | None = None,
        ready_timeout_s: float = 60,
        app: str = "contest_site.asgi:application",
    ):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [sys.executable, "-m", "contest_site.serve", "-b", "127.0.0.1", "-p", str(self.port), app]
        super().__init__(argv, env=env, log_path=folder / f"daphne-{self.port}.log", ready_timeout_s=ready_timeout_s)

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as reply:  # noqa: S310 - our own server
                return reply.status == 200
        except OSError:
            return False


class Worker(Process):
    """``manage.py db_worker`` (django-tasks-db), polling the queue every 0.2 s; ready once it says it started."""

    name = "db_worker"

    def __init__(self, env: dict, folder: Path):
        argv = [
            *MANAGE,
            "db_worker",
            "--queue-name",
            "default,attempts",
            "--interval",
            "0.2",
            "--no-startup-delay",
            "--no-reload",
            "-v",
            "1",
        ]
        super().__init__(argv, env=env, log_path=folder / "db_worker.log")
        self.starts = 0

    def start(self) -> Process:
        self.starts += 1
        return super().start()

    def ready(self) -> bool:
        return self.log().count("Starting worker") >= self.starts


REDIS_SERVER = shutil.which("redis-server")
NO_REDIS_SERVER = "needs a private redis-server binary: apt-get install -y redis-server"


class RedisServer(Process):
    """A private redis-server on a free port. Without ``persistent`` a restart loses every key (channel groups
    included), the hardest case. Tests restart this one, never the machine's shared Redis."""

    name = "redis-server"

    def __init__(self, folder: Path, *, persistent: bool = False):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        argv = [REDIS_SERVER or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(folder)]
        # persistent: a snapshot on shutdown (SIGTERM), loaded at start, as Debian's packaged configuration does
        argv += ["--save", "3600 1" if persistent else "", "--appendonly", "no", "--dbfilename", f"{self.port}.rdb"]
        super().__init__(argv, env=None, log_path=folder / f"redis-{self.port}.log", ready_timeout_s=20)

    def ready(self) -> bool:
        import redis

        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=1).ping()
        except redis.RedisError:
            return False


@contextmanager
def running(*processes: Process):
    """Start the processes in order; stop every one that started, whatever happens."""
    with ExitStack() as stack:
        for process in processes:
            stack.callback(process.stop)
            process.start()
        yield processes


@contextmanager
def daphne(env: dict, folder: Path, *, count: int = 1, timeout_s: float = 60):
    """Start ``count`` daphne processes on free ports; yield their base URLs once /healthz answers."""
    servers = [Daphne(env, folder, ready_timeout_s=timeout_s) for _ in range(count)]
    with running(*servers):
        yield [server.url for server in servers]


# --- Clients -----------------------------------------------------------------------------------


def ws_connect(base_url: str, path: str, cookie: str | None = None):
    """A WebSocket to ``path`` on a served process, as a browser of that site opens it (Origin, session cookie)."""
    from websockets.sync.client import connect

    origin = base_url.replace("ws://", "http://")
    headers = {"Origin": origin}
    if cookie:
        headers["Cookie"] = f"sessionid={cookie}"
    return connect(f"{origin.replace('http://', 'ws://')}{path}", additional_headers=headers, open_timeout=5)


def next_message(ws, kind: str, timeout: float = 10) -> dict:
    """The next message of type ``kind`` (others are skipped); TimeoutError when none comes in time."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if message["type"] == kind:
            return message
