"""Every send ends by its deadline, and one thread sends: against real slow
servers on loopback that answer one byte a second, as an attacker's
receiver or a stalled SMTP server does."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from blog import create_app
from blog.extensions import db
from blog.models import CommentStatus, MailMessage, WebhookDelivery, utcnow
from tests.helpers import POST_URL, VALID_COMMENT, Commenter, add_comment, add_moderator

#: A whole, valid answer: dripped, it takes 45 seconds.
HTTP_ANSWER = b"HTTP/1.1 204 No Content\r\nConnection: close\r\nX-Slow: yes\r\n\r\n"
#: An SMTP greeting: dripped, it takes 30 seconds.
SMTP_GREETING = b"220 slow.example.it ESMTP ready\r\n"
DEADLINE = 2


class DripServer:
    """A TCP server on 127.0.0.1 that reads an HTTP request (if told to),
    then answers one byte a second, or at once when ``drip`` is off."""

    def __init__(self, answer: bytes, *, reads_request: bool) -> None:
        self.answer = answer
        self.reads_request = reads_request
        self.drip = True
        self.requests = 0
        self._stopped = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]

    def __enter__(self) -> DripServer:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()

    def _accept(self) -> None:
        with self._listener:
            while not self._stopped.is_set():
                try:
                    connection, _ = self._listener.accept()
                except TimeoutError:
                    continue
                threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            if self.reads_request and not self._read_request(connection):
                return
            if not self.drip:
                connection.sendall(self.answer)
                return
            for byte in self.answer:
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return  # the client gave up
                if self._stopped.wait(1):
                    return

    def _read_request(self, connection: socket.socket) -> bool:
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            if not chunk:
                return False
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(body) < length:
            body += connection.recv(65536)
        self.requests += 1
        return True


@pytest.fixture
def receiver():
    with DripServer(HTTP_ANSWER, reads_request=True) as server:
        yield server


@pytest.fixture
def hooked(app, receiver):
    """The app posts every new comment to the dripping receiver."""
    app.config.update(
        WEBHOOK_URLS=[f"http://127.0.0.1:{receiver.port}/hook"],
        WEBHOOK_SECRET="s",
        WEBHOOK_TIMEOUT=DEADLINE,
    )
    return app


def send_mail_timed(app) -> float:
    started = time.monotonic()
    app.test_cli_runner().invoke(args=["send-mail"])
    return time.monotonic() - started


def delivery_threads() -> int:
    return sum(
        thread.name == "outbox-delivery" and thread.is_alive() for thread in threading.enumerate()
    )


def until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_dripping_webhook_receiver_is_cut_off_and_the_row_retried_once(hooked, receiver):
    with hooked.app_context():
        add_comment(status=CommentStatus.PENDING, comment="Per il bot lento")
    assert send_mail_timed(hooked) < DEADLINE + 1
    with hooked.app_context():
        row = db.session.scalar(sa.select(WebhookDelivery))
        assert row.sent_at is None and row.attempts == 1, "not lost: waiting for a retry"
        assert row.last_error.startswith("TimeoutError")
        assert row.next_attempt_at > utcnow() + timedelta(seconds=50)
    assert receiver.requests == 1
    # Its retry, once due, reaches a receiver that answers: sent once.
    receiver.drip = False
    with hooked.app_context():
        db.session.execute(sa.update(WebhookDelivery).values(next_attempt_at=utcnow()))
        db.session.commit()
    send_mail_timed(hooked)
    send_mail_timed(hooked)
    with hooked.app_context():
        row = db.session.scalar(sa.select(WebhookDelivery))
        assert row.sent_at is not None and row.attempts == 2
    assert receiver.requests == 2


def test_a_comment_post_is_not_held_by_a_dripping_receiver(hooked, receiver):
    assert hooked.config["MAIL_BACKGROUND"] is False  # delivered in the request itself
    client = hooked.test_client()
    form = {**Commenter(client).open_form(), **VALID_COMMENT}
    started = time.monotonic()
    response = client.post(POST_URL, data=form)
    assert response.status_code == 303
    assert time.monotonic() - started < DEADLINE + 2
    assert receiver.requests == 1


def test_many_posts_leave_at_most_one_delivery_thread(hooked, receiver):
    assert until(lambda: delivery_threads() == 0, 30), "a sender left by another test"
    hooked.config.update(MAIL_BACKGROUND=True, WEBHOOK_TIMEOUT=1)
    counts = []
    for number in range(6):
        response = Commenter(hooked.test_client()).post(comment=f"Commento {number}")
        assert response.status_code == 303
        counts.append(delivery_threads())
    assert max(counts) == 1, counts
    assert until(lambda: delivery_threads() == 0, 20), "the sender stops when done"
    with hooked.app_context():
        attempts = db.session.scalars(sa.select(WebhookDelivery.attempts)).all()
    assert attempts == [1] * 6, "each tried once: none lost, none sent twice"


def test_a_stalled_smtp_server_is_abandoned_at_the_deadline(app):
    with DripServer(SMTP_GREETING, reads_request=False) as server:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT=DEADLINE)
        with app.app_context():
            add_moderator("anna", email="anna@example.it")
            add_comment(status=CommentStatus.PENDING, comment="Aspetta la moderazione")
        assert send_mail_timed(app) < DEADLINE + 1
    with app.app_context():
        row = db.session.scalar(sa.select(MailMessage))
        assert row.sent_at is None and row.attempts == 1
        assert row.last_error.startswith("TimeoutError")


@pytest.mark.parametrize(
    ("key", "seconds"),
    [
        ("MAIL_TIMEOUT", 300),
        ("MAIL_TIMEOUT", 0),
        ("WEBHOOK_TIMEOUT", 3600),
        ("WEBHOOK_TIMEOUT", "5"),
    ],
)
def test_a_deadline_not_shorter_than_the_lease_stops_the_start(app_config, key, seconds):
    with pytest.raises(RuntimeError, match=key):
        create_app({**app_config, key: seconds})
