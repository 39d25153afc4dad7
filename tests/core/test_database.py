"""The inserts that may do nothing, or add to a row already there, on each database.

Run on SQLite and, with TEST_DATABASE_URL, on PostgreSQL (where psycopg
gives no row count for an insert that may do nothing).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from blog.core.database import insert_once, insert_or_add
from blog.extensions import db

_metadata = sa.MetaData()
_counted = sa.Table(
    "test_insert_helpers",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(20), nullable=False, unique=True),
    sa.Column("note", sa.String(20), nullable=False, default=""),
    sa.Column("spam", sa.Integer, nullable=False, default=0),
    sa.Column("ham", sa.Integer, nullable=False, default=0),
)


@pytest.fixture
def connection(app) -> Iterator[sa.Connection]:
    """A connection of the app's session, with a table of its own for these tests."""
    with app.app_context():
        _metadata.drop_all(db.engine)
        _metadata.create_all(db.engine)
        try:
            yield db.session.connection()
        finally:
            db.session.rollback()
            _metadata.drop_all(db.engine)


def rows(connection: sa.Connection) -> list[tuple[Any, ...]]:
    query = sa.select(_counted.c.name, _counted.c.note, _counted.c.spam, _counted.c.ham)
    return [tuple(row) for row in connection.execute(query.order_by(_counted.c.name))]


def test_insert_once_tells_a_new_row_from_one_already_there(connection):
    assert insert_once(connection, _counted.c.name, {"name": "uno", "note": "primo"}) is True
    assert insert_once(connection, _counted.c.name, {"name": "uno", "note": "secondo"}) is False
    assert insert_once(connection, _counted.c.name, {"name": "due", "note": "terzo"}) is True
    assert rows(connection) == [("due", "terzo", 0, 0), ("uno", "primo", 0, 0)]


def test_insert_once_sees_rows_another_transaction_committed(connection):
    insert_once(connection, _counted.c.name, {"name": "uno"})
    db.session.commit()
    again = db.session.connection()
    assert insert_once(again, _counted.c.name, {"name": "uno"}) is False
    assert len(rows(again)) == 1


def test_insert_or_add_inserts_new_rows_and_adds_to_the_others(connection):
    insert_or_add(
        connection, _counted.c.name, ("spam", "ham"), [{"name": "b", "spam": 1, "ham": 0}]
    )
    insert_or_add(
        connection,
        _counted.c.name,
        ("spam", "ham"),
        [{"name": "a", "spam": 1, "ham": 1}, {"name": "b", "spam": 2, "ham": 3}],
    )
    assert rows(connection) == [("a", "", 1, 1), ("b", "", 3, 3)]


def test_insert_or_add_changes_only_the_counters_it_is_given(connection):
    insert_or_add(
        connection, _counted.c.name, ("spam",), [{"name": "a", "note": "x", "spam": 1, "ham": 5}]
    )
    insert_or_add(
        connection, _counted.c.name, ("spam",), [{"name": "a", "note": "y", "spam": 2, "ham": 7}]
    )
    assert rows(connection) == [("a", "x", 3, 5)]


def test_another_database_is_refused_plainly():
    elsewhere: Any = SimpleNamespace(dialect=SimpleNamespace(name="mysql"))
    with pytest.raises(NotImplementedError, match="mysql"):
        insert_once(elsewhere, _counted.c.name, {"name": "uno"})
    with pytest.raises(NotImplementedError, match="mysql"):
        insert_or_add(elsewhere, _counted.c.name, ("spam",), [{"name": "uno"}])
