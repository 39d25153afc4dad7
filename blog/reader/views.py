"""The readers' side: the article list, the article page, the privacy page and search.

The blueprint spans actions.py (the comment POST, likes, "Segnala", "Segui
la discussione") and own_comments.py (an author's edit and withdrawal)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
)
from werkzeug.wrappers import Response as BaseResponse

from blog import messages
from blog.core.http import parse_id
from blog.extensions import db, limiter
from blog.models import Article, ArticleKind
from blog.reader.rendering import comment_form, get_article_or_404, render_article
from blog.reader.search import read_question, search_articles
from blog.reader.session import remembered_commenter
from blog.web.errors import render_error
from blog.web.http_cache import make_public

bp = Blueprint("reader", __name__)


@bp.get("/")
def index() -> BaseResponse:
    """List the published articles, newest first.

    The list carries nothing of the reader's, so it answers conditional
    GETs: a browser or proxy revalidating it gets a 304.
    """
    articles = db.session.scalars(
        sa.select(Article)
        .where(Article.public(), Article.kind == ArticleKind.POST)
        .order_by(Article.published_at.desc(), Article.id.desc())
    ).all()
    response = make_response(render_template("reader/index.html", articles=articles))
    response.add_etag()
    make_public(response)
    return response.make_conditional(request)


def search_limit() -> str:
    return current_app.config["SEARCH_RATE_LIMIT"]


def search_rate_limited() -> Response:
    return make_response(render_error(429, str(messages.SEARCH_RATE_LIMITED)))


@bp.get("/cerca/")
@limiter.limit(search_limit, on_breach=lambda _: search_rate_limited())
def search() -> BaseResponse:
    """Search the published articles and pages; the same page for every reader.

    A search that cannot be run (empty, too long, no words) gets the page
    with the reason, never an error.
    """
    config = current_app.config
    question = read_question(
        request.args.get("q"), int(config["SEARCH_MAX_CHARS"]), int(config["SEARCH_MAX_WORDS"])
    )
    page = parse_id(request.args.get("page")) or 1
    if page > int(config["SEARCH_MAX_PAGES"]):
        abort(404)
    results = search_articles(question, page, config) if not question.problem else None
    notice = None
    if question.left_out:
        notice = messages.SEARCH_FIRST_WORDS.format(count=len(question.words))
    response = make_response(
        render_template(
            "reader/search.html",
            question=question,
            results=results,
            notice=notice,
            search_text=question.text,
        )
    )
    response.add_etag()
    make_public(response)
    return response.make_conditional(request)


@bp.get("/<slug>/", endpoint="article")
def show_article(slug: str) -> Response:
    """Show an article, its approved comments and the comment form."""
    article = get_article_or_404(slug)
    replying_to = str(parse_id(request.args.get("replytocom")) or 0)
    form = comment_form(
        formdata=None, data={**remembered_commenter(), "comment_parent": replying_to}
    )
    return render_article(article, form)


@bp.get("/privacy/")
def privacy_page() -> BaseResponse:
    """The built-in privacy page, when ``PRIVACY_POLICY_URL`` names none."""
    if current_app.config["PRIVACY_POLICY_URL"]:
        return redirect(current_app.config["PRIVACY_POLICY_URL"], 302)
    response = make_response(render_template("reader/privacy.html"))
    make_public(response)
    return response
