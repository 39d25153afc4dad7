"""The comment use case, ``comments.submit``: no request, no form, no mail."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import has_request_context
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from blog import signals
from blog.comments.submit import Accepted, CommentSettings, Draft, Refusal, submit
from blog.comments.values import Client, CommentText
from blog.config import DEFAULTS
from blog.extensions import db
from blog.models import Article, Comment, CommentStatus, MailMessage
from blog.moderation.workflow import Event
from blog.spam.bayes import FilterSettings
from blog.spam.rules import FORM_TIME_SALT, SpamSettings, sign_form_time
from tests.helpers import add_comment, add_moderator

SECRET = "test secret key"


def settings(**changes) -> CommentSettings:
    values = {
        "secret_key": SECRET,
        "form_max_age": 7200,
        "flood_seconds": 0,
        "moderation": "all",
        "comments_per_page": 50,
        "spam": SpamSettings(
            min_seconds=0, max_links=2, moderation_keys=[], disallowed_keys=["viagra"]
        ),
        "learning": FilterSettings.from_config(DEFAULTS),
        **changes,
    }
    return CommentSettings(**values)


def draft(article: Article, **changes) -> Draft:
    """A valid draft; ``changes`` name any field of it, of its text or of its client."""
    text = {"author": "Maria", "email": "maria@example.it", "url": "", "body": "Un commento."}
    client = {"ip_address": "192.0.2.7", "ip_block": "192.0.2.7/32", "user_agent": "pytest"}
    values = {
        "parent_id": None,
        "notify": False,
        "honeypot": "",
        "form_time": sign_form_time(SECRET, article.id),
    }
    for name, value in changes.items():
        (text if name in text else client if name in client else values)[name] = value
    return Draft(text=CommentText(**text), client=Client(**client), **values)


@pytest.fixture
def article(app):
    with app.app_context():
        yield db.session.scalar(sa.select(Article))


def test_a_comment_is_stored_pending_and_announced_without_a_request(article):
    heard = []
    with signals.comment_stored.connected_to(lambda sender, **news: heard.append(news)):
        outcome = submit(article, draft(article), settings())
    assert not has_request_context()
    assert isinstance(outcome, Accepted)
    assert outcome.status == CommentStatus.PENDING and outcome.page == 1
    stored = db.session.get_one(Comment, outcome.comment_id)
    assert (stored.author, stored.body_html) == ("Maria", "<p>Un commento.</p>")
    assert heard == [
        {
            "comment_id": outcome.comment_id,
            "status": CommentStatus.PENDING,
            "parent_id": None,
            "reasons": (),
        }
    ]
    # No moderator has an email: nothing is queued, and nothing is sent.
    assert db.session.scalar(sa.select(sa.func.count(MailMessage.id))) == 0


@pytest.mark.parametrize("form_time", [None, "", "garbage", "IjEi.aaaaaa.bbbbbbbbbb"])
def test_a_form_time_that_is_not_ours_is_refused(article, form_time):
    assert submit(article, draft(article, form_time=form_time), settings()) is (
        Refusal.FORM_EXPIRED
    )
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0


class SignedLongAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 120


def test_an_old_form_is_refused(article):
    old = URLSafeTimedSerializer(SECRET, salt=FORM_TIME_SALT, signer=SignedLongAgo)
    token = old.dumps(article.id)
    assert submit(article, draft(article, form_time=token), settings(form_max_age=60)) is (
        Refusal.FORM_EXPIRED
    )
    assert isinstance(
        submit(article, draft(article, form_time=token), settings(form_max_age=600)), Accepted
    )


def test_the_same_text_twice_is_a_duplicate(article):
    assert isinstance(submit(article, draft(article), settings()), Accepted)
    assert submit(article, draft(article), settings()) is Refusal.DUPLICATE
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 1


def test_a_double_click_is_a_duplicate_before_it_is_a_flood(article):
    assert isinstance(submit(article, draft(article), settings(flood_seconds=15)), Accepted)
    assert submit(article, draft(article), settings(flood_seconds=15)) is Refusal.DUPLICATE


def test_without_an_email_the_name_and_text_make_a_duplicate(article):
    assert isinstance(submit(article, draft(article, email=""), settings()), Accepted)
    assert submit(article, draft(article, email=""), settings()) is Refusal.DUPLICATE
    other = draft(article, email="", author="Marta")
    assert isinstance(submit(article, other, settings()), Accepted)


def test_a_flood_is_refused(article):
    assert isinstance(submit(article, draft(article), settings(flood_seconds=15)), Accepted)
    second = draft(article, body="Un altro.", ip_address="198.51.100.1", ip_block=None)
    assert submit(article, second, settings(flood_seconds=15)) is Refusal.FLOOD


def test_screening_decides_and_leaves_its_reason_in_the_history(article):
    outcome = submit(article, draft(article, body="Compra viagra"), settings())
    assert isinstance(outcome, Accepted) and outcome.status == CommentStatus.SPAM
    comment = db.session.get_one(Comment, outcome.comment_id)
    assert [(event.action, event.note) for event in comment.events] == [
        (Event.FILTER, "parola vietata «viagra»")
    ]


def test_a_moderator_is_approved_at_once_and_not_screened(article):
    moderator = add_moderator()
    outcome = submit(
        article,
        draft(article, body="Compra viagra", honeypot="bot", moderator_id=moderator.id),
        settings(flood_seconds=15),
    )
    assert isinstance(outcome, Accepted) and outcome.status == CommentStatus.APPROVED


def test_a_reply_lands_on_its_threads_page(article):
    parents = [add_comment(comment=f"Thread {number}") for number in range(3)]
    outcome = submit(
        article, draft(article, parent_id=parents[0].id), settings(comments_per_page=1)
    )
    assert isinstance(outcome, Accepted)
    assert db.session.get_one(Comment, outcome.comment_id).thread_id == parents[0].id
    assert outcome.page == 1


@contextmanager
def statements_sent() -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements (and their parameters) sent while the block runs, on one line each."""
    sent: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((" ".join(statement.split()), parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def test_the_receivers_share_one_read_of_the_new_comment(article):
    """Moderators' mail and subscriptions both read the new comment while
    SQLite's write lock is held: it is selected once, not once for each."""
    with statements_sent() as sent:
        outcome = submit(article, draft(article), settings())
    assert isinstance(outcome, Accepted)
    reads = [
        statement
        for statement, _ in sent
        if statement.startswith("SELECT") and "FROM comment WHERE comment.id = " in statement
    ]
    assert len(reads) == 1, reads


def test_the_duplicate_check_finds_a_text_by_its_digest(article):
    """Not by its parent: a new thread has none, like every other thread,
    and walking the parent's index read every top-level comment there is."""
    for number in range(3):
        add_comment(comment=f"Thread {number}")
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan asked for is SQLite's; PostgreSQL plans by its statistics")
    with statements_sent() as sent:
        assert isinstance(submit(article, draft(article), settings()), Accepted)
    checks = [
        (statement, parameters) for statement, parameters in sent if "body_digest =" in statement
    ]
    assert len(checks) == 2  # before the spam checks, and again under the write lock
    for statement, parameters in checks:
        plan = db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters
        )
        assert "ix_comment_article_digest" in " ".join(str(row[-1]) for row in plan)
