"""The readers' side: the article list, the article page and its comment form."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

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
    session,
)
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from blog import flags, messages, site_settings, subscriptions
from blog.addresses import client_block, rate_limit_key
from blog.bayes import FilterSettings
from blog.comments import (
    CommentSettings,
    Draft,
    Refusal,
    approved_comments,
    find_reply_parent,
    own_pending_comments,
    page_count,
    submit,
)
from blog.database import begin_with_reads
from blog.extensions import csrf, db, limiter
from blog.forms import CommentForm, FlagForm, FollowForm
from blog.http import page_number, parse_id
from blog.http_cache import (
    AUTHOR_COOKIES,
    article_copy_is_fresh,
    article_etag,
    is_anonymous_request,
    make_public,
)
from blog.links import link_to
from blog.models import Article, Comment, CommentStatus, utcnow
from blog.spam import (
    SpamSettings,
    sign_form_time,
    word_lists,
)
from blog.thread import build_thread
from blog.thread_cache import ThreadCache

bp = Blueprint("reader", __name__)

#: Session key holding the ids of the comments this browser posted.
PENDING_KEY = "my_comments"


#: Built once: the comment form and every uncached page view run it.
_PUBLISHED_ARTICLE = sa.select(Article).where(
    Article.slug == sa.bindparam("slug"), Article.published_at <= sa.bindparam("now")
)


def get_article_or_404(slug: str) -> Article:
    """Return the published article with ``slug`` or answer 404."""
    article = db.session.scalar(_PUBLISHED_ARTICLE, {"slug": slug, "now": utcnow()})
    if article is None:
        abort(404)
    return article


def comments_open(article: Article) -> bool:
    """Tell whether ``article`` still takes comments: its switch, and its age."""
    if not article.comments_open:
        return False
    days = current_app.config["COMMENT_CLOSE_AFTER_DAYS"]
    return not days or article.published_at > utcnow() - timedelta(days=days)


@bp.get("/")
def index() -> BaseResponse:
    """List the published articles, newest first.

    The list carries nothing of the reader's, so it answers conditional
    GETs: a browser or proxy revalidating it gets a 304.
    """
    articles = db.session.scalars(
        sa.select(Article)
        .where(Article.published_at <= utcnow())
        .order_by(Article.published_at.desc(), Article.id.desc())
    ).all()
    response = make_response(render_template("reader/index.html", articles=articles))
    response.add_etag()
    make_public(response)
    return response.make_conditional(request)


@bp.get("/<slug>/", endpoint="article")
def show_article(slug: str) -> Response:
    """Show an article, its approved comments and the comment form."""
    article = get_article_or_404(slug)
    remembered = {
        field: request.cookies.get(cookie, "") for field, cookie in AUTHOR_COOKIES.items()
    }
    form = comment_form(
        formdata=None,
        data={
            **remembered,
            "remember": bool(remembered["author"]),
            "comment_parent": str(parse_id(request.args.get("replytocom")) or 0),
        },
    )
    return render_article(article, form)


def comment_limit() -> str:
    return current_app.config["COMMENT_RATE_LIMIT"]


def is_moderator() -> bool:
    return bool(current_user.is_authenticated)


def comment_form(**kwargs: Any) -> CommentForm:
    """The comment form: a CSRF token for a signed-in moderator only.

    A reader's comment POST is protected by the cross-origin check that
    runs before every unsafe request (``blog/security.py``) and by
    SameSite cookies, as WordPress protects its readers' form: a token
    would make every reader's page different, and so uncacheable.
    """
    return CommentForm(meta={"csrf": is_moderator()}, **kwargs)


@bp.post("/<slug>/comment")
@limiter.limit(comment_limit, exempt_when=is_moderator, on_breach=lambda _: comment_rate_limited())
# A moderator's form checks its own CSRF token, so that a stale token
# re-renders the page with everything they typed instead of throwing it away.
@csrf.exempt
def post_comment(slug: str) -> BaseResponse:
    """Parse the form, submit the comment, and show it to its author."""
    begin_with_reads()
    article = get_article_or_404(slug)
    form = comment_form(article=article)
    if not comments_open(article):
        return render_article(article, form, status=403)
    if not form.validate():
        if form.errors.get("csrf_token"):
            form.csrf_token.errors = []
            return render_article(article, form, status=400, notice=messages.CSRF_EXPIRED)
        return render_article(article, form, status=422, notice=messages.FORM_HAS_ERRORS)
    outcome = submit(article, draft_of(form), comment_settings())
    if isinstance(outcome, Refusal):
        return render_article(article, form, status=outcome.status, notice=outcome.notice)
    if outcome.status != CommentStatus.APPROVED:
        remember_own_comment(outcome.comment_id)
    link = link_to(slug, outcome.comment_id, outcome.page, external=False)
    response = redirect(link, 303)
    remember_commenter(response, form)
    return response


def follow_limit() -> str:
    return current_app.config["FOLLOW_RATE_LIMIT"]


@bp.post("/<slug>/segui")
@limiter.limit(follow_limit)
@csrf.exempt
def follow(slug: str) -> tuple[str, int]:
    """ "Segui la discussione": subscribe an address to every approved comment.

    The answer is the same whatever the address's state (new, waiting,
    confirmed, suppressed), so that it tells a stranger nothing.
    """
    article = get_article_or_404(slug)
    form = FollowForm(prefix="follow")
    if not form.validate():
        page = render_template("reader/follow.html", article=article, follow_form=form)
        return page, 422
    subscriptions.subscribe(form.email.data or "", article)
    db.session.commit()
    return render_template("reader/follow.html", article=article, follow_form=None), 200


def flag_limit() -> str:
    return current_app.config["COMMENT_FLAG_RATE_LIMIT"]


@bp.post("/<slug>/segnala/<int:comment_id>")
@limiter.limit(flag_limit)
@csrf.exempt
def flag(slug: str, comment_id: int) -> tuple[str, int]:
    """ "Segnala": a reader reports an approved comment to the moderators.

    The button sits in the thread every reader shares, so it carries no
    token: the cross-origin check and a rate limit per address block guard
    it, as they guard the comment form. Nothing is kept of the reader but a
    keyed digest (blog/flags.py), and no cookie is set.
    """
    article = get_article_or_404(slug)
    comment = db.session.scalar(
        sa.select(Comment).where(
            Comment.id == comment_id,
            Comment.article_id == article.id,
            Comment.status == CommentStatus.APPROVED,
        )
    )
    if comment is None or not FlagForm().validate():
        abort(404)
    config = current_app.config
    digest = flags.reporter_digest(config["SECRET_KEY"], rate_limit_key(), comment.id)
    outcome = flags.report(comment, digest, config["COMMENT_FLAG_THRESHOLD"])
    db.session.commit()
    page = render_template(
        "reader/flagged.html", article=article, already=outcome is flags.Report.ALREADY
    )
    return page, 200


@bp.get("/privacy/")
def privacy_page() -> BaseResponse:
    """The built-in privacy page, when ``PRIVACY_POLICY_URL`` names none."""
    if current_app.config["PRIVACY_POLICY_URL"]:
        return redirect(current_app.config["PRIVACY_POLICY_URL"], 302)
    response = make_response(render_template("reader/privacy.html"))
    make_public(response)
    return response


def draft_of(form: CommentForm) -> Draft:
    """The valid form, and who sent it."""
    return Draft(
        author=form.author.data,
        email=form.email.data,
        url=form.url.data or "",
        body=form.comment.data,
        parent_id=form.parent.id if form.parent else None,
        notify=bool(form.notify.data),
        honeypot=form.homepage.data or "",
        form_time=form.form_time.data,
        ip_address=request.remote_addr or "",
        ip_block=client_block(),
        user_agent=request.user_agent.string,
        moderator_id=current_user.id if is_moderator() else None,
    )


def comment_settings() -> CommentSettings:
    """What the comment use case needs: the configuration with what moderators
    saved on the settings page laid over it, read once."""
    config = site_settings.in_force(current_app.config)
    return CommentSettings(
        secret_key=config["SECRET_KEY"],
        form_max_age=config["COMMENT_FORM_MAX_AGE"],
        flood_seconds=config["COMMENT_FLOOD_SECONDS"],
        moderation=config["COMMENT_MODERATION"],
        comments_per_page=config["COMMENTS_PER_PAGE"],
        spam=spam_settings(config),
        learning=FilterSettings.from_config(config),
        akismet=current_app.extensions.get("akismet"),
    )


def spam_settings(config: Mapping[str, Any]) -> SpamSettings:
    """The traps' thresholds and the word lists in force."""
    lists = word_lists(config)
    return SpamSettings(
        min_seconds=config["COMMENT_MIN_SECONDS"],
        max_links=config["COMMENT_MAX_LINKS"],
        moderation_keys=lists["COMMENT_MODERATION_KEYS"],
        disallowed_keys=lists["COMMENT_DISALLOWED_KEYS"],
    )


