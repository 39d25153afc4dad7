""" "Mi piace": one per reader and comment, counted without knowing who.

A reader is told apart by a keyed hash (HMAC-SHA256, with a key derived
from ``SECRET_KEY``) of their address block (``blog/core/addresses.py``) and the
comment's id: no address is stored, and the same reader's likes on two
comments share nothing. Whoever holds ``SECRET_KEY`` could test a guessed
address against a row, so the rows go with the other address data, after
``COMMENT_IP_RETENTION_DAYS`` (``flask purge``); the counts on the comments
stay.

A like that counts is three small statements in one transaction: the
hash's row (``INSERT … ON CONFLICT DO NOTHING``, which is also the
deduplication), the comment's count, and the article's ``comment_version``,
so that every cached copy of its pages shows the new count and the "Più
apprezzati" order on their next view. A like already given writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import cast

import sqlalchemy as sa

from blog.core.database import insert_once, rows_changed
from blog.core.signing import keyed_digest
from blog.extensions import db
from blog.models import Article, Comment, CommentLike, utcnow

#: What the like key is derived from SECRET_KEY for: no other use shares it.
LIKE_KEY_PURPOSE = b"blog comment likes v1"

_like_table = cast(sa.Table, CommentLike.__table__)
_comment_table = cast(sa.Table, Comment.__table__)
_article_table = cast(sa.Table, Article.__table__)


def like_key(secret_key: str, reader: str, comment_id: int) -> str:
    """The hash one reader's like of one comment is known by.

    ``reader`` is their address block (or, for an address that is none, the
    address as the rate limits count it).
    """
    message = f"{reader}\n{comment_id}".encode("utf-8", "surrogatepass")
    return keyed_digest(secret_key, LIKE_KEY_PURPOSE, message).hex()


def add_like(comment: Comment, key: str) -> bool:
    """Count one like of ``comment`` unless ``key`` gave it already; the caller commits.

    Returns whether it counted.
    """
    connection = db.session.connection()
    row = {"key": key, "comment_id": comment.id, "created_at": utcnow()}
    if not insert_once(connection, _like_table.c.key, row):
        return False
    connection.execute(
        sa.update(_comment_table)
        .where(_comment_table.c.id == comment.id)
        .values(like_count=_comment_table.c.like_count + 1)
    )
    connection.execute(
        sa.update(_article_table)
        .where(_article_table.c.id == comment.article_id)
        .values(comment_version=_article_table.c.comment_version + 1)
    )
    return True


def liked_among(secret_key: str, reader: str, comment_ids: Iterable[int]) -> set[int]:
    """Which of ``comment_ids`` the reader (their address block) likes: one query.

    Only a reader's own page can say it (the page every reader shares knows
    nobody), and only while the like's row is kept.
    """
    keys = {like_key(secret_key, reader, comment_id): comment_id for comment_id in comment_ids}
    if not keys:
        return set()
    found = db.session.scalars(sa.select(CommentLike.key).where(CommentLike.key.in_(keys)))
    return {keys[key] for key in found}


def purge_likes(days: int) -> int:
    """Delete the likes' rows older than ``days`` (their counts stay); the caller commits."""
    return rows_changed(
        sa.delete(CommentLike).where(CommentLike.created_at < utcnow() - timedelta(days=days))
    )
