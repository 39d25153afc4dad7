"""A stand-in for Akismet on 127.0.0.1, speaking its documented REST API.

``POST /1.1/verify-key`` answers ``valid`` for ``VALID_KEY`` and ``invalid``
otherwise; ``POST /1.1/comment-check`` answers ``true`` for Akismet's
documented test triggers (author ``viagra-test-123``, email
``akismet-guaranteed-spam@example.com``), with ``X-akismet-pro-tip: discard``
for the email, ``false`` for anything else, and ``invalid`` (with
``X-akismet-debug-help``) for a wrong key. Every request is recorded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

VALID_KEY = "chiave-di-prova"
SPAM_AUTHOR = "viagra-test-123"
SPAM_EMAIL = "akismet-guaranteed-spam@example.com"


@dataclass
class StandIn:
    url: str
    #: (path, form fields) of every request, in order.
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    #: Seconds to wait before answering a comment check.
    delay: float = 0.0

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


def _answer(stand_in: StandIn, path: str, fields: dict[str, str]) -> tuple[str, dict[str, str]]:
    if path == "/1.1/verify-key":
        return ("valid" if fields.get("key") == VALID_KEY else "invalid"), {}
    if path == "/1.1/comment-check":
        if fields.get("api_key") != VALID_KEY:
            return "invalid", {"X-akismet-debug-help": "Empty or invalid API key"}
        time.sleep(stand_in.delay)
        if fields.get("comment_author_email") == SPAM_EMAIL:
            return "true", {"X-akismet-pro-tip": "discard"}
        return ("true" if fields.get("comment_author") == SPAM_AUTHOR else "false"), {}
    return "", {}


@contextmanager
def akismet_stand_in() -> Iterator[StandIn]:
    """Serve the stand-in on a free port of 127.0.0.1 while the block runs."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            fields = {key: values[0] for key, values in parse_qs(body).items()}
            stand_in.requests.append((self.path, fields))
            text, headers = _answer(stand_in, self.path, fields)
            self.send_response(200 if text else 404)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            for name, value in headers.items():
                self.send_header(name, value)
            encoded = text.encode()
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            try:
                self.wfile.write(encoded)
            except BrokenPipeError:  # a client that gave up waiting (the timeout test)
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stand_in = StandIn(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()
