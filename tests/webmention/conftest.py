"""Webmention on, and another site's pages served on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.web_server import Site, web_site

FIXTURES = Path(__file__).parent.parent / "fixtures" / "webmention"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {
        **app_config,
        "WEBMENTION_ENABLED": True,
        # The other site is on loopback, in plain http: for tests only.
        "FETCH_ALLOW_HTTP": True,
        "FETCH_ALLOW_LOOPBACK": True,
        "FETCH_TIMEOUT": 3,
    }


@pytest.fixture
def site() -> Iterator[Site]:
    with web_site() as site:
        yield site


def wordpress_reply(site: Site, path: str, target: str) -> str:
    """Serve the recorded WordPress reply at ``path``, answering ``target``."""
    source = site.url(path)
    html = (
        (FIXTURES / "wordpress_reply.html")
        .read_text()
        .replace("%%SITE%%", site.url(""))
        .replace("%%SOURCE%%", source)
        .replace("%%TARGET%%", target)
    )
    site.serve(path, html, headers={"Content-Type": "text/html; charset=UTF-8"})
    return source
