"""Moderation: the status state machine, the policy for new comments, the audit.

Every function here is plain: it takes models and values, changes them in
the session, and leaves committing to the caller.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from blog import signals
from blog.comments.sanitize import comment_to_html
from blog.comments.thread import thread_roots
from blog.extensions import db
from blog.models import (
    Article,
    Comment,
    CommentStatus,
    ModerationEvent,
    Moderator,
    SpamLabel,
    utcnow,
)
from blog.spam import bayes, bayes_store
from blog.spam.rules import matching_key, save_word_list, stored_submission


class Action(enum.StrEnum):
    """What a moderator can do to a comment's status."""

    APPROVE = "approve"
    UNAPPROVE = "unapprove"
    SPAM = "spam"
    NOT_SPAM = "not_spam"
    TRASH = "trash"
    RESTORE = "restore"
    DELETE = "delete"


class Event(enum.StrEnum):
    """What the audit trail records: every action, and the other changes."""

    APPROVE = Action.APPROVE.value
    UNAPPROVE = Action.UNAPPROVE.value
    SPAM = Action.SPAM.value
    NOT_SPAM = Action.NOT_SPAM.value
    TRASH = Action.TRASH.value
    RESTORE = Action.RESTORE.value
    EDIT = "edit"
    REPLY = "reply"
    FILTER = "filter"
    ANONYMISE = "anonymise"
    #: The author changed their own comment, or withdrew it (blog/comments/own.py).
    SELF_EDIT = "self_edit"
    WITHDRAW = "withdraw"
    #: Readers' reports sent an approved comment back to pending.
    FLAG = "flag"
    #: A moderator's "Blocca" moved a pending comment to Spam.
    BLOCK = "block"
    #: A moderator's "Annulla" put a comment back where an action found it.
    UNDO = "undo"


class Policy(enum.StrEnum):
    """``COMMENT_MODERATION``: which new comments wait for a moderator."""

    ALL = "all"
    FIRST_TIME = "first_time"
    NONE = "none"


#: For each action: the statuses it applies to, and the status it leads to
#: (None: the comment is deleted; RESTORE goes back to the status before trash).
TRANSITIONS: dict[Action, tuple[frozenset[CommentStatus], CommentStatus | None]] = {
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
    Action.DELETE: (frozenset({CommentStatus.SPAM, CommentStatus.TRASH}), None),
}


#: What a moderator's decision teaches the learning filter. Unapproving,
#: trashing and restoring say nothing about spam: what it was taught stays.
LESSONS: dict[tuple[Action, CommentStatus], SpamLabel] = {
    (Action.APPROVE, CommentStatus.PENDING): SpamLabel.HAM,
    (Action.NOT_SPAM, CommentStatus.SPAM): SpamLabel.HAM,
    (Action.SPAM, CommentStatus.PENDING): SpamLabel.SPAM,
    (Action.SPAM, CommentStatus.APPROVED): SpamLabel.SPAM,
    (Action.DELETE, CommentStatus.SPAM): SpamLabel.SPAM,
}


#: The word list "Blocca" adds to.
DISALLOWED_KEYS = "COMMENT_DISALLOWED_KEYS"


class TransitionError(ValueError):
    """The action does not apply to the comment's current status."""


def allowed_actions(status: CommentStatus) -> list[Action]:
    """List the actions that apply to a comment in ``status``, in display order."""
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


def check_transition(action: Action, current: CommentStatus) -> None:
    """Raise ``TransitionError`` unless ``action`` applies to ``current``."""
    if current not in TRANSITIONS[action][0]:
        raise TransitionError(f"{action} does not apply to a {current} comment")


#: ``ModerationEvent.lesson_before`` of a comment the filter was never taught.
NOT_TAUGHT = "none"


def lesson_name(label: SpamLabel | None) -> str:
    """How ``ModerationEvent.lesson_before`` writes what the filter was taught."""
    return label.value if label is not None else NOT_TAUGHT


def record_event(
    comment: Comment,
    action: Action | Event,
    moderator: Moderator | None,
    from_status: CommentStatus | None,
    to_status: CommentStatus | None,
    note: str | None = None,
    *,
    lesson_before: str | None = None,
) -> ModerationEvent:
    """Add an audit entry for a change to ``comment``.

    ``lesson_before``, for a change of status, is :func:`lesson_name` of what
    the filter had been taught of the comment before it: "Annulla" puts it back.
    """
    event = ModerationEvent(
        comment=comment,
        moderator=moderator,
        action=Event(action.value),
        from_status=from_status.value if from_status else None,
        to_status=to_status.value if to_status else None,
        note=note,
        lesson_before=lesson_before,
    )
    db.session.add(event)
    return event


