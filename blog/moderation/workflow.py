"""Moderation: the status state machine, the policy for new comments, the audit.

Every function here is plain: it takes models and values, changes them in
the session, and leaves committing to the caller. What changes many comments
at once lives beside it: "Annulla" in undo.py, "Blocca" in blocking.py,
"Svuota" and ``flask purge`` in emptying.py.
"""

from __future__ import annotations

import enum

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
from blog.spam import bayes_store


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
    #: A reader's report that gave a reason (the note); it changes no status.
    REPORT = "report"
    #: A moderator read a reported comment and kept it published.
    KEEP = "keep"
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

#: Comments looked at a batch at a time, when one decision changes many.
BATCH = 200


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
    """Tell whether this name and email already have an approved comment.

    As WordPress's "comment_previously_approved": never without an email
    (a Webmention's author has none, and anyone may sign with a name).
    """
    if not email or not author:
        return False
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

#: What a moderator did that left a comment approved: read and kept as it reads.
_KEPT_BY_A_MODERATOR = sa.and_(
    ModerationEvent.moderator_id.is_not(None),
    ModerationEvent.to_status == CommentStatus.APPROVED.value,
)


def reports_may_unpublish(comment: Comment) -> bool:
    """Whether readers' reports may still send ``comment`` back to pending.

    Only text no moderator has read, and only once: not a moderator's own
    comment, nor one a moderator approved, kept, restored or edited since
    its author last changed it (a policy's approval is no moderator's), nor
    one reports have sent back already since then. Its history says which.
    """
    if comment.moderator_id is not None:
        return False
    latest = db.session.scalar(
        sa.select(ModerationEvent.action)
        .where(
            ModerationEvent.comment_id == comment.id,
            sa.or_(
                _KEPT_BY_A_MODERATOR,
                ModerationEvent.action.in_([Event.SELF_EDIT.value, Event.FLAG.value]),
            ),
        )
        .order_by(ModerationEvent.id.desc())
        .limit(1)
    )
    return latest is None or latest == Event.SELF_EDIT.value


#: What answers readers' reports: ``flag_count`` starts again from 0.
_ANSWERS = frozenset({Event.APPROVE.value, Event.KEEP.value})


def open_reports(comment: Comment) -> list[ModerationEvent]:
    """The reasons readers gave since the comment was last approved or kept
    (its history, as loaded): what its ``flag_count`` counts, with words."""
    reports: list[ModerationEvent] = []
    for event in comment.events:
        if event.action in _ANSWERS:
            reports = []
        elif event.action == Event.REPORT.value:
            reports.append(event)
    return reports


def keep_despite_reports(comment: Comment, moderator: Moderator) -> None:
    """A moderator read a reported comment and keeps it published: the
    reports are answered, and reports never unpublish this text. The caller
    commits."""
    if comment.status != CommentStatus.APPROVED or not comment.flag_count:
        raise TransitionError("only an approved comment with reports can be kept")
    comment.flag_count = 0
    record_event(comment, Event.KEEP, moderator, comment.status, comment.status)


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
