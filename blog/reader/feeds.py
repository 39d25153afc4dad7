"""Atom feeds: the articles (all, a category's, a tag's, an author's), all
approved comments, one article's comments.

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
from flask import Blueprint, Response, abort, current_app, redirect, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape
from werkzeug.wrappers import Response as BaseResponse

from blog import messages
from blog.core.i18n import speaking
from blog.core.links import comment_page, link_to
from blog.core.urls import external_url
from blog.extensions import db
from blog.models import Article, ArticleRedirect, Comment, CommentStatus, TermKind
from blog.reader.archives import (
    TERM_ENDPOINTS,
    public_author_or_404,
    term_or_404,
    term_title,
    with_term,
)
from blog.reader.listings import listed
from blog.web.http_cache import make_public

bp = Blueprint("feeds", __name__)

#: Entries per feed, newest first.
FEED_ENTRIES = 50
ATOM = "application/atom+xml; charset=utf-8"


def _published() -> sa.ColumnElement[bool]:
    return listed()


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
    # The id it has always had: the site's address.
    return _article_feed(
        ("articles",),
        sa.true(),
        current_app.config["SITE_NAME"],
        external_url("reader.index"),
        external_url("feeds.articles"),
        feed_id=external_url("reader.index"),
    )


@bp.get("/categoria/<slug>/feed/")
def category(slug: str) -> Response:
    """A category's articles."""
    return _term_feed(TermKind.CATEGORY, slug)


@bp.get("/tag/<slug>/feed/")
def tag(slug: str) -> Response:
    """A tag's articles."""
    return _term_feed(TermKind.TAG, slug)


def _term_feed(kind: TermKind, slug: str) -> Response:
    term = term_or_404(kind, slug)
    page_endpoint, feed_endpoint = TERM_ENDPOINTS[kind]
    with speaking(None):
        title = f"{term_title(term)} – {current_app.config['SITE_NAME']}"
    return _article_feed(
        (kind.value, term.id, term.name),
        with_term(term),
        title,
        external_url(page_endpoint, slug=term.slug),
        external_url(feed_endpoint, slug=term.slug),
    )


@bp.get("/autore/<username>/feed/")
def author(username: str) -> Response:
    """An author's articles."""
    person = public_author_or_404(username)
    with speaking(None):
        title = _("Author: %(name)s", name=person.display_name)
    return _article_feed(
        ("author", person.id, person.display_name),
        Article.author_id == person.id,
        f"{title} – {current_app.config['SITE_NAME']}",
        external_url("reader.author_page", username=person.username),
        external_url("feeds.author", username=person.username),
    )


def _article_feed(
    key: tuple[object, ...],
    where: sa.ColumnElement[bool],
    title: str,
    link: str,
    feed_url: str,
    feed_id: str | None = None,
) -> Response:
    """The newest public articles matching ``where``, as Atom.

    The ETag comes from how many there are, the newest date and the sum
    of their versions, read at this moment: an article reaching its
    scheduled time changes the count, so no reader keeps the old list.
    """
    condition = sa.and_(_published(), where)
    state = db.session.execute(
        sa.select(
            sa.func.count(Article.id),
            sa.func.max(Article.published_at),
            sa.func.coalesce(sa.func.sum(Article.comment_version), 0),
        ).where(condition)
    ).one()
    if key != ("articles",) and not state[0]:
        abort(404)  # as its page: nothing public, no feed
    etag, cached = _not_modified(*key, *state)
    if cached:
        return cached
    feed = _new_feed(title, link, feed_url, feed_id=feed_id)
    for article in db.session.scalars(
        sa.select(Article)
        .where(condition)
        .options(sa.orm.joinedload(Article.author), sa.orm.selectinload(Article.terms))
        .order_by(Article.published_at.desc(), Article.id.desc())
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
            updateddate=article.updated_at,
            unique_id=link,
            categories=[term.name for term in article.terms],
            author_name=article.author.display_name if article.author else None,
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
def article_comments(slug: str) -> BaseResponse:
    """One article's approved comments, newest first.

    An address the article had before answers 301 to its feed now.
    """
    article = db.session.scalar(sa.select(Article).where(Article.slug == slug, _published()))
    if article is None:
        moved = db.session.scalar(
            sa.select(Article)
            .join(ArticleRedirect, ArticleRedirect.article_id == Article.id)
            .where(ArticleRedirect.old_slug == slug, _published())
        )
        if moved is None:
            abort(404)
        return make_public(redirect(url_for("feeds.article_comments", slug=moved.slug), 301))
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
