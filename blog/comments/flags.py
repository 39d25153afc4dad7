"""Readers' reports of approved comments ("Segnala").

One report per reader per comment, with nothing stored that says who the
reader is: each report is kept as a keyed HMAC of the reader's address block
and the comment's id (the key derived from ``SECRET_KEY``), which counts a
reader once and cannot be linked to their address, nor to their reports of
other comments. A report costs two small writes (its digest, the comment's
count); the one that reaches the threshold sends the comment back to
pending, with the reason in its history.
"""

from __future__ import annotations

import enum
from typing import cast

import sqlalchemy as sa

from blog import messages
from blog.core.database import insert_once
from blog.core.signing import keyed_digest
from blog.extensions import db
from blog.models import Comment, CommentFlag, CommentStatus, utcnow
from blog.moderation.workflow import send_back_for_review

#: Keeps this HMAC's key apart from every other use of SECRET_KEY.
KEY_PURPOSE = b"blog.flags: reader of a comment\x00"


def reporter_digest(secret_key: str, address_block: str, comment_id: int) -> str:
    """The reader's report of one comment, as stored: no address, no way back to one."""
    return keyed_digest(secret_key, KEY_PURPOSE, f"{comment_id}\x00{address_block}".encode()).hex()


class Report(enum.Enum):
    """What a reader's report did."""

    COUNTED = "counted"
    #: This reader had reported the comment already: nothing changed.
    ALREADY = "already"
    #: It reached the threshold: the comment waits for a moderator again.
    SENT_BACK = "sent_back"


_flag_table = cast(sa.Table, CommentFlag.__table__)
_comment_table = cast(sa.Table, Comment.__table__)


def report(comment: Comment, digest: str, threshold: int) -> Report:
    """Count one reader's report of an approved comment; the caller commits.

    The digest is written first: a second report by the same reader writes
    nothing else. The count comes back from its own ``UPDATE``, so two
    readers at once cannot both miss (or both reach) the threshold.
    """
    connection = db.session.connection()
    row = {"digest": digest, "comment_id": comment.id, "created_at": utcnow()}
    if not insert_once(connection, _flag_table.c.digest, row):
        return Report.ALREADY
    count = connection.execute(
        sa.update(_comment_table)
        .where(_comment_table.c.id == comment.id)
        .values(flag_count=_comment_table.c.flag_count + 1)
        .returning(_comment_table.c.flag_count)
    ).scalar_one()
    if count < threshold:
        return Report.COUNTED
    db.session.refresh(comment)
    if comment.status != CommentStatus.APPROVED:
        return Report.COUNTED
    # A stored note: in the language of the moment it is written.
    send_back_for_review(comment, messages.counted(count, messages.FLAG_REASON))
    return Report.SENT_BACK
