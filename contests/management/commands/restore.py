"""``manage.py restore FOLDER`` (``make restore RESTORE_FROM=…``): a backup of ``manage.py backup`` into the
configured database (DATABASE_URL, or SQLITE_PATH) and MEDIA_ROOT.

Both must be fresh: a PostgreSQL database that does not exist yet is created, an existing one must have no
tables; MEDIA_ROOT must be empty. Restoring over live data is refused rather than merged, because a merge
would silently mix two sites' rows. The manifest's checksums are verified before anything is written.
"""

from __future__ import annotations

import json
import sqlite3
import tarfile
from contextlib import closing
from pathlib import Path

import psycopg
from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from psycopg import sql

from .backup import DATABASE_FILES, MANIFEST, MEDIA_ARCHIVE, postgres_env, run_client, sha256_of


def backup_verified(folder: Path) -> dict:
    """The backup's manifest, once every file it lists has the recorded size and checksum."""
    if not (folder / MANIFEST).is_file():
        raise CommandError(f"{folder} is not a backup folder (no {MANIFEST})")
    manifest = json.loads((folder / MANIFEST).read_text())
    for name, expected in manifest["files"].items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != expected["bytes"] or sha256_of(path) != expected["sha256"]:
            raise CommandError(f"{path} is missing or damaged (size or SHA-256 differs from the manifest)")
    return manifest


def postgres_database_create_if_missing(settings_dict: dict) -> None:
    """Create the target database when it does not exist (its server's maintenance database is asked)."""
    env = postgres_env(settings_dict)
    params = {
        "dbname": "postgres",
        "host": env.get("PGHOST"),
        "port": env.get("PGPORT"),
        "user": env.get("PGUSER"),
        "password": env.get("PGPASSWORD"),
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [settings_dict["NAME"]]).fetchone():
            return
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(settings_dict["NAME"])))


def check_fresh_targets() -> None:
    tables = connection.introspection.table_names()
    connection.close()
    if tables:
        raise CommandError(f"the target database {connection.settings_dict['NAME']} has tables: restore into a new one")
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.exists() and any(media_root.iterdir()):
        raise CommandError(f"MEDIA_ROOT {media_root} is not empty: restore into a new folder")


def database_load(source: Path) -> None:
    """Load the dump in one transaction: a failure leaves the new database empty, not half restored."""
    target = connection.settings_dict
    if connection.vendor == "postgresql":
        argv = ["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction"]
        run_client([*argv, f"--dbname={target['NAME']}", str(source)], postgres_env(target))
    else:
        with closing(sqlite3.connect(source)) as backup, closing(sqlite3.connect(target["NAME"])) as database:
            backup.backup(database)


def media_extract(archive: Path) -> None:
    """Unpack into MEDIA_ROOT; the "data" filter refuses absolute paths, links out of it and device files."""
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(media_root, filter="data")


class Command(BaseCommand):
    help = "Restore a backup folder of `manage.py backup` into a fresh database and an empty MEDIA_ROOT."

    def add_arguments(self, parser):
        parser.add_argument("folder", help="a folder written by manage.py backup")

    def handle(self, *args, folder, **options):
        source = Path(folder)
        manifest = backup_verified(source)
        if manifest["engine"] != connection.vendor:
            raise CommandError(f"the backup is of a {manifest['engine']} database, the target is {connection.vendor}")
        if manifest["media"] is not None and not isinstance(default_storage, FileSystemStorage):
            raise CommandError("the backup holds media files but MEDIA_ROOT is not the storage here")
        if connection.vendor == "postgresql":
            postgres_database_create_if_missing(connection.settings_dict)
        check_fresh_targets()
        database_load(source / DATABASE_FILES[connection.vendor])
        if manifest["media"] is not None:
            media_extract(source / MEDIA_ARCHIVE)
        media = manifest["media"]["files"] if manifest["media"] else 0
        self.stdout.write(
            f"restored {source} into {connection.settings_dict['NAME']} and {settings.MEDIA_ROOT} ({media} media files)"
        )
