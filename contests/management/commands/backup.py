"""``manage.py backup [--to DIR]`` (``make backup``): the database and the media, into one timestamped folder.

The folder holds ``database.pgdump`` (pg_dump's custom format: consistent while the site runs, restorable
table by table) or ``database.sqlite3`` (SQLite's online backup API: a consistent copy of a live WAL
database, which a file copy is not), ``media.tar`` (MEDIA_ROOT; recordings are compressed already) and
``manifest.json`` with each file's size and SHA-256, which ``manage.py restore`` checks before it touches
anything. It is written as ``<name>.partial`` and renamed when complete, so that an interrupted backup is
never taken for a good one. Media in object storage are not archived: back up the bucket (versioning).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from contextlib import closing
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

MANIFEST = "manifest.json"
MEDIA_ARCHIVE = "media.tar"
DATABASE_FILES = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def postgres_env(settings_dict: dict) -> dict:
    """libpq's environment for the client tools, from Django's database settings (whatever the URL's form)."""
    env = dict(os.environ)
    values = {
        "PGDATABASE": settings_dict["NAME"],
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGSSLMODE": settings_dict.get("OPTIONS", {}).get("sslmode"),
    }
    env.update({name: str(value) for name, value in values.items() if value})
    return env


def run_client(argv: list[str], env: dict) -> None:
    """Run a PostgreSQL client tool; its own message becomes the command's error."""
    if shutil.which(argv[0]) is None:
        raise CommandError(f"{argv[0]} is missing: apt-get install -y postgresql-client (same major version)")
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise CommandError(f"{argv[0]} failed: {done.stderr.strip()}")


def database_dump(target: Path) -> None:
    """Dump the default database into ``target`` (a consistent snapshot, the site may keep running)."""
    if connection.vendor == "postgresql":
        run_client(["pg_dump", "--format=custom", f"--file={target}"], postgres_env(connection.settings_dict))
    else:
        connection.ensure_connection()
        with closing(sqlite3.connect(target)) as copy:
            connection.connection.backup(copy)


def media_archive(target: Path) -> dict | None:
    """Archive MEDIA_ROOT into ``target`` (paths relative to it); None when media live in object storage."""
    if not isinstance(default_storage, FileSystemStorage):
        return None
    root = Path(settings.MEDIA_ROOT)
    files = sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []
    with tarfile.open(target, "w") as archive:
        for path in files:
            archive.add(path, arcname=str(path.relative_to(root)), recursive=False)
    return {"files": len(files), "bytes": sum(path.stat().st_size for path in files)}


class Command(BaseCommand):
    help = "Back up the database (pg_dump / SQLite backup API) and MEDIA_ROOT into DIR/<timestamp>/."

    def add_arguments(self, parser):
        parser.add_argument("--to", default=str(settings.BASE_DIR / "var" / "backups"), help="parent folder")

    def handle(self, *args, to, **options):
        if connection.vendor not in DATABASE_FILES:
            raise CommandError(f"no backup method for the {connection.vendor} database")
        folder = self._new_folder(Path(to))
        partial = folder.with_name(folder.name + ".partial")
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.mkdir(mode=0o700)  # personal data: readable by the site's user only
        database = partial / DATABASE_FILES[connection.vendor]
        database_dump(database)
        media = media_archive(partial / MEDIA_ARCHIVE)
        files = [database] + ([partial / MEDIA_ARCHIVE] if media is not None else [])
        manifest = {
            "created_at": timezone.now().isoformat(),
            "engine": connection.vendor,
            "database": database.name,
            "media": media,
            "files": {path.name: {"bytes": path.stat().st_size, "sha256": sha256_of(path)} for path in files},
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        partial.rename(folder)
        media_note = "media in object storage (not archived)" if media is None else f"{media['files']} media files"
        self.stdout.write(f"backup written to {folder} ({connection.vendor} database, {media_note})")

    def _new_folder(self, parent: Path) -> Path:
        """``parent/<UTC timestamp>``, with a suffix if a backup of the same second exists."""
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        candidate, number = parent / stamp, 1
        while candidate.exists() or candidate.with_name(candidate.name + ".partial").exists():
            number += 1
            candidate = parent / f"{stamp}-{number}"
        return candidate
