"""The readers' side: the article list, the article page and its comment form."""

from __future__ import annotations

import time
from collections.abc import Mapping, Set
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from blog import messages
from blog.comments import flags
from blog.comments.forms import CommentForm, FlagForm, FollowForm, OwnCommentForm, WithdrawForm
from blog.comments.likes import add_like, like_key
from blog.comments.own import (
    OWN_STATUSES,
    EditRefusal,
    change_deadline,
    edit_own_comment,
    is_authors,
    may_change,
    own_comments,
    remembered,
    still_worth_keeping,
    withdraw_own_comment,
    written_stamp,
)
from blog.comments.pages import (
    CommentOrder,
    CommentView,
    approved_comments,
    landing_page,
    page_count,
    read_order,
    thread_order,
)
from blog.comments.sanitize import comment_to_html
from blog.comments.submit import CommentSettings, Draft, Refusal, find_reply_parent, submit
from blog.comments.thread import build_thread, shown_depth
from blog.comments.thread_cache import ThreadCache
from blog.comments.values import Client, CommentText
from blog.core.addresses import client_block, rate_limit_key
from blog.core.database import begin_with_reads
from blog.core.forms import form_status
from blog.core.http import page_number, parse_id
from blog.core.links import comment_link, link_to
from blog.extensions import csrf, db, limiter
from blog.models import Article, Comment, CommentStatus, utcnow
from blog.moderation import site_settings
from blog.notify import subscriptions
from blog.spam.bayes import FilterSettings
from blog.spam.rules import (
    SpamSettings,
    form_age,
    sign_form_time,
    word_lists,
)
from blog.web.errors import render_error
from blog.web.http_cache import (
    AUTHOR_COOKIES,
    article_copy_is_fresh,
    article_etag,
    is_anonymous_request,
    make_public,
)

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
    if is_moderator():
        # As WordPress: a moderator writes under their account's name.
        remembered = {
            "author": current_user.display_name,
            "email": current_user.email or "",
            "url": current_user.url,
        }
    else:
        remembered = {
            field: request.cookies.get(cookie, "") for field, cookie in AUTHOR_COOKIES.items()
        }
    form = comment_form(
        formdata=None,
        data={
            **remembered,
            "remember": bool(request.cookies.get(AUTHOR_COOKIES["author"])),
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
    runs before every unsafe request (``blog/web/security.py``) and by
    SameSite cookies, as WordPress protects its readers' form: a token
    would make every reader's page different, and so uncacheable.
    """
    return CommentForm(meta={"csrf": is_moderator()}, **kwargs)


def preview_limit() -> str:
    return current_app.config["PREVIEW_RATE_LIMIT"]


def is_preview() -> bool:
    """The "Anteprima" button sent the form, not "Invia commento"."""
    return request.form.get("preview") == "1"


@bp.post("/<slug>/comment")
@limiter.limit(
    comment_limit,
    exempt_when=lambda: is_moderator() or is_preview(),
    on_breach=lambda _: comment_rate_limited(messages.RATE_LIMITED),
)
@limiter.limit(
    preview_limit,
    scope="comment-preview",
    exempt_when=lambda: not is_preview(),
    on_breach=lambda _: comment_rate_limited(messages.PREVIEW_RATE_LIMITED),
)
# A moderator's form checks its own CSRF token, so that a stale token
# re-renders the page with everything they typed instead of throwing it away.
@csrf.exempt
def post_comment(slug: str) -> BaseResponse:
    """Parse the form, submit the comment (or preview it), and show it to its author."""
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
    if is_preview():
        return preview_comment(article, form)
    outcome = submit(article, draft_of(form), comment_settings())
    if isinstance(outcome, Refusal):
        return render_article(article, form, status=outcome.status, notice=outcome.notice)
    if outcome.status != CommentStatus.APPROVED or current_app.config["COMMENT_EDIT_MINUTES"]:
        remember_own_comment(outcome.comment_id, outcome.created_at)
    link = link_to(slug, outcome.comment_id, outcome.page, external=False)
    response = redirect(link, 303)
    remember_commenter(response, form)
    return response


def own_comment_or_404(article: Article, comment_id: int) -> Comment:
    """This browser's own comment on ``article``, or 404 for anyone else's.

    A comment is this browser's when its session remembers the id and the
    microsecond it was written; whatever else a request sends (another
    browser, a forged or reused id) finds nothing.
    """
    comment = db.session.get(Comment, comment_id)
    if (
        comment is None
        or comment.article_id != article.id
        or comment.status not in OWN_STATUSES
        or not is_authors(comment, own_entries())
    ):
        abort(404)
    return comment


def too_late(comment: Comment) -> tuple[str, int]:
    """The Italian 403 page of a comment whose time for changes is over."""
    minutes = current_app.config["COMMENT_EDIT_MINUTES"]
    return render_error(403, messages.OWN_EDIT_WINDOW_OVER.format(minutes=minutes))


def refused(refusal: EditRefusal, comment: Comment) -> tuple[str, int]:
    """An author's change that may not happen: 404 when the comment is gone, else 403."""
    if refusal is EditRefusal.GONE:
        abort(404)
    return too_late(comment)


@bp.route("/<slug>/modifica/<int:comment_id>", methods=["GET", "POST"])
@limiter.limit(comment_limit, methods=["POST"], exempt_when=is_moderator)
# Guarded like the comment form: the cross-origin check, and for a
# moderator the form's own token.
@csrf.exempt
def edit_own(slug: str, comment_id: int) -> BaseResponse | tuple[str, int]:
    """Show, and save, the author's change to the text of their comment."""
    begin_with_reads()
    article = get_article_or_404(slug)
    comment = own_comment_or_404(article, comment_id)
    minutes = current_app.config["COMMENT_EDIT_MINUTES"]
    if not may_change(comment, minutes):
        return too_late(comment)
    # A moderator's form carries a token, as their comment form does.
    form = OwnCommentForm(meta={"csrf": is_moderator()}, data={"comment": comment.body})
    if request.method == "POST" and form.validate():
        outcome = edit_own_comment(comment, edit_draft(comment, form), comment_settings())
        if isinstance(outcome, EditRefusal):
            return refused(outcome, comment)
        unpublished = outcome.previous == CommentStatus.APPROVED != outcome.status
        flash(messages.OWN_EDIT_HELD if unpublished else messages.OWN_EDIT_SAVED, "success")
        return redirect(comment_link(comment, external=False), 303)
    page = render_template(
        "reader/edit_comment.html",
        article=article,
        comment=comment,
        form=form,
        withdraw_form=WithdrawForm(meta={"csrf": is_moderator()}),
        deadline=change_deadline(comment, minutes),
        link=comment_link(comment, external=False),
    )
    return page, form_status() if form.errors else 200


@bp.post("/<slug>/ritira/<int:comment_id>")
@csrf.exempt
def withdraw_own(slug: str, comment_id: int) -> BaseResponse | tuple[str, int]:
    """ "Ritira il commento": the author takes their comment off the page."""
    article = get_article_or_404(slug)
    comment = own_comment_or_404(article, comment_id)
    if not WithdrawForm(meta={"csrf": is_moderator()}).validate():
        return render_error(400, messages.CSRF_FAILED)
    outcome = withdraw_own_comment(comment, current_app.config["COMMENT_EDIT_MINUTES"])
    if isinstance(outcome, EditRefusal):
        return refused(outcome, comment)
    db.session.commit()
    forget_own_comment(comment_id)
    flash(messages.OWN_WITHDRAWN, "success")
    return redirect(url_for("reader.article", slug=slug, _anchor="comments"), 303)


def edit_draft(comment: Comment, form: OwnCommentForm) -> Draft:
    """The comment as its author now wants it, to be screened as a new one is."""
    return Draft(
        text=CommentText(comment.author, comment.email, comment.url, form.comment.data),
        parent_id=comment.parent_id,
        notify=False,
        honeypot="",
        form_time=None,
        client=Client(request.remote_addr or "", client_block(), request.user_agent.string),
        moderator_id=current_user.id if is_moderator() else None,
    )


def like_limit() -> str:
    return current_app.config["LIKE_RATE_LIMIT"]


@bp.post("/<slug>/mi-piace/<int:comment_id>")
@limiter.limit(like_limit)
# Guarded by the cross-origin check, as the comment form: the button is on
# the page every reader shares, which carries no token.
@csrf.exempt
def like_comment(slug: str, comment_id: int) -> BaseResponse:
    """ "Mi piace": count one like per reader, then go back to the comment."""
    article = get_article_or_404(slug)
    comment = find_reply_parent(article, comment_id)
    if comment is None:
        abort(404)
    if not comments_open(article):
        abort(403)
    key = like_key(current_app.config["SECRET_KEY"], rate_limit_key(), comment.id)
    add_like(comment, key)
    db.session.commit()
    return redirect(comment_link(comment, external=False), 303)


def preview_comment(article: Article, form: CommentForm) -> Response:
    """ "Anteprima": the page again, the comment above the form as it will be
    stored (sanitized by the very function that stores it), the text kept.

    Nothing is stored and no cookie set; the answer to a POST is never
    cached. The form keeps the time it was first served, so that the time
    trap still measures the reader, not their last click.
    """
    config = current_app.config
    posted = form.form_time.data
    fresh = form_age(config["SECRET_KEY"], posted, article.id, config["COMMENT_FORM_MAX_AGE"])
    return render_article(
        article,
        form,
        preview=Markup(comment_to_html(form.comment.data)),  # nosec B704 - sanitized
        form_time=posted if fresh is not None else None,
    )


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
    keyed digest (blog/comments/flags.py), and no cookie is set.
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
        text=CommentText(form.author.data, form.email.data, form.url.data or "", form.comment.data),
        parent_id=form.parent.id if form.parent else None,
        notify=bool(form.notify.data),
        honeypot=form.homepage.data or "",
        form_time=form.form_time.data,
        client=Client(request.remote_addr or "", client_block(), request.user_agent.string),
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
        edit_minutes=config["COMMENT_EDIT_MINUTES"],
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


def comment_rate_limited(notice: str) -> Response:
    """A comment (or a preview) over the rate limit: 429, with the typed text kept.

    Flask-Limiter's ``on_breach`` for the comment POST: the rate-limit error
    carries this response, and the error handler sends it.
    """
    slug = (request.view_args or {})["slug"]
    article = get_article_or_404(slug)
    return render_article(article, comment_form(), status=429, notice=notice)


def own_entries() -> dict[int, str | None]:
    """What this browser's session remembers of its own comments: id → stamp."""
    return remembered(session.get(PENDING_KEY, []))


def remember_own_comment(comment_id: int, created_at: datetime) -> None:
    """Let this browser see its comment while it waits for moderation, and
    change it (blog/comments/own.py)."""
    limit = current_app.config["COMMENT_PREVIEW_LIMIT"]
    entries = own_entries()
    entries.pop(comment_id, None)
    own = [[cid, stamp] if stamp else cid for cid, stamp in entries.items()]
    session[PENDING_KEY] = [*own, [comment_id, written_stamp(created_at)]][-limit:]
    session.permanent = True


def forget_own_comment(*comment_ids: int) -> None:
    """Stop remembering some of this browser's comments; no list left, no key."""
    kept = {cid: stamp for cid, stamp in own_entries().items() if cid not in comment_ids}
    if kept:
        # An entry from before stamps were kept stays a bare id.
        session[PENDING_KEY] = [[cid, stamp] if stamp else cid for cid, stamp in kept.items()]
    else:
        session.pop(PENDING_KEY, None)


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


def requested_view(article: Article) -> CommentView:
    """The comment page this request asks for: ``corder`` and ``cpage``, bounded.

    An unknown order is the default one; without a readable ``cpage`` the
    order's own first page (the newest page, under ``newest``).
    """
    config = current_app.config
    default = CommentOrder(config["COMMENT_DEFAULT_PAGE"])
    order = read_order(request.args.get("corder"), default)
    pages = page_count(article, config["COMMENTS_PER_PAGE"])
    raw = request.args.get("cpage", "")
    page = page_number(raw) if raw.isascii() and raw.isdigit() else landing_page(order, pages)
    return CommentView(order=order, default_order=default, page=min(page, pages), pages=pages)


def thread_html_for(article: Article, view: CommentView, is_open: bool) -> Markup:
    """The comment page's HTML: shared and cached, unless this reader has
    comments of their own waiting on it."""
    config = current_app.config
    per_page = config["COMMENTS_PER_PAGE"]

    def render_thread(comments: list[Comment], changeable: Set[int] = frozenset()) -> str:
        order = thread_order(comments, view.order)
        return render_template(
            "reader/_comment_list.html",
            article=article,
            thread=build_thread(comments, config["COMMENT_THREAD_DEPTH"], order),
            max_depth=shown_depth(config["COMMENT_THREAD_DEPTH"]),
            view=view,
            page=view.page,
            pages=view.pages,
            comments_open=is_open,
            changeable=changeable,
        )

    own = own_comments_here(article)
    if own:
        approved = list(approved_comments(article, view, per_page))
        here = {comment.thread_id for comment in approved}
        last = view.page == view.pages
        # A thread of one's own with nothing approved yet is on the last page.
        waiting = [
            comment
            for comment in own
            if comment.status != CommentStatus.APPROVED
            and (comment.thread_id in here or (last and comment.thread_id == comment.id))
        ]
        entries = own_entries()
        shown = {comment.id for comment in [*approved, *waiting]}
        changeable = {
            comment.id for comment in own if comment.id in shown and is_authors(comment, entries)
        }
        if waiting or changeable:
            # Our own autoescaped template's output: safe markup.
            return Markup(render_thread([*approved, *waiting], changeable))  # nosec B704
    return thread_cache().get_or_render(
        (article.id, article.comment_version, view.page, is_open, view.order),
        lambda: render_thread(list(approved_comments(article, view, per_page))),
    )


def own_comments_here(article: Article) -> list[Comment]:
    """This browser's comments on ``article`` that it still sees or may change.

    What it no longer needs (approved and past the time for changes, gone)
    is forgotten, so that a reader whose comments are all settled is back to
    the page every reader shares, with no cookie of ours.
    """
    entries = own_entries()
    if not entries:
        return []
    mine = own_comments(entries)
    keep = still_worth_keeping(mine, current_app.config["COMMENT_EDIT_MINUTES"])
    if stale := set(entries) - keep:
        forget_own_comment(*stale)
        if not keep and not is_moderator():
            # Nothing of this reader's is left. Flask-Login marks any session
            # it sees, so only clearing it takes the cookie away.
            session.clear()
    return [comment for comment in mine if comment.article_id == article.id and comment.id in keep]


def render_article(
    article: Article,
    form: CommentForm,
    status: int = 200,
    notice: str | None = None,
    *,
    preview: Markup | None = None,
    form_time: str | None = None,
) -> Response:
    """Render the article page around ``form``.

    The comment thread comes from the per-process cache, keyed by the
    article's comment version, page and order, unless this reader has
    comments of their own waiting: only then is it rendered for them alone.
    ``preview`` is the sanitized comment to show above the form;
    ``form_time`` a signed form time to keep instead of a new one.
    """
    config = current_app.config
    view = requested_view(article)
    is_open = comments_open(article)
    shown = (article.id, article.comment_version, view.page, is_open, view.order.value)

    shared = status == 200 and request.method == "GET" and is_anonymous_request()
    if shared:
        fresh = article_copy_is_fresh(request.headers.get("If-None-Match"), shown, config)
        if fresh:
            return make_public(Response(status=304, headers={"ETag": fresh}))

    thread_html = thread_html_for(article, view, is_open)

    replying_to = None
    parent_id = parse_id(form.comment_parent.data)
    if parent_id is not None:
        replying_to = find_reply_parent(article, parent_id)
    if replying_to is None:
        form.comment_parent.data = "0"
    signed_at = int(time.time())
    form.form_time.data = form_time or sign_form_time(config["SECRET_KEY"], article.id)
    body = render_template(
        "reader/article.html",
        article=article,
        thread_html=thread_html,
        form=form,
        replying_to=replying_to,
        comments_open=is_open,
        notice=notice,
        preview=preview,
        follow_form=FollowForm(formdata=None, prefix="follow"),
    )
    response = make_response(body, status)
    if shared:
        # The same page for every reader with no cookie of ours: any cache
        # may keep it (blog/web/http_cache.py), the form time included.
        response.set_etag(article_etag(shown, signed_at).strip('"'))
        make_public(response)
    return response
