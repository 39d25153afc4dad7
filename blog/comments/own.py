"""An author's own comments: seeing them while they wait, fixing or withdrawing them.

The browser that wrote a comment keeps it in its signed session (the
reader's blueprint fills it), as the comment's id and the microsecond it
was written: SQLite gives a deleted comment's id to the next one, so an id
alone could name a stranger's comment. From that browser, and from no
other, the author may change or withdraw it while it waits for moderation
(or sits in Spam, which its author is shown as waiting), and for
``edit_minutes`` after it was approved, as Isso allows. An edit is
sanitized and screened again by the very checks a new comment goes
through, and never leaves a comment more public than it was: an approved
comment goes back to pending under a policy that makes readers wait, and
under ``none`` when the screening holds it. Withdrawing moves the
comment to the trash, where moderators still see its history.

Every function here is plain: no request, no session.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from blog import signals
from blog.comments.sanitize import comment_to_html
from blog.comments.submit import CommentSettings, Draft, screen_draft
from blog.core.database import write_transaction
from blog.extensions import db
from blog.models import Comment, CommentStatus, utcnow
from blog.moderation.workflow import (
    Action,
    Event,
    Policy,
    apply_action,
    record_event,
    refresh_article_comments,
)
from blog.spam import bayes, bayes_store
from blog.spam.rules import Verdict, decide, edit_form_age

#: The statuses in which a comment is still its author's to see and to change.
OWN_STATUSES = (CommentStatus.PENDING, CommentStatus.SPAM, CommentStatus.APPROVED)


def written_stamp(created_at: datetime) -> str:
    """How a browser remembers when its comment was written (to the microsecond)."""
    return created_at.isoformat(timespec="microseconds")


def own_comments(entries: Mapping[int, str | None]) -> list[Comment]:
    """This browser's comments that are still there, and still theirs to see.

    ``entries`` maps an id to the stamp it was remembered with; a comment
    whose stamp differs is another one that got the same id. An entry
    remembered before stamps were kept (None) still shows a waiting comment,
    but never lets anyone change it (see :func:`is_authors`).
    """
    if not entries:
        return []
    found = db.session.scalars(
        sa.select(Comment).where(Comment.id.in_(list(entries)), Comment.status.in_(OWN_STATUSES))
    )
    return [
        comment
        for comment in found
        if entries[comment.id] in (None, written_stamp(comment.created_at))
    ]


def is_authors(comment: Comment, entries: Mapping[int, str | None]) -> bool:
    """Tell whether this browser wrote ``comment``: its id and its stamp."""
    return entries.get(comment.id) == written_stamp(comment.created_at)


def change_deadline(comment: Comment, minutes: int) -> datetime | None:
    """Until when an approved comment may be changed by its author (None: not approved)."""
    if comment.status != CommentStatus.APPROVED:
        return None
    return (comment.approved_at or comment.created_at) + timedelta(minutes=minutes)


def may_change(comment: Comment, minutes: int, now: datetime | None = None) -> bool:
    """Tell whether its author may still change or withdraw ``comment``."""
    if comment.status in (CommentStatus.PENDING, CommentStatus.SPAM):
        return True
    deadline = change_deadline(comment, minutes)
    return deadline is not None and (now or utcnow()) <= deadline


def still_worth_keeping(comments: Iterable[Comment], minutes: int) -> set[int]:
    """The ids a browser needs to remember: what it still sees or may change."""
    return {comment.id for comment in comments if may_change(comment, minutes)}


class EditRefusal(enum.Enum):
    """Why an author's edit or withdrawal changed nothing (the status code says how)."""

    GONE = 404
    TOO_LATE = 403
    #: The edit form's signed time is missing, forged or too old.
    FORM_EXPIRED = 400


@dataclass(frozen=True)
class Edited:
    """An author's edit, saved: where the comment stands now, and before."""

    status: CommentStatus
    previous: CommentStatus


