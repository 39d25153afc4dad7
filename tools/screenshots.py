"""``make screenshots``: the readers' pages and the queue at 1280 and 390 px.

Serves the demo blog (tools/demo_site.py) on loopback, opens it in Debian's
chromium through Playwright and writes PNGs into docs/screenshots/: the
index, the article with images, a search's results, the top of the article
with the discussion, its discussion, and the moderation queue, at each width.
Each image is cut to a fixed height so that it stays small (well under
300 KB) and shows what matters.

    python tools/screenshots.py [--out DIR] [--dark]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tools.demo_site import (  # noqa: E402
    ARTICLE_URL,
    IMAGES_URL,
    MODERATOR,
    PASSWORD,
    SEARCH_URL,
    DemoSite,
    demo_site,
)

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
#: The height each shot is cut to, in CSS pixels.
HEIGHT = {"desktop": 1100, "phone": 1400}
MAX_BYTES = 300_000
#: The readers' pages shot from their top, by the name of their file.
READERS_PAGES = {"index": "/", "images": IMAGES_URL, "search": SEARCH_URL}


def log_in(page) -> None:
    page.goto("/moderation/login")
    page.fill("#username", MODERATOR)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("#loginform button[type=submit]")


def shoot(page, path: Path, kind: str, top: float = 0) -> None:
    """Write the page from ``top`` down, cut to the kind's height."""
    width, _ = WIDTHS[kind]
    full = page.evaluate("document.documentElement.scrollHeight")
    height = min(HEIGHT[kind], full - top)
    page.screenshot(
        path=str(path), full_page=True, clip={"x": 0, "y": top, "width": width, "height": height}
    )
    size = path.stat().st_size
    print(f"{path.relative_to(PROJECT) if path.is_relative_to(PROJECT) else path}: {size:,} bytes")
    if size > MAX_BYTES:
        raise SystemExit(f"{path.name} is {size:,} bytes, more than {MAX_BYTES:,}")


def take(site: DemoSite, out: Path, dark: bool) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    suffix = "-dark" if dark else ""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for kind, (width, height) in WIDTHS.items():
                context = browser.new_context(
                    base_url=site.base,
                    viewport={"width": width, "height": height},
                    color_scheme="dark" if dark else "light",
                )
                page = context.new_page()
                for name, path in READERS_PAGES.items():
                    page.goto(path)
                    page.wait_for_load_state("load")
                    shoot(page, out / f"{name}-{kind}{suffix}.png", kind)
                page.goto(ARTICLE_URL)
                shoot(page, out / f"article-{kind}{suffix}.png", kind)
                top = page.evaluate("document.getElementById('comments').offsetTop")
                shoot(page, out / f"comments-{kind}{suffix}.png", kind, top - 16)
                log_in(page)
                page.goto("/moderation/")
                shoot(page, out / f"queue-{kind}{suffix}.png", kind)
                context.close()
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT / "docs" / "screenshots")
    parser.add_argument("--dark", action="store_true", help="the dark scheme")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="screenshots-") as workdir:
        with demo_site(Path(workdir)) as site:
            take(site, args.out, args.dark)


if __name__ == "__main__":
    main()
