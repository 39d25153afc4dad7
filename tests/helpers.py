"""Helpers the tests share: the seed article's addresses, a reader, a moderator, parsing."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from blog.articles import search_index
from blog.comments.submit import NewComment, store_comment
from blog.comments.values import Client, CommentText
from blog.extensions import db
from blog.models import Article, Comment, CommentStatus, utcnow

SLUG = "jean-philippe-imparato-ha-visitato-il-cassino-plant-e-pomigliano-darco"
ARTICLE_URL = f"/{SLUG}/"
POST_URL = f"/{SLUG}/comment"


def test_database_url(tmp_path: Any) -> str:
    """The database under test: TEST_DATABASE_URL, or a fresh SQLite file.

    Under pytest-xdist each worker gets a database of its own on that
    server (``blog_test_gw0``, ``blog_test_gw1``...), created on first use.
    """
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return worker_database(url, worker) if worker else url


@functools.cache
def worker_database(url: str, worker: str) -> str:
    """The URL of this worker's own database beside ``url``, created if missing."""
    base = sa.make_url(url)
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


test_database_url.__test__ = False  # a helper, not a test


def empty_schema() -> None:
    """Leave the app's database holding the current schema and no rows.

    On PostgreSQL, where the database outlives a test, the tables are
    emptied (``TRUNCATE ... RESTART IDENTITY``, ids start at 1 again)
    when they are all there, which costs a third of dropping and creating
    them; otherwise, and on SQLite's fresh file, the schema is created.
    """
    engine = db.engine
    tables = db.metadata.sorted_tables
    if engine.dialect.name == "postgresql":
        existing = set(sa.inspect(engine).get_table_names())
        if {table.name for table in tables} <= existing:
            quote = engine.dialect.identifier_preparer.quote
            names = ", ".join(quote(table.name) for table in tables)
            with engine.begin() as connection:
                connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                # A database made before the readers' search index gets it here.
                search_index.create_index(connection)
            return
    db.drop_all()
    db.create_all()


def soup(response: TestResponse) -> BeautifulSoup:
    """Parse a response as a browser would."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text_of(node: Any) -> str:
    """The visible text of a node with whitespace collapsed."""
    return " ".join(node.get_text(" ").split())


def form_fields(page: BeautifulSoup, form_id: str = "commentform") -> dict[str, str]:
    """The values a browser would submit from the form, hidden fields included."""
    form = page.find("form", id=form_id)
    assert form is not None, f"no form #{form_id} on the page"
    values: dict[str, str] = {}
    for field in form.find_all(["input", "textarea"]):
        name = field.get("name")
        if not name:
            continue
        if field.name == "textarea":
            values[name] = field.get_text()
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                values[name] = field.get("value", "on")
        else:
            values[name] = field.get("value", "")
    return values


VALID_COMMENT = {
    "comment": "Ottima notizia per gli stabilimenti italiani.",
    "author": "Mario Rossi",
    "email": "mario.rossi@example.it",
    "url": "",
}


class Commenter:
    """A reader in a browser: opens the article page, fills the form, sends it."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def open_form(self, query: str = "") -> dict[str, str]:
        page = soup(self.client.get(ARTICLE_URL + query))
        return form_fields(page)

    def post(self, query: str = "", **fields: Any) -> TestResponse:
        data = self.open_form(query)
        data.pop("wp-comment-cookies-consent", None)
        data.update(VALID_COMMENT)
        data.update(fields)
        data = {key: value for key, value in data.items() if value is not None}
        return self.client.post(POST_URL, data=data)


def add_comment(
    status: CommentStatus = CommentStatus.APPROVED,
    parent: Comment | None = None,
    age: timedelta | None = None,
    **fields: Any,
) -> Comment:
    """Store a comment directly, as if posted and then moderated."""
    article = db.session.scalar(sa.select(Article).where(Article.slug == SLUG))
    values = {**VALID_COMMENT, **fields}
    comment = store_comment(
        article,
        NewComment(
            text=CommentText(values["author"], values["email"], values["url"], values["comment"]),
            parent_id=parent.id if parent else None,
            client=Client(
                ip_address=values.get("ip_address", "192.0.2.1") or "",
                user_agent=values.get("user_agent", "pytest") or "",
            ),
        ),
        status,
    )
    if age is not None:
        comment.created_at = utcnow() - age
    db.session.commit()
    return comment


def comments_in_db() -> list[Comment]:
    return list(db.session.scalars(sa.select(Comment).order_by(Comment.id)))


MODERATOR_PASSWORD = "una password molto lunga"


def add_moderator(
    username: str = "anna",
    password: str = MODERATOR_PASSWORD,
    display_name: str = "Anna la moderatrice",
    active: bool = True,
    email: str | None = None,
):
    """Store a moderator account."""
    from blog.models import Moderator

    moderator = Moderator(username=username, display_name=display_name, active=active, email=email)
    moderator.set_password(password)
    db.session.add(moderator)
    db.session.commit()
    return moderator


class AuthActions:
    """Log a client in and out through the real login form."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(
        self, username: str = "anna", password: str = MODERATOR_PASSWORD, next: str = ""
    ) -> TestResponse:
        page = soup(self.client.get("/moderation/login" + (f"?next={next}" if next else "")))
        data = form_fields(page, "loginform")
        data.update(username=username, password=password)
        return self.client.post("/moderation/login", data=data)

    def csrf_token(self) -> str:
        """A token of this client's session, as the login page's form carries it
        (a signed-in moderator is sent on to the queue, whose forms carry one too)."""
        page = soup(self.client.get("/moderation/login", follow_redirects=True))
        return page.find("input", attrs={"name": "csrf_token"})["value"]

    def logout(self) -> TestResponse:
        return self.client.post("/moderation/logout", data={"csrf_token": self.csrf_token()})


def queue_token(client: FlaskClient, query: str = "") -> str:
    """The CSRF token from the queue page, as a moderator's browser has it."""
    page = soup(client.get("/moderation/" + query))
    return page.find("input", attrs={"name": "csrf_token"})["value"]


@contextmanager
def fresh_blog(app_config: dict[str, Any], **settings: Any) -> Iterator[Flask]:
    """A second app, on emptied tables holding the shipped articles, with ``settings``."""
    from blog import create_app
    from blog.articles.seed import seed_articles

    app = create_app({**app_config, **settings})
    with app.app_context():
        db.session.remove()
        empty_schema()
        seed_articles()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()  # end the session's transaction first
            db.engine.dispose()
