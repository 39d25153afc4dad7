"""Webmentions received and sent (blog/webmention/): each row an outbox
item, verified or sent after the commit, retried until it goes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from blog.extensions import Model
from blog.models.notify import OutboxItem

#: The longest source or target address kept (what the endpoint accepts).
URL_MAX = 2000


class ReceivedWebmention(OutboxItem, Model):
    """A Webmention another site sent: verified later by fetching its source.

    ``sent_at`` is when it was last verified. The same source and target
    sent again is the same row, verified again (an update, or a removal).
    """

    __table_args__ = (
        sa.UniqueConstraint("source", "target", name="uq_received_webmention_source_target"),
        sa.Index("ix_received_webmention_due", "sent_at", "next_attempt_at"),
    )

    source: Mapped[str] = mapped_column(sa.String(URL_MAX))
    target: Mapped[str] = mapped_column(sa.String(URL_MAX))
    #: The source's host, lower case: what the per-host limit counts.
    source_host: Mapped[str] = mapped_column(sa.String(253), index=True)
    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("article.id", ondelete="CASCADE"), index=True
    )
    #: Who sent it, as the server saw them (cleared with comments' addresses).
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    ip_block: Mapped[str | None] = mapped_column(sa.String(49))
    #: What the last verification found: "reply", "mention", "like", or None.
    kind: Mapped[str | None] = mapped_column(sa.String(16))
    #: The comment it became (a reply or a mention), while there is one.
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="SET NULL"), index=True
    )
    #: For a like: who liked, as the source's h-card says.
    author: Mapped[str | None] = mapped_column(sa.String(245))
    author_url: Mapped[str | None] = mapped_column(sa.String(URL_MAX))
    #: What the last verification concluded, for moderators and the log.
    result: Mapped[str | None] = mapped_column(sa.String(200))
    verified_at: Mapped[datetime | None] = mapped_column()


class SentWebmention(OutboxItem, Model):
    """A Webmention to send: one of an article's links, told of the article."""

    __table_args__ = (
        sa.UniqueConstraint("article_id", "target", name="uq_sent_webmention_article_target"),
        sa.Index("ix_sent_webmention_due", "sent_at", "next_attempt_at"),
    )

    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("article.id", ondelete="CASCADE"), index=True
    )
    target: Mapped[str] = mapped_column(sa.String(URL_MAX))
    #: The endpoint the target's page named, once discovered.
    endpoint: Mapped[str | None] = mapped_column(sa.String(URL_MAX))
    #: What happened: the endpoint's status, or why nothing was sent.
    result: Mapped[str | None] = mapped_column(sa.String(200))
