"""Articles, comments and what readers and moderators do to them: likes,
reports, the audit trail."""

from __future__ import annotations

import enum
import hashlib
import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blog.extensions import Model
from blog.models.accounts import Moderator
from blog.models.articles import Article
from blog.models.clock import utcnow


class CommentStatus(enum.StrEnum):
    """Where a comment stands in moderation."""

    PENDING = "pending"
    APPROVED = "approved"
    SPAM = "spam"
    TRASH = "trash"


class SpamLabel(enum.StrEnum):
    """What the learning filter was taught a comment is (blog/spam/bayes_store.py)."""

    SPAM = "spam"
    HAM = "ham"


class Comment(Model):
    """A reader's comment on an article, or a reply to another comment."""

    __table_args__ = (
        # The article page: approved comments of one article, oldest first.
        sa.Index("ix_comment_article_status_created", "article_id", "status", "created_at"),
        # The moderation queue: one status, newest first.
        sa.Index("ix_comment_status_created", "status", "created_at"),
        # Flood control: the latest comment from one address block.
        sa.Index("ix_comment_ip_block_created", "ip_block", "created_at"),
        # Comment pages: the approved comments of some threads of one article.
        sa.Index("ix_comment_article_status_thread", "article_id", "status", "thread_id"),
        # The duplicate check: the same text on one article.
        sa.Index("ix_comment_article_digest", "article_id", "body_digest"),
        # A comment imported from WordPress, by its id there.
        sa.UniqueConstraint("article_id", "wp_comment_id", name="uq_comment_article_wp_id"),
        # An imported comment, by where it came from and its id there
        # (blog/porting/importer.py). An index, not a constraint: see its migration.
        sa.Index(
            "ix_comment_article_import", "article_id", "import_source", "import_id", unique=True
        ),
        # `flask purge`: Spam and Cestino older than EMPTY_TRASH_DAYS.
        sa.Index("ix_comment_status_changed", "status", "status_changed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("article.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="SET NULL"), index=True
    )
    # The id of the top-level comment this one belongs under (its own id for
    # a top-level comment): set at write time, so that a page of threads is
    # one indexed query.
    thread_id: Mapped[int | None] = mapped_column(index=True)
    author: Mapped[str] = mapped_column(sa.String(245))
    email: Mapped[str] = mapped_column(sa.String(100), index=True)
    url: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text)
    # SHA-256 of the body, kept by the "set" event below: what the duplicate
    # check looks up, instead of comparing every text of a sender.
    body_digest: Mapped[str | None] = mapped_column(sa.String(64))
    body_html: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[CommentStatus] = mapped_column(
        sa.Enum(
            CommentStatus,
            native_enum=False,
            length=16,
            values_callable=lambda statuses: [s.value for s in statuses],
            validate_strings=True,
        ),
        default=CommentStatus.PENDING,
    )
    # Bumped by every change of status: a link mailed to moderators carries
    # the version it was written for, and stops working once it is stale.
    status_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When it was last approved (None: never, or before this was recorded):
    # its author may change it for COMMENT_EDIT_MINUTES after that.
    approved_at: Mapped[datetime | None] = mapped_column()
    # When its author last changed it ("modificato" under an approved one).
    edited_at: Mapped[datetime | None] = mapped_column()
    # "Mi piace" from distinct readers (CommentLike), kept here so that no
    # page has to count rows.
    like_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # When the comment entered its status: what `flask purge` deletes Spam
    # and Cestino by. Nullable only so that SQLite can add the column in
    # place; every write sets it.
    status_changed_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    # Readers' reports ("Segnala") since a moderator last approved it.
    flag_count: Mapped[int] = mapped_column(default=0, server_default="0")
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    # The network the address belongs to (blog/core/addresses.py): what flood
    # control compares, since one IPv6 user holds a whole /64.
    ip_block: Mapped[str | None] = mapped_column(sa.String(49))
    user_agent: Mapped[str | None] = mapped_column(sa.String(500))
    wp_comment_id: Mapped[int | None] = mapped_column()
    # Where an imported comment came from ("wordpress", "disqus", "isso") and
    # its id there: what a second import of the same file recognises it by.
    import_source: Mapped[str | None] = mapped_column(sa.String(16))
    import_id: Mapped[str | None] = mapped_column(sa.String(64))
    # Its parent's id there, kept until the parent is imported too (a file
    # may list a reply before the comment it answers).
    import_parent_id: Mapped[str | None] = mapped_column(sa.String(64))
    # Where a comment written elsewhere came from ("webmention": another
    # site's page, ``origin_url``), shown beside it; None: written here.
    origin: Mapped[str | None] = mapped_column(sa.String(16))
    origin_url: Mapped[str | None] = mapped_column(sa.String(2000))
    # The author asked to be mailed when it is approved and when replied to.
    notify: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Set when a moderator wrote the comment (a reply from the queue).
    moderator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("moderator.id", ondelete="SET NULL")
    )

    # The learning filter's score when the comment arrived (0 ham … 1 spam),
    # and the tokens that weighed most: JSON [[token, probability], …].
    spam_score: Mapped[float | None] = mapped_column(sa.Float)
    spam_clues: Mapped[str | None] = mapped_column(sa.String(300))
    # What moderators' decisions taught the filter this comment is, so that a
    # later, different decision takes it back before teaching the new one.
    spam_trained: Mapped[SpamLabel | None] = mapped_column(
        sa.Enum(
            SpamLabel,
            native_enum=False,
            length=4,
            values_callable=lambda labels: [label.value for label in labels],
            validate_strings=True,
        )
    )

    article: Mapped[Article] = relationship(back_populates="comments")
    parent: Mapped[Comment | None] = relationship(remote_side=[id])
    moderator: Mapped[Moderator | None] = relationship()
    events: Mapped[list[ModerationEvent]] = relationship(
        back_populates="comment",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ModerationEvent.id",
    )

    @property
    def spam_words(self) -> list[tuple[str, float]]:
        """The tokens that weighed most in the filter's score, with their probabilities."""
        if not self.spam_clues:
            return []
        try:
            return [(str(token), float(value)) for token, value in json.loads(self.spam_clues)]
        except (ValueError, TypeError):
            return []

    def __repr__(self) -> str:
        return f"<Comment {self.id} {self.status}>"


