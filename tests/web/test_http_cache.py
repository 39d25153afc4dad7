"""What a shared cache may keep: anonymous pages only, and nothing personal, ever."""

from __future__ import annotations

import time

import pytest

from blog.models import CommentStatus
from tests.helpers import ARTICLE_URL, SLUG, Commenter, add_comment, soup, text_of

PRIVATE = "private, no-store"
SHARED_PAGES = [ARTICLE_URL, f"{ARTICLE_URL}?cpage=1", "/", "/feed/", "/comments/feed/",
                f"/{SLUG}/feed/"]  # fmt: skip


@pytest.fixture
def app_config(app_config):
    # Entries outlive a slow machine's pause between two views of one test.
    return {**app_config, "PAGE_CACHE_SECONDS": 1, "PAGE_STALE_SECONDS": 30}


@pytest.mark.parametrize("path", SHARED_PAGES)
def test_anonymous_pages_are_public_with_an_etag_and_set_no_cookie(app, path):
    with app.app_context():
        add_comment(comment="Pubblico")
    for _ in range(2):  # rendered, then (for the article) from memory
        response = app.test_client().get(path)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == (
            "public, max-age=0, s-maxage=1, stale-while-revalidate=30"
        )
        assert "Cookie" in response.headers["Vary"]
        assert response.headers["ETag"]
        assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("path", SHARED_PAGES)
def test_a_conditional_get_is_a_304(app, path):
    client = app.test_client()
    etag = client.get(path).headers["ETag"]
    response = client.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.get_data() == b""
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"].startswith("public")


@pytest.mark.parametrize("path", SHARED_PAGES)
def test_a_new_comment_changes_every_etag(app, path):
    client = app.test_client()
    etag = client.get(path).headers["ETag"]
    with app.app_context():
        add_comment(comment="Appena approvato")
    response = client.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] != etag


def test_an_article_copy_older_than_the_form_time_allows_is_sent_again(app, client):
    """The page holds the form's signed time: a copy is good for as long as it may be cached."""
    etag = client.get(ARTICLE_URL).headers["ETag"]
    signed_at = int(etag.strip('"').rsplit(".t", 1)[1])
    assert abs(signed_at - time.time()) < 5
    old = etag.replace(f".t{signed_at}", f".t{signed_at - 60}")
    response = client.get(ARTICLE_URL, headers={"If-None-Match": old})
    assert response.status_code == 200
    assert "form_time" in response.get_data(as_text=True)
    huge = '"a1.v0.p1.o.t' + "9" * 400 + '"'
    for forged in ('"a1.v0.p1.o.t99999999999"', '"nonsense"', "*", huge):
        assert client.get(ARTICLE_URL, headers={"If-None-Match": forged}).status_code == 200


def test_a_pending_preview_is_private(app, client):
    Commenter(client).post(comment="Solo per me")
    response = client.get(ARTICLE_URL)
    assert "Solo per me" in text_of(soup(response))
    assert response.headers["Cache-Control"] == PRIVATE
    assert "ETag" not in response.headers


def test_the_comment_post_is_private(app, client):
    response = Commenter(client).post(comment="Un commento")
    assert response.status_code == 303
    assert response.headers["Cache-Control"] == PRIVATE
    assert "Set-Cookie" in response.headers


def test_a_remembered_commenter_gets_a_private_page(client):
    client.set_cookie("comment_author", "Maria")
    response = client.get(ARTICLE_URL)
    assert 'value="Maria"' in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == PRIVATE
    assert client.get(ARTICLE_URL, headers={"If-None-Match": "*"}).status_code == 200


def test_every_page_a_moderator_sees_is_private(app, logged_in):
    with app.app_context():
        add_comment(CommentStatus.PENDING, comment="Da moderare")
    paths = [*SHARED_PAGES, "/moderation/", "/moderation/?status=spam", "/moderation/settings",
             "/moderation/privacy", "/moderation/profile", "/moderation/login"]  # fmt: skip
    for path in paths:
        response = logged_in.get(path)
        assert response.headers["Cache-Control"] == PRIVATE, path
        assert "ETag" not in response.headers, path


@pytest.mark.parametrize(
    "path", ["/moderation/login", "/email/moderazione/x.y.z", "/non-esiste/", "/moderation/"]
)
def test_other_pages_are_private_for_everyone(client, path):
    assert client.get(path).headers["Cache-Control"] == PRIVATE