def set_status(comment: Comment, target: CommentStatus) -> None:
    """Put ``comment`` in ``target``, with a new status version and time."""
    comment.status = target
    # Incremented by the database, as the article's version is: mailed links
    # written for an earlier version must never match again.
    comment.status_version = Comment.status_version + 1
    comment.status_changed_at = utcnow()


def status_before_trash(comment: Comment) -> CommentStatus:
    """The status a trashed comment had, so that restoring puts it back."""
    previous = db.session.scalar(
        sa.select(ModerationEvent.from_status)
        .where(
            ModerationEvent.comment_id == comment.id,
            ModerationEvent.to_status == CommentStatus.TRASH.value,
        )
        .order_by(ModerationEvent.id.desc())
        .limit(1)
    )
    return CommentStatus(previous) if previous else CommentStatus.PENDING


def apply_action(
    comment: Comment,
    action: Action,
    moderator: Moderator | None = None,
    *,
    event: Event | None = None,
) -> CommentStatus:
    """Move ``comment`` along ``action``, audit it, keep its article's counts right.

    ``event`` names the change in the audit trail when it is not the
    action itself (an author withdrawing their comment trashes it). Returns
    the status the comment had before.
    """
    previous = comment.status
    check_transition(action, previous)
    taught_before = comment.spam_trained
    # Called here rather than from a signal: the counts must change in the
    # decision's own transaction, whoever applies it (queue, bulk, mail link),
    # and before a deleted comment's text is gone.
    lesson = LESSONS.get((action, previous))
    if lesson is not None:
        bayes_store.learn(comment, lesson)
    if action is Action.DELETE:
        comment_id = comment.id
        delete_comment(comment)
        signals.comment_status_changed.send(
            None, comment=None, comment_id=comment_id, previous=previous, status=None
        )
        return previous
    target = (
        status_before_trash(comment)
        if action is Action.RESTORE
        else TRANSITIONS[action][1] or CommentStatus.TRASH  # only DELETE has None
    )
    set_status(comment, target)
    if target == CommentStatus.APPROVED:
        comment.approved_at = utcnow()
    if action is Action.APPROVE:
        # A moderator has read it: readers' earlier reports are answered.
        comment.flag_count = 0
    record_event(
        comment,
        event or action,
        moderator,
        previous,
        target,
        lesson_before=lesson_name(taught_before),
    )
    if CommentStatus.APPROVED in (previous, target):
        refresh_article_comments(comment.article)
    if action is Action.APPROVE:
        signals.comment_approved.send(None, comment=comment)
    signals.comment_status_changed.send(
        None, comment=comment, comment_id=comment.id, previous=previous, status=target
    )
    return previous


def delete_comment(comment: Comment, *, refresh: bool = True) -> None:
    """Delete a comment for good; its replies move up a level, as in WordPress.

    Deleting a top-level comment makes each of its replies the start of a
    thread of its own, so their threads are worked out again. Without
    ``refresh`` the caller recounts the article's comments afterwards.
    """
    article = comment.article
    thread = db.session.scalars(
        sa.select(Comment).where(Comment.thread_id == comment.thread_id, Comment.id != comment.id)
    ).all()
    for reply in thread:
        if reply.parent_id == comment.id:
            reply.parent_id = comment.parent_id
    if comment.parent_id is None:
        roots = thread_roots({member.id: member.parent_id for member in thread})
        for member in thread:
            member.thread_id = roots[member.id]
    db.session.delete(comment)
    if refresh:
        refresh_article_comments(article)


def edit_comment(
    comment: Comment, *, body: str, author: str, url: str, moderator: Moderator
) -> None:
    """Change a comment's text, name and site; the text is sanitized again.

    A comment the filter was taught is taken back and taught again as it now
    reads, so that a later decision takes back what was really counted.
    """
    lesson = comment.spam_trained
    bayes_store.forget(comment)
    comment.body = body
    comment.body_html = comment_to_html(body)
    comment.author = author
    comment.url = url
    if lesson is not None:
        bayes_store.learn(comment, lesson)
    record_event(comment, Event.EDIT, moderator, comment.status, comment.status)
    if comment.status == CommentStatus.APPROVED:
        refresh_article_comments(comment.article)


def initial_status(
    policy: Policy | str, *, author: str, email: str, by_moderator: bool = False
) -> CommentStatus:
    """Decide where a new comment starts, by the moderation policy."""
    if by_moderator or Policy(policy) is Policy.NONE:
        return CommentStatus.APPROVED
    if Policy(policy) is Policy.FIRST_TIME and has_approved_comment(author, email):
        return CommentStatus.APPROVED
    return CommentStatus.PENDING


def has_approved_comment(author: str, email: str) -> bool:
    """Tell whether this name and email already have an approved comment."""
    return (
        db.session.scalar(
            sa.select(Comment.id)
            .where(
                Comment.status == CommentStatus.APPROVED,
                Comment.email == email,
                Comment.author == author,
            )
            .limit(1)
        )
        is not None
    )


