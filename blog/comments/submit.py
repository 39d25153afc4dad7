"""Storing readers' comments: the use case a new comment goes through, and the write."""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa

from blog import messages, signals
from blog.comments.pages import page_of
from blog.comments.sanitize import comment_to_html
from blog.comments.values import Client, CommentText
from blog.core.database import write_transaction
from blog.extensions import db
from blog.models import Article, Comment, CommentStatus, body_digest, utcnow
from blog.moderation.workflow import Event, initial_status, record_event, refresh_article_comments
from blog.spam import bayes, bayes_store
from blog.spam.akismet_check import AkismetCheck, AkismetComment
from blog.spam.rules import (
    SpamSettings,
    Submission,
    Verdict,
    decide,
    form_age,
    is_duplicate,
    is_flood,
    screen,
)


@dataclass(frozen=True)
class NewComment:
    """What a reader submitted, already validated."""

    text: CommentText
    parent_id: int | None = None
    client: Client = Client()
    moderator_id: int | None = None
    #: The author asked for mail when it is approved or replied to.
    notify: bool = False
    #: The sanitized body, when the caller already made it.
    body_html: str | None = None
    #: The learning filter's score, and the tokens that weighed most (JSON).
    spam_score: float | None = None
    spam_clues: str | None = None
    #: Where a comment written on another site came from.
    origin: Origin | None = None


@dataclass(frozen=True)
class Origin:
    """Another site a comment was written on: how it came ("webmention"), and its page."""

    kind: str
    url: str


def find_reply_parent(article: Article, parent_id: int) -> Comment | None:
    """Return the approved comment of ``article`` with ``parent_id``, if any."""
    return db.session.scalar(
        sa.select(Comment).where(
            Comment.id == parent_id,
            Comment.article_id == article.id,
            Comment.status == CommentStatus.APPROVED,
        )
    )


@dataclass(frozen=True)
class StoredComment:
    """What the code that stored a comment needs to know of it."""

    id: int
    thread_id: int
    status: CommentStatus
    #: When it was written: with the id, what tells it from a later comment
    #: SQLite gave the same id once it was deleted.
    created_at: datetime


# A declarative class maps to a Table; SQLAlchemy types __table__ as any FromClause.
_comment_table = cast(sa.Table, Comment.__table__)
# Built once: the comment form is the busiest writer, and building a
# statement costs more than running it.
_INSERT_COMMENT = sa.insert(_comment_table)
_OWN_THREAD = (
    sa.update(_comment_table)
    .where(_comment_table.c.id == sa.bindparam("comment_id"))
    .values(thread_id=_comment_table.c.id)
)


def insert_comment(
    article: Article, new: NewComment, status: CommentStatus, reasons: Sequence[str] = ()
) -> StoredComment:
    """Sanitize and insert a comment, then do what follows a new comment.

    The row is written with plain inserts, not through the ORM's unit of
    work: this is the path every reader's comment takes. The caller commits.
    """
    if new.parent_id is None:
        thread_id = None
    else:
        # The callers have just loaded the parent: this comes from the session.
        parent = db.session.get(Comment, new.parent_id)
        thread_id = parent.thread_id if parent else None
    connection = db.session.connection()
    text, client = new.text, new.client
    body = text.body
    now = utcnow()
    inserted = connection.execute(
        _INSERT_COMMENT,
        {
            "article_id": article.id,
            "parent_id": new.parent_id,
            "thread_id": thread_id,
            "author": text.author,
            "email": text.email,
            "url": text.url,
            "body": body,
            "body_digest": body_digest(body),
            "body_html": new.body_html if new.body_html is not None else comment_to_html(body),
            "status": status,
            "created_at": now,
            "approved_at": now if status == CommentStatus.APPROVED else None,
            "status_changed_at": now,
            "ip_address": client.ip_address[:45] or None,
            "ip_block": client.ip_block,
            "user_agent": client.user_agent[:500] or None,
            "moderator_id": new.moderator_id,
            "notify": new.notify,
            "spam_score": new.spam_score,
            "spam_clues": new.spam_clues,
            "origin": new.origin.kind if new.origin else None,
            "origin_url": new.origin.url if new.origin else None,
        },
    )
    # An INSERT's result always has the new key; SQLAlchemy types it as optional.
    comment_id = cast(sa.Row[Any], inserted.inserted_primary_key)[0]
    if thread_id is None:
        connection.execute(_OWN_THREAD, {"comment_id": comment_id})
        thread_id = comment_id
    stored = StoredComment(id=comment_id, thread_id=thread_id, status=status, created_at=now)
    # Loaded once and held until the receivers of comment_stored have run,
    # under SQLite's write lock: each of them finds it in the session.
    comment = db.session.get_one(Comment, comment_id)
    if reasons:
        record_event(
            comment, Event.FILTER, None, None, status, note="; ".join(map(str, reasons))[:200]
        )
    if status == CommentStatus.APPROVED:
        refresh_article_comments(article)
    signals.comment_stored.send(
        None, comment_id=comment_id, status=status, parent_id=new.parent_id, reasons=tuple(reasons)
    )
    return stored


def store_comment(article: Article, new: NewComment, status: CommentStatus) -> Comment:
    """Store a comment as :func:`insert_comment` does and load it; the caller commits."""
    return db.session.get_one(Comment, insert_comment(article, new, status).id)


