"""Database models."""

from __future__ import annotations

import enum
import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from blog.extensions import Model


def utcnow() -> datetime:
    """Return the current time as a naive UTC datetime, the form stored."""
    return datetime.now(UTC).replace(tzinfo=None)


class CommentStatus(enum.StrEnum):
    """Where a comment stands in moderation."""

    PENDING = "pending"
    APPROVED = "approved"
    SPAM = "spam"
    TRASH = "trash"


class SpamLabel(enum.StrEnum):
    """What the learning filter was taught a comment is (blog/spam/bayes.py)."""

    SPAM = "spam"
    HAM = "ham"


class Article(Model):
    """A published blog article."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(200), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    standfirst: Mapped[str] = mapped_column(sa.Text, default="")
    body_html: Mapped[str] = mapped_column(sa.Text)
    published_at: Mapped[datetime] = mapped_column(sa.DateTime, index=True)
    comments_open: Mapped[bool] = mapped_column(default=True)
    # Derived at write time so that no page has to count rows.
    approved_comment_count: Mapped[int] = mapped_column(default=0)
    # Threads (a top-level comment and its replies) with an approved comment:
    # what the comment pages are counted in.
    approved_thread_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # The post's id in the WordPress export it came from: what a second
    # import of the same file recognises it by.
    wp_post_id: Mapped[int | None] = mapped_column(unique=True)
    # Bumped by every change that alters what readers see of the article or
    # its comments (and by any update of this row: see below).
    comment_version: Mapped[int] = mapped_column(default=0)

    comments: Mapped[list[Comment]] = relationship(
        back_populates="article", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Article {self.slug!r}>"


@sa.event.listens_for(Article, "before_update")
def _bump_article_version(mapper: sa.orm.Mapper, _connection: object, article: Article) -> None:
    """Any change to an article row is a change readers may see: a new version."""
    state: sa.orm.InstanceState[Article] = sa.inspect(article)
    changed = {
        attr.key for attr in mapper.column_attrs if state.attrs[attr.key].history.has_changes()
    }
    if changed and "comment_version" not in changed:
        article.comment_version = Article.comment_version + 1


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


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class Moderator(UserMixin, Model):
    """Someone who may approve, reject and edit comments."""

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(245))
    email: Mapped[str | None] = mapped_column(sa.String(100))
    # Their site, filled in for them when they comment from an article page.
    url: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the login session's identity: changing it (new password,
    # deactivation) ends every session opened before.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # What mail they want: MailEvents and MailFrequency (blog/notify/moderator_mail.py).
    mail_events: Mapped[str] = mapped_column(
        sa.String(16), default="pending", server_default="pending"
    )
    mail_frequency: Mapped[str] = mapped_column(
        sa.String(16), default="immediate", server_default="immediate"
    )
    digest_sent_at: Mapped[datetime | None] = mapped_column()

    sessions: Mapped[list[ModeratorSession]] = relationship(
        back_populates="moderator", cascade="all, delete-orphan", passive_deletes=True
    )

    #: The login session of this request, set at login and by the user loader.
    #: Not mapped, so declared by a type comment, which Declarative ignores.
    current_session = None  # type: ModeratorSession | None

    @property
    def is_active(self) -> bool:  # Flask-Login's name for it
        return self.active

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember cookie.

        The account's token (a new password ends every session) and the
        login session's record (logout, expiry) are both checked by the
        user loader.
        """
        session_id = self.current_session.id if self.current_session else ""
        return f"{self.id}:{self.session_token}:{session_id}"

    def set_password(self, password: str) -> None:
        """Store a hash of ``password`` (``PASSWORD_HASH_METHOD``, scrypt by
        default) and end all open sessions."""
        self.password_hash = generate_password_hash(
            password, method=current_app.config["PASSWORD_HASH_METHOD"]
        )
        self.session_token = new_session_token()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<Moderator {self.username!r}>"


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


