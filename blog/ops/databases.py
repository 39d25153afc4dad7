"""Copying a database out to a file and back in, for each kind of database.

SQLite through its online backup API: one read transaction copies every
page, so the copy is one moment of the database while writers go on (WAL).
PostgreSQL through ``pg_dump --format=custom``, which reads one snapshot
while the blog keeps writing, and ``pg_restore`` in a single transaction.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess  # nosec B404: pg_dump and pg_restore, run with argument lists
from contextlib import closing
from pathlib import Path

import sqlalchemy as sa
from psycopg.conninfo import make_conninfo

#: Where Debian (and Ubuntu) install each major version's client programs.
DEBIAN_BIN = "/usr/lib/postgresql/{major}/bin"
VERSION = re.compile(r"\(PostgreSQL\) (\d+)")
#: TOC entries a role that is not a superuser cannot restore, and needs not:
#: the comment of an extension someone else created, the public schema.
SKIPPED_ENTRIES = re.compile(r"COMMENT - EXTENSION |SCHEMA - public |COMMENT - SCHEMA public ")
TOOL_TIMEOUT = 6 * 60 * 60


class DatabaseCopyError(Exception):
    """pg_dump or pg_restore missing or failing; the SQLite copy failing."""


class ToolMissing(DatabaseCopyError):
    def __init__(self, tool: str, major: int) -> None:
        super().__init__(tool, major)
        self.tool = tool
        self.major = major


# SQLite


def sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise DatabaseCopyError(f"not a SQLite file: {url.database!r}")
    return Path(url.database)


def sqlite_copy(source: Path, target: Path, busy_timeout: float) -> None:
    """Copy a live SQLite database into a new file, one consistent moment of it."""
    if not source.is_file():
        raise DatabaseCopyError(f"no database file at {source}")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    with (
        closing(sqlite3.connect(source, timeout=busy_timeout)) as live,
        closing(sqlite3.connect(target)) as copy,
    ):
        # One step copies every page inside one read transaction: a
        # consistent copy, while WAL lets the blog's writers go on.
        live.backup(copy, pages=-1)
        # The copy is a single self-contained file.
        copy.execute("PRAGMA journal_mode = DELETE")


def sqlite_problems(path: Path) -> list[str]:
    """What SQLite's integrity check finds in a database file (nothing: it is whole)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else rows


def sqlite_schema_version(path: Path) -> str | None:
    """The migration a SQLite file is at (None: it has no migrations' table)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:
            return None
    return row[0] if row else None


def sqlite_restore(copy: Path, target: Path, busy_timeout: float) -> None:
    """Replace the target database's whole content with the copy's, in one transaction."""
    with (
        closing(sqlite3.connect(f"file:{copy}?mode=ro", uri=True)) as source,
        closing(sqlite3.connect(target, timeout=busy_timeout)) as live,
    ):
        source.backup(live, pages=-1)


# PostgreSQL


def libpq_target(url: sa.URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for ``url`` without its password, and the
    environment that gives the password (never on a command line)."""
    params: dict[str, str] = {}
    for key, value in url.query.items():
        params[key] = value if isinstance(value, str) else value[-1]
    fields: dict[str, object] = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "dbname": url.database,
    }
    params.update({key: str(value) for key, value in fields.items() if value is not None})
    env = {**os.environ}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return make_conninfo(**params), env


def server_major(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        number = connection.exec_driver_sql("SHOW server_version_num").scalar()
    return int(str(number)) // 10000


def tool_major(program: str) -> int | None:
    """The major version a pg_dump or pg_restore says it is."""
    try:
        result = subprocess.run(  # nosec B603: a program of PostgreSQL's, no shell
            [program, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return None
    found = VERSION.search(result.stdout)
    return int(found.group(1)) if found else None


def find_tool(tool: str, major: int, configured: str | None) -> str:
    """``tool`` of PostgreSQL ``major`` or newer: in ``configured``, Debian's
    folder for that version, or the PATH."""
    candidates = [
        *([str(Path(configured) / tool)] if configured else []),
        str(Path(DEBIAN_BIN.format(major=major)) / tool),
        shutil.which(tool) or "",
    ]
    for program in candidates:
        if program and os.access(program, os.X_OK):
            version = tool_major(program)
            if version is not None and version >= major:
                return program
    raise ToolMissing(tool, major)


def run_tool(arguments: list[str], env: dict[str, str]) -> str:
    """Run pg_dump or pg_restore; return its output, or raise with its error."""
    result = subprocess.run(  # nosec B603: a program of PostgreSQL's, no shell
        arguments, capture_output=True, text=True, env=env, timeout=TOOL_TIMEOUT, check=False
    )
    if result.returncode != 0:
        raise DatabaseCopyError(result.stderr.strip()[-2000:] or f"exit status {result.returncode}")
    return result.stdout


def postgres_dump(url: sa.URL, pg_dump: str, target: Path) -> None:
    """``pg_dump --format=custom`` into ``target`` (a new file, mode 0600)."""
    conninfo, env = libpq_target(url)
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    run_tool([pg_dump, "--format=custom", f"--file={target}", f"--dbname={conninfo}"], env)


def postgres_entries(pg_restore: str, dump: Path) -> str:
    """The dump's table of contents, for pg_restore ``--use-list``: reading it
    checks that pg_restore can read the file, before anything is written."""
    listing = run_tool([pg_restore, "--list", str(dump)], dict(os.environ))
    return "".join(line + "\n" for line in listing.splitlines() if not SKIPPED_ENTRIES.search(line))


def postgres_restore(url: sa.URL, pg_restore: str, dump: Path, entries: Path) -> None:
    """Restore the dump in one transaction: all of it, or nothing."""
    conninfo, env = libpq_target(url)
    run_tool(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--use-list={entries}",
            f"--dbname={conninfo}",
            str(dump),
        ],
        env,
    )


def postgres_schema_version(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def drop_every_table(engine: sa.Engine) -> None:
    """Drop every table of the connection's schema, for a restore over them."""
    with engine.begin() as connection:
        quote = connection.dialect.identifier_preparer.quote
        for name in sa.inspect(connection).get_table_names():
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {quote(name)} CASCADE")  # nosec B608


# Both


def tables_holding_rows(engine: sa.Engine, names: list[str]) -> list[str]:
    """Which of these tables exist and hold at least one row."""
    holding = []
    with engine.connect() as connection:
        existing = set(sa.inspect(connection).get_table_names())
        for name in names:
            if name in existing:
                table = sa.table(name)
                if connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
                    holding.append(name)
    return holding
