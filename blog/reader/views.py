"""The readers' side: the article list, the article page, the privacy page and search.

The blueprint spans actions.py (the comment POST, likes, "Segnala", "Segui
la discussione"), own_comments.py (an author's edit and withdrawal) and
archives.py (a category's, a tag's and an author's articles)."""

from __future__ import annotations

from urllib.parse import urlencode

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
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from blog import messages
from blog.accounts.roles import can_edit_article
from blog.core.http import parse_id
from blog.extensions import limiter
from blog.reader.listings import list_articles
from blog.reader.rendering import (
    comment_form,
    moved_article,
    public_article,
    render_article,
    staff_article,
)
from blog.reader.search import read_question, search_articles
from blog.reader.session import remembered_commenter
from blog.web.errors import render_error
from blog.web.http_cache import make_public

bp = Blueprint("reader", __name__)


@bp.get("/")
def index() -> BaseResponse:
    """List the published articles, newest first, ``ARTICLES_PER_PAGE`` a page.

    The list carries nothing of the reader's, so it answers conditional
    GETs: a browser or proxy revalidating it gets a 304. Its ETag is the
    page's own digest, so a scheduled article reaching its time changes it.
    """
    listing = list_articles(sa.true(), "reader.index")
    response = make_response(render_template("reader/index.html", listing=listing))
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
def show_article(slug: str) -> BaseResponse:
    """Show an article, its approved comments and the comment form.

    An address the article had before answers 301 to its current one, for
    good; a draft, a scheduled article or one in the bin is shown to staff
    who may edit it, with a banner, and is "not found" for everyone else.
    """
    article = public_article(slug)
    if article is None:
        article = staff_article(slug)
    if article is None:
        return moved_permanently(slug)
    replying_to = str(parse_id(request.args.get("replytocom")) or 0)
    form = comment_form(
        formdata=None, data={**remembered_commenter(), "comment_parent": replying_to}
    )
    return render_article(article, form)


def moved_permanently(slug: str) -> BaseResponse:
    """301 from an address an article had to the one it has, the query kept; else 404."""
    article = moved_article(slug)
    if article is None or not (article.is_public or can_edit_article(article)):
        abort(404)
    location = url_for("reader.article", slug=article.slug)
    if request.args:
        location += "?" + urlencode(list(request.args.items(multi=True)))
    response = redirect(location, 301)
    if article.is_public:
        make_public(response)
    return response


@bp.get("/privacy/")
def privacy_page() -> BaseResponse:
    """The built-in privacy page, when ``PRIVACY_POLICY_URL`` names none."""
    if current_app.config["PRIVACY_POLICY_URL"]:
        return redirect(current_app.config["PRIVACY_POLICY_URL"], 302)
    response = make_response(render_template("reader/privacy.html"))
    make_public(response)
    return response
