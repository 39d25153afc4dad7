"""Cross-site requests: Fetch Metadata for every unsafe request, tokens for moderators.

A reader's comment form carries no token (so that every reader gets the
same, cacheable page): the cross-origin check in front of every view and
SameSite cookies protect it. Every form of a signed-in moderator still
carries Flask-WTF's token, and a stale token loses nothing.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Comment, CommentStatus
from tests.helpers import (
    ARTICLE_URL,
    POST_URL,
    VALID_COMMENT,
    add_comment,
    comments_in_db,
    form_fields,
    queue_token,
    soup,
    text_of,
)

#: The test client's own address.
SITE = "http://localhost"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SITE_URL": SITE, "TRUSTED_ORIGINS": ["https://amici.example.org"]}


#: (Sec-Fetch-Site, Origin, allowed)
CROSS_ORIGIN_TABLE = [
    ("same-origin", SITE, True),
    ("same-origin", None, True),
    ("none", None, True),
    (None, None, True),
    (None, SITE, True),
    ("cross-site", "http://evil.localhost", False),
    ("cross-site", None, False),
    ("same-site", "http://altro.localhost", False),
    (None, "https://evil.example", False),
    (None, "null", False),
    (None, "http://[", False),
    ("cross-site", "https://amici.example.org", True),
    (None, "https://amici.example.org", True),
]
IDS = [f"{site or '-'} {origin or '-'}" for site, origin, _ in CROSS_ORIGIN_TABLE]


def fetch_headers(site: str | None, origin: str | None) -> dict[str, str]:
    headers = {}
    if site:
        headers["Sec-Fetch-Site"] = site
    if origin:
        headers["Origin"] = origin
    return headers


def test_csrf_protection_is_on_in_tests(app):
    assert app.config.get("WTF_CSRF_ENABLED", True) is True


@pytest.mark.parametrize(("site", "origin", "allowed"), CROSS_ORIGIN_TABLE, ids=IDS)
def test_a_readers_comment_passes_the_cross_origin_check_or_is_refused(app, site, origin, allowed):
    client = app.test_client()
    data = form_fields(soup(client.get(ARTICLE_URL)))
    data.update(VALID_COMMENT)
    response = client.post(POST_URL, data=data, headers=fetch_headers(site, origin))
    with app.app_context():
        stored = comments_in_db()
    if allowed:
        assert response.status_code == 303
        assert len(stored) == 1
    else:
        assert response.status_code == 403
        assert "inviato da un altro sito" in text_of(soup(response))
        assert stored == []
        assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(("site", "origin", "allowed"), CROSS_ORIGIN_TABLE, ids=IDS)
def test_a_moderators_post_passes_the_cross_origin_check_or_is_refused(
    app, auth, moderator, site, origin, allowed
):
    client = auth.client
    assert auth.login().status_code == 303
    with app.app_context():
        comment_id = add_comment(CommentStatus.PENDING).id
    token = queue_token(client)
    response = client.post(
        f"/moderation/comments/{comment_id}/approve",
        data={"csrf_token": token, "next": "/moderation/"},
        headers=fetch_headers(site, origin),
    )
    with app.app_context():
        status = db.session.get(Comment, comment_id).status
    if allowed:
        assert response.status_code == 303
        assert status == CommentStatus.APPROVED
    else:
        assert response.status_code == 403
        assert status == CommentStatus.PENDING


def test_a_readers_form_has_no_token_and_the_page_sets_no_cookie(client):
    response = client.get(ARTICLE_URL)
    assert "Set-Cookie" not in response.headers
    assert "csrf_token" not in form_fields(soup(response))


def test_a_moderators_comment_form_has_a_token(logged_in):
    assert form_fields(soup(logged_in.get(ARTICLE_URL)))["csrf_token"]


@pytest.mark.parametrize(
    "token",
    [None, "", "not-a-token", "IjAwMDAi.aaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbb"],
    ids=["missing", "empty", "garbage", "forged"],
)
def test_a_moderators_comment_without_a_valid_token_stores_nothing(logged_in, app, token):
    data = {**VALID_COMMENT, "comment_parent": "0"}
    data["form_time"] = form_fields(soup(logged_in.get(ARTICLE_URL)))["form_time"]
    if token is not None:
        data["csrf_token"] = token
    response = logged_in.post(POST_URL, data=data)
    assert response.status_code == 400
    page = soup(response)
    assert "invialo di nuovo" in text_of(page.find(id="form-notice"))
    assert page.find("textarea", id="comment").get_text().strip() == VALID_COMMENT["comment"]
    with app.app_context():
        assert comments_in_db() == []


def test_a_moderator_resubmitting_after_a_stale_token_loses_nothing(logged_in, app):
    data = form_fields(soup(logged_in.get(ARTICLE_URL)))
    data.update(VALID_COMMENT, csrf_token="scaduto")
    response = logged_in.post(POST_URL, data=data)
    assert response.status_code == 400
    resubmitted = form_fields(soup(response))
    assert resubmitted["comment"].strip() == VALID_COMMENT["comment"]
    response = logged_in.post(POST_URL, data=resubmitted)
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 1


def test_a_token_from_another_session_is_refused_on_a_moderators_form(app, auth, moderator):
    thief = app.test_client()
    auth.client = thief
    auth.login()
    stolen = queue_token(thief)
    victim = app.test_client()
    auth.client = victim
    auth.login()
    with app.app_context():
        comment_id = add_comment(CommentStatus.PENDING).id
    response = victim.post(
        f"/moderation/comments/{comment_id}/approve", data={"csrf_token": stolen}
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Comment, comment_id).status == CommentStatus.PENDING
