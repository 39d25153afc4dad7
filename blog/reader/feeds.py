"""Atom feeds: the articles, all approved comments, one article's comments.

Built with feedgenerator (Django's feed writer, standalone), which escapes
every text it writes. Commenters' email addresses never appear. As RFC 4287
asks, each feed has an id of its own and an author (the site; an entry's
own author, the commenter, overrides it), and an entry's summary is only
there when it is not the content again. Each feed
answers conditional GETs: its ETag comes from the article versions, which
every change readers can see bumps, so a feed reader polling an unchanged
feed gets a 304 after one small query. A feed speaks the site's language
(``SITE_LANGUAGE``), whoever asks: every reader and cache shares it.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from feedgenerator import Atom1Feed
from flask import Blueprint, Response, abort, current_app, request
from flask_babel import gettext as _
from markupsafe import Markup, escape

from blog import messages
from blog.core.i18n import speaking
from blog.core.links import comment_page, link_to
from blog.core.urls import external_url
from blog.extensions import db
from blog.models import Article, ArticleKind, Comment, CommentStatus
from blog.web.http_cache import make_public

bp = Blueprint("feeds", __name__)

#: Entries per feed, newest first.
FEED_ENTRIES = 50
ATOM = "application/atom+xml; charset=utf-8"


def _published() -> sa.ColumnElement[bool]:
    return sa.and_(Article.public(), Article.kind == ArticleKind.POST)


def _not_modified(*parts: object) -> tuple[str, Response | None]:
    """The feed's ETag, and a 304 when the reader already has it."""
    etag = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    if request.if_none_match.contains(etag):
        response = Response(status=304)
        response.set_etag(etag)
        return etag, make_public(response)
    return etag, None


def _new_feed(title: str, link: str, feed_url: str, feed_id: str | None = None) -> Atom1Feed:
    """An Atom feed by the site, identified by ``feed_id`` (its own URL unless given)."""
    return Atom1Feed(
        title=title,
        link=link,
        description=title,
        language=current_app.config["SITE_LANGUAGE"],
        feed_url=feed_url,
        feed_guid=feed_id or feed_url,
        author_name=current_app.config["SITE_NAME"],
        author_link=external_url("reader.index"),
    )


def _atom(feed: Atom1Feed, etag: str) -> Response:
    response = Response(feed.writeString("utf-8"), content_type=ATOM)
    response.set_etag(etag)
    # The same for everyone: shared caches keep it briefly, readers revalidate.
    return make_public(response)


@bp.get("/feed/")
def articles() -> Response:
    """The site's articles."""
    state = db.session.execute(
        sa.select(sa.func.count(Article.id), sa.func.max(Article.published_at)).where(_published())
    ).one()
    etag, cached = _not_modified("articles", *state, _article_versions())
    if cached:
        return cached
    # The id it has always had: the site's address.
    feed = _new_feed(
        current_app.config["SITE_NAME"],
        external_url("reader.index"),
        external_url("feeds.articles"),
        feed_id=external_url("reader.index"),
    )
    for article in db.session.scalars(
        sa.select(Article)
        .where(_published())
        .order_by(Article.published_at.desc())
        .limit(FEED_ENTRIES)
    ):
        link = external_url("reader.article", slug=article.slug)
        feed.add_item(
            title=article.title,
            link=link,
            # The standfirst is plain text; the summary is read as HTML.
            description=str(escape(article.standfirst)) if article.standfirst else None,
            content=article.body_html,
            pubdate=article.published_at,
            unique_id=link,
        )
    return _atom(feed, etag)


def _article_versions() -> int:
    return db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(Article.comment_version), 0)).where(_published())
    ).scalar_one()


@bp.get("/comments/feed/")
def all_comments() -> Response:
    """Every approved comment, newest first."""
    etag, cached = _not_modified("comments", _article_versions())
    if cached:
        return cached
    with speaking(None):
        feed = _new_feed(
            _("Comments – %(site)s", site=current_app.config["SITE_NAME"]),
            external_url("reader.index"),
            external_url("feeds.all_comments"),
        )
        _add_comments(feed, sa.true())
    return _atom(feed, etag)


@bp.get("/<slug>/feed/")
def article_comments(slug: str) -> Response:
    """One article's approved comments, newest first."""
    article = db.session.scalar(sa.select(Article).where(Article.slug == slug, _published()))
    if article is None:
        abort(404)
    etag, cached = _not_modified("article", article.id, article.comment_version)
    if cached:
        return cached
    with speaking(None):
        feed = _new_feed(
            _("Comments on: %(title)s", title=article.title),
            external_url("reader.article", slug=article.slug),
            external_url("feeds.article_comments", slug=article.slug),
        )
        _add_comments(feed, Comment.article_id == article.id)
    return _atom(feed, etag)


def _add_comments(feed: Atom1Feed, where: sa.ColumnElement[bool]) -> None:
    parent = sa.orm.aliased(Comment)
    comments = db.session.execute(
        sa.select(Comment, Article.slug, Article.title, parent.id, parent.author)
        .join(Article, Comment.article_id == Article.id)
        .outerjoin(
            parent,
            sa.and_(parent.id == Comment.parent_id, parent.status == CommentStatus.APPROVED),
        )
        .where(where, Comment.status == CommentStatus.APPROVED, _published())
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(FEED_ENTRIES)
    ).all()
    for comment, slug, title, parent_id, parent_author in comments:
        # The id stays what it always was; the link opens the comment's page.
        permanent = external_url("reader.article", slug=slug, anchor=f"comment-{comment.id}")
        page = comment_page(comment)
        content = Markup(comment.body_html)  # nosec B704 - sanitized when it was written
        if parent_id is not None:
            # As WordPress's feeds: a reply names the comment it answers, which
            # is in the same thread, so on the same page.
            content = (
                Markup('<p>{} <a href="{}">{}</a>.</p>').format(
                    messages.IN_REPLY_TO, link_to(slug, parent_id, page), parent_author
                )
                + content
            )
        if comment.origin_url:
            # Written on another site (a Webmention): said, with its page.
            content += Markup('<p>{} <a href="{}">{}</a></p>').format(
                _("From another site:"), comment.origin_url, comment.origin_url
            )
        feed.add_item(
            title=_("%(author)s on “%(title)s”", author=comment.author, title=title),
            link=link_to(slug, comment.id, page),
            description=None,
            content=str(content),
            author_name=comment.author or None,
            author_link=comment.url or None,
            pubdate=comment.created_at,
            unique_id=permanent,
        )
