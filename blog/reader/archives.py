"""A category's, a tag's and an author's articles: ``/categoria/<slug>/``,
``/tag/<slug>/``, ``/autore/<username>/``; a month's (``/2026/12/``) and the
list of months (``/archivi/``). Routes of the readers' blueprint
(blog/reader/views.py); their feeds are in blog/reader/feeds.py.

Months are the site's (``TIMEZONE``): an article published at 00:30 on
1 December in Rome is December's, though stored as 30 November, 23:30 UTC.

Each page exists while it lists a public article: a category or tag only
drafts carry, or an author with nothing published, answers 404, so that
no page says what is still to come. A deactivated account's page answers
404 too (their articles stay, signed with their name). An author's page
shows their display name and bio, never their email or username's account.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from babel.dates import format_date
from flask import abort, current_app, make_response, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from blog.articles.authoring import from_local
from blog.core.dates import localize
from blog.core.urls import external_url
from blog.extensions import db
from blog.models import Article, Moderator, Term, TermKind, article_term
from blog.reader.listings import list_articles, listed
from blog.reader.views import bp
from blog.web.http_cache import make_public

#: Each kind of term's page and feed.
TERM_ENDPOINTS = {
    TermKind.CATEGORY: ("reader.category_page", "feeds.category"),
    TermKind.TAG: ("reader.tag_page", "feeds.tag"),
}


@dataclass(frozen=True)
class Archive:
    """What the page says above its list."""

    title: str
    description: str
    canonical: str
    #: The list's own feed; None: the site's (a month has none of its own).
    feed_url: str | None = None


def term_or_404(kind: TermKind, slug: str) -> Term:
    """The category or tag at ``slug``, or 404."""
    term = db.session.scalar(sa.select(Term).where(Term.kind == kind, Term.slug == slug))
    if term is None:
        abort(404)
    return term


def with_term(term: Term) -> sa.ColumnElement[bool]:
    """Articles carrying ``term``."""
    return Article.id.in_(
        sa.select(article_term.c.article_id).where(article_term.c.term_id == term.id)
    )


def public_author_or_404(username: str) -> Moderator:
    """An active account at ``username`` (its articles are checked by the list), or 404."""
    author = db.session.scalar(
        sa.select(Moderator).where(Moderator.username == username, Moderator.active.is_(True))
    )
    if author is None:
        abort(404)
    return author


def render_archive(
    archive: Archive, where: sa.ColumnElement[bool], endpoint: str, **values: str | int
) -> BaseResponse:
    """The list page, the same for every reader: public, with a 304 for a copy still right."""
    listing = list_articles(where, endpoint, empty_is_404=True, **values)
    page = render_template("reader/archive.html", archive=archive, listing=listing)
    response = make_response(page)
    response.add_etag()
    make_public(response)
    return response.make_conditional(request)


def term_title(term: Term) -> str:
    """ "Categoria: …" or "Tag: …", in the page's language."""
    if term.kind == TermKind.CATEGORY:
        return _("Category: %(name)s", name=term.name)
    return _("Tag: %(name)s", name=term.name)


def term_page(kind: TermKind, slug: str) -> BaseResponse:
    """A category's or tag's page."""
    term = term_or_404(kind, slug)
    page_endpoint, feed_endpoint = TERM_ENDPOINTS[kind]
    archive = Archive(
        title=term_title(term),
        description=term.description,
        canonical=external_url(page_endpoint, slug=term.slug, page=_page_asked()),
        feed_url=url_for(feed_endpoint, slug=term.slug),
    )
    return render_archive(archive, with_term(term), page_endpoint, slug=term.slug)


def _page_asked() -> int | None:
    """The page number for a canonical link: none for the first."""
    raw = request.args.get("page", "")
    return int(raw) if raw.isascii() and raw.isdigit() and 1 < int(raw) < 10**7 else None


@bp.get("/categoria/<slug>/")
def category_page(slug: str) -> BaseResponse:
    """A category's public articles, newest first."""
    return term_page(TermKind.CATEGORY, slug)


@bp.get("/tag/<slug>/")
def tag_page(slug: str) -> BaseResponse:
    """A tag's public articles, newest first."""
    return term_page(TermKind.TAG, slug)


@bp.get("/autore/<username>/")
def author_page(username: str) -> BaseResponse:
    """An author's public articles, their name and bio."""
    author = public_author_or_404(username)
    archive = Archive(
        title=_("Author: %(name)s", name=author.display_name),
        description=author.bio,
        canonical=external_url("reader.author_page", username=author.username, page=_page_asked()),
        feed_url=url_for("feeds.author", username=author.username),
    )
    return render_archive(
        archive, Article.author_id == author.id, "reader.author_page", username=author.username
    )


# Months ----------------------------------------------------------------------


def site_timezone() -> str:
    return str(current_app.config["TIMEZONE"])


def month_name(year: int, month: int) -> str:
    """ "Dicembre 2026", in the page's language."""
    name = format_date(date(year, month, 1), "LLLL y", locale=get_locale())
    return name[:1].upper() + name[1:]


def in_month(year: int, month: int) -> sa.ColumnElement[bool]:
    """Articles published in that month of the site's time zone."""
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    start = from_local(datetime(year, month, 1), site_timezone())
    end = from_local(datetime(*following, 1), site_timezone())
    return sa.and_(Article.published_at >= start, Article.published_at < end)


@dataclass(frozen=True)
class Month:
    """A month with public articles, as the list of months shows it."""

    year: int
    month: int
    count: int

    @property
    def name(self) -> str:
        return month_name(self.year, self.month)

    @property
    def url(self) -> str:
        return url_for("reader.month_page", year=self.year, month=self.month)


def months_with_articles() -> list[Month]:
    """Every month with a public article, newest first, with how many.

    One query of the dates alone, counted here: a month in the site's time
    zone is no expression both databases share.
    """
    zone = site_timezone()
    moments = db.session.scalars(sa.select(Article.published_at).where(listed()))
    counts = Counter((local.year, local.month) for local in (localize(m, zone) for m in moments))
    return [
        Month(year, month, count) for (year, month), count in sorted(counts.items(), reverse=True)
    ]


@bp.get("/<int(fixed_digits=4):year>/<int(fixed_digits=2):month>/")
def month_page(year: int, month: int) -> BaseResponse:
    """A month's public articles, newest first; 404 for an empty month or no month."""
    if not 1 <= month <= 12 or year < 1:
        abort(404)
    archive = Archive(
        title=_("Month: %(month)s", month=month_name(year, month)),
        description="",
        canonical=external_url("reader.month_page", year=year, month=month, page=_page_asked()),
    )
    return render_archive(
        archive, in_month(year, month), "reader.month_page", year=year, month=month
    )


@bp.get("/archivi/")
def months() -> BaseResponse:
    """Every month with public articles, and how many: the way into the archives."""
    response = make_response(render_template("reader/months.html", months=months_with_articles()))
    response.add_etag()
    make_public(response)
    return response.make_conditional(request)
