"""The index a page at a time, and the pages of a category, a tag and an
author, each with its feed: public articles only, in the site's language,
with each article's byline, categories and tags."""

from __future__ import annotations

from datetime import timedelta

import feedparser
import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import ArticleStatus, Moderator, Role
from tests.helpers import soup, text_of
from tests.reader.authored import add_article, add_staff


@pytest.fixture
def app_config(app_config):
    return {**app_config, "ARTICLES_PER_PAGE": 2}


@pytest.fixture
def writers(app):
    """Lucia wrote three public articles in "Auto" (tags Fiat, Alfa Romeo), and a draft."""
    with app.app_context():
        lucia = add_staff(
            "lucia",
            Role.AUTHOR,
            display_name="Lucia Bianchi",
            email="lucia@example.it",
        )
        lucia.bio = "Scrive di motori dal 1998."
        db.session.commit()
        for number, tags in enumerate([("Fiat",), ("Alfa Romeo",), ("Fiat", "Alfa Romeo")]):
            add_article(
                f"auto-{number}",
                author=lucia,
                categories=("Auto",),
                tags=tags,
                age=timedelta(hours=10 - number),
            )
        add_article(
            "bozza-di-lucia",
            author=lucia,
            categories=("Auto", "Segreti"),
            tags=("Fiat",),
            status=ArticleStatus.DRAFT,
        )


def listed_slugs(response) -> list[str]:
    return [link["href"].strip("/") for link in soup(response).select("article.post-summary h2 a")]


def test_the_index_is_paginated_newest_first(client, writers):
    first = client.get("/")
    # The shipped article is the oldest of the four public ones.
    assert listed_slugs(first) == ["auto-2", "auto-1"]
    older = soup(first).find("a", rel="next")
    assert text_of(older) == "Articoli meno recenti"
    second = client.get(older["href"])
    assert listed_slugs(second)[0] == "auto-0"
    assert "Pagina 2 di 2" in text_of(soup(second))
    assert soup(second).find("a", rel="prev")["href"] == "/"
    assert client.get("/?page=3").status_code == 404
    assert client.get("/?page=abc").status_code == 200


def test_each_entry_has_title_summary_date_byline_and_terms(client, writers):
    entry = soup(client.get("/")).select_one("article.post-summary")
    assert text_of(entry.find("h2")) == "Auto 2"
    assert text_of(entry.find(class_="standfirst")) == "Il riassunto di auto-2."
    assert entry.find("time")["datetime"]
    byline = entry.find(class_="byline")
    assert text_of(byline) == "di Lucia Bianchi"
    assert byline.find("a")["href"] == "/autore/lucia/"
    terms = entry.find(class_="post-terms")
    assert "Pubblicato in Auto" in text_of(terms)
    links = {link["href"] for link in terms.find_all("a")}
    assert links == {"/categoria/auto/", "/tag/fiat/", "/tag/alfa-romeo/"}


def test_the_article_page_shows_byline_categories_and_tags(client, writers):
    page = soup(client.get("/auto-2/"))
    assert page.find(class_="byline").find("a")["href"] == "/autore/lucia/"
    footer = page.find(class_="post-footer")
    assert {link["href"] for link in footer.find_all("a")} == {
        "/categoria/auto/",
        "/tag/fiat/",
        "/tag/alfa-romeo/",
    }


@pytest.mark.parametrize(
    ("path", "title", "slugs"),
    [
        ("/categoria/auto/", "Categoria: Auto", ["auto-2", "auto-1"]),
        ("/tag/fiat/", "Tag: Fiat", ["auto-2", "auto-0"]),
        ("/tag/alfa-romeo/", "Tag: Alfa Romeo", ["auto-2", "auto-1"]),
        ("/autore/lucia/", "Autore: Lucia Bianchi", ["auto-2", "auto-1"]),
    ],
)
def test_archive_pages_list_public_articles_in_italian(client, writers, path, title, slugs):
    response = client.get(path)
    assert response.status_code == 200
    page = soup(response)
    assert text_of(page.find("h1")) == title
    assert page.title.string.startswith(title)
    assert listed_slugs(response) == slugs
    assert "bozza-di-lucia" not in response.get_data(as_text=True)
    # Indexable, with its feed named in the head.
    assert page.find("meta", attrs={"name": "robots"}) is None
    feed = page.find("link", rel="alternate", href=f"{path}feed/")
    assert feed["type"] == "application/atom+xml"
    assert page.find("link", rel="canonical")["href"].endswith(path)
    assert response.headers["Cache-Control"].startswith("public")
    again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_archive_pages_are_paginated(client, writers):
    second = client.get("/categoria/auto/?page=2")
    assert listed_slugs(second) == ["auto-0"]
    assert client.get("/categoria/auto/?page=3").status_code == 404