class ModeratorSession(Model):
    """One device's login: logging out ends it, and only it."""

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True, default=new_session_id)
    moderator_id: Mapped[int] = mapped_column(
        sa.ForeignKey("moderator.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Checked at every request, whatever the cookie's own expiry says; and
    # what ``flask purge`` deletes by.
    expires_at: Mapped[datetime] = mapped_column(index=True)

    moderator: Mapped[Moderator] = relationship(back_populates="sessions")

    @classmethod
    def start(cls, moderator: Moderator, seconds: float) -> ModeratorSession:
        """Open a session lasting ``seconds`` and make it the moderator's current one."""
        now = utcnow()
        record = cls(
            moderator=moderator, created_at=now, expires_at=now + timedelta(seconds=seconds)
        )
        moderator.current_session = record
        return record


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


class SpamToken(Model):
    """A token of the learning filter: in how many spam and ham messages it was seen.

    One row, ``.MSG_COUNT``, holds the totals: messages trained as spam and
    as ham (blog/spam/bayes.py).
    """

    token: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    spam_count: Mapped[int] = mapped_column(default=0)
    ham_count: Mapped[int] = mapped_column(default=0)


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


class SiteSetting(Model):
    """A setting saved by moderators, overriding the configuration (JSON value)."""

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)


class OutboxItem:
    """What every outbox row has: stored with the change that causes it,
    delivered after the commit, retried until it goes or its attempts run
    out, and deleted ``MAIL_RETENTION_DAYS`` after it was written."""

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(sa.String(500))


class MailMessage(OutboxItem, Model):
    """A message in the mail outbox."""

    __table_args__ = (sa.Index("ix_mail_message_due", "sent_at", "next_attempt_at"),)

    to_address: Mapped[str] = mapped_column(sa.String(254), index=True)
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    # Chosen when the message is written, so that a retry is the same message.
    message_id: Mapped[str | None] = mapped_column(sa.String(250))
    # Mail to readers: the https link of List-Unsubscribe (RFC 2369, 8058).
    unsubscribe_url: Mapped[str | None] = mapped_column(sa.String(500))
    # The comment the message is about: what the privacy eraser finds it by.
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )


class WebhookDelivery(OutboxItem, Model):
    """A signed JSON POST to one of ``WEBHOOK_URLS``, in the webhook outbox."""

    __table_args__ = (sa.Index("ix_webhook_delivery_due", "sent_at", "next_attempt_at"),)

    url: Mapped[str] = mapped_column(sa.String(500))
    event: Mapped[str] = mapped_column(sa.String(40))
    body: Mapped[str] = mapped_column(sa.Text)
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )


class Subscriber(Model):
    """An address that asked for mail about discussions: double opt-in.

    Nothing but the confirmation is mailed to it until ``confirmed_at`` is
    set by the link in that mail; the browser that clicked it needs no new
    one for its later comments (blog/notify/subscriptions.py).
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    # Lower case: one person, one record, whatever they type.
    email: Mapped[str] = mapped_column(sa.String(100), unique=True)
    # In every link mailed to the address: SQLite may give a deleted row's
    # id to the next one, and a link must never act on that one.
    key: Mapped[str] = mapped_column(sa.String(32), default=lambda: secrets.token_urlsafe(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The address's owner answered a confirmation once: their later comments'
    # "Avvisami…" needs no new one from the browser they answered in.
    confirmed_at: Mapped[datetime | None] = mapped_column()
    # One confirmation a day at most, whatever strangers type in the form.
    confirmation_sent_at: Mapped[datetime | None] = mapped_column()

    subscriptions: Mapped[list[Subscription]] = relationship(
        back_populates="subscriber", cascade="all, delete-orphan", passive_deletes=True
    )


class Subscription(Model):
    """What a subscriber hears of: replies to one comment, or a whole discussion.

    Mail flows only once ``confirmed_at`` is set: by the link in a
    confirmation mail sent after it was asked for, or at once for the
    replies to a comment posted from the browser that confirmed its address.
    """

    __table_args__ = (
        sa.Index(
            "uq_subscription_follow",
            "subscriber_id",
            "article_id",
            unique=True,
            sqlite_where=sa.text("comment_id IS NULL"),
            postgresql_where=sa.text("comment_id IS NULL"),
        ),
        sa.Index(
            "uq_subscription_replies",
            "subscriber_id",
            "comment_id",
            unique=True,
            sqlite_where=sa.text("comment_id IS NOT NULL"),
            postgresql_where=sa.text("comment_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(
        sa.ForeignKey("subscriber.id", ondelete="CASCADE"), index=True
    )
    # Set for "Segui la discussione": every approved comment of the article.
    article_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("article.id", ondelete="CASCADE"), index=True
    )
    # Set for "Avvisami…" on a comment: its approval and replies to it.
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column()

    subscriber: Mapped[Subscriber] = relationship(back_populates="subscriptions")


class Suppression(Model):
    """An address that unsubscribed: it is mailed nothing, not even a confirmation.

    Kept as the SHA-256 of the address in lower case, never the address.
    """

    digest: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MailComment(Model):
    """A comment a mail speaks of, for mail about several (moderators'
    digests): what the privacy eraser finds that mail by."""

    mail_message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mail_message.id", ondelete="CASCADE"), primary_key=True
    )
    comment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class DigestEntry(Model):
    """A comment waiting for a moderator's next hourly or daily digest."""

    id: Mapped[int] = mapped_column(primary_key=True)
    moderator_id: Mapped[int] = mapped_column(
        sa.ForeignKey("moderator.id", ondelete="CASCADE"), index=True
    )
    comment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UsedLink(Model):
    """A moderator's mail whose one-click links have been used: they work once.

    ``digest`` is ``notifications.link_digest`` of what the link says (the
    comment, the moderator, the status version), never of the link's text.
    """

    digest: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(default=utcnow)
