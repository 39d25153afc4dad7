"""The Webmention endpoint: cheap checks now, the source verified later.

A POST of ``source`` and ``target`` (W3C Webmention, 3.2) is checked only
for what costs nothing: the target is one of our public articles' own
addresses under ``SITE_URL``, the source an http(s) address that is not the
target, neither too long. It is queued (a ``ReceivedWebmention`` row: the
same source and target again is the same row, to verify again) and
answered 202; the source is fetched afterwards, by the delivery loop
(blog/webmention/verifying.py). Limited per source host and per client
address block.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, request
from flask_babel import gettext as _

from blog.core.addresses import client_block
from blog.core.slugs import SLUG
from blog.core.urls import external_url
from blog.extensions import csrf, db, limiter
from blog.models import Article, ReceivedWebmention, utcnow
from blog.notify import outbox

bp = Blueprint("webmention", __name__)

#: The longest source or target accepted, in bytes (two fit in one index row).
URL_MAX_BYTES = 1000


@dataclass(frozen=True)
class Mentioned:
    """A valid Webmention: its source, its target and the article the target is."""

    source: str
    target: str
    source_host: str
    article: Article


def _source_host() -> str:
    """Flask-Limiter's key of the per-site limit: the source's host."""
    try:
        host = urlsplit(request.form.get("source", "")).hostname or ""
    except ValueError:
        host = ""
    return "webmention-source:" + host[:253]


def _source_limit() -> str:
    return current_app.config["WEBMENTION_SOURCE_RATE_LIMIT"]


def _client_limit() -> str:
    return current_app.config["WEBMENTION_RATE_LIMIT"]


def article_of(target: str) -> Article | None:
    """The public article whose own address is exactly ``target``, if any."""
    root = external_url("reader.index")
    if not target.startswith(root):
        return None
    slug = target[len(root) :].removesuffix("/")
    if not SLUG.fullmatch(slug) or target != external_url("reader.article", slug=slug):
        return None
    return db.session.scalar(sa.select(Article).where(Article.slug == slug, Article.public()))


def check(source: str, target: str) -> Mentioned | str:
    """The Webmention, or why it is refused (a sentence for the sender)."""
    if not source or not target:
        return _("Both source and target are required.")
    if len(source.encode()) > URL_MAX_BYTES or len(target.encode()) > URL_MAX_BYTES:
        return _("The source or the target is too long.")
    try:
        parts = urlsplit(source)
        host = (parts.hostname or "").lower()
    except ValueError:
        return _("The source is not a valid address.")
    if parts.scheme not in ("http", "https") or not host:
        return _("The source must be an http or https address.")
    if source == target:
        return _("The source and the target are the same address.")
    article = article_of(target)
    if article is None:
        return _("The target is not an article of this site.")
    return Mentioned(source, target, host, article)


def queue(mentioned: Mentioned, ip_address: str, ip_block: str | None) -> None:
    """Keep the Webmention to verify: new, or the same one to verify again."""
    now = utcnow()
    row = db.session.scalar(
        sa.select(ReceivedWebmention).where(
            ReceivedWebmention.source == mentioned.source,
            ReceivedWebmention.target == mentioned.target,
        )
    )
    if row is None:
        row = ReceivedWebmention(
            source=mentioned.source,
            target=mentioned.target,
            source_host=mentioned.source_host,
            article_id=mentioned.article.id,
        )
        db.session.add(row)
    row.ip_address = ip_address[:45] or None
    row.ip_block = ip_block
    row.attempts = 0
    row.sent_at = None
    row.next_attempt_at = now
    row.last_error = None
    outbox.queued()


@bp.post("/webmention")
@csrf.exempt
@limiter.limit(_client_limit)
@limiter.limit(_source_limit, key_func=_source_host)
def receive() -> Response:
    """Take a Webmention: 400 with the reason, or 202 and verify it later."""
    if not current_app.config["WEBMENTION_ENABLED"]:
        abort(404)
    found = check(request.form.get("source", "").strip(), request.form.get("target", "").strip())
    if isinstance(found, str):
        return Response(found + "\n", 400, mimetype="text/plain")
    try:
        queue(found, request.remote_addr or "", client_block())
        db.session.commit()
    except sa.exc.IntegrityError:
        # The same Webmention, sent twice at once: the other one was kept.
        db.session.rollback()
    return Response(_("Accepted: the source will be checked.") + "\n", 202, mimetype="text/plain")