def comment_rate_limited() -> Response:
    """A comment over the rate limit: 429, with the typed text kept.

    Flask-Limiter's ``on_breach`` for the comment POST: the rate-limit error
    carries this response, and the error handler sends it.
    """
    slug = (request.view_args or {})["slug"]
    article = get_article_or_404(slug)
    return render_article(article, comment_form(), status=429, notice=messages.RATE_LIMITED)


def remember_own_comment(comment_id: int) -> None:
    """Let this browser see its comment while it waits for moderation."""
    limit = current_app.config["COMMENT_PREVIEW_LIMIT"]
    own = [cid for cid in session.get(PENDING_KEY, []) if cid != comment_id]
    session[PENDING_KEY] = [*own, comment_id][-limit:]
    session.permanent = True


def remember_commenter(response: BaseResponse, form: CommentForm) -> None:
    """Keep the name, email and site in cookies only when the reader asked."""
    secure = current_app.config["SESSION_COOKIE_SECURE"]
    if form.remember.data:
        max_age = timedelta(days=current_app.config["COMMENT_AUTHOR_COOKIE_DAYS"])
        for field, cookie in AUTHOR_COOKIES.items():
            response.set_cookie(
                cookie,
                getattr(form, field).data or "",
                max_age=max_age,
                httponly=True,
                samesite="Lax",
                secure=secure,
            )
    else:
        for cookie in AUTHOR_COOKIES.values():
            if cookie in request.cookies:
                response.delete_cookie(cookie, httponly=True, samesite="Lax", secure=secure)