def refresh_article_comments(article: Article) -> None:
    """Recount approved comments and threads; bump the version pages are cached by."""
    db.session.flush()
    comments, threads = db.session.execute(
        sa.select(sa.func.count(Comment.id), sa.func.count(sa.distinct(Comment.thread_id))).where(
            Comment.article_id == article.id, Comment.status == CommentStatus.APPROVED
        )
    ).one()
    article.approved_comment_count = comments
    article.approved_thread_count = threads
    # Incremented by the database: a version read earlier in another
    # transaction must never be written back plus one.
    article.comment_version = Article.comment_version + 1
    db.session.flush()  # the new version is read back from the database when used


def pending_count() -> int:
    """How many comments wait for a moderator."""
    return db.session.execute(
        sa.select(sa.func.count(Comment.id)).where(Comment.status == CommentStatus.PENDING)
    ).scalar_one()


def status_counts(article_id: int | None = None) -> dict[CommentStatus, int]:
    """Count comments in every status (of one article, if given), in one query."""
    query = sa.select(Comment.status, sa.func.count(Comment.id)).group_by(Comment.status)
    if article_id is not None:
        query = query.where(Comment.article_id == article_id)
    rows = db.session.execute(query).all()
    counts = dict.fromkeys(CommentStatus, 0)
    counts.update({status: count for status, count in rows})
    return counts


# Readers' reports ("Segnala")


def send_back_for_review(comment: Comment, note: str) -> None:
    """Readers' reports reached the threshold: the approved comment waits again.

    ``note`` says why, in the comment's history. The caller commits.
    """
    previous = comment.status
    check_transition(Action.UNAPPROVE, previous)
    set_status(comment, CommentStatus.PENDING)
    record_event(
        comment,
        Event.FLAG,
        None,
        previous,
        CommentStatus.PENDING,
        note=note[:200],
        lesson_before=lesson_name(comment.spam_trained),
    )
    refresh_article_comments(comment.article)
    signals.comment_status_changed.send(
        None,
        comment=comment,
        comment_id=comment.id,
        previous=previous,
        status=CommentStatus.PENDING,
    )


# Deleting many: "Svuota spam", "Svuota cestino", and old ones by `flask purge`.

#: The statuses that can be emptied, and whose old comments `flask purge` deletes.
EMPTIABLE = (CommentStatus.SPAM, CommentStatus.TRASH)
#: Comments looked at a batch at a time.
BATCH = 200


def empty(status: CommentStatus) -> int:
    """Delete every comment in Spam or Cestino for good; returns how many.

    As "Elimina definitivamente" on each: those in Spam teach the filter
    spam first (emptying Spam is a moderator's decision), their replies
    move up a level. The caller commits.
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
            bayes_store.learn_all(
                [c for c in batch if c.status is CommentStatus.SPAM], SpamLabel.SPAM
            )
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


# "Blocca": a sender's email, address block or site, added to the disallowed words.


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
    """What "Blocca" added to the disallowed words, and how many pending comments it moved."""

    word: str
    moved: int


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
    moved = 0
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
            moved += 1
    return Blocked(word, moved)


# "Annulla": the last change, taken back.

#: The changes "Annulla" can take back (a deleted comment is gone for good).
UNDOABLE = frozenset(
    {Event.APPROVE, Event.UNAPPROVE, Event.SPAM, Event.NOT_SPAM, Event.TRASH, Event.RESTORE}
)


class UndoRefused(ValueError):
    """The change cannot be taken back: not an action of this moderator's, or
    the comment's status has changed since."""


def latest_status_event(comment: Comment) -> ModerationEvent | None:
    """The audit entry of the last change of the comment's status."""
    return db.session.scalar(
        sa.select(ModerationEvent)
        .where(
            ModerationEvent.comment_id == comment.id,
            ModerationEvent.from_status.is_not(None),
            ModerationEvent.to_status.is_not(None),
            ModerationEvent.from_status != ModerationEvent.to_status,
        )
        .order_by(ModerationEvent.id.desc())
        .limit(1)
    )


def last_status_events(comment_ids: Sequence[int], moderator_id: int) -> list[int]:
    """The audit entries of these comments' last changes of status, when this
    moderator made them: what "Annulla" offers to take back (one query)."""
    if not comment_ids:
        return []
    latest = (
        sa.select(sa.func.max(ModerationEvent.id))
        .where(
            ModerationEvent.comment_id.in_(comment_ids),
            ModerationEvent.from_status.is_not(None),
            ModerationEvent.to_status.is_not(None),
            ModerationEvent.from_status != ModerationEvent.to_status,
        )
        .group_by(ModerationEvent.comment_id)
    )
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
