"""Engine settings: SQLite safe for several workers, PostgreSQL that survives restarts;
the inserts that may do nothing, or add to a row already there, on each database."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from flask import Flask, g, has_request_context, request
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import scoped_session

#: Methods whose requests may write: their SQLite transactions take the write
#: lock up front (BEGIN IMMEDIATE). A deferred transaction that reads first
#: and writes later fails at once with "database is locked" when another
#: worker committed in between, whatever the busy timeout.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: ``g`` key overriding the method's choice for this request's next BEGIN.
IMMEDIATE_KEY = "sqlite_begin_immediate"


def engine_options(app: Flask) -> dict[str, Any]:
    """Return the SQLAlchemy engine options for the configured database."""
    options: dict[str, Any] = {}
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        create_private_sqlite_file(url.database, Path(app.instance_path))
        # A file has no server to restart: no ping before each checkout.
        timeout_seconds = app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000
        options["connect_args"] = {"timeout": timeout_seconds}
    else:
        options.update(
            # pre_ping checks each connection as it leaves the pool, so a
            # database restart costs only the requests that were in flight.
            pool_pre_ping=True,
            pool_size=app.config["DATABASE_POOL_SIZE"],
            max_overflow=app.config["DATABASE_MAX_OVERFLOW"],
            pool_recycle=app.config["DATABASE_POOL_RECYCLE"],
            pool_timeout=10,
        )
    return {**options, **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}


def create_private_sqlite_file(database: str | None, instance_path: Path) -> None:
    """Create a new SQLite file readable by its owner alone (0600).

    The file holds password hashes, emails and the mail outbox; SQLite would
    create it with the umask's permissions (usually 0644), and its -wal and
    -shm files copy the database's. The instance folder, when the database
    lives there, is created 0700.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.parent.resolve() == instance_path.resolve():
        make_private_folder(instance_path)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass
    except OSError:
        pass  # SQLite will report the real problem, in its own words, on first use


def make_private_folder(path: Path) -> None:
    """Create ``path`` (and its parents) if missing, the last one 0700."""
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, 0o700)


@sa.event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers and one writer work at once; we issue BEGIN ourselves.

    The busy timeout itself comes from the driver's ``timeout`` argument.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event below emit BEGIN, instead of the
    # driver's own implicit (deferred) BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


@sa.event.listens_for(Engine, "begin")
def _sqlite_begin(connection: Connection) -> None:
    """Start SQLite transactions: IMMEDIATE for requests that write."""
    if connection.dialect.name != "sqlite":
        return
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _may_write() else "BEGIN")


def _may_write() -> bool:
    if not has_request_context():
        return False
    return g.get(IMMEDIATE_KEY, request.method in WRITE_METHODS)


def rows_changed(statement: sa.Update | sa.Delete) -> int:
    """Run an UPDATE or DELETE through the session; return how many rows it changed.

    The rows are not loaded into the session (nothing there is brought up
    to date). SQLAlchemy types the session's result as ``Result``; an
    UPDATE or DELETE gives a ``CursorResult``, which has the count.
    """
    from blog.extensions import db

    result = db.session.execute(statement.execution_options(synchronize_session=False))
    return cast(sa.CursorResult[Any], result).rowcount or 0


#: Each database's INSERT with ON CONFLICT (SQLAlchemy has no generic one).
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _insert(connection: Connection, table: sa.Table) -> Any:
    """An INSERT into ``table`` that takes ON CONFLICT, for this connection's database."""
    dialect = connection.dialect.name
    if dialect not in _INSERTS:  # the project runs on these two
        raise NotImplementedError(f"no INSERT … ON CONFLICT for {dialect}")
    return _INSERTS[dialect](table)


def insert_once(connection: Connection, key: sa.Column[Any], row: Mapping[str, Any]) -> bool:
    """Insert ``row`` unless one with its ``key`` (a unique column) is there; return
    whether it was inserted.

    ``INSERT … ON CONFLICT DO NOTHING RETURNING key``: a row comes back only
    when the insert was new, since psycopg reports no row count for an insert
    that may do nothing.
    """
    table = key.table
    statement = (
        _insert(connection, table).on_conflict_do_nothing(index_elements=[key]).returning(key)
    )
    return connection.execute(statement, row).first() is not None


def insert_or_add(
    connection: Connection,
    key: sa.Column[Any],
    counters: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
) -> None:
    """Insert ``rows``; where a row with the same ``key`` is there, add their
    ``counters`` to its own instead (``INSERT … ON CONFLICT DO UPDATE``).

    The rows are written in the order given: callers sort them, so that two
    transactions on PostgreSQL lock shared rows in the same order and never
    deadlock.
    """
    table = key.table
    insert = _insert(connection, table)
    statement = insert.on_conflict_do_update(
        index_elements=[key],
        set_={name: table.c[name] + insert.excluded[name] for name in counters},
    )
    connection.execute(statement, rows)


def begin_with_reads() -> None:
    """This request reads before it writes: its first transaction only reads.

    A view that does most of its work before writing (the comment form:
    parsing, sanitizing, spam checks) calls this first, then does its writes
    inside :func:`write_transaction`. SQLite then holds its single write
    lock only for the writes, not for the whole request.
    """
    setattr(g, IMMEDIATE_KEY, False)


@contextmanager
def write_transaction(session: Any) -> Iterator[None]:
    """End the read transaction and run the block in a writing one.

    On SQLite the new transaction takes the write lock up front; the block
    must check again whatever its decision depends on, because another
    worker may have written since the read. The block commits.
    """
    # Nothing is pending: this only ends the read snapshot. What was read
    # stays loaded (the block must not trust it for decisions: see above).
    actual = session() if isinstance(session, scoped_session) else session
    expire, actual.expire_on_commit = actual.expire_on_commit, False
    try:
        actual.commit()
    finally:
        actual.expire_on_commit = expire
    setattr(g, IMMEDIATE_KEY, True)
    try:
        yield
    finally:
        setattr(g, IMMEDIATE_KEY, False)


def durable_at_checkpoints(dbapi_connection: Any) -> None:
    """Let a SQLite connection's commits wait for the disk at WAL checkpoints
    only, not at every commit (``synchronous = NORMAL``), from now on.

    For imports, which commit a batch every thousand comments and can run
    again: in WAL mode the database stays consistent whatever happens, and a
    power cut can only lose the last batches, which the next run adds. The
    setting can only change between transactions, so it takes the driver's
    connection, between two. A no-op on other databases.
    """
    if isinstance(dbapi_connection, sqlite3.Connection) and not dbapi_connection.in_transaction:
        dbapi_connection.execute("PRAGMA synchronous = NORMAL")
