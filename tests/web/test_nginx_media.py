"""nginx serves the uploaded images itself, with the config deploy/nginx/ holds:
the files the upload use case wrote, a year's immutable cache, their own type
and policy, nothing else from the folder; uploads get a larger body than forms."""

from __future__ import annotations

import http.client
import http.server
import threading
from collections.abc import Iterator

import pytest

from blog.media.images import process_image
from blog.media.storage import store
from tests.media.images import photo_bytes
from tests.support.live_server import Browser, free_port
from tests.support.nginx_server import Nginx, nginx
from tests.web.test_nginx_cache import needs_nginx

pytestmark = needs_nginx


class CountingBackend(http.server.BaseHTTPRequestHandler):
    """Answers every request with 200 and the length of the body it read."""

    requests: list[str] = []

    def answer(self) -> None:
        CountingBackend.requests.append(f"{self.command} {self.path}")
        length = int(self.headers.get("Content-Length") or 0)
        body = f"letti {len(self.rfile.read(length))}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def proxy(tmp_path_factory) -> Iterator[Nginx]:
    backend = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CountingBackend)
    thread = threading.Thread(target=backend.serve_forever)
    thread.start()
    try:
        with nginx(
            tmp_path_factory.mktemp("nginx-media"), backend.server_address[1], free_port()
        ) as running:
            yield running
    finally:
        backend.shutdown()
        thread.join(10)
        backend.server_close()


@pytest.fixture(scope="module")
def stored(proxy) -> tuple[str, list[tuple[str, int]]]:
    """A photo taken in by the upload use case, written where nginx serves it."""
    processed = process_image(photo_bytes(1200, 800), 40_000_000)
    stem, _ = store(processed, proxy.media)
    return stem, [(size.width, size.height) for size in processed.sizes]


@pytest.mark.parametrize(
    ("extension", "content_type"), [("webp", "image/webp"), ("jpg", "image/jpeg")]
)
def test_nginx_serves_an_uploaded_image_immutable(proxy, stored, extension, content_type):
    stem, sizes = stored
    CountingBackend.requests.clear()
    for width, _height in sizes:
        name = f"{stem}-{width}.{extension}"
        status, headers, body = Browser(proxy.port).get(f"/media/{name}")
        assert status == 200
        assert body == (proxy.media / name).read_bytes()
        assert headers["Content-Type"] == content_type
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in headers["Content-Security-Policy"]
    assert CountingBackend.requests == []  # nginx alone


@pytest.mark.parametrize(
    "name",
    [
        ".upload-abc",
        "secret_key",
        "AAAAAAAAAAAAAAAAAAAAAA-480.svg",
        "../secret_key",
        "%2e%2e/secret_key",
    ],
)
def test_nothing_else_in_the_folder_is_served(proxy, stored, name):
    (proxy.media / ".upload-abc").write_bytes(b"a half-written file")
    (proxy.media / "secret_key").write_text("segreto")
    status, _headers, body = Browser(proxy.port).get(f"/media/{name}")
    assert b"segreto" not in body and b"half-written" not in body
    if ".." not in name.replace("%2e", "."):
        assert status == 404
    else:  # the path normalised out of /media/: the app's to answer
        assert body.startswith(b"letti")


def post(proxy: Nginx, path: str, size: int) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=30)
    try:
        connection.request(
            "POST", path, body=bytes(size), headers={"Content-Type": "application/octet-stream"}
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_uploads_may_be_larger_than_forms(proxy):
    assert post(proxy, "/admin/media/", 5 * 1024 * 1024) == (200, b"letti 5242880")
    assert post(proxy, "/moderation/", 5 * 1024 * 1024)[0] == 413
    assert post(proxy, "/admin/media/", 40 * 1024 * 1024)[0] == 413
