"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import email
import threading
import time
from email.message import Message

from aiosmtpd.controller import Controller

from tests.support.live_server import free_port


class Inbox:
    """aiosmtpd handler: every message accepted, parsed, kept in order."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._lock = threading.Lock()
        self.port = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's name
        with self._lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted"

    def to(self, address: str) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, count: int, seconds: float = 10) -> list[Message]:
        """The messages, once there are ``count`` of them (bounded wait)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} messages, got {len(self.messages)}")


def body_of(message: Message) -> str:
    text = message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")
    return text.replace("\r\n", "\n")  # SMTP's line ends


class SmtpServer:
    """Start and stop an aiosmtpd server on 127.0.0.1."""

    def __init__(self, port: int | None = None) -> None:
        self.inbox = Inbox()
        self.inbox.port = port or free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.inbox.port)

    def __enter__(self) -> Inbox:
        self.controller.start()
        return self.inbox

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
