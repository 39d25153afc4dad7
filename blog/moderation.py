"""The moderation state machine: which change is allowed from which status."""

from __future__ import annotations

import enum

import sqlalchemy as sa

from blog.extensions import db
from blog.models import Article, Comment, CommentStatus


class Action(enum.StrEnum):
    """What a moderator can do to a comment."""

    APPROVE = "approve"
    UNAPPROVE = "unapprove"
    SPAM = "spam"
    NOT_SPAM = "not_spam"
    TRASH = "trash"
    RESTORE = "restore"


#: For each action: the statuses it applies to, and the status it leads to.
TRANSITIONS: dict[Action, tuple[frozenset[CommentStatus], CommentStatus]] = {
    Action.APPROVE: (frozenset({CommentStatus.PENDING}), CommentStatus.APPROVED),
    Action.UNAPPROVE: (frozenset({CommentStatus.APPROVED}), CommentStatus.PENDING),
    Action.SPAM: (
        frozenset({CommentStatus.PENDING, CommentStatus.APPROVED}),
        CommentStatus.SPAM,
    ),
    Action.NOT_SPAM: (frozenset({CommentStatus.SPAM}), CommentStatus.PENDING),
    Action.TRASH: (
        frozenset({CommentStatus.PENDING, CommentStatus.APPROVED}),
        CommentStatus.TRASH,
    ),
    Action.RESTORE: (frozenset({CommentStatus.TRASH}), CommentStatus.PENDING),
}


class TransitionError(ValueError):
    """The action does not apply to the comment's current status."""


def allowed_actions(status: CommentStatus) -> list[Action]:
    """List the actions that apply to a comment in ``status``."""
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


def target_status(action: Action, current: CommentStatus) -> CommentStatus:
    """Return the status ``action`` leads to, or raise if it does not apply."""
    sources, target = TRANSITIONS[action]
    if current not in sources:
        raise TransitionError(f"{action} does not apply to a {current} comment")
    return target


def apply_action(comment: Comment, action: Action) -> CommentStatus:
    """Move ``comment`` along ``action`` and keep its article's counts right."""
    previous = comment.status
    comment.status = target_status(action, previous)
    if CommentStatus.APPROVED in (previous, comment.status):
        refresh_article_comments(comment.article)
    return previous


def refresh_article_comments(article: Article) -> None:
    """Recount approved comments and bump the version readers' pages key on."""
    db.session.flush()
    article.approved_comment_count = db.session.scalar(
        sa.select(sa.func.count(Comment.id)).where(
            Comment.article_id == article.id, Comment.status == CommentStatus.APPROVED
        )
    )
    article.comment_version = (article.comment_version or 0) + 1
