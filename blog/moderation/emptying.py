"""Deleting many: "Svuota spam", "Svuota cestino", and old ones by ``flask purge``.

The caller commits.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from blog import signals
from blog.extensions import db
from blog.models import Article, Comment, CommentStatus, SpamLabel, utcnow
from blog.moderation.blocking import moved_by_block
from blog.moderation.workflow import BATCH, delete_comment, refresh_article_comments
from blog.spam import bayes_store

#: The statuses that can be emptied, and whose old comments `flask purge` deletes.
EMPTIABLE = (CommentStatus.SPAM, CommentStatus.TRASH)


def empty(status: CommentStatus) -> int:
    """Delete every comment in Spam or Cestino for good; returns how many.

    As "Elimina definitivamente" on each: those in Spam teach the filter
    spam first (emptying Spam is a moderator's decision), except those a
    block moved there and nobody moved since (the moderator judged a
    sender, never read each text); their replies move up a level. The
    caller commits.
    """
    if status not in EMPTIABLE:
        raise ValueError(f"{status} cannot be emptied")
    return _delete_all(Comment.status == status, teach=status is CommentStatus.SPAM)


def delete_expired(days: int) -> int:
    """Delete Spam and Cestino comments that entered it more than ``days`` ago
    (0: never); returns how many. The caller commits.

    Nobody looked at them again, so the filter is taught nothing: what it
    was taught of them stays counted.
    """
    if days <= 0:
        return 0
    cutoff = utcnow() - timedelta(days=days)
    return _delete_all(
        sa.and_(
            Comment.status.in_(EMPTIABLE),
            sa.or_(
                Comment.status_changed_at < cutoff,
                sa.and_(Comment.status_changed_at.is_(None), Comment.created_at < cutoff),
            ),
        ),
        teach=False,
    )


def _delete_all(where: sa.ColumnElement[bool], *, teach: bool) -> int:
    """Delete the comments ``where`` selects, a batch at a time, announcing each."""
    ids = db.session.scalars(sa.select(Comment.id).where(where).order_by(Comment.id)).all()
    articles: set[int] = set()
    for start in range(0, len(ids), BATCH):
        batch = db.session.scalars(
            sa.select(Comment).where(Comment.id.in_(ids[start : start + BATCH]), where)
        ).all()
        if teach:
            judged = [c for c in batch if c.status is CommentStatus.SPAM]
            blocked = moved_by_block([c.id for c in judged])
            bayes_store.learn_all([c for c in judged if c.id not in blocked], SpamLabel.SPAM)
        for comment in batch:
            comment_id, previous = comment.id, comment.status
            articles.add(comment.article_id)
            delete_comment(comment, refresh=False)
            signals.comment_status_changed.send(
                None, comment=None, comment_id=comment_id, previous=previous, status=None
            )
        db.session.flush()
    for article in db.session.scalars(sa.select(Article).where(Article.id.in_(articles))):
        refresh_article_comments(article)
    return len(ids)
