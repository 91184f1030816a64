"""`make backup` / `make restore`: a backup restored into a fresh database and media folder holds every row
and every byte; restoring over existing data, or from a damaged backup, is refused.

On the run's engine: SQLite by default, PostgreSQL (pg_dump / pg_restore) when DATABASE_URL is set."""

from __future__ import annotations

import hashlib
import os
import subprocess
import uuid
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image

from contests import services
from tests.servers import MANAGE, ROOT, project_call, project_env

pytestmark = pytest.mark.django_db(transaction=True)  # committed rows: pg_dump reads from another session


def table_digests() -> dict:
    """Every table's row count and a digest of its rows (order-free): equal digests, equal contents.

    Also run inside the restored project (``project_call``), so both sides read through the same backend.
    """
    from django.db import connection

    digests = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - introspected names
            rows = sorted(repr(row) for row in cursor.fetchall())
            digests[table] = [len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()]
    return digests


def _media_digests(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*")
        if path.is_file()
    }


def _restore(env: dict, folder: Path) -> subprocess.CompletedProcess:
    argv = [*MANAGE, "restore", str(folder)]
    return subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def _postgres_admin(sql: str) -> None:
    url = urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres").geturl()
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(sql)


@pytest.fixture
def fresh_target(tmp_path):
    """``fresh_target() -> env``: the project on a database that does not exist yet and an empty media
    folder (PostgreSQL when the run uses it; the database is dropped at the end)."""
    url = os.environ.get("DATABASE_URL", "")
    created = []

    def make() -> dict:
        env = project_env(tmp_path / f"target-{len(created)}")
        if url.startswith(("postgres://", "postgresql://")):
            name = f"restore_test_{uuid.uuid4().hex[:10]}"
            env["DATABASE_URL"] = urlsplit(url)._replace(path=f"/{name}").geturl()
            created.append(name)
        else:
            created.append(env["SQLITE_PATH"])
        return env

    yield make
    if url.startswith(("postgres://", "postgresql://")):
        for name in created:
            _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def site_with_media(settings, tmp_path, make_event, complete_profile, participant):
    """Rows (regions, users, a profile, an event) and media files (a banner, a file with a Vietnamese name)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    services.profile_update(
        profile=services.profile_get_or_create(user=participant),
        data=complete_profile("+84912300001"),
        data_consent=True,
        guardian_consent=False,
    )
    picture = BytesIO()
    Image.new("RGB", (640, 240), (0, 120, 80)).save(picture, format="PNG")
    event = make_event()
    services.event_update(event=event, fields={}, banner=SimpleUploadedFile("b.png", picture.getvalue()))
    default_storage.save("tài-liệu/bài đọc.bin", ContentFile(os.urandom(300_000)))
    return settings.MEDIA_ROOT


def test_backup_restored_into_a_fresh_database_and_media_folder_is_identical(site_with_media, fresh_target, tmp_path):
    call_command("backup", to=str(tmp_path / "backups"), verbosity=0)
    [folder] = (tmp_path / "backups").iterdir()
    assert sorted(p.name for p in folder.iterdir())[-2:] == ["manifest.json", "media.tar"]

    target = fresh_target()
    restored = _restore(target, folder)
    assert restored.returncode == 0, restored.stderr

    source = table_digests()
    assert source["contests_event"][0] == 1 and source["contests_region"][0] > 30
    assert project_call(target, "contests.tests.test_backup:table_digests") == source
    source_media = _media_digests(site_with_media)
    assert len(source_media) == 2
    assert _media_digests(Path(target["MEDIA_ROOT"])) == source_media

    again = _restore(target, folder)
    assert again.returncode != 0 and "has tables" in again.stderr, "restoring over data is refused"


def test_a_damaged_backup_is_refused_before_anything_is_written(site_with_media, fresh_target, tmp_path):
    call_command("backup", to=str(tmp_path / "backups"), verbosity=0)
    [folder] = (tmp_path / "backups").iterdir()
    archive = folder / "media.tar"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))

    target = fresh_target()
    refused = _restore(target, folder)
    assert refused.returncode != 0 and "damaged" in refused.stderr
    assert not Path(target["MEDIA_ROOT"]).exists()
