"""A small HTTP server on loopback: pages another site would serve, and
what it was sent (a Webmention receiver's POSTs)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class Page:
    """What one path answers."""

    body: bytes | str = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html"})
    #: Seconds to wait before answering at all.
    delay: float = 0
    #: Send the body one byte at a time, this many seconds apart.
    drip: float = 0
    #: Leave Content-Length out (a body whose size only its end tells).
    no_length: bool = False


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, list[str]]


class Site:
    """The pages of a site on ``http://127.0.0.1:port`` (or ``localhost``)."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.received: list[Received] = []
        self.port = 0

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def serve(self, path: str, *args: object, **kwargs: object) -> str:
        self.pages[path] = Page(*args, **kwargs)  # type: ignore[arg-type]
        return self.url(path)

    def posts(self, path: str) -> list[Received]:
        return [r for r in self.received if r.method == "POST" and r.path == path]


@contextmanager
def web_site() -> Iterator[Site]:
    site = Site()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            path = self.path.split("?", 1)[0]
            site.received.append(
                Received(
                    self.command,
                    path,
                    {k.lower(): v for k, v in self.headers.items()},
                    parse_qs(raw.decode("utf-8", "replace")),
                )
            )
            page = site.pages.get(path, Page(b"not here", status=404))
            if page.delay:
                time.sleep(page.delay)
            body = page.body.encode() if isinstance(page.body, str) else page.body
            self.send_response(page.status)
            for name, value in page.headers.items():
                self.send_header(name, value)
            if not page.no_length:
                self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                if page.drip:
                    for index in range(len(body)):
                        self.wfile.write(body[index : index + 1])
                        self.wfile.flush()
                        time.sleep(page.drip)
                else:
                    self.wfile.write(body)
            except OSError:
                pass  # the client gave up, as it should

        do_GET = do_POST = do_HEAD = _answer  # http.server's names

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
