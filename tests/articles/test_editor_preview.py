""" "Anteprima": the unsaved fields or a saved version rendered as readers would
see them, sanitized, and kept by no cache."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask

from blog.articles import authoring
from blog.articles.authoring import ArticleDraft
from blog.extensions import db
from blog.models import Article, ArticleRevision, Moderator, Role
from tests.articles.test_editor_views import editor_fields, sign_in
from tests.helpers import add_moderator, soup, text_of

HOSTILE = """# Titolo

<script>alert(1)</script>

[clic](javascript:alert(2)) e [dati](data:text/html,<script>alert(3)</script>)

<img src=x onerror="alert(4)"> <svg onload=alert(5)></svg>

<a href="&#106;avascript:alert(6)">entità</a> <iframe src="https://evil.example/"></iframe>
"""


@pytest.fixture
def staff(app: Flask) -> dict[str, int]:
    ids = {}
    with app.app_context():
        for username, role in (("author", Role.AUTHOR), ("editor", Role.EDITOR)):
            account = add_moderator(username, display_name=username.title())
            account.role = role
            ids[username] = account.id
        db.session.commit()
    return ids


def assert_harmless(page) -> None:
    """No script, no handler, no javascript:/data: link, no frame in the article."""
    post = page.select_one("article.post")
    assert post is not None
    assert post.find(["script", "iframe", "svg", "object", "embed"]) is None
    for node in post.find_all(True):
        for name, value in node.attrs.items():
            assert not name.lower().startswith("on"), node
            if name in ("href", "src"):
                assert not str(value).strip().lower().startswith(("javascript:", "data:")), node


def test_preview_of_unsaved_fields_renders_the_article_and_saves_nothing(app, client, staff):
    sign_in(client, "author")
    fields = editor_fields(client, "/admin/articles/new")
    fields.update(title="Prova <b>titolo</b>", standfirst="Il riassunto", body="Un *testo*.")

    response = client.post("/admin/articles/preview", data=fields)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    page = soup(response)
    assert "Anteprima" in text_of(page.select_one(".preview-banner"))
    assert text_of(page.select_one("article.post h1")) == "Prova <b>titolo</b>"
    assert "Il riassunto" in text_of(page.select_one(".standfirst"))
    assert "testo" in text_of(page.select_one(".post-content"))
    assert page.find(id="commentform") is None
    assert page.find("link", rel="canonical") is None
    assert page.find("meta", attrs={"name": "robots"})["content"].startswith("noindex")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Article.id))) == 1  # the seed
        assert db.session.scalar(sa.select(sa.func.count(ArticleRevision.id))) == 0


def test_preview_of_hostile_markdown_is_sanitized(client, staff):
    sign_in(client, "author")
    fields = editor_fields(client, "/admin/articles/new")
    fields.update(title="Attacco", body=HOSTILE)
    page = soup(client.post("/admin/articles/preview", data=fields))
    assert_harmless(page)
    assert "Titolo" in text_of(page.select_one(".post-content"))


def test_an_authors_hostile_draft_previewed_by_an_editor_is_sanitized(app, client, staff):
    """An author attacking an editor: the editor opens the author's version."""
    with app.app_context():
        author = db.session.get(Moderator, staff["author"])
        article = authoring.save_draft(
            None, ArticleDraft(title="Innocuo", body_source=HOSTILE), author
        )
        article_id, revision_id = article.id, article.revisions[0].id
    sign_in(client, "editor")

    response = client.get(f"/admin/articles/{article_id}/revisions/{revision_id}/preview")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    page = soup(response)
    assert_harmless(page)
    assert "versione precedente" in text_of(page.select_one(".preview-banner"))
    live = soup(
        client.post(
            f"/admin/articles/{article_id}/preview",
            data=editor_fields(client, f"/admin/articles/{article_id}/edit"),
        )
    )
    assert_harmless(live)


def test_live_preview_answers_sanitized_html_kept_by_nobody(client, staff):
    sign_in(client, "author")
    fields = editor_fields(client, "/admin/articles/new")
    fields.update(title="T", body=HOSTILE)

    response = client.post("/admin/articles/live-preview", data=fields)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    html = response.get_json()["html"]
    assert_harmless(BeautifulSoup(f'<article class="post">{html}</article>', "html.parser"))


def test_preview_without_a_token_is_refused(client, staff):
    sign_in(client, "author")
    assert client.post("/admin/articles/preview", data={"title": "x"}).status_code == 400


def test_a_preview_is_not_served_to_anyone_else(app, client, staff):
    """What the page server keeps is anonymous GETs with a public Cache-Control."""
    sign_in(client, "author")
    fields = editor_fields(client, "/admin/articles/new")
    fields.update(title="Segreto", body="Non ancora pubblico.")
    response = client.post("/admin/articles/preview", data=fields)
    assert "public" not in response.headers["Cache-Control"]
    assert "ETag" not in response.headers
    stranger = app.test_client()
    assert "Segreto" not in stranger.get("/").get_data(as_text=True)


def test_a_body_past_the_renderers_bounds_is_refused_in_words_and_kept(app, client, staff):
    """Lists nested deeper than the renderer takes: the preview says why,
    saving says why by the field and keeps the text, nothing is written."""
    deep = "".join("  " * level + "- livello\n" for level in range(40))
    sign_in(client, "author")
    fields = editor_fields(client, "/admin/articles/new")
    fields.update(title="Troppo annidato", body=deep)

    preview = client.post("/admin/articles/preview", data=fields)
    live = client.post("/admin/articles/live-preview", data=fields)
    saved = client.post("/admin/articles/new", data={**fields, "action": "draft"})

    assert preview.status_code == 200
    assert "annidat" in text_of(soup(preview).select_one(".post-content")).lower()
    assert live.status_code == 200
    assert "annidat" in live.get_json()["html"].lower()
    assert saved.status_code in (200, 422)
    page = soup(saved)
    assert "annidat" in page.get_text().lower()
    # A textarea's first newline is not part of its text (HTML's parsing rule).
    assert page.find("textarea", attrs={"name": "body"}).get_text().removeprefix("\r\n") == deep
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ArticleRevision.id))) == 0
