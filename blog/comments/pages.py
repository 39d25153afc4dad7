"""Comment order and pages: which threads a page shows, and on which page a comment is.

A page holds ``per_page`` threads (a top-level comment with all its
replies). Pages are numbered by the threads' start, oldest first, in both
chronological orders, so that ``?cpage=N`` always holds the same threads
and a comment's link stays right (``blog/core/links.py``).
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa

from blog.extensions import db
from blog.models import Article, Comment, CommentStatus


class Placed(Protocol):
    """What :func:`page_of` reads of a comment: a stored one, or one just written."""

    @property
    def id(self) -> int: ...

    @property
    def thread_id(self) -> int | None: ...

    @property
    def status(self) -> CommentStatus: ...


def page_count(article: Article, per_page: int) -> int:
    """How many comment pages the article has (at least one)."""
    return max(1, -(-article.approved_thread_count // per_page))


class CommentOrder(enum.StrEnum):
    """How a reader orders the threads of the comment pages (``?corder=``).

    Pages are numbered by the threads' start, oldest first, in both
    chronological orders, so that ``?cpage=N`` always holds the same threads
    and a comment's link stays right; ``newest`` shows them newest first and
    opens on the last page. ``best`` ranks threads by the likes of all their
    approved comments (ties: the older first), on pages of its own.
    """

    OLDEST = "oldest"
    NEWEST = "newest"
    BEST = "best"


def read_order(raw: object, default: CommentOrder) -> CommentOrder:
    """A stranger's ``?corder=``: one of the orders, anything else the default."""
    try:
        return CommentOrder(raw) if isinstance(raw, str) else default
    except ValueError:
        return default


def landing_page(order: CommentOrder, pages: int) -> int:
    """The page shown without ``cpage``: the newest (WordPress's default), else the first."""
    return pages if order is CommentOrder.NEWEST else 1


@dataclass(frozen=True)
class CommentView:
    """One comment page as a reader asked for it: its order and its number."""

    order: CommentOrder
    default_order: CommentOrder
    page: int
    pages: int

    def link_args(self, page: int | None = None) -> dict[str, object]:
        """The query of a link to ``page`` (this one by default) in this order.

        ``cpage`` is left out for the page the order opens on, ``corder`` for
        the site's default order: one address for each page.
        """
        number = self.page if page is None else page
        args: dict[str, object] = {}
        if self.order is not self.default_order:
            args["corder"] = self.order.value
        if number != landing_page(self.order, self.pages):
            args["cpage"] = number
        return args

    def order_args(self, order: CommentOrder | str) -> dict[str, object]:
        """The query of a link that switches to ``order``, on the page it opens on."""
        wanted = CommentOrder(order)
        return {} if wanted is self.default_order else {"corder": wanted.value}


def _threads(article: Article) -> sa.Select:
    """The article's threads with an approved comment: when each started, its likes."""
    started = sa.func.min(Comment.created_at).label("started")
    likes = sa.func.sum(Comment.like_count).label("likes")
    return (
        sa.select(Comment.thread_id, started, likes)
        .where(Comment.article_id == article.id, Comment.status == CommentStatus.APPROVED)
        .group_by(Comment.thread_id)
    )


def pages_of(comments: Sequence[Comment], per_page: int) -> dict[int, int]:
    """:func:`page_of` for many approved comments at once (the queue's
    Approvati tab): one query, however many comments and articles."""
    approved = [c for c in comments if c.status == CommentStatus.APPROVED and c.thread_id]
    if not approved:
        return {}
    started = sa.func.min(Comment.created_at).label("started")
    threads = (
        sa.select(Comment.article_id, Comment.thread_id, started)
        .where(
            Comment.article_id.in_({c.article_id for c in approved}),
            Comment.status == CommentStatus.APPROVED,
        )
        .group_by(Comment.article_id, Comment.thread_id)
        .subquery()
    )
    rank = sa.func.row_number().over(
        partition_by=threads.c.article_id, order_by=(threads.c.started, threads.c.thread_id)
    )
    ranked = sa.select(threads.c.thread_id, rank.label("rank")).subquery()
    rows = db.session.execute(
        sa.select(ranked.c.thread_id, ranked.c.rank).where(
            ranked.c.thread_id.in_({c.thread_id for c in approved})
        )
    )
    ranks = {thread_id: number for thread_id, number in rows}
    return {
        c.id: (ranks[c.thread_id] - 1) // per_page + 1 for c in approved if c.thread_id in ranks
    }


def approved_comments(article: Article, view: CommentView, per_page: int) -> Sequence[Comment]:
    """Return the approved comments of one page of threads, oldest first.

    A page holds ``per_page`` threads (a top-level comment with all its
    replies), so a page costs the same however long the article's thread
    grows: one query.
    """
    threads = _threads(article).subquery()
    ranking: list[sa.ColumnElement[Any]] = [threads.c.started, threads.c.thread_id]
    if view.order is CommentOrder.BEST:
        ranking.insert(0, threads.c.likes.desc())
    page_threads = (
        sa.select(threads.c.thread_id)
        .order_by(*ranking)
        .limit(per_page)
        .offset((view.page - 1) * per_page)
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


def thread_order(comments: Sequence[Comment], order: CommentOrder) -> list[int]:
    """The threads of a page's comments (oldest first), in the order the page shows them.

    A thread starts with its oldest approved comment, as the pages count
    it; its likes are those of all its comments.
    """
    started: dict[int, tuple[datetime, int]] = {}
    likes: Counter[int] = Counter()
    for comment in sorted(comments, key=lambda comment: (comment.created_at, comment.id)):
        thread_id = comment.thread_id or comment.id
        started.setdefault(thread_id, (comment.created_at, thread_id))
        likes[thread_id] += comment.like_count or 0
    ids = sorted(started, key=started.__getitem__)
    if order is CommentOrder.NEWEST:
        ids.reverse()
    elif order is CommentOrder.BEST:
        ids.sort(key=lambda thread_id: -likes[thread_id])
    return ids


def page_of(article: Article, comment: Placed, per_page: int) -> int:
    """The comment page on which ``comment`` is shown (its thread's page)."""
    if comment.thread_id == comment.id and comment.status != CommentStatus.APPROVED:
        # A new thread with nothing approved yet is shown on the last page.
        return page_count(article, per_page)
    threads = _threads(article).subquery()
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
