"""Security headers on every response; no inline script or style anywhere."""

from __future__ import annotations

import pytest

from tests.helpers import ARTICLE_URL, add_comment, soup

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
PUBLIC_PATHS = [
    "/",
    ARTICLE_URL,
    ARTICLE_URL + "?replytocom=1",
    "/non-esiste/",
    "/moderation/login",
    "/static/css/site.css",
    "/healthz",
]
MODERATOR_PATHS = ["/moderation/", "/moderation/?status=trash", "/moderation/settings"]


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_headers_on_every_response(client, path):
    response = client.get(path)
    headers = response.headers
    assert headers["Content-Security-Policy"] == CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert "geolocation=()" in headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in headers


def test_hsts_under_https(app_config):
    from blog import create_app

    app = create_app({**app_config, "PREFERRED_URL_SCHEME": "https"})
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def assert_no_inline_code(page) -> None:
    for script in page.find_all("script"):
        assert script.get("src", "").startswith("/static/"), script
        assert not script.get_text().strip()
    assert page.find("style") is None
    for tag in page.find_all(True):
        assert "style" not in tag.attrs, tag.name
        assert not any(name.startswith("on") for name in tag.attrs), tag.name
        for name in ("href", "src", "action"):
            assert not str(tag.get(name, "")).lower().startswith("javascript:")


@pytest.mark.parametrize(
    "path", [p for p in PUBLIC_PATHS if "static" not in p and "healthz" not in p]
)
def test_public_pages_have_no_inline_script_or_style(client, app, path):
    with app.app_context():
        add_comment()
    assert_no_inline_code(soup(client.get(path)))


@pytest.mark.parametrize("path", MODERATOR_PATHS)
def test_moderator_pages_have_no_inline_script_or_style(logged_in, app, path):
    with app.app_context():
        add_comment()
    response = logged_in.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CSP
    assert_no_inline_code(soup(response))


def test_error_pages_have_no_inline_code(client):
    assert_no_inline_code(soup(client.get("/non-esiste/")))