class CommentLike(Model):
    """One reader's "Mi piace" on one comment, known only by a keyed hash.

    ``key`` is an HMAC of the reader's address block and the comment's id
    (blog/comments/likes.py): it tells one reader's second like from a first, and
    nothing else; the same reader's likes on two comments share nothing.
    ``flask purge`` deletes rows older than COMMENT_IP_RETENTION_DAYS (the
    count on the comment stays).
    """

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class CommentFlag(Model):
    """One reader's report of an approved comment ("Segnala").

    The reader is known only by ``digest``: a keyed HMAC of their address
    block and the comment's id (blog/comments/flags.py), enough to count each reader
    once and useless for telling who they are or what else they reported.
    """

    digest: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ModerationEvent(Model):
    """One change made to a comment: who, when, from which status to which."""

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    # None when the change was made by the system (policy, spam filters).
    moderator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("moderator.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(sa.String(20))
    from_status: Mapped[str | None] = mapped_column(sa.String(16))
    to_status: Mapped[str | None] = mapped_column(sa.String(16))
    note: Mapped[str | None] = mapped_column(sa.String(200))
    # What the learning filter had been taught of the comment before this
    # change ("spam", "ham", "none"), so that undoing it puts that back;
    # None where unknown (changes recorded before undo existed, or no change
    # of status).
    lesson_before: Mapped[str | None] = mapped_column(sa.String(4))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    comment: Mapped[Comment] = relationship(back_populates="events")
    moderator: Mapped[Moderator | None] = relationship()


def body_digest(body: str) -> str:
    """The digest the duplicate check finds a text by."""
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()


@sa.event.listens_for(Comment.body, "set")
def _keep_body_digest(comment: Comment, body: str | None, *_: object) -> None:
    comment.body_digest = body_digest(body) if body is not None else None
