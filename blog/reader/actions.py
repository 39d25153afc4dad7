"""What readers do on the article page: post a comment (or preview it),
"Mi piace", "Segnala", "Segui la discussione". Routes of the readers'
blueprint (blog/reader/views.py)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, abort, current_app, make_response, redirect, render_template, request
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from blog import messages
from blog.comments import flags
from blog.comments.forms import CommentForm, FlagForm, FollowForm
from blog.comments.likes import add_like, like_key
from blog.comments.sanitize import comment_to_html
from blog.comments.submit import Draft, Refusal, find_reply_parent, submit
from blog.comments.values import Client, CommentText
from blog.core.addresses import client_block, rate_limit_key, wide_block_key
from blog.core.database import begin_with_reads
from blog.core.http import parse_id
from blog.core.links import comment_link, link_to
from blog.extensions import csrf, db, limiter
from blog.models import Article, ArticleKind, Comment, CommentStatus
from blog.notify import subscriptions
from blog.reader.comment_settings import comment_settings
from blog.reader.rendering import (
    ALREADY_PARAM,
    LIKED_PARAM,
    comment_form,
    comments_open,
    get_article_or_404,
    render_article,
)
from blog.reader.session import is_staff, remember_commenter, remember_own_comment
from blog.reader.views import bp
from blog.spam.rules import form_age
from blog.web.errors import render_error


def comment_limit() -> str:
    return current_app.config["COMMENT_RATE_LIMIT"]


def preview_limit() -> str:
    return current_app.config["PREVIEW_RATE_LIMIT"]


def is_preview() -> bool:
    """The "Anteprima" button sent the form, not "Invia commento"."""
    return request.form.get("preview") == "1"


@bp.post("/<slug>/comment")
@limiter.limit(
    comment_limit,
    exempt_when=lambda: is_staff() or is_preview(),
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
    if article.kind == ArticleKind.PAGE:
        # A page ("Chi siamo") has no discussion: said in words, not its page again.
        return make_response(render_error(403, str(messages.PAGE_TAKES_NO_COMMENTS)))
    form = comment_form()
    if not comments_open(article):
        return render_article(article, form, status=403)
    valid = form.validate()
    parent = answered_comment(article, form)
    if not valid or form.comment_parent.errors:
        if form.errors.get("csrf_token"):
            form.csrf_token.errors = []
            return render_article(article, form, status=400, notice=messages.CSRF_EXPIRED)
        return render_article(article, form, status=422, notice=messages.FORM_HAS_ERRORS)
    if is_preview():
        return preview_comment(article, form)
    outcome = submit(article, draft_of(form, parent), comment_settings())
    if isinstance(outcome, Refusal):
        return render_article(article, form, status=outcome.status, notice=outcome.notice)
    if outcome.status != CommentStatus.APPROVED or current_app.config["COMMENT_EDIT_MINUTES"]:
        remember_own_comment(outcome.comment_id, outcome.created_at)
    link = link_to(article.slug, outcome.comment_id, outcome.page, external=False)
    response = redirect(link, 303)
    remember_commenter(response, form)
    return response


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
    sanitized = comment_to_html(form.comment.data)
    preview = Markup(sanitized)  # nosec B704
    return render_article(
        article, form, preview=preview, form_time=posted if fresh is not None else None
    )


def comment_rate_limited(notice: str) -> Response:
    """A comment (or a preview) over the rate limit: 429, with the typed text kept.

    Flask-Limiter's ``on_breach`` for the comment POST: the rate-limit error
    carries this response, and the error handler sends it.
    """
    slug = (request.view_args or {})["slug"]
    article = get_article_or_404(slug)
    return render_article(article, comment_form(), status=429, notice=notice)


def answered_comment(article: Article, form: CommentForm) -> Comment | None:
    """The approved comment of ``article`` the form replies to (None: a new
    thread). An id that names none is an error on the form."""
    parent_id = parse_id(form.comment_parent.data)
    if parent_id is None:
        return None  # "0", or an id the form itself refused
    parent = find_reply_parent(article, parent_id)
    if parent is None:
        form.comment_parent.errors.append(messages.PARENT_INVALID)
    return parent


def draft_of(form: CommentForm, parent: Comment | None) -> Draft:
    """The valid form, the comment it answers, and who sent it."""
    return Draft(
        text=CommentText(form.author.data, form.email.data, form.url.data or "", form.comment.data),
        parent_id=parent.id if parent else None,
        notify=bool(form.notify.data),
        honeypot=form.homepage.data or "",
        form_time=form.form_time.data,
        client=Client(request.remote_addr or "", client_block(), request.user_agent.string),
        moderator_id=current_user.id if is_staff() else None,
    )


def like_limit() -> str:
    return current_app.config["LIKE_RATE_LIMIT"]


@bp.post("/<slug>/mi-piace/<int:comment_id>")
@limiter.limit(like_limit)
# Guarded by the cross-origin check, as the comment form: the button is on
# the page every reader shares, which carries no token.
@csrf.exempt
def like_comment(slug: str, comment_id: int) -> BaseResponse:
    """ "Mi piace": count one like per reader, then go back to the comment,
    shown pressed; a second press is told so ("Ti piace già")."""
    article = get_article_or_404(slug)
    comment = find_reply_parent(article, comment_id)
    if comment is None:
        abort(404)
    if not comments_open(article):
        abort(403)
    key = like_key(current_app.config["SECRET_KEY"], rate_limit_key(), comment.id)
    counted = add_like(comment, key)
    db.session.commit()
    return redirect(liked_link(comment, already=not counted), 303)


def liked_link(comment: Comment, *, already: bool) -> str:
    """The comment's address, with the query that shows its reader their like.

    No cookie carries it: the page it names is rendered for the reader who
    follows it, from the keyed hash of their address, and kept by nobody
    (blog/reader/rendering.py); the article's own address stays shared.
    """
    path, _, anchor = comment_link(comment, external=False).partition("#")
    query = {LIKED_PARAM: comment.id, **({ALREADY_PARAM: 1} if already else {})}
    return f"{path}{'&' if '?' in path else '?'}{urlencode(query)}#{anchor}"


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
    if article.kind == ArticleKind.PAGE:
        abort(404)  # a page has no discussion to follow
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
    keyed digest (blog/comments/flags.py), and no cookie is set; their
    optional reason goes into the comment's history, for the moderators.
    """
    article = get_article_or_404(slug)
    comment = find_reply_parent(article, comment_id)  # an approved comment of the article
    if comment is None:
        abort(404)
    form = FlagForm()
    if not form.validate():
        page = render_template("reader/flagged.html", article=article, form=form)
        return page, 422
    config = current_app.config
    # Counted by a wide block (/24, /48): one customer's many addresses are one reader.
    digest = flags.reporter_digest(config["SECRET_KEY"], wide_block_key(), comment.id)
    reason = form.reason.data or ""
    outcome = flags.report(comment, digest, config["COMMENT_FLAG_THRESHOLD"], reason)
    db.session.commit()
    page = render_template(
        "reader/flagged.html", article=article, already=outcome is flags.Report.ALREADY
    )
    return page, 200
