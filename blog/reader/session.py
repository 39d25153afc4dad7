"""What a reader's browser keeps: the session's list of its own comments
(which it still sees, and may change, while they wait or for a while after),
and the cookies that remember a commenter's name."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, request, session
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from blog.accounts.roles import Capability, can
from blog.comments.forms import CommentForm
from blog.comments.own import own_comments, remembered, still_worth_keeping, written_stamp
from blog.models import Article, Comment
from blog.web.http_cache import AUTHOR_COOKIES

#: Session key holding the ids of the comments this browser posted.
PENDING_KEY = "my_comments"


def is_staff() -> bool:
    """A signed-in member of staff is asking, whatever their role: they
    comment under their account, with a token, unthrottled and unscreened."""
    return bool(current_user.is_authenticated)


def may_moderate() -> bool:
    """A signed-in member of staff who may moderate comments is asking: the
    staff's buttons on each comment, "Annulla" after using one."""
    return can(Capability.MODERATE_COMMENTS)


def remembered_commenter() -> dict[str, str | bool]:
    """What the comment form starts with: the name, email and site the
    reader's cookies keep, and whether they asked for them to be kept."""
    if is_staff():
        # As WordPress: staff write under their account's name.
        fields = {
            "author": current_user.display_name,
            "email": current_user.email or "",
            "url": current_user.url,
        }
    else:
        fields = {
            field: request.cookies.get(cookie, "") for field, cookie in AUTHOR_COOKIES.items()
        }
    return {**fields, "remember": bool(request.cookies.get(AUTHOR_COOKIES["author"]))}


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
        if not keep and not is_staff():
            # Nothing of this reader's is left. Flask-Login marks any session
            # it sees, so only clearing it takes the cookie away.
            session.clear()
    return [comment for comment in mine if comment.article_id == article.id and comment.id in keep]
