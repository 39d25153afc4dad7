"""``flask db upgrade`` keeps every row: from the first migration to head, and back one step.

A blog created at the first migration gets rows in every table there is at
each revision, then is upgraded one revision at a time; after each step,
every row written so far must still be there with the values it was given.
On SQLite, Alembic's batch mode rebuilds a table by copying it and dropping
the old one; with foreign keys on, that drop fired ``ON DELETE CASCADE``
and deleted every comment.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from blog import create_app
from blog.extensions import db
from tests.helpers import test_database_url

FIRST = "a0405713cd5d"
HEAD = "9c7d3e5f1b28"
WHEN = datetime(2024, 3, 1, 9, 30, 15)
LATER = datetime(2024, 3, 2, 18, 5, 0)


def comment(number: int, article_id: int, parent_id: int | None = None, **extra: Any) -> dict:
    """A comment row with the columns of the first migration, and ``extra``."""
    return {
        "id": number,
        "article_id": article_id,
        "parent_id": parent_id,
        "author": f"Lettore {number}",
        "email": f"lettore{number}@example.it",
        "url": f"https://lettore{number}.example.it/" if number % 2 else "",
        "body": f"Commento numero {number}.",
        "body_html": f"<p>Commento numero {number}.</p>",
        "status": "approved",
        "created_at": WHEN,
        "ip_address": "192.0.2.1" if number % 2 else "2001:db8::1",
        "user_agent": "pytest",
        **extra,
    }


def article(number: int, slug: str, **extra: Any) -> dict:
    """An article row with the columns of the first migration, and ``extra``."""
    return {
        "id": number,
        "slug": slug,
        "title": f"Articolo {number}",
        "standfirst": "Il sommario.",
        "body_html": "<p>Il testo.</p>",
        "published_at": WHEN,
        "comments_open": number % 2 == 1,
        "approved_comment_count": 2,
        "comment_version": 3,
        **extra,
    }


#: What a blog writes at each revision, in the tables and columns there are
#: then: a row in each table as soon as it exists, in an order the foreign
#: keys accept. Ids are explicit, so that a reply names its parent.
ROWS_AT: dict[str, dict[str, list[dict]]] = {
    FIRST: {
        "article": [article(1, "primo"), article(2, "secondo")],
        "comment": [
            comment(1, 1),
            comment(2, 1, parent_id=1),
            comment(3, 2, status="pending", ip_address=None, user_agent=None),
        ],
    },
    "15642672cf60": {  # moderators and moderation events
        "moderator": [
            {
                "id": 1,
                "username": "anna",
                "password_hash": "pbkdf2:sha256:1000$sale$hash",
                "display_name": "Anna",
                "email": "anna@example.it",
                "active": True,
                "session_token": "t" * 64,
                "created_at": WHEN,
                "last_login_at": LATER,
            }
        ],
        "comment": [comment(4, 1, parent_id=2, moderator_id=1)],
        "moderation_event": [
            {
                "id": 1,
                "comment_id": 4,
                "moderator_id": 1,
                "action": "approve",
                "from_status": "pending",
                "to_status": "approved",
                "note": None,
                "created_at": LATER,
            }
        ],
    },
    "e16ceaed4562": {  # site settings
        "site_setting": [{"key": "moderation", "value": "first"}],
    },
    "830a953c4b11": {  # threads
        "article": [article(3, "terzo", approved_thread_count=1)],
        "comment": [comment(5, 3, thread_id=5)],
    },
    "6785d9ec6fe1": {  # notify, mail outbox, used links
        "comment": [comment(6, 3, parent_id=5, thread_id=5, notify=True, body_digest="d" * 64)],
        "mail_message": [
            {
                "id": 1,
                "to_address": "lettore5@example.it",
                "subject": "Una risposta",
                "body": "Testo della mail.",
                "created_at": WHEN,
                "attempts": 2,
                "next_attempt_at": LATER,
                "sent_at": None,
                "last_error": "timeout",
            }
        ],
        "used_link": [{"digest": "u" * 64, "used_at": LATER}],
    },
    "f8c138298b5c": {  # WordPress ids: the article and comment tables rebuilt
        "article": [article(4, "da-wordpress", wp_post_id=42)],
        "comment": [comment(7, 4, thread_id=7, wp_comment_id=420)],
    },
    "7a4e2c9d1b58": {  # moderator sessions
        "moderator_session": [
            {"id": "s" * 64, "moderator_id": 1, "created_at": WHEN, "expires_at": LATER}
        ],
    },
    "5e8b0c3f7a21": {  # learning spam filter
        "spam_token": [{"token": "casino", "spam_count": 3, "ham_count": 1}],
        "comment": [
            comment(8, 1, status="spam", spam_score=0.98, spam_clues="casino", spam_trained="spam")
        ],
    },
    "b23393ba4ba5": {  # subscriptions, digests, webhooks, mail headers
        "moderator": [
            {
                "id": 2,
                "username": "bruno",
                "password_hash": "pbkdf2:sha256:1000$sale$hash",
                "display_name": "Bruno",
                "email": "bruno@example.it",
                "active": True,
                "session_token": "b" * 64,
                "created_at": WHEN,
                "mail_events": "all",
                "mail_frequency": "daily",
                "digest_sent_at": LATER,
            }
        ],
        "subscriber": [
            {
                "id": 1,
                "email": "lettore1@example.it",
                "key": "k" * 32,
                "created_at": WHEN,
                "confirmed_at": LATER,
                "confirmation_sent_at": WHEN,
            }
        ],
        "suppression": [{"digest": "x" * 64, "created_at": WHEN}],
        "subscription": [
            {"id": 1, "subscriber_id": 1, "article_id": 1, "comment_id": None, "created_at": WHEN},
            {"id": 2, "subscriber_id": 1, "article_id": None, "comment_id": 1, "created_at": WHEN},
        ],
        "digest_entry": [{"id": 1, "moderator_id": 2, "comment_id": 3, "created_at": WHEN}],
        "webhook_delivery": [
            {
                "id": 1,
                "url": "https://chat.example.it/hook",
                "event": "comment.approved",
                "body": "{}",
                "comment_id": 1,
                "created_at": WHEN,
                "attempts": 0,
                "next_attempt_at": WHEN,
            }
        ],
        "mail_message": [
            {
                "id": 2,
                "to_address": "anna@example.it",
                "subject": "Da moderare",
                "body": "Un commento attende.",
                "created_at": WHEN,
                "attempts": 0,
                "next_attempt_at": WHEN,
                "message_id": "<1@blog.example.it>",
                "unsubscribe_url": "https://blog.example.it/email/disiscrivi/x",
                "comment_id": 3,
            }
        ],
        "mail_comment": [{"mail_message_id": 2, "comment_id": 3}],
    },
    "a04aaf004c6d": {  # import keys
        "comment": [comment(9, 2, thread_id=9, import_source="disqus", import_id="dq-9")],
    },
    "3f9a6c2e1b7d": {  # likes, edits, moderators' sites
        "comment": [comment(10, 2, thread_id=10, approved_at=LATER, edited_at=LATER, like_count=1)],
        "comment_like": [{"key": "l" * 64, "comment_id": 10, "created_at": LATER}],
        "moderator": [
            {
                "id": 3,
                "username": "carla",
                "password_hash": "pbkdf2:sha256:1000$sale$hash",
                "display_name": "Carla",
                "active": False,
                "session_token": "c" * 64,
                "created_at": WHEN,
                "url": "https://carla.example.it/",
            }
        ],
    },
    "2feb647089cf": {  # status time, reports, undo
        "comment_flag": [{"digest": "f" * 64, "comment_id": 2, "created_at": LATER}],
        "comment": [comment(11, 1, parent_id=4, thread_id=1, flag_count=1)],
        "moderation_event": [
            {
                "id": 2,
                "comment_id": 11,
                "moderator_id": 3,
                "action": "spam",
                "from_status": "approved",
                "to_status": "spam",
                "created_at": LATER,
                "lesson_before": "ham",
            }
        ],
    },
}
ROWS_AT["7c2f4e9a1d35"] = {  # each moderator's own language
    "moderator": [
        {
            "id": 4,
            "username": "emma",
            "password_hash": "pbkdf2:sha256:1000$sale$hash",
            "display_name": "Emma",
            "active": True,
            "session_token": "e" * 64,
            "created_at": LATER,
            "language": "en",
        }
    ],
}
ROWS_AT["f51721260c9a"] = {  # staff roles and authored articles
    "moderator": [
        {
            "id": 5,
            "username": "autrice",
            "password_hash": "pbkdf2:sha256:1000$sale$hash",
            "display_name": "Autrice",
            "active": True,
            "session_token": "a" * 64,
            "created_at": LATER,
            "role": "author",
            "bio": "Scrive di motori.",
        }
    ],
    "article": [
        article(
            5,
            "bozza-di-prova",
            status="draft",
            kind="post",
            body_format="markdown",
            body_source="## Titolo\n\nUn *testo*.",
            author_id=5,
            created_at=LATER,
            updated_at=LATER,
        )
    ],
    "term": [
        {"id": 1, "kind": "tag", "name": "Alfa Romeo", "slug": "alfa-romeo", "description": ""}
    ],
    "article_term": [{"article_id": 5, "term_id": 1}],
    "article_revision": [
        {
            "id": 1,
            "article_id": 5,
            "editor_id": 5,
            "created_at": LATER,
            "title": "Articolo 3",
            "slug": "bozza-di-prova",
            "standfirst": "",
            "body_source": "Un *testo*.",
            "body_html": "<p>Un <em>testo</em>.</p>",
        }
    ],
    "article_redirect": [{"old_slug": "vecchio-indirizzo", "article_id": 5, "created_at": LATER}],
    "staff_invite": [
        {
            "id": 1,
            "email": "nuovo@example.it",
            "role": "editor",
            "token_digest": "d" * 64,
            "invited_by_id": 4,
            "created_at": LATER,
            "expires_at": LATER,
        }
    ],
}
ROWS_AT["6d1e0a7b3c52"] = {  # uploaded images, featured images
    "media_file": [
        {
            "id": 1,
            "stem": "AbCdEfGhIjKlMnOpQrStUv",
            "original_name": "stelvio.jpg",
            "mime": "image/jpeg",
            "fallback": "jpeg",
            "width": 960,
            "height": 640,
            "sizes": [{"width": 480, "height": 320}, {"width": 960, "height": 640}],
            "bytes": 123456,
            "uploaded_by_id": 5,
            "created_at": LATER,
            "alt": "Il passo dello Stelvio",
        }
    ],
    "article": [article(6, "con-immagine", featured_image_id=1)],
}
# Readers' search index: an FTS5 table on SQLite (with its shadow tables,
# which schema_objects sees like any table), a column and an index on
# PostgreSQL; the articles already there are indexed by the migration.
ROWS_AT["8e4f2b9c1a67"] = {
    "article": [article(7, "dopo-la-ricerca", status="publish", kind="page", created_at=LATER)],
}
ROWS_AT[HEAD] = {  # Webmentions received and sent, comments' origin
    "comment": [
        comment(
            20,
            1,
            origin="webmention",
            origin_url="https://altro.example/2026/risposta",
            email="",
        )
    ],
    "received_webmention": [
        {
            "id": 1,
            "source": "https://altro.example/2026/risposta",
            "target": "https://blog.example/primo/",
            "source_host": "altro.example",
            "article_id": 1,
            "ip_address": "203.0.113.9",
            "ip_block": "203.0.113.9/32",
            "kind": "reply",
            "comment_id": 20,
            "result": "reply",
            "created_at": LATER,
            "verified_at": LATER,
            "attempts": 1,
            "next_attempt_at": LATER,
            "sent_at": LATER,
        }
    ],
    "sent_webmention": [
        {
            "id": 1,
            "article_id": 6,
            "target": "https://altro.example/2026/articolo",
            "endpoint": "https://altro.example/webmention",
            "result": "202",
            "created_at": LATER,
            "attempts": 1,
            "next_attempt_at": LATER,
            "sent_at": LATER,
        }
    ],
}
REVISIONS = list(ROWS_AT)
PRIMARY_KEYS = {
    "article_term": ("article_id", "term_id"),
    "article_redirect": ("old_slug",),
    "site_setting": ("key",),
    "used_link": ("digest",),
    "spam_token": ("token",),
    "suppression": ("digest",),
    "mail_comment": ("mail_message_id", "comment_id"),
    "comment_like": ("key",),
    "comment_flag": ("digest",),
}
#: Written with the types the app's models give these values; a NULL is untyped.
TYPES = {
    bool: sa.Boolean(),
    int: sa.Integer(),
    float: sa.Float(),
    datetime: sa.DateTime(),
    list: sa.JSON(),
    type(None): sa.types.NullType(),
}


def table_for(name: str, row: dict) -> sa.TableClause:
    """The table ``name`` as far as ``row`` knows it, typed by its values."""
    columns = (sa.column(key, TYPES.get(type(value), sa.String())) for key, value in row.items())
    return sa.table(name, *columns)


def rows_of(revision: str) -> list[tuple[str, dict]]:
    """The rows written at ``revision``, each with its table."""
    return [(name, row) for name, rows in ROWS_AT[revision].items() for row in rows]


def insert_rows(written: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """Write these rows in one transaction; return them."""
    with db.engine.begin() as connection:
        for name, row in written:
            connection.execute(table_for(name, row).insert().values(row))
    return written


def rows_lost(written: list[tuple[str, dict]]) -> list[str]:
    """Describe each written row that is gone or whose values changed."""
    lost = []
    with db.engine.connect() as connection:
        for name, row in written:
            table = table_for(name, row)
            keys = PRIMARY_KEYS.get(name, ("id",))
            query = sa.select(table).where(*(table.c[key] == row[key] for key in keys))
            found = connection.execute(query).mappings().one_or_none()
            where = f"{name} {', '.join(str(row[key]) for key in keys)}"
            if found is None:
                lost.append(f"{where}: gone")
                continue
            lost += [
                f"{where}: {column} was {value!r}, is {found[column]!r}"
                for column, value in row.items()
                if found[column] != value
            ]
    return lost


def revision_now() -> str:
    with db.engine.connect() as connection:
        return connection.scalar(sa.text("SELECT version_num FROM alembic_version"))


def upgrade_with_rows() -> list[tuple[str, dict]]:
    """Upgrade from nothing to head, one revision at a time, writing rows and checking them."""
    written: list[tuple[str, dict]] = []
    for revision in REVISIONS:
        upgrade(revision=revision)
        assert rows_lost(written) == [], f"lost upgrading to {revision}"
        written += insert_rows(rows_of(revision))
    upgrade()
    assert revision_now() == HEAD, "a new migration: add its rows to ROWS_AT"
    assert foreign_keys_enforced()
    return written


def foreign_keys_enforced() -> bool:
    """Whether the app's next connection enforces foreign keys (PostgreSQL always does)."""
    if db.engine.dialect.name != "sqlite":
        return True
    with db.engine.connect() as connection:
        return connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def schema_objects() -> set[tuple[str, ...]]:
    """Every table, column, index and foreign key; on SQLite also the triggers."""
    inspector = sa.inspect(db.engine)
    found: set[tuple[str, ...]] = set()
    for table in inspector.get_table_names():
        found |= {(table, "column", column["name"]) for column in inspector.get_columns(table)}
        found |= {(table, "index", str(index["name"])) for index in inspector.get_indexes(table)}
        found |= {(table, "fk", str(fk["name"])) for fk in inspector.get_foreign_keys(table)}
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            triggers = connection.execute(
                sa.text("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
            )
            found |= {(table, "trigger", name) for table, name in triggers}
    return found


@pytest.fixture
def database_url(tmp_path: Any) -> Iterator[str]:
    """A database holding nothing: a new SQLite file, or a new PostgreSQL database.

    On PostgreSQL the database is created beside this worker's test database
    and dropped after: the other tests' tables there are left alone.
    """
    url = sa.make_url(test_database_url(tmp_path))
    if url.get_backend_name() != "postgresql":
        yield url.render_as_string(hide_password=False)
        return
    name = f"{url.database}_upgrade"
    server = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()


@pytest.fixture
def blog(database_url: str) -> Iterator[Flask]:
    """An app on that empty database, in an app context."""
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": database_url}
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_upgrading_from_the_first_migration_keeps_every_row(blog):
    written = upgrade_with_rows()
    assert rows_lost(written) == []
    # Every table of the models got rows on the way.
    assert {name for name, _row in written} == set(db.metadata.tables)


def test_downgrading_the_last_migration_and_upgrading_again_keeps_every_row(blog):
    written = upgrade_with_rows()
    schema_at_head = schema_objects()

    downgrade(revision="-1")
    assert revision_now() == REVISIONS[-2]
    # The last migration's own tables and columns go; everything else stays.
    kept = [(name, row) for name, row in written if (name, row) not in rows_of(HEAD)]
    assert rows_lost(kept) == []

    upgrade()
    assert revision_now() == HEAD
    assert foreign_keys_enforced()
    assert rows_lost(kept) == []
    assert schema_objects() == schema_at_head
    # The tables and columns the last migration adds are back, and take
    # their values again: rows that outlived the downgrade get them back,
    # the others are written anew.
    with db.engine.begin() as connection:
        for name, row in rows_of(HEAD):
            table = table_for(name, row)
            keys = PRIMARY_KEYS.get(name, ("id",))
            where = [table.c[key] == row[key] for key in keys]
            if connection.execute(
                sa.select(sa.func.count()).select_from(table).where(*where)
            ).scalar():
                connection.execute(table.update().where(*where).values(row))
            else:
                connection.execute(table.insert().values(row))
    assert rows_lost(kept + rows_of(HEAD)) == []


def test_an_upgrade_stops_at_a_reference_to_a_missing_row(blog, database_url, capfd):
    if sa.make_url(database_url).get_backend_name() != "sqlite":
        pytest.skip("PostgreSQL never stores such a row")
    upgrade(revision=FIRST)
    insert_rows(rows_of(FIRST))
    # A row SQLite lets in with its foreign keys off: a comment on no article.
    with closing(sqlite3.connect(sa.make_url(database_url).database)) as connection:
        with connection:
            connection.execute("UPDATE comment SET article_id = 99 WHERE id = 3")

    with pytest.raises(SystemExit):
        upgrade()
    assert "comment row 3 refers to a missing article" in capfd.readouterr().err
    # The step is rolled back whole, its new tables included.
    assert revision_now() == FIRST
    assert "moderator" not in sa.inspect(db.engine).get_table_names()
