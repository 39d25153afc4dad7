"""What search engines and link previews read: robots.txt, the sitemap,
noindex, canonical links.

Moderation pages, the moderators' login and the pages behind links in mail
are nobody's search result: robots.txt asks crawlers to stay out, and each
of those pages says ``noindex`` twice, in an ``X-Robots-Tag`` header and in
a ``<meta name="robots">``, for the crawler that comes anyway through a link
somebody published. Canonical and Open Graph URLs come from ``SITE_URL``
(:func:`blog.urls.external_url`), never from the request's ``Host``.

``/sitemap.xml`` lists the home page, every public article, and the pages
of the categories, tags and authors that have one: never a draft, a
scheduled article before its time or one in the bin, since it asks the
same :meth:`Article.public` as every list. robots.txt names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    Response,
    has_request_context,
    make_response,
    render_template,
    request,
)
from werkzeug.wrappers import Response as BaseResponse

from blog.accounts import auth, staff_views
from blog.articles import views as editor
from blog.core.urls import external_url
from blog.extensions import db
from blog.models import Article, Moderator, Term, TermKind, article_term
from blog.moderation import views
from blog.notify import mail_links
from blog.reader.archives import TERM_ENDPOINTS
from blog.reader.listings import listed
from blog.web.http_cache import make_public

bp = Blueprint("seo", __name__)

#: Blueprints whose pages no search engine should list.
PRIVATE_BLUEPRINTS = frozenset(
    {auth.bp.name, views.bp.name, staff_views.bp.name, mail_links.bp.name, editor.bp.name}
)
NOINDEX = "noindex, nofollow"


def private_paths() -> list[str]:
    """The path prefixes robots.txt closes, under the site's own path."""
    prefixes = {
        views.bp.url_prefix,
        auth.bp.url_prefix,
        staff_views.bp.url_prefix,
        mail_links.bp.url_prefix,
        editor.bp.url_prefix,
    }
    paths = sorted(f"{request.script_root}{prefix}/" for prefix in prefixes if prefix)
    # /admin/ already closes /admin/articles/.
    return [path for path in paths if not any(path.startswith(p) and path != p for p in paths)]


@bp.get("/robots.txt")
def robots_txt() -> Response:
    """Let crawlers read the articles and feeds, and keep them out of moderation."""
    lines = [
        "User-agent: *",
        *(f"Disallow: {path}" for path in private_paths()),
        "",
        f"Sitemap: {external_url('seo.sitemap')}",
    ]
    response = Response("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    return make_public(response)


@dataclass(frozen=True)
class SitemapEntry:
    loc: str
    lastmod: datetime | None = None


def last_change(published_at: datetime | None, updated_at: datetime | None) -> datetime | None:
    """When a page last changed: its article's update, or its publication if later."""
    return max((moment for moment in (published_at, updated_at) if moment), default=None)


@bp.get("/sitemap.xml")
def sitemap() -> BaseResponse:
    """The addresses search engines should know, each with when it last changed.

    Cached as the feeds are (public, briefly, an ETag of its own bytes), so
    a scheduled article is in it from its time on.
    """
    changed = (sa.func.max(Article.published_at), sa.func.max(Article.updated_at))
    # The pages ("Chi siamo") too: not in the lists, but worth finding.
    articles = db.session.execute(
        sa.select(Article.slug, Article.published_at, Article.updated_at)
        .where(Article.public())
        .order_by(Article.published_at.desc(), Article.id.desc())
    ).all()
    terms = db.session.execute(
        sa.select(Term.kind, Term.slug, *changed)
        .join(article_term, article_term.c.term_id == Term.id)
        .join(Article, Article.id == article_term.c.article_id)
        .where(listed())
        .group_by(Term.id, Term.kind, Term.slug)
        .order_by(Term.kind, Term.slug)
    ).all()
    authors = db.session.execute(
        sa.select(Moderator.username, *changed)
        .join(Article, Article.author_id == Moderator.id)
        .where(listed(), Moderator.active.is_(True))
        .group_by(Moderator.id, Moderator.username)
        .order_by(Moderator.username)
    ).all()
    newest = max(
        (last_change(published, updated) for _, published, updated in articles),
        default=None,
        key=lambda moment: moment or datetime.min,
    )
    entries = [
        SitemapEntry(external_url("reader.index"), newest),
        *(
            SitemapEntry(external_url("reader.article", slug=slug), last_change(published, updated))
            for slug, published, updated in articles
        ),
        *(
            SitemapEntry(
                external_url(TERM_ENDPOINTS[TermKind(kind)][0], slug=slug),
                last_change(published, updated),
            )
            for kind, slug, published, updated in terms
        ),
        *(
            SitemapEntry(
                external_url("reader.author_page", username=username),
                last_change(published, updated),
            )
            for username, published, updated in authors
        ),
    ]
    body = render_template("reader/sitemap.xml", entries=entries)
    response = make_response(body)
    response.content_type = "application/xml; charset=utf-8"
    response.add_etag()
    make_public(response)
    return response.make_conditional(request)


def is_private_page() -> bool:
    """Tell whether the current request is for a page no search engine should list."""
    return has_request_context() and request.blueprint in PRIVATE_BLUEPRINTS


def add_robots_header(response: Response) -> Response:
    """Say ``noindex`` on the private pages, whatever their content type."""
    if is_private_page():
        response.headers["X-Robots-Tag"] = NOINDEX
    return response


def template_values() -> dict[str, Any]:
    return {"noindex": is_private_page()}


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.after_request(add_robots_header)
    app.context_processor(template_values)
    app.jinja_env.globals["external_url"] = external_url
