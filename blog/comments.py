"""Storing readers' comments and finding what each page shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa

from blog import signals
from blog.extensions import db
from blog.models import Article, Comment, CommentStatus, body_digest, utcnow
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
    #: The address's block (blog/addresses.py), what flood control compares.
    ip_block: str | None = None
    user_agent: str | None = None
    moderator_id: int | None = None
    #: The author asked for mail when it is approved or replied to.
    notify: bool = False
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


@dataclass(frozen=True)
class StoredComment:
    """What the code that stored a comment needs to know of it."""

    id: int
    thread_id: int
    status: CommentStatus


# A declarative class maps to a Table; SQLAlchemy types __table__ as any FromClause.
_comment_table = cast(sa.Table, Comment.__table__)
# Built once: the comment form is the busiest writer, and building a
# statement costs more than running it.
_INSERT_COMMENT = sa.insert(_comment_table)
_OWN_THREAD = (
    sa.update(_comment_table)
    .where(_comment_table.c.id == sa.bindparam("comment_id"))
    .values(thread_id=_comment_table.c.id)
)


def insert_comment(article: Article, new: NewComment, status: CommentStatus) -> StoredComment:
    """Sanitize and insert a comment, then do what follows a new comment.

    The row is written with plain inserts, not through the ORM's unit of
    work: this is the path every reader's comment takes. The caller commits.
    """
    if new.parent_id is None:
        thread_id = None
    else:
        # The callers have just loaded the parent: this comes from the session.
        parent = db.session.get(Comment, new.parent_id)
        thread_id = parent.thread_id if parent else None
    connection = db.session.connection()
    body = new.body
    inserted = connection.execute(
        _INSERT_COMMENT,
        {
            "article_id": article.id,
            "parent_id": new.parent_id,
            "thread_id": thread_id,
            "author": new.author,
            "email": new.email,
            "url": new.url,
            "body": body,
            "body_digest": body_digest(body),
            "body_html": new.body_html if new.body_html is not None else comment_to_html(body),
            "status": status,
            "created_at": utcnow(),
            "ip_address": new.ip_address,
            "ip_block": new.ip_block,
            "user_agent": (new.user_agent or "")[:500] or None,
            "moderator_id": new.moderator_id,
            "notify": new.notify,
        },
    )
    # An INSERT's result always has the new key; SQLAlchemy types it as optional.
    comment_id = cast(sa.Row[Any], inserted.inserted_primary_key)[0]
    if thread_id is None:
        connection.execute(_OWN_THREAD, {"comment_id": comment_id})
        thread_id = comment_id
    stored = StoredComment(id=comment_id, thread_id=thread_id, status=status)
    if status == CommentStatus.APPROVED:
        refresh_article_comments(article)
    signals.comment_stored.send(None, comment_id=comment_id, status=status, parent_id=new.parent_id)
    return stored


def store_comment(article: Article, new: NewComment, status: CommentStatus) -> Comment:
    """Store a comment as :func:`insert_comment` does and load it; the caller commits."""
    return db.session.get_one(Comment, insert_comment(article, new, status).id)


def page_count(article: Article, per_page: int) -> int:
    """How many comment pages the article has (at least one)."""
    return max(1, -(-article.approved_thread_count // per_page))


def _threads_by_start(article: Article) -> sa.Select:
    """The article's threads with an approved comment, in the order they started."""
    started = sa.func.min(Comment.created_at).label("started")
    return (
        sa.select(Comment.thread_id, started)
        .where(Comment.article_id == article.id, Comment.status == CommentStatus.APPROVED)
        .group_by(Comment.thread_id)
    )


def approved_comments(article: Article, page: int, per_page: int) -> Sequence[Comment]:
    """Return the approved comments of one page of threads, oldest first.

    A page holds ``per_page`` threads (a top-level comment with all its
    replies), so a page costs the same however long the article's thread
    grows.
    """
    threads = _threads_by_start(article).subquery()
    page_threads = (
        sa.select(threads.c.thread_id)
        .order_by(threads.c.started, threads.c.thread_id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return db.session.scalars(
        sa.select(Comment)
        .where(
            Comment.article_id == article.id,
            Comment.status == CommentStatus.APPROVED,
            Comment.thread_id.in_(page_threads),
        )
        .order_by(Comment.created_at, Comment.id)
    ).all()


def page_of(article: Article, comment: Comment | StoredComment, per_page: int) -> int:
    """The comment page on which ``comment`` is shown (its thread's page)."""
    if comment.thread_id == comment.id and comment.status != CommentStatus.APPROVED:
        # A new thread with nothing approved yet is shown on the last page.
        return page_count(article, per_page)
    threads = _threads_by_start(article).subquery()
    started = db.session.scalar(
        sa.select(threads.c.started).where(threads.c.thread_id == comment.thread_id)
    )
    if started is None:  # nothing approved in its thread yet: the last page
        return page_count(article, per_page)
    earlier = db.session.execute(
        sa.select(sa.func.count()).where(
            sa.or_(
                threads.c.started < started,
                sa.and_(threads.c.started == started, threads.c.thread_id < comment.thread_id),
            )
        )
    ).scalar_one()
    return earlier // per_page + 1


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
