"""CSRF is enforced on the comment form, and a stale token loses nothing."""

from __future__ import annotations

import pytest

from tests.conftest import (
    ARTICLE_URL,
    POST_URL,
    VALID_COMMENT,
    comments_in_db,
    form_fields,
    soup,
    text_of,
)


def test_csrf_protection_is_on_in_tests(app):
    assert app.config.get("WTF_CSRF_ENABLED", True) is True


@pytest.mark.parametrize(
    "token",
    [None, "", "not-a-token", "IjAwMDAi.aaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbb"],
    ids=["missing", "empty", "garbage", "forged"],
)
def test_post_without_a_valid_token_stores_nothing(client, app, token):
    client.get(ARTICLE_URL)  # a session exists, as for a real reader
    data = {**VALID_COMMENT, "comment_parent": "0"}
    if token is not None:
        data["csrf_token"] = token
    response = client.post(POST_URL, data=data)
    assert response.status_code == 400
    page = soup(response)
    assert "invialo di nuovo" in text_of(page.find(id="form-notice"))
    assert page.find("textarea", id="comment").get_text().strip() == VALID_COMMENT["comment"]
    assert page.find("input", id="author")["value"] == VALID_COMMENT["author"]
    with app.app_context():
        assert comments_in_db() == []


def test_token_from_another_session_is_refused(app, commenter):
    stolen = commenter.open_form()["csrf_token"]
    victim = app.test_client()
    victim.get(ARTICLE_URL)
    response = victim.post(POST_URL, data={**VALID_COMMENT, "csrf_token": stolen})
    assert response.status_code == 400
    with app.app_context():
        assert comments_in_db() == []


def test_resubmitting_after_a_stale_token_works(client, app):
    response = client.post(POST_URL, data={**VALID_COMMENT, "csrf_token": "scaduto"})
    assert response.status_code == 400
    resubmitted = form_fields(soup(response))
    assert resubmitted["comment"].strip() == VALID_COMMENT["comment"]
    response = client.post(POST_URL, data=resubmitted)
    assert response.status_code == 303
    with app.app_context():
        assert len(comments_in_db()) == 1
