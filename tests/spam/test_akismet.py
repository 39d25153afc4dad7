"""The optional Akismet check, against a stand-in on 127.0.0.1 that speaks its API."""

from __future__ import annotations

import logging
import time

import pytest
from flask import Flask

from blog import create_app
from blog.articles.seed import seed_articles
from blog.extensions import db
from blog.models import CommentStatus
from tests.helpers import (
    ARTICLE_URL,
    SLUG,
    Commenter,
    comments_in_db,
    form_fields,
    soup,
    text_of,
)
from tests.support.akismet_server import SPAM_AUTHOR, SPAM_EMAIL, VALID_KEY, akismet_stand_in

SITE_URL = "http://localhost"  # the test client's host


@pytest.fixture
def stand_in():
    with akismet_stand_in() as server:
        yield server


def blog_with(app_config, **settings) -> Flask:
    app = create_app({**app_config, "SITE_URL": SITE_URL, **settings})
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_articles()
    return app


@pytest.fixture
def checked(app_config, stand_in):
    """The blog with AKISMET_KEY set, its requests going to the stand-in."""
    app = blog_with(
        app_config, AKISMET_KEY=VALID_KEY, AKISMET_API_URL=stand_in.url, AKISMET_TIMEOUT=1
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def post(app: Flask, **fields):
    client = app.test_client()
    response = Commenter(client).post(**fields)
    assert response.status_code == 303, response.status_code
    with app.app_context():
        return comments_in_db()[-1]


def test_without_a_key_akismet_is_never_asked(app_config, stand_in):
    app = blog_with(app_config, AKISMET_API_URL=stand_in.url)
    try:
        assert post(app, author=SPAM_AUTHOR).status == CommentStatus.PENDING
        assert stand_in.requests == []
        assert "akismet" not in app.extensions
        note = text_of(soup(app.test_client().get(ARTICLE_URL)).find(id="privacy-note"))
        assert "Akismet" not in note
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


def test_akismets_spam_goes_to_spam_with_its_reason(checked, stand_in):
    stored = post(checked, author=SPAM_AUTHOR, comment="Compra adesso")
    assert stored.status == CommentStatus.SPAM
    with checked.app_context():
        (event,) = comments_in_db()[-1].events
        assert event.action == "filter"
        assert "Akismet: spam" in event.note
    # The key was verified once, then the comment checked with what Akismet documents.
    assert stand_in.paths() == ["/1.1/verify-key", "/1.1/comment-check"]
    verify, check = (fields for _, fields in stand_in.requests)
    assert verify == {"key": VALID_KEY, "blog": SITE_URL}
    assert check["api_key"] == VALID_KEY
    assert check["blog"] == SITE_URL
    assert check["comment_type"] == "comment"
    assert check["comment_author"] == SPAM_AUTHOR
    assert check["comment_author_email"] == "mario.rossi@example.it"
    assert check["comment_content"] == "Compra adesso"
    assert check["user_ip"] == "127.0.0.1"
    assert check["blog_lang"] == "it"


def test_an_authors_edit_akismet_calls_spam_keeps_its_reason(checked, stand_in):
    client = checked.test_client()
    assert Commenter(client).post(author=SPAM_AUTHOR).status_code == 303
    with checked.app_context():
        comment_id = comments_in_db()[-1].id
    edit = f"/{SLUG}/modifica/{comment_id}"
    data = form_fields(soup(client.get(edit)), "edit-own-form")
    data["comment"] = "Lo stesso commento, corretto."
    assert client.post(edit, data=data).status_code == 303
    with checked.app_context():
        comment = comments_in_db()[-1]
        assert comment.status == CommentStatus.SPAM
        assert [(event.action, event.note) for event in comment.events][-1] == (
            "self_edit",
            "Akismet: spam",
        )


def test_discard_is_spam_too_and_ham_goes_on_as_usual(checked, stand_in):
    assert post(checked, email=SPAM_EMAIL).status == CommentStatus.SPAM
    assert post(checked, author="Lettrice").status == CommentStatus.PENDING
    # One key check for the process, then one check a comment.
    assert stand_in.paths() == ["/1.1/verify-key", "/1.1/comment-check", "/1.1/comment-check"]


def test_what_the_traps_already_call_spam_is_not_sent(checked, stand_in):
    client = checked.test_client()
    Commenter(client).post(homepage="http://bot.example")  # the honeypot
    with checked.app_context():
        assert comments_in_db()[-1].status == CommentStatus.SPAM
    assert stand_in.requests == []


def test_a_refused_key_turns_the_check_off_and_says_so(app_config, stand_in, caplog):
    app = blog_with(app_config, AKISMET_KEY="chiave-sbagliata", AKISMET_API_URL=stand_in.url)
    try:
        with caplog.at_level(logging.ERROR, logger="blog.spam.akismet_check"):
            assert post(app, author=SPAM_AUTHOR).status == CommentStatus.PENDING
            assert post(app, author="Altro", comment="Un altro").status == CommentStatus.PENDING
        assert "Akismet refused AKISMET_KEY" in caplog.text
        assert stand_in.paths() == ["/1.1/verify-key"]  # asked once, not at every comment
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


def test_an_akismet_that_does_not_answer_in_time_does_not_hold_the_comment(
    checked, stand_in, caplog
):
    stand_in.delay = 3  # past AKISMET_TIMEOUT (1 s)
    start = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="blog.spam.akismet_check"):
        stored = post(checked, author=SPAM_AUTHOR)
    assert time.perf_counter() - start < 2.5
    assert stored.status == CommentStatus.PENDING
    assert "Akismet could not be asked" in caplog.text


def test_an_unreachable_akismet_does_not_hold_the_comment(app_config, caplog):
    with akismet_stand_in() as gone:
        url = gone.url  # a port nobody listens on once the block ends
    app = blog_with(app_config, AKISMET_KEY=VALID_KEY, AKISMET_API_URL=url)
    try:
        with caplog.at_level(logging.WARNING, logger="blog.spam.akismet_check"):
            assert post(app, author=SPAM_AUTHOR).status == CommentStatus.PENDING
        assert "Akismet could not be asked" in caplog.text
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


def test_the_privacy_note_says_akismet_when_it_is_on(checked):
    note = text_of(soup(checked.test_client().get(ARTICLE_URL)).find(id="privacy-note"))
    assert "vengono inviati anche ad Akismet, un servizio di Automattic negli Stati Uniti" in note
