"""Fault tests (`make test-faults`): the project's real processes — daphne, the job worker, a private
redis-server — on a throw-away database of the run's engine (PostgreSQL when DATABASE_URL is set, SQLite
otherwise), killed and restarted mid-work; each test asserts that nothing was lost.

They take minutes and start processes, so plain `pytest` / `make test` leaves them out: they run only when
the marker expression names them (`pytest -m faults`).
"""

from __future__ import annotations

import os

import pytest

from tests.servers import NO_REDIS_SERVER, REDIS_SERVER, RedisServer, migrated_databases, running

MARKER = "faults"


def pytest_collection_modifyitems(config, items):
    """Leave fault tests out unless asked for with ``-m`` (as ``make test-faults`` does)."""
    if MARKER in (config.option.markexpr or ""):
        return
    kept = [item for item in items if not item.get_closest_marker(MARKER)]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item.get_closest_marker(MARKER)])
        items[:] = kept


@pytest.fixture(scope="session")
def fresh_env(tmp_path_factory):
    """``fresh_env(name) -> env``: a migrated database of its own (copied from one migrated template) and a
    media folder, for the processes of one test module."""
    with migrated_databases(tmp_path_factory.mktemp("template"), prefix="faults") as fresh:
        yield lambda name: fresh(tmp_path_factory.mktemp(name))


@pytest.fixture
def channel_layer_url(tmp_path):
    """Where the daphne processes of a test meet: a private redis-server when the binary exists (no other run
    can hear this test's groups, session ids of fresh databases all start at 1), else REDIS_URL."""
    if REDIS_SERVER is None:
        if not os.environ.get("REDIS_URL"):
            pytest.skip(f"{NO_REDIS_SERVER}, or REDIS_URL")
        yield os.environ["REDIS_URL"]
        return
    with running(RedisServer(tmp_path)) as (server,):
        yield server.url
