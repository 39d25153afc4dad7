"""Mail and webhooks: the outboxes, readers' subscriptions and the
suppression list, moderators' digests and used mail links."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blog.extensions import Model
from blog.models.clock import utcnow


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
    set by the link in that mail; a confirmed address stays confirmed for
    its later comments.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    # Lower case: one person, one record, whatever they type.
    email: Mapped[str] = mapped_column(sa.String(100), unique=True)
    # In every link mailed to the address: SQLite may give a deleted row's
    # id to the next one, and a link must never act on that one.
    key: Mapped[str] = mapped_column(sa.String(32), default=lambda: secrets.token_urlsafe(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The address's owner answered a confirmation once: their later comments'
    # "Avvisami…" needs no new one.
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
    replies to a comment of an address already confirmed.
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
