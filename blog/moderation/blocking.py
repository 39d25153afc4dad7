""" "Blocca": a sender's email, address block or site, added to the disallowed
words, and the pending comments it now matches moved to Spam."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from blog import signals
from blog.extensions import db
from blog.models import Comment, CommentStatus, Moderator
from blog.moderation.workflow import BATCH, Event, lesson_name, record_event, set_status
from blog.spam import bayes
from blog.spam.rules import matching_key, save_word_list, stored_submission

#: The word list "Blocca" adds to.
DISALLOWED_KEYS = "COMMENT_DISALLOWED_KEYS"


class BlockTarget(enum.StrEnum):
    """What of a comment "Blocca" adds to the disallowed words."""

    EMAIL = "email"
    ADDRESS = "ip"
    HOST = "host"


def block_values(comment: Comment) -> dict[BlockTarget, str]:
    """What "Blocca" can add for this comment: only what it has."""
    values: dict[BlockTarget, str] = {}
    if comment.email.strip():
        values[BlockTarget.EMAIL] = comment.email.strip()
    if comment.ip_block:
        values[BlockTarget.ADDRESS] = comment.ip_block
    host = bayes.host_of(comment.url) if comment.url else ""
    if host:
        values[BlockTarget.HOST] = host.removeprefix("www.")
    return values


@dataclass(frozen=True)
class Blocked:
    """What "Blocca" added to the disallowed words, and the pending comments it moved."""

    word: str
    moved_ids: tuple[int, ...]

    @property
    def moved(self) -> int:
        return len(self.moved_ids)


def block(
    comment: Comment,
    target: BlockTarget,
    moderator: Moderator,
    disallowed: Sequence[str],
    note: str,
) -> Blocked:
    """Add the comment's email, address block or site host to ``disallowed``
    (the list in force) and move every pending comment it now matches to Spam.

    An address block is stored as a network (``203.0.113.9/32``): it matches
    the addresses inside it, never a longer one that starts the same. The
    comments moved teach the filter nothing: the moderator judged one
    sender, not each text ("Svuota spam" teaches, later). ``note`` goes in
    each moved comment's history. Raises KeyError when the comment has no
    such value. The caller commits.
    """
    word = block_values(comment)[target]
    save_word_list(DISALLOWED_KEYS, [*disallowed, word])
    pending_ids = db.session.scalars(
        sa.select(Comment.id).where(Comment.status == CommentStatus.PENDING).order_by(Comment.id)
    ).all()
    moved: list[int] = []
    for start in range(0, len(pending_ids), BATCH):
        batch = db.session.scalars(
            sa.select(Comment).where(
                Comment.id.in_(pending_ids[start : start + BATCH]),
                Comment.status == CommentStatus.PENDING,
            )
        ).all()
        for candidate in batch:
            if matching_key(stored_submission(candidate), (word,)) is None:
                continue
            set_status(candidate, CommentStatus.SPAM)
            record_event(
                candidate,
                Event.BLOCK,
                moderator,
                CommentStatus.PENDING,
                CommentStatus.SPAM,
                note=note[:200],
                lesson_before=lesson_name(candidate.spam_trained),
            )
            signals.comment_status_changed.send(
                None,
                comment=candidate,
                comment_id=candidate.id,
                previous=CommentStatus.PENDING,
                status=CommentStatus.SPAM,
            )
            moved.append(candidate.id)
    return Blocked(word, tuple(moved))


def unblock(word: str, disallowed: Sequence[str]) -> bool:
    """Take ``word`` off ``disallowed`` (the list in force), as "Annulla" after
    "Blocca" does; the comments it moved go back through their own undo.
    Returns whether the word was there. The caller commits."""
    if word not in disallowed:
        return False
    save_word_list(DISALLOWED_KEYS, [kept for kept in disallowed if kept != word])
    return True
