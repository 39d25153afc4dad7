"""``flask restore FILE``: a backup back into an empty database.

Everything that can be checked is checked before anything is written: the
seal (the file is whole, unchanged, and this blog's), each part's SHA-256,
that the schema is one this code knows, that the database copy itself is
sound (SQLite's integrity check; pg_restore reading the dump), and that the
database and the uploads folder are empty (or ``--force``). Only then is
the database replaced, the uploads put in place, and the schema upgraded
when the backup is older than the code.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Flask
from flask_babel import gettext as _
from flask_migrate import upgrade

from blog.core.database import make_private_folder
from blog.extensions import db, migrate
from blog.media.storage import FOLDER_MODE
from blog.ops import archive, databases
from blog.ops.backup import DATABASE_PARTS, UPLOADS_PART, uploads_folder


class RestoreRefused(Exception):
    """Why nothing was restored, in the site's language."""


@dataclass(frozen=True)
class Restored:
    created_at: str
    schema_before: str | None
    schema_after: str | None
    uploads: bool


def refusal(error: archive.ArchiveError, path: Path) -> RestoreRefused:
    """The sentence for an archive that cannot be trusted."""
    if error.kind == archive.ArchiveError.OTHER_KEY:
        text = _(
            "%(file)s was not sealed with this blog's secret key: it may be forged. Nothing "
            "was restored. If you know where it comes from, run again with --any-key.",
            file=str(path),
        )
    elif error.kind == archive.ArchiveError.ALTERED:
        text = _(
            "%(file)s was changed after it was written (its checksum does not match): "
            "nothing was restored.",
            file=str(path),
        )
    else:
        text = _(
            "%(file)s is not a whole backup (truncated or damaged): nothing was restored.",
            file=str(path),
        )
    return RestoreRefused(text)


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(migrate.get_config())


def check_schema_known(version: str | None) -> None:
    """Refuse a backup whose schema comes from a newer release of the code."""
    if version is None:
        return
    try:
        known = script_directory().get_revision(version) is not None
    except CommandError:
        known = False
    if not known:
        raise RestoreRefused(
            _(
                "This backup comes from a newer release of the blog (schema %(version)s): "
                "install that release first. Nothing was restored.",
                version=version,
            )
        )


def check_target_empty(app: Flask, force: bool, with_uploads: bool) -> None:
    """Refuse to restore over rows or files, unless ``force``."""
    if force:
        return
    holding = databases.tables_holding_rows(db.engine, list(db.metadata.tables))
    if holding:
        raise RestoreRefused(
            _(
                "The database is not empty (rows in: %(tables)s): restore into an empty "
                "database, or pass --force to replace what it holds. Nothing was restored.",
                tables=", ".join(sorted(holding)),
            )
        )
    uploads = uploads_folder(app)
    if with_uploads and uploads.is_dir() and any(uploads.iterdir()):
        raise RestoreRefused(
            _(
                "The uploads folder %(folder)s is not empty: pass --force to replace it. "
                "Nothing was restored.",
                folder=str(uploads),
            )
        )


def check_dialect(manifest: dict[str, Any], url: sa.URL) -> None:
    if manifest.get("dialect") != url.get_backend_name():
        raise RestoreRefused(
            _(
                "This backup holds a %(backup)s database and this blog uses %(blog)s: "
                "nothing was restored.",
                backup=str(manifest.get("dialect")),
                blog=url.get_backend_name(),
            )
        )


class Staged:
    """The parts of a backup unpacked and checked in a private folder, ready to write."""

    def __init__(self, app: Flask, backup: archive.Backup, folder: Path) -> None:
        self.app = app
        self.folder = folder
        self.url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        # Files are named here, never after what the archive says.
        part = DATABASE_PARTS[self.url.get_backend_name()]
        if part not in backup.part_names():
            raise archive.ArchiveError(archive.ArchiveError.INCOMPLETE, "no database")
        self.database = folder / part
        backup.extract(part, self.database)
        self.uploads: Path | None = None
        if UPLOADS_PART in backup.part_names():
            packed = folder / UPLOADS_PART
            backup.extract(UPLOADS_PART, packed)
            self.uploads = folder / "uploads"
            try:
                archive.unpack_folder(packed, self.uploads)
            except tarfile.TarError as error:
                raise archive.ArchiveError(archive.ArchiveError.INCOMPLETE, str(error)) from error
        self.entries = folder / "entries.list"
        self.check_database()

    def check_database(self) -> None:
        """The copy itself must be sound before it replaces anything."""
        if self.url.get_backend_name() == "sqlite":
            problems = databases.sqlite_problems(self.database)
            if problems:
                raise RestoreRefused(
                    _(
                        "The database in this backup is damaged (%(problem)s): nothing was "
                        "restored.",
                        problem=problems[0],
                    )
                )
            return
        self.pg_restore = databases.find_tool(
            "pg_restore", databases.server_major(db.engine), self.app.config.get("POSTGRES_BIN_DIR")
        )
        self.entries.write_text(databases.postgres_entries(self.pg_restore, self.database))

    def write_database(self) -> None:
        db.session.remove()
        db.engine.dispose()
        if self.url.get_backend_name() == "sqlite":
            timeout = self.app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000
            databases.sqlite_restore(self.database, databases.sqlite_path(self.url), timeout)
        else:
            databases.drop_every_table(db.engine)
            databases.postgres_restore(db.engine.url, self.pg_restore, self.database, self.entries)
        db.engine.dispose()

    def write_uploads(self) -> None:
        """Put the uploaded files in place of the folder's (kept aside until then)."""
        if self.uploads is None:
            return
        target = uploads_folder(self.app)
        make_private_folder(target.parent)
        if target.exists():
            old = self.folder / "uploads-replaced"
            target.rename(old)
        shutil.move(str(self.uploads), str(target))
        # The images' folder is public, as the app makes it: nginx reads it.
        os.chmod(target, FOLDER_MODE)


def schema_version() -> str | None:
    with db.engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def restore(app: Flask, path: Path, force: bool = False, any_key: bool = False) -> Restored:
    """Restore the backup at ``path`` into the app's database (in an app context)."""
    key = archive.seal_key(app.config["SECRET_KEY"])
    make_private_folder(Path(app.instance_path))
    try:
        with (
            archive.open_backup(path, key, any_key) as backup,
            tempfile.TemporaryDirectory(prefix=".restore-", dir=app.instance_path) as folder,
        ):
            manifest = backup.manifest
            check_dialect(manifest, sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]))
            check_schema_known(manifest.get("schema_version"))
            staged = Staged(app, backup, Path(folder))
            check_target_empty(app, force, staged.uploads is not None)
            staged.write_database()
            staged.write_uploads()
    except archive.ArchiveError as error:
        raise refusal(error, path) from error
    before = schema_version()
    head = script_directory().get_current_head()
    if before is not None and before != head:
        upgrade()
    return Restored(
        str(manifest.get("created_at")), before, schema_version(), staged.uploads is not None
    )
