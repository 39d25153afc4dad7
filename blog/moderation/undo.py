""" "Annulla": a moderator's last change of a comment's status, taken back."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from blog import signals
from blog.extensions import db
from blog.models import Comment, CommentStatus, ModerationEvent, Moderator, SpamLabel
from blog.moderation.workflow import (
    NOT_TAUGHT,
    Event,
    lesson_name,
    record_event,
    refresh_article_comments,
    set_status,
)
from blog.spam import bayes_store

#: The changes "Annulla" can take back (a deleted comment is gone for good);
#: a block's moves are taken back all together (blog/moderation/blocking.py).
UNDOABLE = frozenset(
    {
        Event.APPROVE,
        Event.UNAPPROVE,
        Event.SPAM,
        Event.NOT_SPAM,
        Event.TRASH,
        Event.RESTORE,
        Event.BLOCK,
    }
)


class UndoRefused(ValueError):
    """The change cannot be taken back: not an action of this moderator's, or
    the comment's status has changed since."""


def changed_status() -> tuple[sa.ColumnElement[bool], ...]:
    """What marks an audit entry as a change of status (not a note, an edit)."""
    return (
        ModerationEvent.from_status.is_not(None),
        ModerationEvent.to_status.is_not(None),
        ModerationEvent.from_status != ModerationEvent.to_status,
    )


def latest_status_event(comment: Comment) -> ModerationEvent | None:
    """The audit entry of the last change of the comment's status."""
    return db.session.scalar(
        sa.select(ModerationEvent)
        .where(ModerationEvent.comment_id == comment.id, *changed_status())
        .order_by(ModerationEvent.id.desc())
        .limit(1)
    )


def latest_status_event_ids(comment_ids: Sequence[int]) -> sa.Select:
    """The id of each of these comments' last change of status, as a subquery."""
    return (
        sa.select(sa.func.max(ModerationEvent.id))
        .where(ModerationEvent.comment_id.in_(comment_ids), *changed_status())
        .group_by(ModerationEvent.comment_id)
    )


def last_status_events(comment_ids: Sequence[int], moderator_id: int) -> list[int]:
    """The audit entries of these comments' last changes of status, when this
    moderator made them: what "Annulla" offers to take back (one query)."""
    if not comment_ids:
        return []
    latest = latest_status_event_ids(comment_ids)
    return list(
        db.session.scalars(
            sa.select(ModerationEvent.id)
            .where(
                ModerationEvent.id.in_(latest),
                ModerationEvent.moderator_id == moderator_id,
                ModerationEvent.action.in_([event.value for event in UNDOABLE]),
            )
            .order_by(ModerationEvent.id)
        )
    )


def undo(event: ModerationEvent, moderator: Moderator) -> CommentStatus:
    """Put a comment back in the status ``event`` took it from; audited as an undo.

    A path of its own rather than an action of ``TRANSITIONS``: going back
    may lead where no action does (from Spam back to approved). It takes
    back only the comment's last change, made by this moderator, while the
    comment is still where that change left it; what the filter had been
    taught before is put back too. Returns the status restored.
    """
    comment = event.comment
    latest = latest_status_event(comment)
    if (
        event.action not in UNDOABLE
        or event.moderator_id != moderator.id
        or event.from_status is None
        or comment.status.value != event.to_status
        or latest is None
        or latest.id != event.id
    ):
        raise UndoRefused(f"event {event.id} cannot be undone")
    previous = comment.status
    target = CommentStatus(event.from_status)
    taught_before = comment.spam_trained
    if event.lesson_before is not None:
        lesson = None if event.lesson_before == NOT_TAUGHT else SpamLabel(event.lesson_before)
        bayes_store.learn(comment, lesson)
    set_status(comment, target)
    record_event(
        comment, Event.UNDO, moderator, previous, target, lesson_before=lesson_name(taught_before)
    )
    if CommentStatus.APPROVED in (previous, target):
        refresh_article_comments(comment.article)
    signals.comment_status_changed.send(
        None, comment=comment, comment_id=comment.id, previous=previous, status=target
    )
    return target
