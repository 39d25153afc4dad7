"""Pages ("Chi siamo") in the editor: the "Pagine" list beside "Articoli",
written by editors and administrators only, with the articles' life
(draft, publish, bin, revisions) and no categories, tags or comments."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from flask import Flask

from blog.articles import authoring
from blog.articles.authoring import ArticleDraft
from blog.extensions import db
from blog.models import Article, ArticleKind, Moderator
from tests.articles.test_editor_views import ROLES, editor_fields, sign_in
from tests.helpers import add_moderator, form_fields, soup, text_of


@pytest.fixture
def staff(app: Flask) -> dict[str, int]:
    """One account per role (two authors), by username: their ids."""
    ids = {}
    with app.app_context():
        for username, role in ROLES.items():
            account = add_moderator(username, display_name=username.title())
            account.role = role
            ids[username] = account.id
        db.session.commit()
    return ids


def page_by(app: Flask, username: str, title: str, *, publish: bool = True) -> int:
    """A page written through the domain by ``username``: its id."""
    with app.app_context():
        account = db.session.scalar(sa.select(Moderator).where(Moderator.username == username))
        use = authoring.publish if publish else authoring.save_draft
        draft = ArticleDraft(title=title, body_source="Chi siamo.", kind=ArticleKind.PAGE)
        return use(None, draft, account).id


def stored_page(app: Flask, slug: str) -> Article | None:
    with app.app_context():
        article = db.session.scalar(sa.select(Article).where(Article.slug == slug))
        if article is not None:
            db.session.expunge(article)
        return article


@pytest.mark.parametrize("username", ["admin", "editor"])
def test_an_editor_writes_and_publishes_a_page(app, client, staff, username):
    sign_in(client, username)
    form_page = soup(client.get("/admin/articles/pages/new"))
    assert text_of(form_page.find("h1", id="editor-title")) == "Aggiungi nuova pagina"
    fields = editor_fields(client, "/admin/articles/pages/new")
    assert "categories" not in fields and "tags" not in fields, "a page has no terms"
    assert "comments_open" not in fields, "a page takes no comments"
    fields.update(title="Chi siamo", body="Un blog di **motori**.", action="publish")

    response = client.post("/admin/articles/pages/new", data=fields)

    assert response.status_code == 303
    page = stored_page(app, "chi-siamo")
    assert page.kind == ArticleKind.PAGE
    assert page.is_public and not page.comments_open
    assert "Pagina pubblicata." in text_of(soup(client.get(response.headers["Location"])))


def test_pages_have_their_own_list_with_the_articles_tabs(app, client, staff):
    page_by(app, "editor", "Chi siamo")
    page_by(app, "editor", "Contatti", publish=False)
    sign_in(client, "editor")

    pages = soup(client.get("/admin/articles/pages/"))
    articles = soup(client.get("/admin/articles/"))

    assert text_of(pages.find("h1")).startswith("Pagine")
    tabs = [text_of(link) for link in pages.select(".queue-tabs a")]
    assert tabs == ["Tutti (2)", "Pubblicati (1)", "Programmati (0)", "Bozze (1)", "Cestino (0)"]
    assert "Chi siamo" in text_of(pages.find(id="article-list"))
    assert "Chi siamo" not in text_of(articles.find(id="article-list"))
    kinds = [text_of(link) for link in articles.select(".editor-kinds a")]
    assert kinds == ["Articoli", "Pagine"]


@pytest.mark.parametrize("username", ["author", "moderator"])
def test_authors_and_moderators_may_not_write_pages(app, client, staff, username):
    page_id = page_by(app, "editor", "Chi siamo")
    sign_in(client, username)
    for path in ("/admin/articles/pages/", "/admin/articles/pages/new"):
        assert client.get(path).status_code == 403
    token = form_fields(soup(client.get("/moderation/profile")), "logout-form")["csrf_token"]
    data = {"title": "X", "csrf_token": token}
    assert client.post("/admin/articles/pages/new", data=data).status_code == 403
    assert client.get(f"/admin/articles/{page_id}/edit").status_code == 403
    if username == "author":
        assert soup(client.get("/admin/articles/")).select(".editor-kinds") == []


def test_an_author_who_wrote_a_page_no_longer_edits_it(app, client, staff):
    """Pages are the site's: being its author is not enough."""
    page_id = page_by(app, "author", "Chi siamo")
    sign_in(client, "author")
    assert client.get(f"/admin/articles/{page_id}/edit").status_code == 403
    page = soup(client.get("/admin/articles/"))
    assert "Chi siamo" not in text_of(page)


