"""Sending Webmentions: queued when an article is published or updated,
never while publishing; the endpoint discovered as the W3C Recommendation
says; retried with backoff; nothing sent where the guard says no."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from blog import create_app
from blog.articles import authoring
from blog.articles.authoring import ArticleDraft
from blog.extensions import db
from blog.models import Article, Moderator, SentWebmention, utcnow
from blog.notify import delivery
from tests.helpers import SLUG, add_moderator, fresh_blog
from tests.support.web_server import Site

SOURCE = f"http://127.0.0.1:5000/{SLUG}/"


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app


def write(body: str) -> Article:
    """Update the seeded article with ``body`` (Markdown), as "Aggiorna" does."""
    editor = db.session.scalar(sa.select(Moderator).where(Moderator.username == "redattrice"))
    editor = editor or add_moderator("redattrice")
    article = db.session.scalar(sa.select(Article).where(Article.slug == SLUG))
    return authoring.update(
        article, ArticleDraft(title=article.title, slug=SLUG, body_source=body), editor
    )


def sent() -> list[SentWebmention]:
    return list(db.session.scalars(sa.select(SentWebmention).order_by(SentWebmention.id)))


@pytest.mark.parametrize(
    ("headers", "html", "endpoint"),
    [
        ({"Link": '<http://127.0.0.1:{port}/wm?x=1>; rel="webmention"'}, "", "/wm?x=1"),
        ({"Link": '</wm>; rel="webmention"'}, "", "/wm"),
        ({"Link": '<../wm>; rel="other webmention"'}, "", "/wm"),
        ({}, '<link rel="webmention" href="/wm">', "/wm"),
        ({}, '<a rel="webmention" href="wm">a</a><link rel="webmention" href="/no">', "/dir/wm"),
    ],
)
def test_the_endpoint_is_discovered_as_the_recommendation_says(
    ctx: Flask, site: Site, headers: dict[str, str], html: str, endpoint: str
) -> None:
    headers = {k: v.format(port=site.port) for k, v in headers.items()}
    page = site.serve(
        "/dir/page",
        f"<html><head></head><body>{html}</body></html>",
        headers={"Content-Type": "text/html", **headers},
    )
    path = endpoint.split("?")[0]
    site.serve(path, "", status=202)
    write(f"Un articolo che cita [questa pagina]({page}).")
    delivery.deliver_due()
    [row] = sent()
    assert (row.endpoint, row.result) == (site.url(endpoint), "202")
    [post] = site.posts(path)
    assert post.form == {"source": [SOURCE], "target": [page]}


def test_publishing_only_queues_and_links_to_this_site_are_not_sent(ctx: Flask, site: Site) -> None:
    page = site.serve("/p", '<link rel="webmention" href="/wm">')
    write(
        f"[Fuori]({page}), [qui](http://127.0.0.1:5000/privacy/), "
        f"[ancora]({page}#sezione), [posta](mailto:a@example.it)."
    )
    assert site.received == []  # nothing left while publishing
    assert [row.target for row in sent()] == [page]


def test_an_update_tells_a_page_whose_link_was_removed_too(ctx: Flask, site: Site) -> None:
    first = site.serve("/uno", '<link rel="webmention" href="/wm">')
    second = site.serve("/due", '<link rel="webmention" href="/wm">')
    site.serve("/wm", "", status=202)
    write(f"[Uno]({first}) e [due]({second}).")
    delivery.deliver_due()
    write(f"Solo [due]({second}).")
    delivery.deliver_due()
    targets = [post.form["target"][0] for post in site.posts("/wm")]
    assert sorted(targets) == sorted([first, second, first, second])


def test_a_failing_endpoint_is_tried_again_later(ctx: Flask, site: Site) -> None:
    page = site.serve("/p", '<link rel="webmention" href="/wm">')
    site.serve("/wm", "down", status=503)
    write(f"[Pagina]({page}).")
    delivery.deliver_due()
    [row] = sent()
    assert row.sent_at is None and row.attempts == 1
    assert "503" in row.last_error
    assert row.next_attempt_at > utcnow() + timedelta(seconds=30)
    # Its time comes: sent.
    site.serve("/wm", "", status=201)
    row.next_attempt_at = utcnow()
    db.session.commit()
    delivery.deliver_due()
    [row] = sent()
    assert (row.result, row.sent_at is not None) == ("201", True)


def test_a_page_with_no_endpoint_is_left_alone(ctx: Flask, site: Site) -> None:
    page = site.serve("/p", "<p>Nessun endpoint.</p>")
    write(f"[Pagina]({page}).")
    delivery.deliver_due()
    [row] = sent()
    assert (row.result, row.sent_at is not None) == ("no Webmention endpoint", True)
    assert site.posts("/p") == []


def test_an_endpoint_the_guard_refuses_gets_nothing(ctx: Flask, site: Site) -> None:
    page = site.serve(
        "/p", '<link rel="webmention" href="http://169.254.169.254/latest/meta-data/">'
    )
    write(f"[Pagina]({page}).")
    delivery.deliver_due()
    [row] = sent()
    assert row.result.startswith("endpoint refused: 169.254.169.254")
    assert row.sent_at is not None  # not retried


def test_nothing_is_sent_while_webmention_is_off(app_config: dict[str, Any], site: Site) -> None:
    page = site.serve("/p", '<link rel="webmention" href="/wm">')
    with fresh_blog(app_config, WEBMENTION_ENABLED=False) as off, off.app_context():
        write(f"[Pagina]({page}).")
        delivery.deliver_due()
        assert sent() == []
    assert site.received == []


def test_a_fetch_deadline_that_could_outlive_the_outbox_lease_refuses_to_start(
    app_config: dict[str, Any],
) -> None:
    # Sending makes two requests: both within the 300 s lease, or another
    # worker would send the same Webmention again meanwhile.
    with pytest.raises(RuntimeError, match="FETCH_TIMEOUT=150"):
        create_app({**app_config, "FETCH_TIMEOUT": 150})
    assert create_app({**app_config, "FETCH_TIMEOUT": 149}).config["FETCH_TIMEOUT"] == 149
