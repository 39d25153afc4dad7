"""Outboxes: what must leave the site (mail, webhooks), stored with the
change that causes it and delivered after the commit.

A row is written in the same transaction as the change, so a comment and
what is said about it are kept or lost together. Delivery claims one row
at a time (so two workers or hosts never send it twice at once), records
the outcome in one UPDATE, and on failure waits longer each time
(``RETRY_MINUTES``) until the attempts run out (``MAIL_MAX_ATTEMPTS``).
Each send has an overall deadline (``MAIL_TIMEOUT``, ``WEBHOOK_TIMEOUT``)
shorter than the claim's lease (``LEASE``, checked at start), so a row is
never sent by a second worker while the first is still at it.
Each outbox is an :class:`Outbox`: its table, what is read of a row, how a
row is sent and what a failed send may raise. When and in what order they
are sent is blog/notify/delivery.py's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app, g

from blog.core.database import rows_changed
from blog.extensions import db
from blog.models import MailMessage, OutboxItem, WebhookDelivery, utcnow

log = logging.getLogger(__name__)

#: Minutes to wait before each retry: the last one repeats.
RETRY_MINUTES = (1, 5, 30, 120, 720)
#: How long a sender holds a row it is delivering before others may retry it:
#: longer than any send's deadline (:func:`check_deadlines`).
LEASE = timedelta(minutes=5)
#: The settings that bound one send, whole: connecting, talking, answering.
DEADLINES = ("MAIL_TIMEOUT", "WEBHOOK_TIMEOUT")
#: Every outbox table, for the retention purge.
OUTBOX_TABLES: tuple[type[OutboxItem], ...] = (MailMessage, WebhookDelivery)

#: Set on ``g`` when a request put something in an outbox.
QUEUED_KEY = "outbox_queued"


@dataclass(frozen=True)
class Outbox:
    """One kind of outbox: what :func:`send_due` needs to send its rows."""

    #: What the delivery loop and ``flask send-mail`` call it.
    name: str
    model: type[OutboxItem]
    #: What ``send`` reads of a row, besides its id and attempts.
    columns: Sequence[sa.orm.InstrumentedAttribute[Any]]
    send: Callable[[sa.Row[Any]], None]
    #: What a failed send may raise: it is retried later. Anything else is
    #: a bug and propagates.
    failures: tuple[type[BaseException], ...]
    #: The setting that turns this outbox on (None: always on). Rows of an
    #: outbox turned off wait, unsent, until it is turned on again.
    switch: str | None = None


def check_deadlines(config: Mapping[str, Any]) -> None:
    """Refuse to start when a send could outlive its lease: another worker
    would claim the row meanwhile and send it a second time."""
    lease = LEASE.total_seconds()
    for key in DEADLINES:
        seconds = config[key]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise RuntimeError(f"{key}={seconds!r} must be a number of seconds")
        if not 0 < seconds < lease:
            raise RuntimeError(
                f"{key}={seconds!r}: a send's deadline must be more than 0 and less than "
                f"the outbox lease ({lease:.0f} s), or a send still running when its "
                "lease ends would be sent again by another worker"
            )


def queued() -> None:
    """Something was put in an outbox: deliver after this request commits."""
    setattr(g, QUEUED_KEY, True)


def send_due(outbox: Outbox, limit: int = 50) -> tuple[int, int]:
    """Send the rows of ``outbox`` whose time has come; return (sent, failed)."""
    sent = failed = 0
    now = utcnow()
    table = cast(Any, outbox.model)
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    due = db.session.scalars(
        sa.select(table.id)
        .where(
            table.sent_at.is_(None),
            table.next_attempt_at <= now,
            table.attempts < max_attempts,
        )
        .order_by(table.id)
        .limit(limit)
    ).all()
    db.session.commit()
    for item_id in due:
        row = _claim(table, item_id, outbox.columns)
        if row is None:
            continue  # another worker is delivering it
        # Each outcome is written by one UPDATE that opens its transaction,
        # so that SQLite never has to turn a stale read into a write.
        try:
            outbox.send(row)
        except outbox.failures as error:
            failed += 1
            attempts = row.attempts
            retry = RETRY_MINUTES[min(attempts, len(RETRY_MINUTES)) - 1]
            error_text = f"{type(error).__name__}: {error}"[:500]
            outcome = {
                "last_error": error_text,
                "next_attempt_at": utcnow() + timedelta(minutes=retry),
            }
            log.warning(
                "%s %s failed (attempt %s): %s; retrying in %s min",
                table.__tablename__,
                item_id,
                attempts,
                error_text,
                retry,
            )
        else:
            sent += 1
            outcome = {"sent_at": utcnow(), "last_error": None}
        db.session.execute(
            sa.update(table)
            .where(table.id == item_id)
            .values(**outcome)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    return sent, failed


def _claim(
    table: Any, item_id: int, columns: Sequence[sa.orm.InstrumentedAttribute[Any]]
) -> sa.Row[Any] | None:
    """Take a row for delivery, unless someone else just did."""
    now = utcnow()
    claimed = rows_changed(
        sa.update(table)
        .where(
            table.id == item_id,
            table.sent_at.is_(None),
            table.next_attempt_at <= now,
        )
        .values(attempts=table.attempts + 1, next_attempt_at=now + LEASE)
    )
    db.session.commit()
    if not claimed:
        return None
    row = db.session.execute(
        sa.select(table.id, table.attempts, *columns).where(table.id == item_id)
    ).one()
    db.session.commit()
    return row


def purge(retention_days: int) -> int:
    """Delete outbox rows written more than ``retention_days`` ago, sent or not.

    They hold addresses and comments' text. Returns how many went; the
    caller commits.
    """
    cutoff = utcnow() - timedelta(days=retention_days)
    gone = 0
    for model in OUTBOX_TABLES:
        table = cast(Any, model)
        gone += rows_changed(sa.delete(table).where(table.created_at < cutoff))
    return gone
