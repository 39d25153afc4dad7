"""Storing readers' comments and finding what each page shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from blog.extensions import db
from blog.models import Article, Comment, CommentStatus
from blog.moderation import refresh_article_comments
from blog.sanitize import comment_to_html


@dataclass(frozen=True)
class NewComment:
    """What a reader submitted, already validated."""

    author: str
    email: str
    url: str
    body: str
    parent_id: int | None = None
    ip_address: str | None = None
    user_agent: str | None = None
    moderator_id: int | None = None
    #: The sanitized body, when the caller already made it.
    body_html: str | None = None


def find_reply_parent(article: Article, parent_id: int) -> Comment | None:
    """Return the approved comment of ``article`` with ``parent_id``, if any."""
    return db.session.scalar(
        sa.select(Comment).where(
            Comment.id == parent_id,
            Comment.article_id == article.id,
            Comment.status == CommentStatus.APPROVED,
        )
    )


def store_comment(article: Article, new: NewComment, status: CommentStatus) -> Comment:
    """Sanitize a comment and add it to the session; the caller commits."""
    comment = Comment(
        article=article,
        parent_id=new.parent_id,
        author=new.author,
        email=new.email,
        url=new.url,
        body=new.body,
        body_html=new.body_html if new.body_html is not None else comment_to_html(new.body),
        status=status,
        ip_address=new.ip_address,
        user_agent=(new.user_agent or "")[:500] or None,
        moderator_id=new.moderator_id,
    )
    db.session.add(comment)
    if status == CommentStatus.APPROVED:
        refresh_article_comments(article)
    else:
        db.session.flush()
    return comment


def approved_comments(article: Article) -> Sequence[Comment]:
    """Return the approved comments of ``article``, oldest first."""
    return db.session.scalars(
        sa.select(Comment)
        .where(Comment.article_id == article.id, Comment.status == CommentStatus.APPROVED)
        .order_by(Comment.created_at, Comment.id)
    ).all()


def own_pending_comments(article: Article, comment_ids: Sequence[int]) -> Sequence[Comment]:
    """Return the comments still waiting among those this reader wrote.

    A comment the filters sent to Spam is shown to its author as waiting too:
    a false positive looks normal, and a spammer learns nothing.
    """
    if not comment_ids:
        return []
    return db.session.scalars(
        sa.select(Comment).where(
            Comment.id.in_(comment_ids),
            Comment.article_id == article.id,
            Comment.status.in_((CommentStatus.PENDING, CommentStatus.SPAM)),
        )
    ).all()