def test_the_author_page_shows_name_and_bio_never_the_email(client, writers):
    response = client.get("/autore/lucia/")
    text = response.get_data(as_text=True)
    assert "Scrive di motori dal 1998." in text_of(soup(response).find(class_="archive-header"))
    assert "lucia@example.it" not in text


@pytest.mark.parametrize(
    "path",
    [
        "/categoria/sconosciuta/",
        "/tag/sconosciuto/",
        "/autore/nessuno/",
        # Only a draft carries it: no page says what is still to come.
        "/categoria/segreti/",
        "/categoria/segreti/feed/",
        "/categoria/sconosciuta/feed/",
        "/tag/sconosciuto/feed/",
        "/autore/nessuno/feed/",
    ],
)
def test_unknown_or_unpublished_archives_are_not_found(client, writers, path):
    assert client.get(path).status_code == 404


def test_an_author_with_nothing_public_or_deactivated_has_no_page(app, client, writers):
    with app.app_context():
        add_staff("marco", Role.AUTHOR)
    assert client.get("/autore/marco/").status_code == 404
    with app.app_context():
        lucia = db.session.scalar(sa.select(Moderator).where(Moderator.username == "lucia"))
        lucia.active = False
        db.session.commit()
    assert client.get("/autore/lucia/").status_code == 404
    assert client.get("/autore/lucia/feed/").status_code == 404
    # Their articles stay, signed with their name, linking nowhere.
    byline = soup(client.get("/auto-2/")).find(class_="byline")
    assert text_of(byline) == "di Lucia Bianchi"
    assert byline.find("a") is None


@pytest.mark.parametrize(
    ("path", "title", "count"),
    [
        ("/categoria/auto/feed/", "Categoria: Auto – Il blog", 3),
        ("/tag/fiat/feed/", "Tag: Fiat – Il blog", 2),
        ("/autore/lucia/feed/", "Autore: Lucia Bianchi – Il blog", 3),
    ],
)
def test_archive_feeds(client, writers, path, title, count):
    response = client.get(path)
    assert response.status_code == 200
    assert response.content_type == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == title
    assert len(feed.entries) == count
    assert "bozza-di-lucia" not in response.get_data(as_text=True)
    assert feed.entries[0].author == "Lucia Bianchi"
    assert {tag.term for tag in feed.entries[0].tags} == {"Auto", "Fiat", "Alfa Romeo"}
    assert "lucia@example.it" not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"].startswith("public")
    again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_feed_etag_changes_with_its_articles(app, client, writers):
    first = client.get("/tag/fiat/feed/")
    with app.app_context():
        add_article("auto-3", tags=("Fiat",))
    again = client.get("/tag/fiat/feed/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert "auto-3" in again.get_data(as_text=True)


def test_open_graph_and_description_come_from_the_summary(client, writers):
    page = soup(client.get("/auto-1/"))
    assert page.find("meta", attrs={"name": "description"})["content"] == (
        "Il riassunto di auto-1."
    )
    assert page.find("meta", property="og:description")["content"] == "Il riassunto di auto-1."
    author = page.find("meta", property="article:author")["content"]
    assert author == "http://127.0.0.1:5000/autore/lucia/"
    assert page.find("meta", property="article:section")["content"] == "Auto"
    tags = [meta["content"] for meta in page.find_all("meta", property="article:tag")]
    assert tags == ["Alfa Romeo"]
