"""The one delivery loop: what fell due is made first, then every outbox is
sent, after a request, in the background sender and in ``flask send-mail``
alike; through a real SMTP server on loopback."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import DigestEntry, MailMessage, utcnow
from tests.helpers import Commenter, add_moderator
from tests.support.mail_server import SmtpServer, body_of, free_port

ANNA = "anna@example.it"


@pytest.fixture
def smtp():
    with SmtpServer() as inbox:
        yield inbox


@pytest.fixture
def app_config(app_config, smtp):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port}


@pytest.fixture
def hourly_digest(app):
    """Anna hears of waiting comments in an hourly digest."""
    with app.app_context():
        anna = add_moderator("anna", email=ANNA)
        anna.mail_events, anna.mail_frequency = "pending", "hourly"
        db.session.commit()


def post(app, **fields) -> None:
    response = Commenter(app.test_client()).post(**fields)
    assert response.status_code == 303


def an_hour_passes(app) -> None:
    with app.app_context():
        db.session.execute(
            sa.update(DigestEntry).values(created_at=utcnow() - timedelta(minutes=61))
        )
        db.session.commit()


def all_sent(app, seconds: float = 0) -> bool:
    """Whether every mail in the outbox is marked sent (waiting at most ``seconds``)."""
    deadline = time.monotonic() + seconds
    while True:
        with app.app_context():
            unsent = db.session.scalar(
                sa.select(sa.func.count(MailMessage.id)).where(MailMessage.sent_at.is_(None))
            )
        if not unsent:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def test_a_digest_that_fell_due_leaves_with_the_request_that_finds_it_due(app, smtp, hourly_digest):
    post(app, comment="Il primo, in attesa", email="r1@example.it")
    assert smtp.messages == [], "gathered for the digest"
    an_hour_passes(app)
    post(app, comment="Il secondo, a digest scaduto", email="r2@example.it")
    # Right after that same request: not with the next one, not from cron.
    [digest] = smtp.to(ANNA)
    assert "Riepilogo: 2 commenti" in digest["Subject"]
    assert "Il primo, in attesa" in body_of(digest)
    assert "Il secondo, a digest scaduto" in body_of(digest)
    assert all_sent(app)


def sender_idle(seconds: float = 10) -> bool:
    """Whether the background sender has finished its rounds (waiting at most ``seconds``)."""
    deadline = time.monotonic() + seconds
    while any(thread.name == "outbox-delivery" for thread in threading.enumerate()):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def test_the_background_sender_sends_the_digest_it_makes(app, smtp, hourly_digest):
    app.config["MAIL_BACKGROUND"] = True
    post(app, comment="Il primo, in attesa", email="r1@example.it")
    # Its round, which finds nothing due, ends before the clock moves: else
    # it could make the digest before the second comment is in it.
    assert sender_idle()
    an_hour_passes(app)
    post(app, comment="Il secondo, a digest scaduto", email="r2@example.it")
    [digest] = smtp.wait_for(1)
    assert "Riepilogo: 2 commenti" in digest["Subject"]
    assert all_sent(app, seconds=10), "the thread marks it sent"


def test_send_mail_makes_the_due_digest_and_sends_it_in_one_run(app, smtp, hourly_digest):
    post(app, comment="Il primo, in attesa", email="r1@example.it")
    an_hour_passes(app)
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert "Riepiloghi per i moderatori: 1" in result.output
    assert "Messaggi inviati: 1" in result.output
    [digest] = smtp.to(ANNA)
    assert "Riepilogo: 1 commento" in digest["Subject"]


def test_a_broken_step_is_logged_and_the_others_still_run(app, smtp, monkeypatch, caplog):
    with app.app_context():
        add_moderator("anna", email=ANNA)  # mailed at once
    app.config["MAIL_PORT"] = free_port()  # the server is down: the mail waits
    post(app, comment="In attesa", email="r1@example.it")
    app.config["MAIL_PORT"] = smtp.port
    with app.app_context():
        db.session.execute(sa.update(MailMessage).values(next_attempt_at=utcnow()))
        db.session.commit()  # its retry is due

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the digests")

    monkeypatch.setattr("blog.notify.moderator_mail.queue_due_digests", broken)
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 1, "cron hears of it"
    assert "Messaggi inviati: 1" in result.output
    assert [message["To"] for message in smtp.messages] == [ANNA]
    assert "delivery failed: digests" in caplog.text
