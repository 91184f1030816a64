"""Two app hosts on one machine (`make test-multihost`): each "host" is a daphne process group with its own
MEDIA_ROOT, temporary folders and tus spool, sharing nothing on disk with the other; one job worker (a third
"host", with its own folders too); PostgreSQL, Redis and an S3 endpoint (moto, contest_site/local_s3.py)
shared by all, as docs/deployment.md draws the multi-host shape.

They take a minute and need the machine's PostgreSQL and Redis, so plain `pytest` / `make test` leaves them
out: they run only when the marker expression names them (`pytest -m multihost`).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from contest_site import local_s3
from tests.servers import Daphne, Worker, _postgres_admin, manage, migrate, running

MARKER = "multihost"
PG_SERVER = os.environ.get("PG_SERVER", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("MULTIHOST_REDIS_URL", "redis://127.0.0.1:6379/12")
DAPHNES_PER_HOST = 2


def pytest_collection_modifyitems(config, items):
    """Leave the multi-host tests out unless asked for with ``-m`` (as ``make test-multihost`` does)."""
    if MARKER in (config.option.markexpr or ""):
        return
    left_out = [item for item in items if item.get_closest_marker(MARKER)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker(MARKER)]


@dataclass
class Host:
    """One machine of the deployment: its own folders, the shared services' addresses, its processes."""

    name: str
    folder: Path
    env: dict
    daphnes: list[Daphne] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return [daphne.url for daphne in self.daphnes]

    def disk_files(self) -> list[Path]:
        """Every file this host keeps on its own disk (media root, spool, temporary folder)."""
        return [path for path in self.folder.rglob("*") if path.is_file() and path.suffix != ".log"]


def host_env(folder: Path, shared: dict) -> dict:
    """A host's environment: the base settings (no TLS: the tests talk to daphne directly), its own folders,
    the shared database, Redis and bucket. TMPDIR too, so that every temporary copy stays on this host."""
    for sub in ("media", "tmp", "spool"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "MEDIA_STORAGE")}
    env.update(
        DJANGO_SETTINGS_MODULE="contest_site.settings.base",
        MEDIA_ROOT=str(folder / "media"),
        UPLOAD_TEMP_DIR=str(folder / "tmp"),
        TMPDIR=str(folder / "tmp"),
        PYTHONUNBUFFERED="1",
        **shared,
    )
    return env


@pytest.fixture(scope="session")
def s3_endpoint():
    process, variables = local_s3.start()
    try:
        yield variables
    finally:
        local_s3.stop(process)


@pytest.fixture(scope="session")
def database():
    name = f"contest_multihost_{uuid.uuid4().hex[:10]}"
    url = f"{PG_SERVER}/{name}"
    try:
        _postgres_admin(url, f'CREATE DATABASE "{name}"')
    except Exception as exc:
        pytest.skip(f"needs PostgreSQL at {PG_SERVER} (CI starts it): {exc}")
    try:
        yield url
    finally:
        _postgres_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def hosts(tmp_path_factory, s3_endpoint, database):
    """Host A and host B (DAPHNES_PER_HOST daphne processes each) and the worker host, all started."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"needs Redis at {REDIS_URL} (CI starts it)")
    root = tmp_path_factory.mktemp("multihost")
    shared = {"DATABASE_URL": database, "REDIS_URL": REDIS_URL, "DB_POOL_SIZE": "4", **s3_endpoint}
    made = {name: Host(name, root / name, host_env(root / name, shared)) for name in ("a", "b", "worker")}
    migrate(made["a"].env)
    manage(made["a"].env, "load_regions")
    for name in ("a", "b"):
        made[name].daphnes = [Daphne(made[name].env, made[name].folder) for _ in range(DAPHNES_PER_HOST)]
    worker = Worker(made["worker"].env, made["worker"].folder)
    with running(*made["a"].daphnes, *made["b"].daphnes, worker):
        yield made


def bucket_names(variables: dict) -> set[str]:
    """Every object name in the bucket (what lives off the hosts)."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=variables["MEDIA_S3_ENDPOINT_URL"],
        region_name=variables["MEDIA_S3_REGION"],
        aws_access_key_id=variables["MEDIA_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=variables["MEDIA_S3_SECRET_ACCESS_KEY"],
    )
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=variables["MEDIA_S3_BUCKET"])
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def port_of(url: str) -> int:
    return urlsplit(url).port
