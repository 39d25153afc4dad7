"""Storing readers' comments and finding what each page shows."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa

from blog import messages, signals
from blog.comments.sanitize import comment_to_html
from blog.core.database import write_transaction
from blog.extensions import db
from blog.models import Article, Comment, CommentStatus, body_digest, utcnow
from blog.moderation.workflow import Event, initial_status, record_event, refresh_article_comments
from blog.spam import bayes
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

    author: str
    email: str
    url: str
    body: str
    parent_id: int | None = None
    ip_address: str | None = None
    #: The address's block (blog/core/addresses.py), what flood control compares.
    ip_block: str | None = None
    user_agent: str | None = None
    moderator_id: int | None = None
    #: The author asked for mail when it is approved or replied to.
    notify: bool = False
    #: The sanitized body, when the caller already made it.
    body_html: str | None = None
    #: The learning filter's score, and the tokens that weighed most (JSON).
    spam_score: float | None = None
    spam_clues: str | None = None


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
    body = new.body
    now = utcnow()
    inserted = connection.execute(
        _INSERT_COMMENT,
        {
            "article_id": article.id,
            "parent_id": new.parent_id,
            "thread_id": thread_id,
            "author": new.author,
            "email": new.email,
            "url": new.url,
            "body": body,
            "body_digest": body_digest(body),
            "body_html": new.body_html if new.body_html is not None else comment_to_html(body),
            "status": status,
            "created_at": now,
            "approved_at": now if status == CommentStatus.APPROVED else None,
            "status_changed_at": now,
            "ip_address": new.ip_address,
            "ip_block": new.ip_block,
            "user_agent": (new.user_agent or "")[:500] or None,
            "moderator_id": new.moderator_id,
            "notify": new.notify,
            "spam_score": new.spam_score,
            "spam_clues": new.spam_clues,
        },
    )
    # An INSERT's result always has the new key; SQLAlchemy types it as optional.
    comment_id = cast(sa.Row[Any], inserted.inserted_primary_key)[0]
    if thread_id is None:
        connection.execute(_OWN_THREAD, {"comment_id": comment_id})
        thread_id = comment_id
    stored = StoredComment(id=comment_id, thread_id=thread_id, status=status, created_at=now)
    if reasons:
        comment = db.session.get_one(Comment, comment_id)
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


def page_count(article: Article, per_page: int) -> int:
    """How many comment pages the article has (at least one)."""
    return max(1, -(-article.approved_thread_count // per_page))


class CommentOrder(enum.StrEnum):
    """How a reader orders the threads of the comment pages (``?corder=``).

    Pages are numbered by the threads' start, oldest first, in both
    chronological orders, so that ``?cpage=N`` always holds the same threads
    and a comment's link stays right; ``newest`` shows them newest first and
    opens on the last page. ``best`` ranks threads by the likes of all their
    approved comments (ties: the older first), on pages of its own.
    """

    OLDEST = "oldest"
    NEWEST = "newest"
    BEST = "best"


def read_order(raw: object, default: CommentOrder) -> CommentOrder:
    """A stranger's ``?corder=``: one of the orders, anything else the default."""
    try:
        return CommentOrder(raw) if isinstance(raw, str) else default
    except ValueError:
        return default


def landing_page(order: CommentOrder, pages: int) -> int:
    """The page shown without ``cpage``: the newest (WordPress's default), else the first."""
    return pages if order is CommentOrder.NEWEST else 1


@dataclass(frozen=True)
class CommentView:
    """One comment page as a reader asked for it: its order and its number."""

    order: CommentOrder
    default_order: CommentOrder
    page: int
    pages: int

    def link_args(self, page: int | None = None) -> dict[str, object]:
        """The query of a link to ``page`` (this one by default) in this order.

        ``cpage`` is left out for the page the order opens on, ``corder`` for
        the site's default order: one address for each page.
        """
        number = self.page if page is None else page
        args: dict[str, object] = {}
        if self.order is not self.default_order:
            args["corder"] = self.order.value
        if number != landing_page(self.order, self.pages):
            args["cpage"] = number
        return args

    def order_args(self, order: CommentOrder | str) -> dict[str, object]:
        """The query of a link that switches to ``order``, on the page it opens on."""
        wanted = CommentOrder(order)
        return {} if wanted is self.default_order else {"corder": wanted.value}


def _threads(article: Article) -> sa.Select:
    """The article's threads with an approved comment: when each started, its likes."""
    started = sa.func.min(Comment.created_at).label("started")
    likes = sa.func.sum(Comment.like_count).label("likes")
    return (
        sa.select(Comment.thread_id, started, likes)
        .where(Comment.article_id == article.id, Comment.status == CommentStatus.APPROVED)
        .group_by(Comment.thread_id)
    )


def approved_comments(article: Article, view: CommentView, per_page: int) -> Sequence[Comment]:
    """Return the approved comments of one page of threads, oldest first.

    A page holds ``per_page`` threads (a top-level comment with all its
    replies), so a page costs the same however long the article's thread
    grows: one query.
    """
    threads = _threads(article).subquery()
    ranking: list[sa.ColumnElement[Any]] = [threads.c.started, threads.c.thread_id]
    if view.order is CommentOrder.BEST:
        ranking.insert(0, threads.c.likes.desc())
    page_threads = (
        sa.select(threads.c.thread_id)
        .order_by(*ranking)
        .limit(per_page)
        .offset((view.page - 1) * per_page)
    )
    return db.session.scalars(
        sa.select(Comment)
        .where(
            Comment.article_id == article.id,
            Comment.status == CommentStatus.APPROVED,
            Comment.thread_id.in_(page_threads),
        )
        .order_by(Comment.created_at, Comment.id)
    ).all()


