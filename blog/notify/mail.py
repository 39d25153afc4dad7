"""Outgoing mail: the mail outbox (blog/notify/outbox.py), sent by SMTP.

Messages are sent after the request that queued them (in a background
thread, so that no reader waits for an SMTP server), and a failed send is
logged and tried again later, by the next request that queues something
or by ``flask send-mail`` from cron. Nothing about mail can fail a
request. With no ``MAIL_SERVER`` configured, messages are written to the
log.

Every message carries ``Date``, a ``Message-ID`` chosen when it was
written (a retry is the same message), and ``Auto-Submitted:
auto-generated`` (RFC 3834: no auto-replies, please); mail to readers also
carries ``List-Unsubscribe`` with an https link and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g

from blog.extensions import db
from blog.models import MailMessage
from blog.notify import outbox

log = logging.getLogger(__name__)


def enqueue(
    to_address: str,
    subject: str,
    body: str,
    *,
    comment_id: int | None = None,
    unsubscribe_url: str | None = None,
) -> MailMessage:
    """Add a message to the outbox; the caller's commit stores it."""
    domain = current_app.config["MAIL_FROM"].rpartition("@")[2] or None
    message = MailMessage(
        to_address=to_address,
        subject=subject[:300],
        body=body,
        message_id=make_msgid(domain=domain),
        unsubscribe_url=unsubscribe_url,
        comment_id=comment_id,
    )
    db.session.add(message)
    queued()
    return message


def queued() -> None:
    """Something was put in an outbox: deliver after this request commits."""
    g.outbox_queued = True


def deliver_due(limit: int = 50) -> tuple[int, int]:
    """Send the messages whose time has come; return (sent, failed)."""
    return outbox.deliver_due(
        MailMessage,
        (
            MailMessage.to_address,
            MailMessage.subject,
            MailMessage.body,
            MailMessage.message_id,
            MailMessage.unsubscribe_url,
        ),
        _send,
        (OSError, smtplib.SMTPException),
        current_app.config["MAIL_MAX_ATTEMPTS"],
        limit,
    )


def as_email(message: Any) -> EmailMessage:
    """The message as it goes out, headers included."""
    config = current_app.config
    # Folded only past SMTP's limit: a List-Unsubscribe link must stay one URL,
    # not turn into RFC 2047 encoded words that clients do not parse.
    email = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
    email["From"] = config["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(datetime.now(UTC))
    email["Message-ID"] = message.message_id or make_msgid()
    email["Auto-Submitted"] = "auto-generated"
    if message.unsubscribe_url:
        email["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(message.body)
    return email


def _send(message: sa.Row[Any]) -> None:
    config = current_app.config
    email = as_email(message)
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


def deliver_everything() -> None:
    """Deliver what is due in every outbox; log, never raise."""
    for deliver in deliveries(current_app):
        try:
            deliver()
        except Exception:  # never let delivery take a worker down
            log.exception("delivery failed")
            db.session.rollback()


def deliver_in_background(app: Flask) -> None:
    """Deliver what is due without holding up the request that queued it."""

    def run() -> None:
        with app.app_context():
            try:
                deliver_everything()
            finally:
                db.session.remove()

    threading.Thread(target=run, name="outbox-delivery", daemon=True).start()


def deliveries(app: Flask) -> list[Callable[[], tuple[int, int]]]:
    """What each outbox registered to deliver what is due in it."""
    return app.extensions.setdefault("outbox_deliveries", [])


def register(app: Flask) -> None:
    """Deliver queued mail (and webhooks) once the request that queued them has committed."""
    deliveries(app).append(deliver_due)

    @app.teardown_request
    def send_queued_mail(error: BaseException | None) -> None:
        if error is not None or not g.pop("outbox_queued", False):
            return
        if app.config["MAIL_BACKGROUND"]:
            deliver_in_background(app)
            return
        try:
            db.session.rollback()  # whatever the view left uncommitted is not ours to send
        except Exception:
            log.exception("rollback before delivery failed")
            return
        deliver_everything()
