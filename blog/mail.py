"""Outgoing mail: an outbox in the database, sent by SMTP after the commit.

A message is stored in the same transaction as the change that causes it,
so a comment and the mail about it are kept or lost together. It is sent
after the request (in a background thread, so that no reader waits for an
SMTP server), and a failed send is logged and tried again later with a
growing delay, by the next request that sends mail or by ``flask
send-mail`` from cron. Nothing about mail can fail a request.

With no ``MAIL_SERVER`` configured, messages are written to the log.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, cast

import sqlalchemy as sa
from flask import Flask, current_app, g

from blog.extensions import db
from blog.models import MailMessage, utcnow

log = logging.getLogger(__name__)

#: Minutes to wait before each retry: the last one repeats.
RETRY_MINUTES = (1, 5, 30, 120, 720)
#: How long a sender holds a message it is sending before others may retry it.
LEASE = timedelta(minutes=5)


def enqueue(to_address: str, subject: str, body: str) -> MailMessage:
    """Add a message to the outbox; the caller's commit stores it."""
    message = MailMessage(to_address=to_address, subject=subject[:300], body=body)
    db.session.add(message)
    g.mail_queued = True
    return message


def deliver_due(limit: int = 50) -> tuple[int, int]:
    """Send the messages whose time has come; return (sent, failed)."""
    sent = failed = 0
    now = utcnow()
    due = db.session.scalars(
        sa.select(MailMessage.id)
        .where(
            MailMessage.sent_at.is_(None),
            MailMessage.next_attempt_at <= now,
            MailMessage.attempts < current_app.config["MAIL_MAX_ATTEMPTS"],
        )
        .order_by(MailMessage.id)
        .limit(limit)
    ).all()
    db.session.commit()
    for message_id in due:
        message = _claim(message_id)
        if message is None:
            continue  # another worker is sending it
        # Each outcome is written by one UPDATE that opens its transaction,
        # so that SQLite never has to turn a stale read into a write.
        try:
            _send(message)
        except (OSError, smtplib.SMTPException) as error:
            failed += 1
            retry = RETRY_MINUTES[min(message.attempts, len(RETRY_MINUTES)) - 1]
            error_text = f"{type(error).__name__}: {error}"[:500]
            outcome = {
                "last_error": error_text,
                "next_attempt_at": utcnow() + timedelta(minutes=retry),
            }
            log.warning(
                "mail %s to %s failed (attempt %s): %s; retrying in %s min",
                message.id,
                message.to_address,
                message.attempts,
                error_text,
                retry,
            )
        else:
            sent += 1
            outcome = {"sent_at": utcnow(), "last_error": None}
        db.session.execute(
            sa.update(MailMessage)
            .where(MailMessage.id == message.id)
            .values(**outcome)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    return sent, failed


@dataclass(frozen=True)
class Outgoing:
    id: int
    to_address: str
    subject: str
    body: str
    attempts: int


def _claim(message_id: int) -> Outgoing | None:
    """Take a message for sending, unless someone else just did."""
    now = utcnow()
    # A DELETE or UPDATE through the session returns a CursorResult, typed as Result.
    claimed = cast(
        sa.CursorResult[Any],
        db.session.execute(
            sa.update(MailMessage)
            .where(
                MailMessage.id == message_id,
                MailMessage.sent_at.is_(None),
                MailMessage.next_attempt_at <= now,
            )
            .values(attempts=MailMessage.attempts + 1, next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    db.session.commit()
    if not claimed:
        return None
    row = db.session.execute(
        sa.select(
            MailMessage.id,
            MailMessage.to_address,
            MailMessage.subject,
            MailMessage.body,
            MailMessage.attempts,
        ).where(MailMessage.id == message_id)
    ).one()
    db.session.commit()
    return Outgoing(*row)


def _send(message: Outgoing) -> None:
    config = current_app.config
    email = EmailMessage()
    email["From"] = config["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].rpartition("@")[2] or None)
    email.set_content(message.body)
    if not config["MAIL_SERVER"]:
        log.info(
            "mail (no MAIL_SERVER, not sent) to %s: %s\n%s",
            message.to_address,
            message.subject,
            message.body,
        )
        return
    timeout = config["MAIL_TIMEOUT"]
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(email)


def deliver_in_background(app: Flask) -> None:
    """Send what is due without holding up the request that queued it."""

    def run() -> None:
        with app.app_context():
            try:
                deliver_due()
            except Exception:  # never let mail take a worker down
                log.exception("mail delivery failed")
            finally:
                db.session.remove()

    threading.Thread(target=run, name="mail-delivery", daemon=True).start()


def register(app: Flask) -> None:
    """Send queued mail once the request that queued it has committed."""

    @app.teardown_request
    def send_queued_mail(error: BaseException | None) -> None:
        if error is not None or not g.pop("mail_queued", False):
            return
        if app.config["MAIL_BACKGROUND"]:
            deliver_in_background(app)
            return
        try:
            db.session.rollback()  # whatever the view left uncommitted is not ours to send
            deliver_due()
        except Exception:
            log.exception("mail delivery failed")