def thread_cache() -> ThreadCache:
    """This app's cache of rendered comment pages (one per process)."""
    return current_app.extensions["thread_cache"]


def requested_page() -> int:
    return page_number(request.args.get("cpage"))


def render_article(
    article: Article, form: CommentForm, status: int = 200, notice: str | None = None
) -> Response:
    """Render the article page around ``form``.

    The comment thread comes from the per-process cache, keyed by the
    article's comment version, unless this reader has comments of their
    own waiting: only then is it rendered for them alone.
    """
    config = current_app.config
    per_page = config["COMMENTS_PER_PAGE"]
    pages = page_count(article, per_page)
    page = min(requested_page(), pages)
    is_open = comments_open(article)

    def render_thread(comments: list[Comment]) -> str:
        return render_template(
            "reader/_comment_list.html",
            article=article,
            thread=build_thread(comments, config["COMMENT_THREAD_DEPTH"]),
            page=page,
            pages=pages,
            comments_open=is_open,
        )

    shared = status == 200 and request.method == "GET" and is_anonymous_request()
    if shared:
        fresh = article_copy_is_fresh(
            request.headers.get("If-None-Match"),
            article.id,
            article.comment_version,
            page,
            is_open,
            config,
        )
        if fresh:
            return make_public(Response(status=304, headers={"ETag": fresh}))

    own_ids = session.get(PENDING_KEY)
    own = own_pending_comments(article, own_ids) if own_ids else []
    if own:
        approved = list(approved_comments(article, page, per_page))
        threads_here = {comment.thread_id for comment in approved}
        own = [
            comment
            for comment in own
            if comment.thread_id in threads_here
            or (page == pages and comment.thread_id == comment.id)
        ]
    if own:
        # Our own autoescaped template's output: safe markup.
        thread_html = Markup(render_thread([*approved, *own]))  # nosec B704
    else:
        thread_html = thread_cache().get_or_render(
            (article.id, article.comment_version, page, is_open),
            lambda: render_thread(list(approved_comments(article, page, per_page))),
        )

    replying_to = None
    parent_id = parse_id(form.comment_parent.data)
    if parent_id is not None:
        replying_to = find_reply_parent(article, parent_id)
    if replying_to is None:
        form.comment_parent.data = "0"
    signed_at = int(time.time())
    form.form_time.data = sign_form_time(config["SECRET_KEY"], article.id)
    body = render_template(
        "reader/article.html",
        article=article,
        thread_html=thread_html,
        form=form,
        replying_to=replying_to,
        comments_open=is_open,
        notice=notice,
        follow_form=FollowForm(formdata=None, prefix="follow"),
    )
    response = make_response(body, status)
    if shared:
        # The same page for every reader with no cookie of ours: any cache
        # may keep it (blog/http_cache.py), the form time included.
        response.set_etag(
            article_etag(article.id, article.comment_version, page, is_open, signed_at).strip('"')
        )
        make_public(response)
    return response
