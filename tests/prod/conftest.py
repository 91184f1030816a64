"""Production-topology tests (`make test-prod`): scripts/serve-prod started as an operator starts it — nginx
with TLS, two daphne processes, the job worker and sweeps, PostgreSQL and Redis — on a free port, a fresh
database and a folder of its own, then stopped (and the database dropped) at the end.

They install nginx if needed and take a minute, so plain `pytest` / `make test` leaves them out: they run
only when the marker expression names them (`pytest -m prod`).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.prod.client import Browser
from tests.servers import ROOT, free_port

MARKER = "prod"
PG_SERVER = os.environ.get("PG_SERVER", "postgres://postgres@127.0.0.1:5432")
# A Redis database of its own on the shared server: the channel groups of other runs are elsewhere.
REDIS_URL = os.environ.get("PROD_REDIS_URL", "redis://127.0.0.1:6379/11")
DAPHNES = 2
START_TIMEOUT_S = 300


def pytest_collection_modifyitems(config, items):
    """Leave production-topology tests out unless asked for with ``-m`` (as ``make test-prod`` does)."""
    if MARKER in (config.option.markexpr or ""):
        return
    left_out = [item for item in items if item.get_closest_marker(MARKER)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker(MARKER)]


@dataclass
class Topology:
    process: subprocess.Popen
    folder: Path
    port: int
    database: str

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def cafile(self) -> Path:
        return self.folder / "tls" / "cert.pem"

    @property
    def env(self) -> dict:
        """The environment of the topology's processes (its rendered contest.env), for ``project_call``."""
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        for line in (self.folder / "deploy" / "contest.env").read_text().splitlines():
            if line and not line.startswith("#"):
                name, value = line.split("=", 1)
                env[name] = value.strip('"')
        return env

    def socket(self, number: int) -> Path:
        return self.folder / "run" / f"daphne-{number}.sock"

    def log(self, name: str) -> str:
        path = self.folder / "log" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def browser(self) -> Browser:
        return Browser(self.base_url, self.cafile)

    def session_processes(self) -> list[int]:
        """Every process still in the script's session (it was started as a session leader)."""
        alive = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[3]) == self.process.pid and fields[0] != "Z":  # session id, not a zombie
                alive.append(int(entry.name))
        return alive

    def stop(self) -> None:
        """Stop as Ctrl+C does: the script's trap stops every process it started."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _start(folder: Path) -> Topology:
    port = free_port()
    database = f"contest_prodtest_{uuid.uuid4().hex[:10]}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        PORT=str(port),
        DAPHNES=str(DAPHNES),
        SEED="1",
        PROD_DIR=str(folder),
        PROD_DB=database,
        PG_SERVER=PG_SERVER,
        PROD_REDIS_URL=REDIS_URL,
    )
    output = (folder / "serve-prod.out").open("wb")
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "serve-prod")],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own session: the tests can tell its processes apart, as Ctrl+C would
    )
    topology = Topology(process=process, folder=folder, port=port, database=database)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not re.search(r"serve-prod: ready on", (folder / "serve-prod.out").read_text(errors="replace")):
        if process.poll() is not None or time.monotonic() > deadline:
            topology.stop()
            _drop(database)
            pytest.fail(f"scripts/serve-prod did not start:\n{(folder / 'serve-prod.out').read_text()}")
        time.sleep(0.5)
    return topology


def _drop(database: str) -> None:
    subprocess.run(
        ["psql", f"{PG_SERVER}/postgres", "-qc", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'],
        check=False,
        capture_output=True,
    )


@pytest.fixture(scope="session")
def topology(tmp_path_factory):
    topology = _start(tmp_path_factory.mktemp("prod"))
    try:
        yield topology
    finally:
        topology.stop()
        _drop(topology.database)
