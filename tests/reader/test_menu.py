"""The site menu: administrators choose pages and categories at
/admin/menu/ and number them; every page's header shows them in that order,
at no query more on the article page; a page renamed or binned updates it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from blog.articles import authoring
from blog.extensions import db
from blog.models import Article, ArticleKind, Moderator, Role, SiteSetting
from tests.helpers import ARTICLE_URL, AuthActions, form_fields, soup, text_of
from tests.reader.authored import add_article, add_staff
from tests.web.test_page_performance import count_queries


@pytest.fixture
def pages(app: Flask) -> dict[str, int]:
    """Two public pages, a draft page, and the shipped article in "Auto"."""
    with app.app_context():
        add_staff("capo", Role.ADMINISTRATOR)
        add_staff("editrice", Role.EDITOR)
        ids = {
            slug: add_article(slug, title=title, kind=ArticleKind.PAGE).id
            for slug, title in [
                ("chi-siamo", "Chi siamo"),
                ("contatti", "Contatti"),
            ]
        }
        ids["bozza"] = add_article(
            "bozza", title="Pagina in bozza", kind=ArticleKind.PAGE, status="draft"
        ).id
        add_article("motori", categories=("Auto",))
        return ids


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 303
    return client


def menu_labels(response) -> list[str]:
    nav = soup(response).find("nav", attrs={"aria-label": "Menu"})
    return [] if nav is None else [text_of(link) for link in nav.find_all("a")]


def save(client: FlaskClient, **positions: str):
    """Tick the entries named (``page-3="2"``) with those positions; untick the rest."""
    fields = form_fields(soup(client.get("/admin/menu/")), "menu-form")
    fields = {name: value for name, value in fields.items() if not name.startswith("shown-")}
    for key, position in positions.items():
        key = key.replace("_", "-")
        fields[f"shown-{key}"] = "1"
        fields[f"position-{key}"] = position
    return client.post("/admin/menu/", data=fields)


def category_id(app: Flask) -> int:
    with app.app_context():
        from blog.models import Term

        return db.session.scalar(sa.select(Term.id).where(Term.slug == "auto"))


def test_an_administrator_orders_the_menu_every_page_shows(app, pages):
    admin = signed_in(app, "capo")
    response = save(
        admin,
        **{
            f"page_{pages['contatti']}": "1",
            f"category_{category_id(app)}": "2",
            f"page_{pages['chi-siamo']}": "3",
        },
    )
    assert response.status_code == 303
    assert "Menu salvato." in text_of(soup(admin.get(response.headers["Location"])))

    reader = app.test_client()
    for path in ("/", ARTICLE_URL, "/chi-siamo/", "/archivi/", "/cerca/?q=motori"):
        assert menu_labels(reader.get(path)) == ["Contatti", "Auto", "Chi siamo"], path
    nav = soup(reader.get("/contatti/")).find("nav", attrs={"aria-label": "Menu"})
    assert nav.find("a", attrs={"aria-current": "page"})["href"] == "/contatti/"
    assert nav.find("a", string="Auto")["href"] == "/categoria/auto/"


def test_the_order_follows_the_numbers_and_unnumbered_come_last(app, pages):
    admin = signed_in(app, "capo")
    save(admin, **{f"page_{pages['chi-siamo']}": "", f"page_{pages['contatti']}": "5"})
    assert menu_labels(app.test_client().get("/")) == ["Contatti", "Chi siamo"]
    page = soup(admin.get("/admin/menu/"))
    rows = [text_of(row.find("label")) for row in page.select("#menu-form tbody tr")]
    assert rows[:2] == ["Contatti", "Chi siamo"], "the menu's entries first, in order"


def test_a_draft_page_in_the_menu_shows_once_published(app, pages):
    admin = signed_in(app, "capo")
    save(admin, **{f"page_{pages['bozza']}": "1"})
    assert menu_labels(app.test_client().get("/")) == []
    with app.app_context():
        page = db.session.get(Article, pages["bozza"])
        editor = db.session.scalar(sa.select(Moderator).where(Moderator.username == "capo"))
        authoring.publish(page, authoring.ArticleDraft(title="Dove siamo", kind="page"), editor)
    assert menu_labels(app.test_client().get("/")) == ["Dove siamo"]


def test_a_page_renamed_or_binned_changes_the_menu(app, pages):
    admin = signed_in(app, "capo")
    save(admin, **{f"page_{pages['chi-siamo']}": "1", f"page_{pages['contatti']}": "2"})
    reader = app.test_client()
    assert menu_labels(reader.get(ARTICLE_URL)) == ["Chi siamo", "Contatti"]
    with app.app_context():
        editor = db.session.scalar(sa.select(Moderator).where(Moderator.username == "editrice"))
        page = db.session.get(Article, pages["chi-siamo"])
        draft = authoring.ArticleDraft(title="La redazione", slug="redazione")
        authoring.update(page, draft, editor)
        authoring.trash(db.session.get(Article, pages["contatti"]), editor)
    # The article page was cached before: the change still shows at once.
    response = reader.get(ARTICLE_URL)
    assert menu_labels(response) == ["La redazione"]
    nav = soup(response).find("nav", attrs={"aria-label": "Menu"})
    assert nav.find("a")["href"] == "/redazione/"


def test_a_wrong_position_is_said_and_nothing_is_lost(app, pages):
    admin = signed_in(app, "capo")
    key = f"page-{pages['chi-siamo']}"
    response = save(admin, **{key.replace("-", "_"): "primo"})
    assert response.status_code == 422
    page = soup(response)
    assert "Il menu non è stato salvato" in text_of(page.find(id="form-notice"))
    assert "Scrivi un numero intero da 1 a 999" in text_of(page.find(id=f"position-{key}-error"))
    assert page.find(id=f"shown-{key}").has_attr("checked")
    assert page.find(id=f"position-{key}")["value"] == "primo"
    with app.app_context():
        assert db.session.get(SiteSetting, "SITE_MENU") is None


def test_saving_without_the_token_is_refused(app, pages):
    admin = signed_in(app, "capo")
    response = admin.post("/admin/menu/", data={f"shown-page-{pages['chi-siamo']}": "1"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(SiteSetting, "SITE_MENU") is None


@pytest.mark.parametrize("username", ["editrice"])
def test_only_administrators_order_the_menu(app, pages, username):
    client = signed_in(app, username)
    assert client.get("/admin/menu/").status_code == 403
    token = form_fields(soup(client.get("/admin/articles/")), "logout-form")["csrf_token"]
    assert client.post("/admin/menu/", data={"csrf_token": token}).status_code == 403
    assert soup(client.get("/admin/articles/")).find("a", href="/admin/menu/") is None
    admin = signed_in(app, "capo")
    assert soup(admin.get("/admin/articles/")).find("a", href="/admin/menu/") is not None


def test_the_menu_costs_the_article_page_no_query(app, pages):
    admin = signed_in(app, "capo")
    save(admin, **{f"page_{pages['chi-siamo']}": "1"})
    reader = app.test_client()
    reader.get(ARTICLE_URL)
    with count_queries(app) as cached:
        assert menu_labels(reader.get(ARTICLE_URL)) == ["Chi siamo"]
    app.extensions["thread_cache"].clear()
    app.extensions["page_server"].clear()
    with count_queries(app) as uncached:
        assert menu_labels(reader.get(ARTICLE_URL)) == ["Chi siamo"]
    assert len(cached) == 1, cached
    assert len(uncached) <= 3, uncached
