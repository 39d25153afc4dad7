"""The editor's pages at /admin/articles/: per role, the form's buttons, errors
that keep what was typed, the bin, revisions, CSRF."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from blog.articles import authoring
from blog.articles.authoring import ArticleDraft
from blog.core.dates import localize
from blog.extensions import db
from blog.models import Article, ArticleRedirect, ArticleRevision, ArticleStatus, Moderator, Role
from blog.models.clock import utcnow
from tests.helpers import AuthActions, add_moderator, form_fields, soup, text_of

ROLES = {
    "admin": Role.ADMINISTRATOR,
    "editor": Role.EDITOR,
    "author": Role.AUTHOR,
    "author2": Role.AUTHOR,
    "moderator": Role.MODERATOR,
}


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


def sign_in(client: FlaskClient, username: str) -> FlaskClient:
    response = AuthActions(client).login(username)
    assert response.status_code == 303
    return client


def article_by(app: Flask, username: str, title: str, *, publish: bool = False) -> int:
    """An article written through the domain, by ``username``: its id."""
    with app.app_context():
        account = db.session.scalar(sa.select(Moderator).where(Moderator.username == username))
        use = authoring.publish if publish else authoring.save_draft
        return use(None, ArticleDraft(title=title, body_source="Testo."), account).id


def editor_fields(client: FlaskClient, url: str) -> dict[str, str]:
    page = soup(client.get(url))
    fields = form_fields(page, "editor-form")
    for textarea in page.find(id="editor-form").find_all("textarea"):
        # A browser drops the newline that starts a textarea's content.
        fields[textarea["name"]] = textarea_text(textarea)
    return fields


def textarea_text(node) -> str:
    text = node.get_text()
    return text[2:] if text.startswith("\r\n") else text.removeprefix("\n")


def stored(app: Flask, article_id: int) -> Article:
    with app.app_context():
        article = db.session.get(Article, article_id)
        db.session.expunge(article)
        return article


def test_an_author_writes_saves_and_publishes(app, client, staff):
    sign_in(client, "author")
    fields = editor_fields(client, "/admin/articles/new")
    fields.update(title="Il mio primo articolo", body="# Titolo\n\nUn [link](https://example.com).")
    fields.update(tags="Motori, Alfa Romeo", action="draft")

    response = client.post("/admin/articles/new", data=fields)

    assert response.status_code == 303
    with app.app_context():
        query = sa.select(Article).where(Article.slug == "il-mio-primo-articolo")
        article = db.session.scalar(query)
        assert article.status == ArticleStatus.DRAFT
        assert article.author_id == staff["author"]
        assert sorted(tag.name for tag in article.tags) == ["Alfa Romeo", "Motori"]
        article_id = article.id
    page = client.get(response.headers["Location"])
    assert "Bozza salvata." in text_of(soup(page))

    fields = editor_fields(client, f"/admin/articles/{article_id}/edit")
    fields["action"] = "publish"
    assert client.post(f"/admin/articles/{article_id}/edit", data=fields).status_code == 303
    assert stored(app, article_id).is_public
    assert client.get("/il-mio-primo-articolo/").status_code == 200


def test_the_list_has_tabs_with_counts_and_an_author_sees_their_own(app, client, staff):
    article_by(app, "author", "Mio", publish=True)
    article_by(app, "author", "Mia bozza")
    article_by(app, "author2", "Di un altro")
    sign_in(client, "author")

    page = soup(client.get("/admin/articles/"))

    tabs = [text_of(link) for link in page.select(".queue-tabs a")]
    assert tabs == ["Tutti (2)", "Pubblicati (1)", "Programmati (0)", "Bozze (1)", "Cestino (0)"]
    titles = text_of(page.find(id="article-list"))
    assert "Mio" in titles and "Mia bozza" in titles and "Di un altro" not in titles
    assert page.find("a", string="Aggiungi nuovo articolo") is not None


def test_an_editor_sees_everyones(app, client, staff):
    article_by(app, "author", "Mio")
    article_by(app, "author2", "Di un altro")
    sign_in(client, "editor")
    titles = text_of(soup(client.get("/admin/articles/?status=draft")).find(id="article-list"))
    assert "Mio" in titles and "Di un altro" in titles


@pytest.mark.parametrize(
    ("username", "status"),
    [("admin", 200), ("editor", 200), ("author", 200), ("author2", 403), ("moderator", 403)],
)
def test_who_may_edit_an_authors_article(app, client, staff, username, status):
    article_id = article_by(app, "author", "Mio")
    sign_in(client, username)
    assert client.get(f"/admin/articles/{article_id}/edit").status_code == status
    assert client.get(f"/admin/articles/{article_id}/revisions").status_code == status


@pytest.mark.parametrize("path", ["/admin/articles/", "/admin/articles/new"])
def test_a_moderator_may_not_write(client, staff, path):
    sign_in(client, "moderator")
    assert client.get(path).status_code == 403


def test_strangers_go_to_the_login(client):
    response = client.get("/admin/articles/")
    assert response.status_code in (302, 303)
    assert "/moderation/login" in response.headers["Location"]


def test_another_authors_posts_are_refused_and_change_nothing(app, client, staff):
    article_id = article_by(app, "author", "Mio")
    sign_in(client, "author2")
    token = form_fields(soup(client.get("/admin/articles/new")), "editor-form")["csrf_token"]
    data = {"csrf_token": token, "title": "Preso", "action": "publish"}

    assert client.post(f"/admin/articles/{article_id}/edit", data=data).status_code == 403
    assert client.post(f"/admin/articles/{article_id}/trash", data=data).status_code == 403
    assert client.post(f"/admin/articles/{article_id}/preview", data=data).status_code == 403
    article = stored(app, article_id)
    assert (article.title, article.status, article.trashed_at) == ("Mio", "draft", None)


def test_an_error_keeps_what_was_typed(app, client, staff):
    sign_in(client, "author")
    fields = editor_fields(client, "/admin/articles/new")
    body = "Un testo lungo che non deve andare perso."
    fields.update(title="", body=body, standfirst="Il riassunto", action="publish")

    response = client.post("/admin/articles/new", data=fields)

    assert response.status_code == 422
    page = soup(response)
    assert textarea_text(page.find("textarea", id="body")) == body
    assert textarea_text(page.find("textarea", id="standfirst")) == "Il riassunto"
    assert "Inserisci un titolo." in text_of(page.find(id="form-notice"))
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Article.id))) == 1  # the seed


def test_a_taken_address_is_an_error_on_the_address_field(app, client, staff):
    article_by(app, "author", "Occupato")
    sign_in(client, "author")
    fields = editor_fields(client, "/admin/articles/new")
    fields.update(title="Altro", slug="occupato", body="testo", action="draft")

    response = client.post("/admin/articles/new", data=fields)

    assert response.status_code == 422
    page = soup(response)
    assert page.find("input", id="slug")["aria-invalid"] == "true"
    assert "occupato" in text_of(page.find(id="slug-error"))
    assert textarea_text(page.find("textarea", id="body")) == "testo"


def test_scheduling_in_the_past_is_refused_and_in_the_future_scheduled(app, client, staff):
    sign_in(client, "author")
    local_now = localize(utcnow(), app.config["TIMEZONE"])
    fields = editor_fields(client, "/admin/articles/new")
    past = local_now - timedelta(hours=1)
    fields.update(
        title="Domani",
        action="schedule",
        publish_date=past.strftime("%Y-%m-%d"),
        publish_time=past.strftime("%H:%M"),
    )
    response = client.post("/admin/articles/new", data=fields)
    assert response.status_code == 422
    assert "futuro" in text_of(soup(response).find(id="publish_date-error"))

    future = local_now + timedelta(days=1)
    fields.update(publish_date=future.strftime("%Y-%m-%d"), publish_time=future.strftime("%H:%M"))
    assert client.post("/admin/articles/new", data=fields).status_code == 303
    with app.app_context():
        article = db.session.scalar(sa.select(Article).where(Article.slug == "domani"))
        assert article.is_scheduled
        assert localize(article.published_at, app.config["TIMEZONE"]).strftime(
            "%Y-%m-%d %H:%M"
        ) == future.strftime("%Y-%m-%d %H:%M")
    client.get("/admin/articles/")
    page = soup(client.get(f"/admin/articles/{article.id}/edit"))
    assert page.find("button", string="Aggiorna") is not None
    # Readers (a browser with no cookie of ours) do not see it before its time;
    # its author sees it at its address, marked "Programmato per".
    assert app.test_client().get("/domani/").status_code == 404
    assert "Programmato per" in text_of(soup(client.get("/domani/")).find(class_="post-state"))


def test_update_of_a_published_article_and_its_address(app, client, staff):
    article_id = article_by(app, "author", "Vecchio", publish=True)
    sign_in(client, "author")
    fields = editor_fields(client, f"/admin/articles/{article_id}/edit")
    buttons = soup(client.get(f"/admin/articles/{article_id}/edit")).find_all("button")
    assert "Salva bozza" not in [button.get_text() for button in buttons]
    fields.update(slug="nuovo", body="Nuovo testo.", action="update")

    assert client.post(f"/admin/articles/{article_id}/edit", data=fields).status_code == 303

    with app.app_context():
        assert db.session.get(ArticleRedirect, "vecchio").article_id == article_id
        assert db.session.get(Article, article_id).body_source == "Nuovo testo."


def test_the_bin_and_restore(app, client, staff):
    article_id = article_by(app, "author", "Cestinato", publish=True)
    sign_in(client, "author")
    token = editor_fields(client, f"/admin/articles/{article_id}/edit")["csrf_token"]

    client.post(f"/admin/articles/{article_id}/trash", data={"csrf_token": token})
    assert stored(app, article_id).trashed_at is not None
    bin_page = soup(client.get("/admin/articles/?status=trash"))
    assert "Cestinato" in text_of(bin_page.find(id="article-list"))
    assert bin_page.find("button", string="Ripristina") is not None

    client.post(f"/admin/articles/{article_id}/restore", data={"csrf_token": token})
    assert stored(app, article_id).trashed_at is None


@pytest.mark.parametrize(
    "path", ["/admin/articles/new", "/admin/articles/preview", "/admin/articles/live-preview"]
)
def test_posts_without_the_csrf_token_are_refused(app, client, staff, path):
    sign_in(client, "author")
    response = client.post(path, data={"title": "Senza token", "action": "publish"})
    assert response.status_code == 400
    with app.app_context():
        query = sa.select(Article.id).where(Article.title == "Senza token")
        assert db.session.scalar(query) is None


def test_trash_without_the_token_is_refused(app, client, staff):
    article_id = article_by(app, "author", "Resta")
    sign_in(client, "author")
    assert client.post(f"/admin/articles/{article_id}/trash", data={}).status_code == 400
    assert stored(app, article_id).trashed_at is None


def test_revisions_list_compare_and_restore(app, client, staff):
    article_id = article_by(app, "author", "Uno", publish=True)
    sign_in(client, "author")
    fields = editor_fields(client, f"/admin/articles/{article_id}/edit")
    fields.update(title="Due", body="Riga <b>nuova</b>.", action="update")
    client.post(f"/admin/articles/{article_id}/edit", data=fields)
    with app.app_context():
        first, second = db.session.scalars(
            sa.select(ArticleRevision.id)
            .where(ArticleRevision.article_id == article_id)
            .order_by(ArticleRevision.id)
        ).all()

    listing = soup(client.get(f"/admin/articles/{article_id}/revisions"))
    assert len(listing.select(".revision-list li")) == 2
    assert "Author" in text_of(listing.select_one(".revision-list"))

    compare = client.get(f"/admin/articles/{article_id}/revisions/{first}")
    page = soup(compare)
    removed = [text_of(node) for node in page.select(".revision-diff del")]
    added = [text_of(node) for node in page.select(".revision-diff ins")]
    assert "− Uno" in removed and "+ Due" in added
    assert "+ Riga <b>nuova</b>." in added  # the source, escaped, not markup
    assert page.select_one(".revision-diff b") is None

    token = (
        form_fields(page, "restore-form")["csrf_token"]
        if page.find(id="restore-form")
        else (page.select_one("form input[name=csrf_token]")["value"])
    )
    response = client.post(
        f"/admin/articles/{article_id}/revisions/{first}/restore", data={"csrf_token": token}
    )
    assert response.status_code == 303
    with app.app_context():
        article = db.session.get(Article, article_id)
        assert article.title == "Uno"
        count = db.session.scalar(
            sa.select(sa.func.count(ArticleRevision.id)).where(
                ArticleRevision.article_id == article_id
            )
        )
        assert count == 3
    assert second


def test_restore_is_post_only(app, client, staff):
    article_id = article_by(app, "author", "Uno", publish=True)
    sign_in(client, "author")
    with app.app_context():
        revision_id = db.session.scalar(
            sa.select(ArticleRevision.id).where(ArticleRevision.article_id == article_id)
        )
    response = client.get(f"/admin/articles/{article_id}/revisions/{revision_id}/restore")
    assert response.status_code == 405


def test_autosave_keeps_a_draft_and_never_touches_a_published_article(app, client, staff):
    draft_id = article_by(app, "author", "Bozza")
    live_id = article_by(app, "author", "Pubblico", publish=True)
    sign_in(client, "author")
    fields = editor_fields(client, f"/admin/articles/{draft_id}/edit")
    fields["body"] = "Scritto mentre scrivo."

    response = client.post(f"/admin/articles/{draft_id}/autosave", data=fields)

    assert response.status_code == 200 and response.get_json()["saved"] is True
    assert stored(app, draft_id).body_source == "Scritto mentre scrivo."
    live_fields = editor_fields(client, f"/admin/articles/{live_id}/edit")
    assert "data-autosave-url" not in client.get(f"/admin/articles/{live_id}/edit").get_data(
        as_text=True
    )
    live_fields["body"] = "Mezza frase"
    refused = client.post(f"/admin/articles/{live_id}/autosave", data=live_fields)
    assert refused.status_code == 409
    assert stored(app, live_id).body_source == "Testo."


def test_a_save_with_an_expired_token_keeps_every_word_and_saves_nothing(app, client):
    """An author who wrote for hours: the form comes back, filled, with a new token."""
    with app.app_context():
        add_moderator("autrice", display_name="Autrice").role = Role.AUTHOR
        db.session.commit()
    sign_in(client, "autrice")
    fields = editor_fields(client, "/admin/articles/new")
    fields.update(title="Scritto a lungo", body="Un testo di ore.\n\n- da non perdere")
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    time.sleep(2.1)  # the token signed with the page is now too old

    response = client.post("/admin/articles/new", data={**fields, "action": "draft"})

    assert response.status_code in (200, 422)
    page = soup(response)
    assert "non è stato salvato nulla" in text_of(page)
    assert page.find("input", attrs={"name": "title"})["value"] == "Scritto a lungo"
    body = page.find("textarea", attrs={"name": "body"}).get_text().removeprefix("\r\n")
    assert body == "Un testo di ore.\n\n- da non perdere"
    fresh = page.find("input", attrs={"name": "csrf_token"})["value"]
    assert fresh != fields["csrf_token"]
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Article.id)).where(Article.title == "Scritto a lungo")
            )
            == 0
        )
    # The fresh token saves it.
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    saved = client.post(
        "/admin/articles/new", data={**fields, "csrf_token": fresh, "action": "draft"}
    )
    assert saved.status_code == 303
