"""Searching comments by any part of their text, author, email or IP.

The queue's search finds substrings, as WordPress's does. A plain
``LIKE '%…%'`` reads every comment of the tab; here an index answers:

* on SQLite, an FTS5 table with the trigram tokenizer, kept by triggers,
  whose ``MATCH`` finds any substring of three characters or more;
* on PostgreSQL, pg_trgm GIN indexes, which ``ILIKE '%…%'`` uses as it is.

Shorter searches fall back to ``LIKE``. The index is created with the
comment table (``create_all`` in tests) and by a migration (``flask
init-db``), from the statements below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from blog.models import Comment

FTS_TABLE = "comment_search"
SEARCHED = ("body", "author", "email", "ip_address")
#: FTS5's trigram tokenizer matches from three characters on.
MIN_INDEXED = 3

# Written out in full: constants, no string building.
SQLITE_CREATE = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS comment_search USING fts5(
        body, author, email, ip_address,
        content='comment', content_rowid='id', tokenize='trigram'
    )""",
    """CREATE TRIGGER IF NOT EXISTS comment_search_insert AFTER INSERT ON comment BEGIN
        INSERT INTO comment_search(rowid, body, author, email, ip_address)
        VALUES (new.id, new.body, new.author, new.email, new.ip_address);
    END""",
    """CREATE TRIGGER IF NOT EXISTS comment_search_delete AFTER DELETE ON comment BEGIN
        INSERT INTO comment_search(comment_search, rowid, body, author, email, ip_address)
        VALUES ('delete', old.id, old.body, old.author, old.email, old.ip_address);
    END""",
    """CREATE TRIGGER IF NOT EXISTS comment_search_update
        AFTER UPDATE OF body, author, email, ip_address ON comment BEGIN
        INSERT INTO comment_search(comment_search, rowid, body, author, email, ip_address)
        VALUES ('delete', old.id, old.body, old.author, old.email, old.ip_address);
        INSERT INTO comment_search(rowid, body, author, email, ip_address)
        VALUES (new.id, new.body, new.author, new.email, new.ip_address);
    END""",
    # Whatever the table already holds (the migration on an existing blog).
    "INSERT INTO comment_search(comment_search) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS comment_search_insert",
    "DROP TRIGGER IF EXISTS comment_search_delete",
    "DROP TRIGGER IF EXISTS comment_search_update",
    "DROP TABLE IF EXISTS comment_search",
]
POSTGRESQL_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_comment_body_trgm ON comment USING gin (body gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_comment_author_trgm ON comment USING gin (author gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_comment_email_trgm ON comment USING gin (email gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_comment_ip_address_trgm "
    "ON comment USING gin (ip_address gin_trgm_ops)",
]
POSTGRESQL_DROP = [
    "DROP INDEX IF EXISTS ix_comment_body_trgm",
    "DROP INDEX IF EXISTS ix_comment_author_trgm",
    "DROP INDEX IF EXISTS ix_comment_email_trgm",
    "DROP INDEX IF EXISTS ix_comment_ip_address_trgm",
]


def create_index(connection: Connection) -> None:
    """Create the search index for this database, if it is not there."""
    statements = {"sqlite": SQLITE_CREATE, "postgresql": POSTGRESQL_CREATE}
    for statement in statements.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


def drop_index(connection: Connection) -> None:
    statements = {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}
    for statement in statements.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


# An import adds comments a thousand at a time: indexing them with one
# statement costs a quarter of what one trigger run per row does (FTS5 works
# per statement). The insert trigger is dropped and created again inside the
# importer's own transaction, so no other writer ever sees the table without
# it, and a failed batch rolls both back.
_SQLITE_INSERT_TRIGGER = SQLITE_CREATE[1]
_SQLITE_DROP_INSERT_TRIGGER = SQLITE_DROP[0]
_SQLITE_INDEX_ROWS = sa.text(
    "INSERT INTO comment_search(rowid, body, author, email, ip_address) "
    "SELECT id, body, author, email, ip_address FROM comment WHERE id IN :ids"
).bindparams(sa.bindparam("ids", expanding=True))


@contextmanager
def indexed_at_once(connection: Connection) -> Iterator[Callable[[list[int]], None]]:
    """Index the comments inserted in the block, whose ids it is given, in
    one statement at its end instead of one trigger run each.

    The block runs in the caller's transaction, which must not commit inside
    it. On PostgreSQL the indexes keep themselves: nothing to do.
    """
    if connection.dialect.name != "sqlite":
        yield lambda _ids: None
        return
    inserted: list[int] = []
    connection.exec_driver_sql(_SQLITE_DROP_INSERT_TRIGGER)
    yield inserted.extend
    for start in range(0, len(inserted), 10_000):
        connection.execute(_SQLITE_INDEX_ROWS, {"ids": inserted[start : start + 10_000]})
    connection.exec_driver_sql(_SQLITE_INSERT_TRIGGER)


def managed_here(name: str | None) -> bool:
    """Objects this module keeps, which the models do not declare."""
    if not name:
        return False
    return name.startswith(FTS_TABLE) or name.endswith("_trgm")


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's filter: leave the search index out of model comparisons."""
    return not managed_here(name)


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(search: str) -> sa.ColumnElement[bool]:
    pattern = f"%{escape_like(search)}%"
    return sa.or_(*(getattr(Comment, column).ilike(pattern, escape="\\") for column in SEARCHED))


FTS = sa.table("comment_search", sa.column("rowid"), sa.column("comment_search"))


def search_comments(query: sa.Select, search: str, dialect: str) -> sa.Select:
    """Narrow a select of comments to those where ``search`` is part of the
    text, author, email or IP, newest first.

    On SQLite the FTS table drives the query in its own rowid order (newest
    comment ids first), so a page of a common word stops after its fifty
    rows instead of collecting every match first.
    """
    if dialect == "sqlite" and len(search) >= MIN_INDEXED:
        phrase = '"' + search.replace('"', '""') + '"'
        return (
            query.join(FTS, FTS.c.rowid == Comment.id)
            .where(FTS.c.comment_search.op("MATCH")(phrase))
            .order_by(None)
            .order_by(FTS.c.rowid.desc())
        )
    return query.where(_like(search))


@sa.event.listens_for(Comment.__table__, "after_create")
def _create_with_table(_table: sa.Table, connection: Connection, **_: object) -> None:
    create_index(connection)


@sa.event.listens_for(Comment.__table__, "before_drop")
def _drop_with_table(_table: sa.Table, connection: Connection, **_: object) -> None:
    drop_index(connection)