def edit_own_comment(
    comment: Comment, draft: Draft, settings: CommentSettings
) -> Edited | EditRefusal:
    """Change the text of an author's comment: sanitized and screened again.

    The screening (the same as a new comment's, its time trap measuring
    the edit form) runs before the write lock is taken; under it the
    comment is read again, and changed only if its author still may. An
    edit never makes a comment more public than it was, and text no
    moderator has read is never left public where the policy makes
    readers wait: see :func:`status_after_edit`. Moderators hear of the
    edit as of a new comment (``comment_edited``), and links mailed for the
    old text stop working. What the learning filter was taught about the
    old text is taken back, and the new text teaches it nothing: no
    stranger's text is ever learned from. Commits.
    """
    age = edit_form_age(settings.secret_key, draft.form_time, comment.id, settings.form_max_age)
    if age is None:
        return EditRefusal.FORM_EXPIRED
    body_html = comment_to_html(draft.text.body)
    verdicts, scored = screen_draft(draft, body_html, age, settings)
    with write_transaction(db.session):
        db.session.refresh(comment)
        if comment.status not in OWN_STATUSES:
            db.session.rollback()
            return EditRefusal.GONE
        if not may_change(comment, settings.edit_minutes):
            db.session.rollback()
            return EditRefusal.TOO_LATE
        previous = comment.status
        status = status_after_edit(previous, verdicts, settings.moderation, draft)
        bayes_store.forget(comment)
        comment.body = draft.text.body
        comment.body_html = body_html
        comment.spam_score = scored.score if scored else None
        comment.spam_clues = bayes.clues_json(scored) if scored else None
        comment.edited_at = utcnow()
        reasons = [verdict.reason for verdict in verdicts]
        comment.status = status
        # A new version even when the status stays: a moderator's mailed
        # link was written for the text they were shown, not this one.
        comment.status_version = Comment.status_version + 1
        # A stored note: each reason (some are lazy sentences) as it reads now.
        note = "; ".join(map(str, reasons))[:200] or None
        record_event(comment, Event.SELF_EDIT, None, previous, status, note=note)
        announce_edit(comment, previous, status, reasons)
        db.session.commit()
    return Edited(status=status, previous=previous)


def status_after_edit(
    previous: CommentStatus, verdicts: Sequence[Verdict], policy: str, draft: Draft
) -> CommentStatus:
    """Where an author's edit leaves their comment.

    Spam stays spam and pending stays pending. An approved comment goes back
    to pending under any policy that makes readers wait (all, first time):
    no moderator has read the new text. Under ``none`` it stays, unless the
    screening holds it or sends it to Spam. A moderator's own text stays.
    """
    held = (
        previous == CommentStatus.APPROVED
        and draft.moderator_id is None
        and Policy(policy) is not Policy.NONE
    )
    return decide(CommentStatus.PENDING if held else previous, verdicts)


def announce_edit(
    comment: Comment, previous: CommentStatus, status: CommentStatus, reasons: list[str]
) -> None:
    """Keep the article's counts right and tell who subscribes."""
    if CommentStatus.APPROVED in (previous, status):
        refresh_article_comments(comment.article)
    if status != previous:
        signals.comment_status_changed.send(
            None, comment=comment, comment_id=comment.id, previous=previous, status=status
        )
    signals.comment_edited.send(
        None, comment_id=comment.id, status=status, previous=previous, reasons=tuple(reasons)
    )


def withdraw_own_comment(comment: Comment, minutes: int) -> CommentStatus | EditRefusal:
    """Take an author's comment off the page: to the trash, with its history.

    A comment in Spam stays there (nothing public changes), its withdrawal
    recorded. Returns the status it had. The caller commits.
    """
    if comment.status not in OWN_STATUSES:
        return EditRefusal.GONE
    if not may_change(comment, minutes):
        return EditRefusal.TOO_LATE
    if comment.status == CommentStatus.SPAM:
        record_event(comment, Event.WITHDRAW, None, comment.status, comment.status)
        return CommentStatus.SPAM
    return apply_action(comment, Action.TRASH, event=Event.WITHDRAW)


def remembered(entries: Sequence[object]) -> dict[int, str | None]:
    """Read what a session remembers of its comments: ``[id, stamp]`` pairs
    (a bare id from before stamps were kept)."""
    found: dict[int, str | None] = {}
    for entry in entries:
        if isinstance(entry, int) and not isinstance(entry, bool):
            found[entry] = None
        elif (
            isinstance(entry, list)
            and len(entry) == 2
            and isinstance(entry[0], int)
            and isinstance(entry[1], str)
        ):
            found[entry[0]] = entry[1]
    return found
