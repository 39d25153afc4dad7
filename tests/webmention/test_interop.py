"""Webmention against an implementation we did not write: the ``webmentions``
package from PyPI (pinned in requirements-test.txt), on loopback.

It sends: it reads a recorded WordPress reply served by another site on
loopback, discovers our endpoint from the article page the blog serves over
HTTP, and POSTs to it. The reply reaches the moderation queue with its
reason, a moderator approves it, and it shows on the article page and in
its feed, marked with where it came from.

It receives: an article of ours that links to its page is sent a Webmention,
which its own verifier accepts (it fetches our article and finds the link).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import feedparser
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from webmentions import Webmention, WebmentionDirection, WebmentionsHandler, WebmentionsStorage
from werkzeug.serving import make_server

from blog.articles import authoring
from blog.articles.authoring import ArticleDraft
from blog.extensions import db
from blog.models import Article, Comment, CommentStatus, ReceivedWebmention, SentWebmention
from blog.notify import delivery
from tests.helpers import ARTICLE_URL, SLUG, add_moderator, queue_token, soup
from tests.support.live_server import free_port
from tests.support.web_server import web_site
from tests.webmention.conftest import wordpress_reply


class Memory(WebmentionsStorage):
    """The package's storage, in memory: what it received and sent."""

    def __init__(self) -> None:
        self.stored: list[Webmention] = []
        self.sent: list[tuple[str, str]] = []

    def store_webmention(self, mention: Webmention) -> Any:
        self.stored.append(mention)

    def delete_webmention(self, source: str, target: str, direction: Any = None) -> Any:
        self.stored = [m for m in self.stored if (m.source, m.target) != (source, target)]

    def retrieve_webmentions(self, resource: str, direction: Any = None) -> list[Webmention]:
        return [m for m in self.stored if resource in (m.source, m.target)]

    def mark_sent(self, source: str, target: str) -> None:
        self.sent.append((source, target))


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def app_config(app_config: dict[str, Any], port: int) -> dict[str, Any]:
    return {
        **app_config,
        "SITE_URL": f"http://127.0.0.1:{port}",
        # Published at once, unless a check holds it: here the moderators'
        # word list, which gives the queue its reason.
        "COMMENT_MODERATION": "none",
        "COMMENT_MODERATION_KEYS": ["Stelvio"],
    }


@pytest.fixture
def served(app: Flask, port: int) -> Iterator[str]:
    """The blog over HTTP on loopback, as the other implementation sees it."""
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()


def wait_for(check: Any, seconds: float = 15) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_a_reply_sent_by_another_implementation_is_moderated_and_shown_marked(
    app: Flask, served: str, logged_in: FlaskClient
) -> None:
    target = f"{served}/{SLUG}/"
    with web_site() as site:
        source = wordpress_reply(site, "/2026/12/01/cassino/", target)
        sender = WebmentionsHandler(
            Memory(),
            # The other site's own pages, and the theme's outside links, are
            # not told of anything: only our article is.
            base_urls=[site.url("/"), "https://wordpress.org/", "https://secure.gravatar.com/"],
            ssrf_protection=False,  # its own guard refuses loopback
            http_timeout=5,
        )
        sender.process_outgoing_webmentions(source)
        assert sender.storage.sent == [(source, target)]

        def verified() -> Comment | None:
            with app.app_context():
                comment = db.session.scalar(sa.select(Comment))
                db.session.expunge_all()
                return comment

        comment = wait_for(verified)
    assert comment.status == CommentStatus.PENDING
    assert (comment.origin, comment.origin_url) == ("webmention", source)

    queue = soup(logged_in.get("/moderation/"))
    entry = queue.find(id=f"entry-{comment.id}-title").find_parent("article") or queue
    text = entry.get_text(" ", strip=True)
    assert "Marco Bianchi" in text
    assert "Stelvio" in text  # the reason it waits: the moderators' word list
    assert source in text  # and where it came from

    token = queue_token(logged_in)
    approved = logged_in.post(
        f"/moderation/comments/{comment.id}/approve", data={"csrf_token": token}
    )
    assert approved.status_code == 303
    logged_in.post("/moderation/logout", data={"csrf_token": queue_token(logged_in)})

    reader = app.test_client()
    page = soup(reader.get(ARTICLE_URL))
    shown = page.find(id=f"comment-{comment.id}")
    assert "la Panda resta lì almeno fino al 2030" in shown.get_text()
    origin = shown.find(class_="comment-origin").find("a")
    assert origin["href"] == source
    assert origin.get_text() in ("from another site", "da un altro sito")

    feed = feedparser.parse(reader.get(f"/{SLUG}/feed/").data)
    [item] = feed.entries
    assert item.author == "Marco Bianchi"
    assert source in item.content[0].value


def test_an_article_sends_a_webmention_another_implementation_accepts(
    app: Flask, served: str
) -> None:
    memory = Memory()
    receiver = WebmentionsHandler(memory, ssrf_protection=False, http_timeout=5)
    with web_site() as site:
        target = site.url("/un-post")
        site.serve(
            "/un-post",
            '<html><head><link rel="webmention" href="/webmention"></head>'
            "<body><p>Un post.</p></body></html>",
        )
        site.serve("/webmention", "", status=202)
        with app.app_context():
            editor = add_moderator("redattrice")
            article = db.session.scalar(sa.select(Article).where(Article.slug == SLUG))
            body = f"Un articolo.\n\nNe parla anche [un altro sito]({target})."
            authoring.update(
                article, ArticleDraft(title=article.title, slug=SLUG, body_source=body), editor
            )
            delivery.deliver_due()
            [sent] = db.session.scalars(sa.select(SentWebmention)).all()
            assert (sent.target, sent.endpoint, sent.result) == (
                target,
                site.url("/webmention"),
                "202",
            )
        [post] = site.posts("/webmention")
        assert post.form == {"source": [f"{served}/{SLUG}/"], "target": [target]}
        # The other implementation verifies it: it fetches our article and
        # finds the link.
        receiver.process_incoming_webmention(post.form["source"][0], target)
    [mention] = memory.stored
    assert (mention.source, mention.target) == (f"{served}/{SLUG}/", target)
    assert mention.direction == WebmentionDirection.IN
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReceivedWebmention)) == 0
