"""Readers' reports of approved comments ("Segnala").

One report per reader per comment, with nothing stored that says who the
reader is: each report is kept as a keyed HMAC of the reader's address block
(a wide one: IPv4 /24, IPv6 /48, blog/core/addresses.py) and the comment's
id (the key derived from ``SECRET_KEY``), which counts a reader once and
cannot be linked to their address, nor to their reports of other comments.
A report costs two small writes (its digest, the comment's count), and a
third when the reader gave a reason (kept in the comment's history).

A report never undoes a moderator's decision. Reports mark the comment in
the queue ("Segnalati", with the count and the reasons) and moderators
hear of them (``comment_reported``); the comment stays published. Only text
no moderator has read (published by the ``none`` or ``first_time`` policy,
or changed by its author since) goes back to pending at the threshold, and
only once: a moderator's approval after that makes it immune until its
text changes (blog/moderation/workflow.py, ``reports_may_unpublish``).
"""

from __future__ import annotations

import enum
from typing import cast

import sqlalchemy as sa

from blog import messages, signals
from blog.core.database import insert_once
from blog.core.signing import keyed_digest
from blog.extensions import db
from blog.models import Comment, CommentFlag, CommentStatus, utcnow
from blog.moderation.workflow import (
    Event,
    record_event,
    reports_may_unpublish,
    send_back_for_review,
)

#: Keeps this HMAC's key apart from every other use of SECRET_KEY.
KEY_PURPOSE = b"blog.flags: reader of a comment\x00"
#: A reader's reason, at most: a line, as the history's note holds.
REASON_MAX = 200


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


def report(comment: Comment, digest: str, threshold: int, reason: str = "") -> Report:
    """Count one reader's report of an approved comment; the caller commits.

    The digest is written first: a second report by the same reader writes
    nothing else (nor keeps a second reason). The count comes back from its
    own ``UPDATE``, so two readers at once cannot both miss (or both reach)
    the threshold.
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
    if reason:
        record_event(comment, Event.REPORT, None, None, None, note=reason[:REASON_MAX])
    outcome = Report.COUNTED
    if count >= threshold:
        db.session.refresh(comment)
        if comment.status == CommentStatus.APPROVED and reports_may_unpublish(comment):
            # A stored note: in the language of the moment it is written.
            send_back_for_review(comment, messages.counted(count, messages.FLAG_REASON))
            outcome = Report.SENT_BACK
    signals.comment_reported.send(
        None,
        comment_id=comment.id,
        count=count,
        reason=reason or None,
        sent_back=outcome is Report.SENT_BACK,
    )
    return outcome
