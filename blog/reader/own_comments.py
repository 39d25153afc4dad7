"""An author's own comment: changing its text (screened again) or withdrawing
it, while the time for changes lasts (blog/comments/own.py). Routes of the
readers' blueprint (blog/reader/views.py)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from blog import messages
from blog.comments.forms import OwnCommentForm, WithdrawForm
from blog.comments.own import (
    OWN_STATUSES,
    EditRefusal,
    change_deadline,
    edit_own_comment,
    is_authors,
    may_change,
    withdraw_own_comment,
)
from blog.comments.submit import Draft
from blog.comments.values import Client, CommentText
from blog.core.addresses import client_block
from blog.core.database import begin_with_reads
from blog.core.forms import form_status
from blog.core.links import comment_link
from blog.extensions import csrf, db, limiter
from blog.models import Article, Comment, CommentStatus
from blog.reader.actions import comment_limit
from blog.reader.comment_settings import comment_settings
from blog.reader.rendering import get_article_or_404
from blog.reader.session import forget_own_comment, is_staff, own_entries
from blog.reader.views import bp
from blog.spam.rules import edit_form_age, sign_edit_time
from blog.web.errors import render_error


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
    """The 403 page of a comment whose time for changes is over."""
    minutes = current_app.config["COMMENT_EDIT_MINUTES"]
    return render_error(403, messages.OWN_EDIT_WINDOW_OVER.format(minutes=minutes))


def refused(refusal: EditRefusal, comment: Comment) -> tuple[str, int]:
    """An author's change that may not happen: 404 when the comment is gone, else 403."""
    if refusal is EditRefusal.GONE:
        abort(404)
    return too_late(comment)


@bp.route("/<slug>/modifica/<int:comment_id>", methods=["GET", "POST"])
@limiter.limit(comment_limit, methods=["POST"], exempt_when=is_staff)
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
    form = OwnCommentForm(meta={"csrf": is_staff()}, data={"comment": comment.body})
    notice = None
    if request.method == "POST" and form.validate():
        outcome = edit_own_comment(comment, edit_draft(comment, form), comment_settings())
        if outcome is EditRefusal.FORM_EXPIRED:
            notice = messages.FORM_EXPIRED
        elif isinstance(outcome, EditRefusal):
            return refused(outcome, comment)
        else:
            unpublished = outcome.previous == CommentStatus.APPROVED != outcome.status
            flash(
                str(messages.OWN_EDIT_HELD if unpublished else messages.OWN_EDIT_SAVED), "success"
            )
            return redirect(comment_link(comment, external=False), 303)
    keep_form_time(form, comment)
    page = render_template(
        "reader/edit_comment.html",
        article=article,
        comment=comment,
        form=form,
        notice=notice,
        withdraw_form=WithdrawForm(meta={"csrf": is_staff()}),
        deadline=change_deadline(comment, minutes),
        link=comment_link(comment, external=False),
    )
    return page, 400 if notice else form_status() if form.errors else 200


def keep_form_time(form: OwnCommentForm, comment: Comment) -> None:
    """Sign the time the edit form is served, or keep the one it was first
    served with (a refused edit shown again): the time trap measures the
    author's edit from when they first saw the form."""
    config = current_app.config
    posted = form.form_time.data
    age = edit_form_age(config["SECRET_KEY"], posted, comment.id, config["COMMENT_FORM_MAX_AGE"])
    if request.method == "GET" or age is None:
        form.form_time.data = sign_edit_time(config["SECRET_KEY"], comment.id)


@bp.post("/<slug>/ritira/<int:comment_id>")
@csrf.exempt
def withdraw_own(slug: str, comment_id: int) -> BaseResponse | tuple[str, int]:
    """ "Ritira il commento": the author takes their comment off the page."""
    article = get_article_or_404(slug)
    comment = own_comment_or_404(article, comment_id)
    if not WithdrawForm(meta={"csrf": is_staff()}).validate():
        return render_error(400, messages.CSRF_FAILED)
    outcome = withdraw_own_comment(comment, current_app.config["COMMENT_EDIT_MINUTES"])
    if isinstance(outcome, EditRefusal):
        return refused(outcome, comment)
    db.session.commit()
    forget_own_comment(comment_id)
    flash(str(messages.OWN_WITHDRAWN), "success")
    return redirect(url_for("reader.article", slug=slug, _anchor="comments"), 303)


def edit_draft(comment: Comment, form: OwnCommentForm) -> Draft:
    """The comment as its author now wants it, to be screened as a new one is."""
    return Draft(
        text=CommentText(comment.author, comment.email, comment.url, form.comment.data),
        parent_id=comment.parent_id,
        notify=False,
        honeypot="",
        form_time=form.form_time.data,
        client=Client(request.remote_addr or "", client_block(), request.user_agent.string),
        moderator_id=current_user.id if is_staff() else None,
    )