def thread_order(comments: Sequence[Comment], order: CommentOrder) -> list[int]:
    """The threads of a page's comments (oldest first), in the order the page shows them.

    A thread starts with its oldest approved comment, as the pages count
    it; its likes are those of all its comments.
    """
    started: dict[int, tuple[datetime, int]] = {}
    likes: Counter[int] = Counter()
    for comment in sorted(comments, key=lambda comment: (comment.created_at, comment.id)):
        thread_id = comment.thread_id or comment.id
        started.setdefault(thread_id, (comment.created_at, thread_id))
        likes[thread_id] += comment.like_count or 0
    ids = sorted(started, key=started.__getitem__)
    if order is CommentOrder.NEWEST:
        ids.reverse()
    elif order is CommentOrder.BEST:
        ids.sort(key=lambda thread_id: -likes[thread_id])
    return ids


def page_of(article: Article, comment: Comment | StoredComment, per_page: int) -> int:
    """The comment page on which ``comment`` is shown (its thread's page)."""
    if comment.thread_id == comment.id and comment.status != CommentStatus.APPROVED:
        # A new thread with nothing approved yet is shown on the last page.
        return page_count(article, per_page)
    threads = _threads(article).subquery()
    started = db.session.scalar(
        sa.select(threads.c.started).where(threads.c.thread_id == comment.thread_id)
    )
    if started is None:  # nothing approved in its thread yet: the last page
        return page_count(article, per_page)
    earlier = db.session.execute(
        sa.select(sa.func.count()).where(
            sa.or_(
                threads.c.started < started,
                sa.and_(threads.c.started == started, threads.c.thread_id < comment.thread_id),
            )
        )
    ).scalar_one()
    return earlier // per_page + 1


# The use case: a reader's (or a moderator's) new comment.


@dataclass(frozen=True)
class Draft:
    """A comment as the form received it (valid), and who sent it."""

    author: str
    email: str
    url: str
    body: str
    parent_id: int | None
    notify: bool
    #: The spam traps: the hidden field, and the form's signed time.
    honeypot: str
    form_time: str | None
    ip_address: str
    ip_block: str | None
    user_agent: str
    #: A signed-in moderator writing: no screening, no flood control.
    moderator_id: int | None = None


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
    age = form_age(settings.secret_key, draft.form_time, article.id, settings.form_max_age)
    if age is None:
        return Refusal.FORM_EXPIRED
    by_moderator = draft.moderator_id is not None
    # A double click is a duplicate, not a flood: the duplicate is looked for
    # first, and again under the write lock (two clicks at once).
    if _is_duplicate(article, draft):
        return Refusal.DUPLICATE
    if not by_moderator and is_flood(draft.ip_block, draft.email, settings.flood_seconds):
        return Refusal.FLOOD
    body_html = comment_to_html(draft.body)
    status = initial_status(
        settings.moderation, author=draft.author, email=draft.email, by_moderator=by_moderator
    )
    verdicts, scored = screen_draft(draft, body_html, age, settings)
    status = decide(status, verdicts)
    new = NewComment(
        author=draft.author,
        email=draft.email,
        url=draft.url,
        body=draft.body,
        body_html=body_html,
        parent_id=draft.parent_id,
        ip_address=draft.ip_address[:45] or None,
        ip_block=draft.ip_block,
        user_agent=draft.user_agent,
        moderator_id=draft.moderator_id,
        notify=draft.notify,
        spam_score=scored.score if scored else None,
        spam_clues=bayes.clues_json(scored) if scored else None,
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
    return is_duplicate(article, draft.parent_id, draft.author, draft.email, draft.body)


def screen_draft(
    draft: Draft, body_html: str, age: float, settings: CommentSettings
) -> tuple[list[Verdict], bayes.Classification | None]:
    """The spam checks' verdicts, and the learning filter's score (its verdict
    joins the others once it is trained enough); a moderator's text is not
    screened. A new comment and an author's edit go through this alike."""
    if draft.moderator_id is not None:
        return [], None
    verdicts = screen(_submission(draft, body_html, age), settings.spam)
    scored = bayes.score(
        bayes.comment_message(draft.author, draft.email, draft.url, body_html), settings.learning
    )
    learned = bayes.verdict(scored, settings.learning)
    if learned:
        verdicts.append(learned)
    # Asked last, and only about what nothing here already calls spam: the
    # less a stranger's data travels abroad, the better.
    if settings.akismet and CommentStatus.SPAM not in {v.status for v in verdicts}:
        if asked := settings.akismet.check(_akismet_comment(draft)):
            verdicts.append(asked)
    return verdicts, scored


def _akismet_comment(draft: Draft) -> AkismetComment:
    """What Akismet is sent."""
    return AkismetComment(
        author=draft.author,
        email=draft.email,
        url=draft.url,
        body=draft.body,
        ip_address=draft.ip_address,
        user_agent=draft.user_agent,
        is_reply=draft.parent_id is not None,
    )


def _submission(draft: Draft, body_html: str, age: float) -> Submission:
    """What the spam checks look at."""
    return Submission(
        author=draft.author,
        email=draft.email,
        url=draft.url,
        body=draft.body,
        body_html=body_html,
        ip_address=draft.ip_address,
        user_agent=draft.user_agent,
        honeypot=draft.honeypot,
        seconds_to_submit=age,
    )
