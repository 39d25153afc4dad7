"""The editor in Debian's chromium, on a phone and a desktop: one column that
fits, the side-by-side preview, a draft saved as it is typed, and the
preview without JavaScript."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.helpers import test_database_url
from tests.support.browser import chromium
from tests.support.live_server import PROJECT, app_env, gunicorn, init_database, wipe_database

PASSWORD = "una password molto lunga"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict]:
    """gunicorn on a fresh database with an author, and an app to read it."""
    database_url = test_database_url(tmp_path_factory.mktemp("editor"))
    wipe_database(database_url)
    init_database(database_url)
    subprocess.run(
        [sys.executable, "-m", "flask", "create-moderator", "bruno"],
        cwd=PROJECT,
        env=app_env(database_url),
        input=f"{PASSWORD}\n",
        text=True,
        check=True,
        capture_output=True,
        timeout=60,
    )
    from blog import create_app
    from blog.extensions import db
    from blog.models import Moderator, Role

    reader = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url})
    with reader.app_context():
        db.session.execute(sa.update(Moderator).values(role=Role.AUTHOR.value))
        db.session.commit()
    with gunicorn(database_url, workers=1) as server:
        yield {"base": f"http://127.0.0.1:{server.port}", "app": reader}
    with reader.app_context():
        db.engine.dispose()
    wipe_database(database_url)


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def author_page(browser, site, **context):
    page = browser.new_context(base_url=site["base"], **context).new_page()
    page.goto("/moderation/login")
    page.fill("#username", "bruno")
    page.fill("#password", PASSWORD)
    page.click("#loginform button[type=submit]")
    page.goto("/admin/articles/new")
    return page


def article_body(site, title: str) -> str | None:
    from blog.extensions import db
    from blog.models import Article

    with site["app"].app_context():
        body = db.session.scalar(sa.select(Article.body_source).where(Article.title == title))
        db.session.remove()
    return body


@pytest.mark.parametrize("context", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_write_preview_side_by_side_and_autosave(browser, site, context):
    page = author_page(browser, site, **context)
    width = context["viewport"]["width"]
    title = f"Scritto a {width} px"
    page.fill("#title", title)
    page.fill("#body", "Primo paragrafo.")

    # One column that fits: no sideways scrolling, every button on screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for button in page.query_selector_all(".editor-buttons button"):
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width

    page.click("#side-by-side")
    expect(page.locator("#live-preview [data-preview=html]")).to_contain_text("Primo paragrafo")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.click("button[value=draft]")
    page.wait_for_url("**/edit")
    assert article_body(site, title) == "Primo paragrafo."

    page.fill("#body", "Primo paragrafo.\n\nSecondo, salvato da solo.")
    expect(page.locator("#editor-status")).to_contain_text("automaticamente", timeout=15000)
    assert article_body(site, title) == "Primo paragrafo.\n\nSecondo, salvato da solo."


def test_preview_works_without_javascript(browser, site):
    page = author_page(browser, site, java_script_enabled=False, **DESKTOP)
    page.fill("#title", "Anteprima senza script")
    page.fill("#body", "Un testo da vedere.")
    with page.context.expect_page() as opened:
        page.click("#preview-button")
    preview = opened.value
    preview.wait_for_load_state()
    assert "Anteprima" in preview.text_content(".preview-banner")
    assert "Un testo da vedere." in preview.text_content(".post-content")
    assert article_body(site, "Anteprima senza script") is None


def test_add_image_asks_for_its_description_then_puts_it_at_the_cursor(browser, site):
    from tests.media.images import png_bytes

    page = author_page(browser, site, **PHONE)
    page.fill("#title", "Con immagine")
    page.fill("#body", "Prima.\nDopo.")
    # The cursor after "Prima.": the figure goes there, on its own lines.
    page.evaluate(
        "() => { const b = document.getElementById('body'); b.focus(); b.setSelectionRange(6, 6); }"
    )
    page.click("#add-image-link")
    expect(page.locator("#add-image-form")).to_be_visible()
    page.set_input_files(
        "#add-image-file",
        {"name": "foto.png", "mimeType": "image/png", "buffer": png_bytes(1200, 800)},
    )
    page.click("#add-image-button")
    expect(page.locator("#add-image-error")).to_contain_text("testo alternativo")
    assert page.locator("#add-image-alt").get_attribute("aria-invalid") == "true"
    assert "<figure>" not in page.input_value("#body")

    page.fill("#add-image-alt", "Una fabbrica")
    page.fill("#add-image-caption", "Lo stabilimento")
    page.click("#add-image-button")
    expect(page.locator("#add-image-status")).to_contain_text("aggiunta")
    body = page.input_value("#body")
    before, figure, after = body.split("\n\n")
    assert before == "Prima."
    assert figure.startswith("<figure><picture>") and 'alt="Una fabbrica"' in figure
    assert after == "Dopo."
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]

    page.click("button[value=draft]")
    page.wait_for_url("**/edit")
    assert "<figcaption>Lo stabilimento</figcaption>" in article_body(site, "Con immagine")