# The use case: a reader's (or a moderator's) new comment.


@dataclass(frozen=True)
class Draft:
    """A comment as the form received it (valid), and who sent it."""

    text: CommentText
    parent_id: int | None
    notify: bool
    #: The spam traps: the hidden field, and the form's signed time.
    honeypot: str
    form_time: str | None
    client: Client
    #: A signed-in moderator writing: no screening, no flood control.
    moderator_id: int | None = None
    #: Written on another site (a Webmention): no form was served, so no
    #: form time; flood control is the receiving end's limits per site and
    #: address (blog/webmention/). Every other check applies.
    origin: Origin | None = None


@dataclass(frozen=True)
class CommentSettings:
    """What the use case needs of the configuration, read once by the caller."""

    secret_key: str
    form_max_age: int
    flood_seconds: float
    moderation: str
    comments_per_page: int
    spam: SpamSettings
    learning: bayes.FilterSettings
    #: The Akismet check, when ``AKISMET_KEY`` is set.
    akismet: AkismetCheck | None = None
    #: How long after its approval an author may still change a comment.
    edit_minutes: int = 15


class Refusal(enum.Enum):
    """Why a valid form stored nothing: its notice and HTTP status."""

    FORM_EXPIRED = (messages.FORM_EXPIRED, 400)
    FLOOD = (messages.FLOOD, 429)
    DUPLICATE = (messages.DUPLICATE, 409)

    @property
    def notice(self) -> str:
        return self.value[0]

    @property
    def status(self) -> int:
        return self.value[1]


@dataclass(frozen=True)
class Accepted:
    """A stored comment: its id, its status, the comment page it is on, when it was written."""

    comment_id: int
    status: CommentStatus
    page: int
    created_at: datetime


def submit(article: Article, draft: Draft, settings: CommentSettings) -> Accepted | Refusal:
    """Screen and store a new comment, or say why not.

    Form age, the duplicate check, flood control, sanitizing, the moderation
    policy, the spam checks and the decision only read, so on SQLite other
    workers do the same at once; the write lock is held for the duplicate
    check (again), the insert, its audit entry and its page alone (a double
    click stores one comment, and hears "duplicato", not "troppo
    velocemente"). Needs no request and sends no mail: ``comment_stored`` is
    announced, and whoever cares subscribes.
    """
    if draft.origin is not None:
        age: float | None = math.inf
    else:
        age = form_age(settings.secret_key, draft.form_time, article.id, settings.form_max_age)
    if age is None:
        return Refusal.FORM_EXPIRED
    by_moderator = draft.moderator_id is not None
    # A double click is a duplicate, not a flood: the duplicate is looked for
    # first, and again under the write lock (two clicks at once).
    if _is_duplicate(article, draft):
        return Refusal.DUPLICATE
    text = draft.text
    if (
        not by_moderator
        and draft.origin is None
        and is_flood(draft.client.ip_block, text.email, settings.flood_seconds)
    ):
        return Refusal.FLOOD
    body_html = comment_to_html(text.body)
    status = initial_status(
        settings.moderation, author=text.author, email=text.email, by_moderator=by_moderator
    )
    verdicts, scored = screen_draft(draft, body_html, age, settings)
    status = decide(status, verdicts)
    new = NewComment(
        text=text,
        body_html=body_html,
        parent_id=draft.parent_id,
        client=draft.client,
        moderator_id=draft.moderator_id,
        notify=draft.notify,
        spam_score=scored.score if scored else None,
        spam_clues=bayes.clues_json(scored) if scored else None,
        origin=draft.origin,
    )
    with write_transaction(db.session):
        if _is_duplicate(article, draft):
            db.session.rollback()
            return Refusal.DUPLICATE
        stored = insert_comment(article, new, status, [verdict.reason for verdict in verdicts])
        # Worked out before the commit, which would expire what it reads.
        page = page_of(article, stored, settings.comments_per_page)
        db.session.commit()
    return Accepted(stored.id, stored.status, page, stored.created_at)


def _is_duplicate(article: Article, draft: Draft) -> bool:
    text = draft.text
    return is_duplicate(article, draft.parent_id, text.author, text.email, text.body)


def screen_draft(
    draft: Draft, body_html: str, age: float, settings: CommentSettings
) -> tuple[list[Verdict], bayes.Classification | None]:
    """The spam checks' verdicts, and the learning filter's score (its verdict
    joins the others once it is trained enough); a moderator's text is not
    screened. A new comment and an author's edit go through this alike."""
    if draft.moderator_id is not None:
        return [], None
    text = draft.text
    submission = Submission(text, body_html, draft.client, draft.honeypot, seconds_to_submit=age)
    verdicts = screen(submission, settings.spam)
    scored = bayes_store.score(
        bayes.comment_message(text.author, text.email, text.url, body_html), settings.learning
    )
    learned = bayes.verdict(scored, settings.learning)
    if learned:
        verdicts.append(learned)
    # Asked last, and only about what nothing here already calls spam: the
    # less a stranger's data travels abroad, the better.
    if settings.akismet and CommentStatus.SPAM not in {v.status for v in verdicts}:
        asking = AkismetComment(text, draft.client, is_reply=draft.parent_id is not None)
        if asked := settings.akismet.check(asking):
            verdicts.append(asked)
    return verdicts, scored
