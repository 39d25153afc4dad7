"""An author places images in an article; readers see them, sized and lazy below
the fold, in Debian's chromium at 390 and 1280 px, the files served by nginx.

As deployed: gunicorn behind nginx (deploy/nginx/, rendered for loopback),
the app writing its images where nginx's ``/media/`` location reads them.
The first image is uploaded on the media page and placed with the figure
the editor's JSON gives; the second through the editor's "upload and
place" endpoint, which refuses it without alternative text.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.helpers import test_database_url
from tests.media.images import gradient
from tests.support.browser import chromium
from tests.support.live_server import (
    PROJECT,
    app_env,
    free_port,
    gunicorn,
    init_database,
    wipe_database,
)
from tests.support.nginx_server import nginx
from tests.web.test_nginx_cache import needs_nginx

pytestmark = needs_nginx

PASSWORD = "una password molto lunga"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
TITLE = "Due fotografie da Arese"
SLUG = "due-fotografie-da-arese"
FIRST_ALT = "Un cielo azzurro sopra una collina verde"
SECOND_ALT = "Una strada al tramonto"
PARAGRAPH = (
    "Il museo apre alle nove e la coda comincia prima: famiglie, club di appassionati, "
    "qualche ex dipendente venuto a rivedere le auto che ha montato con le sue mani."
)


def jpeg(width: int, height: int) -> bytes:
    import io

    buffer = io.BytesIO()
    gradient(width, height).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict]:
    """nginx in front of gunicorn on a fresh database with an author."""
    work = tmp_path_factory.mktemp("images")
    database_url = test_database_url(work)
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
    port = free_port()
    front = work / "nginx"
    env = {
        "SITE_URL": f"http://127.0.0.1:{port}",
        "FLASK_PROXY_FIX_X_FOR": "1",
        "FLASK_PROXY_FIX_X_PROTO": "1",
        "FLASK_MEDIA_DIR": str(front / "media"),
    }
    with gunicorn(database_url, workers=1, env=env) as app_server:
        with nginx(front, app_server.port, port) as proxy:
            yield {"base": f"http://127.0.0.1:{port}", "app": reader, "nginx": proxy}
    with reader.app_context():
        db.engine.dispose()
    wipe_database(database_url)


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def published(browser, site) -> str:
    """The author uploads two images, places them with their alt text, publishes."""
    context = browser.new_context(base_url=site["base"], **DESKTOP)
    page = context.new_page()
    page.goto("/moderation/login")
    page.fill("#username", "bruno")
    page.fill("#password", PASSWORD)
    page.click("#loginform button[type=submit]")

    # The media page: upload, then ask for the figure to place, as the editor does.
    page.goto("/admin/media/")
    page.set_input_files(
        "#file", {"name": "collina.jpg", "mimeType": "image/jpeg", "buffer": jpeg(2000, 1250)}
    )
    page.fill("#alt", FIRST_ALT)
    page.click("#upload-form button[type=submit]")
    media_id = page.locator(".media-item").first.get_attribute("id").removeprefix("media-")
    answer = page.request.get(
        f"/admin/media/{media_id}/figure", params={"alt": FIRST_ALT, "caption": "La collina."}
    )
    assert answer.ok, answer.text()
    first = answer.json()["html"]

    # The editor's "upload and place": no alt text, no image.
    page.goto("/admin/articles/new")
    token = page.locator("input[name=csrf_token]").first.input_value()
    photo = {"name": "strada.jpg", "mimeType": "image/jpeg", "buffer": jpeg(1200, 900)}
    refused = page.request.post(
        "/admin/media/place", multipart={"csrf_token": token, "alt": "", "file": photo}
    )
    assert refused.status == 422
    assert "testo alternativo" in refused.json()["error"]
    placed = page.request.post(
        "/admin/media/place",
        multipart={"csrf_token": token, "alt": SECOND_ALT, "caption": "", "file": photo},
    )
    assert placed.status == 201, placed.text()
    second = placed.json()["html"]

    body = "\n\n".join([first, *[PARAGRAPH] * 14, second, PARAGRAPH])
    page.fill("#title", TITLE)
    page.fill("#body", body)
    page.click("button[value=publish]")
    page.wait_for_url("**/edit")
    context.close()
    return f"/{SLUG}/"


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["390", "1280"])
def test_readers_see_the_images_sized_and_lazy_below_the_fold(browser, site, published, device):
    context = browser.new_context(base_url=site["base"], **device)
    page = context.new_page()
    media: list = []
    page.on("response", lambda response: "/media/" in response.url and media.append(response))
    page.goto(published, wait_until="load")
    width, height = device["viewport"]["width"], device["viewport"]["height"]

    images = page.locator(".post-content figure img")
    assert images.count() == 2
    first, second = images.nth(0), images.nth(1)
    assert first.get_attribute("alt") == FIRST_ALT
    assert second.get_attribute("alt") == SECOND_ALT
    assert page.locator(".post-content figcaption").first.inner_text() == "La collina."
    for image in (first, second):
        # Every size the upload made, in WebP and in the original's format.
        assert image.get_attribute("srcset").count("w,") == 2
        assert image.get_attribute("width") and image.get_attribute("height")
    assert page.locator(".post-content picture source[type='image/webp']").count() == 2
    assert first.get_attribute("loading") is None, "the first image is not lazy"
    assert second.get_attribute("loading") == "lazy"

    # The first is on the first screen and loaded; the second is below it,
    # not fetched yet, its room already kept by width and height.
    box = first.bounding_box()
    assert box["y"] < height and box["width"] <= width
    assert first.evaluate("img => img.complete && img.naturalWidth > 0")
    kept = second.bounding_box()
    assert kept["y"] > height
    ratio = int(second.get_attribute("height")) / int(second.get_attribute("width"))
    assert kept["height"] == pytest.approx(kept["width"] * ratio, abs=2)
    assert not second.evaluate("img => img.complete && img.naturalWidth > 0")

    second.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=second.element_handle()
    )
    assert second.bounding_box()["height"] == pytest.approx(kept["height"], abs=1)
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # A size that fits the screen, in WebP: 960 px wide for a 672 px column,
    # 1600 for a phone's 390 px at three device pixels each.
    chosen = first.evaluate("img => img.currentSrc")
    assert chosen.endswith("-1600.webp" if width == 390 else "-960.webp"), chosen

    # nginx served them, without asking the app (whose answers carry X-Request-ID).
    assert len(media) == 2
    for response in media:
        assert response.status == 200
        assert response.headers["content-type"] == "image/webp"
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert "x-request-id" not in response.headers
        name = response.url.rsplit("/", 1)[-1]
        assert response.body() == (site["nginx"].media / name).read_bytes()
    context.close()
