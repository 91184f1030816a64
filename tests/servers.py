"""The project served for real, for tests that need WebSockets or several processes: a throw-away database
prepared through manage.py, and daphne processes on free ports, stopped at the end.

pytest-django's live_server is a WSGI thread and cannot serve WebSockets; these tests run the ASGI app
exactly as `make run` does.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MANAGE = [sys.executable, str(ROOT / "manage.py")]


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


def prepare_database(env: dict, setup_script: str, marker: str | None = None) -> dict:
    """Migrate, run ``setup_script`` in ``manage.py shell`` and return the JSON it prints last (or on the line
    starting with ``marker``)."""
    run = {"env": env, "cwd": ROOT, "capture_output": True, "text": True, "timeout": 300}
    migrated = subprocess.run([*MANAGE, "migrate", "--noinput", "-v", "0"], **run)
    assert migrated.returncode == 0, migrated.stderr
    made = subprocess.run([*MANAGE, "shell", "-c", setup_script], **run)
    assert made.returncode == 0, made.stderr
    lines = made.stdout.strip().splitlines()
    if marker:
        return json.loads(next(line for line in lines if line.startswith(marker))[len(marker) :])
    return json.loads(lines[-1])


@contextmanager
def daphne(env: dict, folder: Path, *, count: int = 1, timeout_s: float = 60):
    """Start ``count`` daphne processes on free ports; yield their base URLs once /healthz answers."""
    processes, urls, logs = [], [], []
    try:
        for _ in range(count):
            port = free_port()
            log_path = folder / f"daphne-{port}.log"
            logs.append(log_path)
            with log_path.open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        [
                            str(Path(sys.executable).with_name("daphne")),
                            "-b",
                            "127.0.0.1",
                            "-p",
                            str(port),
                            "contest_site.asgi:application",
                        ],
                        env=env,
                        cwd=ROOT,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            urls.append(f"http://127.0.0.1:{port}")
        for url, process, log_path in zip(urls, processes, logs, strict=True):
            _wait_healthy(url, process, log_path, timeout_s)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_healthy(url: str, process, log_path: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as reply:  # noqa: S310 - our own server
                if reply.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"daphne did not answer /healthz in {timeout_s} s:\n{log_path.read_text()}")
        time.sleep(0.2)
