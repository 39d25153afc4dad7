"""Mail as it leaves: the outbox row made an ``EmailMessage``, sent by SMTP.

Every message carries ``Date``, a ``Message-ID`` chosen when it was
written (a retry is the same message), and ``Auto-Submitted:
auto-generated`` (RFC 3834: no auto-replies, please); mail to readers also
carries ``List-Unsubscribe`` with an https link and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058). With no
``MAIL_SERVER`` configured, messages are written to the log instead.

``MAIL_TIMEOUT`` bounds each socket operation and the whole send: smtplib
only knows the first, so a server that answers one byte a second would
hold a send for as long as it liked. A watchdog thread shuts the
connection's socket once the deadline passes, which ends whatever read or
write the send is blocked in; the send is then retried later.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import sqlalchemy as sa
from flask import current_app

from blog.models import MailMessage
from blog.notify.outbox import Outbox

log = logging.getLogger(__name__)


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


def send(message: sa.Row[Any]) -> None:
    """Hand one message to the SMTP server (or, without one, to the log)."""
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
    seconds = config["MAIL_TIMEOUT"]
    smtp = smtplib.SMTP(timeout=seconds)  # not connected yet: the deadline covers that too
    with deadline(smtp, seconds) as expired:
        try:
            with smtp:
                smtp.connect(config["MAIL_SERVER"], config["MAIL_PORT"])
                if config["MAIL_USE_TLS"]:
                    smtp.starttls(context=ssl.create_default_context())
                if config["MAIL_USERNAME"]:
                    smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
                smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as error:
            if expired.is_set():
                reason = f"SMTP server not done within {seconds} s (MAIL_TIMEOUT)"
                raise TimeoutError(reason) from error
            raise


@contextmanager
def deadline(smtp: smtplib.SMTP, seconds: float) -> Iterator[threading.Event]:
    """Cut ``smtp``'s connection once ``seconds`` have passed; the event
    yielded tells whether they did.

    Until the block ends the watchdog keeps shutting whatever socket the
    connection holds (STARTTLS replaces it), so no read or write outlives
    the deadline by more than a tenth of a second.
    """
    finished = threading.Event()
    expired = threading.Event()

    def watch() -> None:
        if finished.wait(seconds):
            return
        expired.set()
        while not finished.is_set():
            connection = smtp.sock
            if connection is not None:
                with suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            finished.wait(0.1)

    threading.Thread(target=watch, name="mail-deadline", daemon=True).start()
    try:
        yield expired
    finally:
        finished.set()


#: The mail outbox.
MAIL_OUTBOX = Outbox(
    name="mail",
    model=MailMessage,
    columns=(
        MailMessage.to_address,
        MailMessage.subject,
        MailMessage.body,
        MailMessage.message_id,
        MailMessage.unsubscribe_url,
    ),
    send=send,
    failures=(OSError, smtplib.SMTPException),
)
