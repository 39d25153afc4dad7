"""``flask backup``: the database and the uploaded files in one sealed file.

The copy is made while the blog keeps working (see ``databases.py``), in a
private staging folder beside the backups; the archive is written under a
hidden name, synced, then renamed into place, so a backup folder never
holds half a backup under a backup's name. The oldest beyond
``BACKUP_KEEP`` are then deleted.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from blog.core.database import make_private_folder
from blog.extensions import db
from blog.media.storage import media_folder
from blog.ops import archive, databases

#: The database's part for each kind of database, and the uploads' part.
DATABASE_PARTS = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
UPLOADS_PART = "uploads.tar"
#: A backup's name: when it was made (UTC), and a number when two share a second.
NAME = re.compile(r"blog-(\d{8}T\d{6}Z)(?:-(\d+))?\.tar")


@dataclass(frozen=True)
class BackupWritten:
    path: Path
    size: int
    removed: list[Path]


def backup_folder(app: Flask) -> Path:
    """``BACKUP_DIR``, or the instance folder's ``backups/``."""
    configured = app.config.get("BACKUP_DIR")
    return Path(configured) if configured else Path(app.instance_path) / "backups"


def uploads_folder(app: Flask) -> Path:
    """The uploaded images' folder: ``MEDIA_DIR``, or the instance folder's ``media/``."""
    return media_folder(app.config, app.instance_path)


def backups_in(folder: Path) -> list[Path]:
    """The backups in ``folder``, oldest first (by the time in their names)."""
    found = []
    for path in folder.glob("blog-*.tar") if folder.is_dir() else ():
        match = NAME.fullmatch(path.name)
        if match and path.is_file():
            found.append(((match.group(1), int(match.group(2) or 0)), path))
    return [path for _key, path in sorted(found)]


def newest_backup_age(folder: Path, now: float | None = None) -> float | None:
    """Seconds since the newest backup was written; None when there is none."""
    backups = backups_in(folder)
    if not backups:
        return None
    return max(0.0, (now or time.time()) - backups[-1].stat().st_mtime)


def new_backup_name(folder: Path, moment: datetime) -> Path:
    """A name after every backup's in ``folder``, even those made the same second."""
    stamp = moment.strftime("%Y%m%dT%H%M%SZ")
    numbers = [
        int(match.group(2) or 1)
        for match in (NAME.fullmatch(path.name) for path in folder.glob(f"blog-{stamp}*.tar"))
        if match and match.group(1) == stamp
    ]
    if not numbers:
        return folder / f"blog-{stamp}.tar"
    return folder / f"blog-{stamp}-{max(numbers) + 1}.tar"


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete the oldest backups beyond the newest ``keep`` (0 keeps them all)."""
    backups = backups_in(folder)
    if keep <= 0 or len(backups) <= keep:
        return []
    removed = backups[:-keep]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def copy_database(app: Flask, staging: Path) -> tuple[archive.Part, str | None]:
    """Copy the database into ``staging``; return the part and its schema version."""
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        target = staging / DATABASE_PARTS["sqlite"]
        timeout = app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000
        databases.sqlite_copy(databases.sqlite_path(url), target, timeout)
        return archive.Part(target.name, target), databases.sqlite_schema_version(target)
    engine = db.engine
    pg_dump = databases.find_tool(
        "pg_dump", databases.server_major(engine), app.config.get("POSTGRES_BIN_DIR")
    )
    version = databases.postgres_schema_version(engine)
    target = staging / DATABASE_PARTS["postgresql"]
    databases.postgres_dump(engine.url, pg_dump, target)
    return archive.Part(target.name, target), version


def write_backup(app: Flask) -> BackupWritten:
    """Write one backup into the backup folder, then prune the old ones."""
    folder = backup_folder(app)
    make_private_folder(folder)
    moment = datetime.now(UTC)
    final = new_backup_name(folder, moment)
    with tempfile.TemporaryDirectory(prefix=".staging-", dir=folder) as staging_name:
        staging = Path(staging_name)
        database, version = copy_database(app, staging)
        parts = [database]
        uploads = uploads_folder(app)
        if uploads.is_dir():
            packed = staging / UPLOADS_PART
            archive.pack_folder(uploads, packed)
            parts.append(archive.Part(packed.name, packed))
        manifest = {
            "created": int(moment.timestamp()),
            "created_at": moment.isoformat(timespec="seconds"),
            "dialect": sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name(),
            "schema_version": version,
        }
        partial = staging / (final.name + ".partial")
        archive.write_archive(partial, manifest, parts, archive.seal_key(app.config["SECRET_KEY"]))
        os.replace(partial, final)
    sync_folder(folder)
    removed = prune(folder, int(app.config["BACKUP_KEEP"]))
    return BackupWritten(final, final.stat().st_size, removed)


def sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
