"""Debian's chromium, driven by Playwright, for the browser tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Flags that keep chromium from reaching out on its own (updates, sync…):
# this machine has no network, and tests must see only the site's requests.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
]


def require_chromium() -> None:
    """Skip without chromium on a developer's machine; CI installs it, so fail there."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail("/usr/bin/chromium is missing: .ci/run should have installed it")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)")


@contextmanager
def chromium() -> Iterator:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