def test_a_page_goes_to_the_bin_and_back_and_keeps_revisions(app, client, staff):
    page_id = page_by(app, "editor", "Chi siamo")
    sign_in(client, "editor")
    fields = editor_fields(client, f"/admin/articles/{page_id}/edit")
    fields.update(title="Chi siamo davvero", action="update")
    assert client.post(f"/admin/articles/{page_id}/edit", data=fields).status_code == 303
    assert len(soup(client.get(f"/admin/articles/{page_id}/revisions")).select("li")) >= 2

    token = fields["csrf_token"]
    response = client.post(f"/admin/articles/{page_id}/trash", data={"csrf_token": token})

    assert response.headers["Location"] == "/admin/articles/pages/?status=trash"
    trashed = soup(client.get("/admin/articles/pages/?status=trash"))
    assert "Chi siamo davvero" in text_of(trashed.find(id="article-list"))
    assert client.application.test_client().get("/chi-siamo/").status_code == 404
    client.post(f"/admin/articles/{page_id}/restore", data={"csrf_token": token})
    assert stored_page(app, "chi-siamo").trashed_at is None


def test_a_new_pages_preview_is_a_page(app, client, staff):
    sign_in(client, "editor")
    fields = editor_fields(client, "/admin/articles/pages/new")
    fields.update(title="Contatti", body="Scriveteci.")
    page = soup(client.post("/admin/articles/pages/preview", data=fields))
    assert text_of(page.find("h1")) == "Contatti"
    assert page.find("article").find("time") is None, "a page is not dated"


def test_a_page_shares_the_articles_addresses(app, client, staff):
    """One address space: a page cannot take an article's address."""
    sign_in(client, "editor")
    fields = editor_fields(client, "/admin/articles/pages/new")
    seed = "jean-philippe-imparato-ha-visitato-il-cassino-plant-e-pomigliano-darco"
    fields.update(title="Doppione", slug=seed, action="publish")
    response = client.post("/admin/articles/pages/new", data=fields)
    assert response.status_code == 422
    assert "appartiene già" in text_of(soup(response))
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count()).where(Article.kind == ArticleKind.PAGE.value)
        )
    assert count == 0


def let_tokens_expire(app) -> None:
    """The tokens already given out are now too old (a form left open for hours)."""
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    time.sleep(2.1)


def test_a_page_saved_with_an_expired_token_comes_back_as_a_page(app, client, staff):
    sign_in(client, "editor")
    fields = editor_fields(client, "/admin/articles/pages/new")
    fields.update(title="Contatti", body="Scriveteci.", action="draft")
    let_tokens_expire(app)

    page = soup(client.post("/admin/articles/pages/new", data=fields))

    assert text_of(page.find("h1", id="editor-title")) == "Aggiungi nuova pagina"
    assert page.find("form", id="editor-form")["action"] == "/admin/articles/pages/new"
    assert page.find("input", attrs={"name": "title"})["value"] == "Contatti"
    assert stored_page(app, "contatti") is None


def test_an_author_with_an_expired_token_gets_no_page_form(app, client, staff):
    sign_in(client, "author")
    token = editor_fields(client, "/admin/articles/new")["csrf_token"]
    let_tokens_expire(app)
    data = {"title": "Contatti", "csrf_token": token, "action": "draft"}
    assert client.post("/admin/articles/pages/new", data=data).status_code == 403
