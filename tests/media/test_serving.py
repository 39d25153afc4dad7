"""``/media/<name>`` served by Flask: the stored bytes, a year's immutable
cache for everyone, and nothing in the file that could run."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import MediaFile
from tests.media.conftest import upload
from tests.media.images import photo_bytes


@pytest.fixture
def stored(app, author, media_dir) -> MediaFile:
    assert upload(author, photo_bytes(1200, 800), "foto.jpg").status_code == 303
    with app.app_context():
        return db.session.scalars(sa.select(MediaFile)).one()


@pytest.mark.parametrize(("kind", "content_type"), [("webp", "image/webp"), ("jpeg", "image/jpeg")])
def test_a_file_is_served_immutable_with_its_type(
    app, client, stored, media_dir, kind, content_type
):
    name = stored.file_name(960, kind)
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert response.data == (media_dir / name).read_bytes()
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy
    assert "Set-Cookie" not in response.headers


def test_staff_with_cookies_get_the_same_public_file(stored, author):
    response = author.get(f"/media/{stored.file_name(480, 'webp')}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize(
    "name",
    [
        "secret_key",
        "..%2Fsecret_key",
        "AAAAAAAAAAAAAAAAAAAAAA-480.webp",  # well formed, never stored
        "AAAAAAAAAAAAAAAAAAAAAA-480.svg",
        ".upload-abc",
    ],
)
def test_nothing_else_is_served(client, stored, media_dir, name):
    (media_dir / "secret_key").write_text("segreto")
    response = client.get(f"/media/{name}")
    assert response.status_code == 404
    assert b"segreto" not in response.data
