"""Sending Webmentions: the pages an article links to are told of it.

When an article is published or updated (``article_published``,
``article_updated``), each http(s) page it links to outside this site gets
a ``SentWebmention`` row, and so do the pages it linked to before (so a
removed link is told too); the delivery loop sends them after the commit.
Publishing never waits. Each send discovers the target's endpoint
(W3C Webmention, 3.1.2: the ``Link`` header, then the first ``<link>`` or
``<a>`` with ``rel="webmention"``, relative addresses resolved against the
page's final address) and POSTs ``source`` and ``target`` to it, both
requests through the guard (blog/core/fetch.py); a failure is retried with
the outbox's backoff.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urldefrag, urlsplit

import httpx
import sqlalchemy as sa
from flask import current_app

from blog.core.fetch import FetchError, FetchRefused, FetchSettings, fetch
from blog.core.urls import external_url
from blog.extensions import db
from blog.models import Article, SentWebmention, utcnow
from blog.models.webmention import URL_MAX
from blog.notify import outbox
from blog.notify.outbox import Outbox
from blog.webmention.microformats import (
    endpoint_from_link_header,
    endpoint_from_page,
    parse_page,
)


class TryLater(Exception):
    """The target or its endpoint answered with an error worth trying again."""


def article_links(body_html: str, site_url: str, limit: int) -> list[str]:
    """The http(s) pages an article's HTML links to outside this site, in order, once each."""
    site = urlsplit(site_url)
    ours = (site.hostname or "", site.port or _default_port(site.scheme))
    found: list[str] = []
    for element in parse_page(body_html).find_all("a", href=True):
        href = element.get("href")
        if not isinstance(href, str):
            continue
        url = urldefrag(href.strip())[0]
        try:
            parts = urlsplit(url)
            where = (parts.hostname or "", parts.port or _default_port(parts.scheme))
        except ValueError:
            continue
        if (
            parts.scheme in ("http", "https")
            and parts.hostname
            and where != ours
            and len(url) <= URL_MAX
            and url not in found
        ):
            found.append(url)
            if len(found) >= limit:
                break
    return found


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def queue_article(sender: object, article: Article, **_: object) -> None:
    """Queue a Webmention to every page a public article links to, or linked to before."""
    config = current_app.config
    if not config["WEBMENTION_ENABLED"] or not article.is_public:
        return
    links = article_links(article.body_html, config["SITE_URL"], config["WEBMENTION_MAX_LINKS"])
    now = utcnow()
    known = {
        row.target: row
        for row in db.session.scalars(
            sa.select(SentWebmention).where(SentWebmention.article_id == article.id)
        )
    }
    for target in links:
        if target not in known:
            db.session.add(SentWebmention(article_id=article.id, target=target))
    for row in known.values():
        row.attempts = 0
        row.sent_at = None
        row.next_attempt_at = now
        row.last_error = None
    db.session.commit()
    outbox.queued()


def send(row: sa.Row[Any]) -> None:
    """Discover the target's endpoint and tell it of the article."""
    slug = db.session.scalar(sa.select(Article.slug).where(Article.id == row.article_id))
    db.session.commit()
    source = external_url("reader.article", slug=slug)
    settings = FetchSettings.from_config(current_app.config)
    try:
        page = fetch(row.target, settings, headers={"Accept": "text/html"})
    except FetchRefused as error:
        return _conclude(row.id, f"refused: {error}")
    _raise_if_worth_retrying(page.status, "the target")
    if page.status != 200:
        return _conclude(row.id, f"the target answered {page.status}")
    links = httpx.Response(page.status, headers=page.headers).links
    endpoint = endpoint_from_link_header(links, page.url)
    if endpoint is None and "html" in page.headers.get("content-type", "text/html"):
        endpoint = endpoint_from_page(parse_page(page.text), page.url)
    if not endpoint:
        return _conclude(row.id, "no Webmention endpoint")
    try:
        answer = fetch(
            endpoint,
            settings,
            method="POST",
            data={"source": source, "target": row.target},
            follow_redirects=False,
        )
    except FetchRefused as error:
        return _conclude(row.id, f"endpoint refused: {error}", endpoint=endpoint)
    _raise_if_worth_retrying(answer.status, "the endpoint")
    return _conclude(row.id, str(answer.status), endpoint=endpoint)


def _raise_if_worth_retrying(status: int, who: str) -> None:
    if status == 429 or status >= 500:
        raise TryLater(f"{who} answered {status}")


def _conclude(row_id: int, result: str, endpoint: str | None = None) -> None:
    db.session.execute(
        sa.update(SentWebmention)
        .where(SentWebmention.id == row_id)
        .values(result=result[:200], endpoint=endpoint[:URL_MAX] if endpoint else None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


SENT_OUTBOX = Outbox(
    name="webmentions sent",
    model=SentWebmention,
    columns=(SentWebmention.article_id, SentWebmention.target),
    send=send,
    failures=(FetchError, TryLater),
    switch="WEBMENTION_ENABLED",
)
