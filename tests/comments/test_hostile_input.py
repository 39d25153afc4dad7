"""What a stranger controls beyond the comment text: ids, uploads, bodies, names."""

from __future__ import annotations

import io
import stat

import pytest
import sqlalchemy as sa
from flask import Flask

from blog import create_app
from blog.extensions import db
from blog.models import Comment, CommentStatus, MailMessage
from blog.notify.moderator_mail import notify_moderators
from tests.helpers import (
    ARTICLE_URL,
    POST_URL,
    VALID_COMMENT,
    add_comment,
    add_moderator,
    comments_in_db,
    form_fields,
    fresh_blog,
    soup,
    text_of,
)

HUGE = "99999999999999999999"


def fresh_form(client) -> dict[str, str]:
    return form_fields(soup(client.get(ARTICLE_URL)))


# Line breaks in one-line fields (names reach mail bodies and headers)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("author", "Mario\nLink: http://evil.example/"),
        ("author", "Mario\r\nRossi"),
        ("author", "Mario\u2028Rossi"),
        ("url", "http://example.it/\r\nX-Header: 1"),
        ("email", "mario@example.it\nbcc@example.it"),
    ],
)
def test_line_breaks_in_one_line_fields_are_refused(app, client, field, value):
    data = {**fresh_form(client), **VALID_COMMENT, field: value}
    response = client.post(POST_URL, data=data)
    assert response.status_code == 422
    page = soup(response)
    assert "una sola riga" in text_of(page.find(id=f"{field}-error") or page)
    kept = page.find("textarea", attrs={"name": "comment"}).get_text()
    assert kept.strip() == VALID_COMMENT["comment"]
    with app.app_context():
        assert comments_in_db() == []


def test_a_stored_name_with_line_breaks_writes_one_line_in_mail(app):
    with app.app_context():
        add_moderator(email="anna@example.it")
        comment = add_comment(CommentStatus.PENDING, author="Mario\nApprova: http://evil.example/x")
        notify_moderators(comment.id)
        db.session.commit()
        bodies = [message.body for message in db.session.scalars(sa.select(MailMessage))]
    assert bodies
    lines = [line for body in bodies for line in body.splitlines()]
    assert "Autore: Mario Approva: http://evil.example/x" in lines
    assert not any(line.startswith("Approva: http://evil") for line in lines)


# Numbers that overflow the database, uploads, JSON bodies


def test_a_huge_replytocom_shows_the_page(client):
    response = client.get(f"{ARTICLE_URL}?replytocom={HUGE}")
    assert response.status_code == 200
    assert soup(response).find("input", attrs={"name": "comment_parent"})["value"] == "0"


@pytest.mark.parametrize("parent", [HUGE, "2147483648", "-1", "1e3", "٣"])
def test_a_bad_comment_parent_is_a_422_with_the_text_kept(app, client, parent):
    data = {**fresh_form(client), **VALID_COMMENT, "comment_parent": parent}
    response = client.post(POST_URL, data=data)
    assert response.status_code == 422
    assert VALID_COMMENT["comment"] in response.get_data(as_text=True)
    with app.app_context():
        assert comments_in_db() == []


def test_a_file_in_the_comment_field_is_no_comment(app, client):
    data = {**fresh_form(client), **VALID_COMMENT}
    data["comment"] = (io.BytesIO(b"<script>x</script>"), "commento.txt")
    response = client.post(POST_URL, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    with app.app_context():
        assert comments_in_db() == []


def test_a_multipart_form_of_text_is_read_like_any_form(app, client):
    data = {**fresh_form(client), **VALID_COMMENT}
    response = client.post(POST_URL, data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    with app.app_context():
        assert [c.body for c in comments_in_db()] == [VALID_COMMENT["comment"]]


@pytest.mark.parametrize(
    "body",
    [
        {"comment": {"a": 1}, "author": [1, 2], "email": 3},
        {"comment": "ciao", "author": "A", "email": "a@example.it"},
        [1, 2, 3],
    ],
)
def test_a_json_body_is_not_a_form(app, client, body):
    fields = fresh_form(client)
    if isinstance(body, dict):
        body = {**fields, **body}
    response = client.post(POST_URL, json=body)
    assert response.status_code in {400, 422}
    with app.app_context():
        assert comments_in_db() == []


@pytest.mark.parametrize(
    "path",
    [
        f"/moderation/?page={HUGE}",
        "/moderation/?page=-5",
        "/moderation/?page=abc",
        f"/moderation/?status=spam&page={HUGE}&q=ciao",
    ],
)
def test_the_queue_takes_any_page_number(logged_in, path):
    assert logged_in.get(path).status_code == 200


@pytest.mark.parametrize("query", ["a%00b", "%00", "ciao%0Dx", "a%E2%80%A8b"])
def test_control_characters_in_the_queue_search_are_a_400(logged_in, query):
    assert logged_in.get(f"/moderation/?q={query}").status_code == 400


@pytest.mark.parametrize(
    "path", [f"/moderation/comments/{HUGE}/edit", "/moderation/comments/2147483648/edit"]
)
def test_ids_past_the_database_range_are_a_404(logged_in, path):
    assert logged_in.get(path).status_code == 404


# Word lists see the text as readers do


@pytest.mark.parametrize(
    "comment",
    [
        "Un <b>half</b>way house",
        "Un half&#8203;way house",
        "Un half\u200bway house",
        "Un ｈａｌｆｗａｙ house",
        "Un HALF<i></i>WAY house",
        "Un half&#119;ay house",
    ],
)
def test_disallowed_words_are_found_in_the_text_readers_see(app_config, comment):
    with fresh_blog(app_config, COMMENT_DISALLOWED_KEYS=["halfway"]) as app:
        client = app.test_client()
        data = {**fresh_form(client), **VALID_COMMENT, "comment": comment}
        assert client.post(POST_URL, data=data).status_code == 303
        with app.app_context():
            assert [c.status for c in comments_in_db()] == [CommentStatus.SPAM]


def test_words_across_paragraphs_do_not_join(app_config):
    settings = {"COMMENT_DISALLOWED_KEYS": ["halfway"], "COMMENT_MODERATION": "none"}
    with fresh_blog(app_config, **settings) as app:
        client = app.test_client()
        data = {**fresh_form(client), **VALID_COMMENT, "comment": "Metà strada: half\n\nway"}
        assert client.post(POST_URL, data=data).status_code == 303
        with app.app_context():
            assert [c.status for c in comments_in_db()] == [CommentStatus.APPROVED]


# Files on disk


def test_a_new_sqlite_database_and_its_folder_are_private(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SECRET_KEY", "una chiave")
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path / "inst"))
    app = create_app()
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    instance = tmp_path / "inst"
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    for path in instance.iterdir():
        if path.name.startswith("blog.sqlite3"):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0
        db.engine.dispose()
