"""Pages ("Chi siamo", "Contatti") as readers see them: at /<slug>/ like an
article, without date, byline or comments; never in the index, feeds,
archives or tag pages; in the sitemap (search has its own test)."""

from __future__ import annotations

import feedparser

from blog.extensions import db
from blog.models import ArticleKind, Comment, Role
from tests.helpers import soup, text_of
from tests.reader.authored import add_article, add_staff
from tests.reader.test_sitemap import SITE, read_sitemap


def add_page(app, slug: str = "chi-siamo", **fields):
    with app.app_context():
        editor = add_staff("editrice", Role.EDITOR)
        add_article(
            slug,
            title="Chi siamo",
            author=editor,
            kind=ArticleKind.PAGE,
            categories=fields.pop("categories", ()),
            tags=fields.pop("tags", ()),
            comments_open=fields.pop("comments_open", False),
            **fields,
        )


def test_a_page_has_no_date_byline_or_comments(app, client):
    add_page(app)
    response = client.get("/chi-siamo/")
    assert response.status_code == 200
    page = soup(response)
    article = page.find("article", class_="post")
    assert text_of(article.find("h1")) == "Chi siamo"
    assert "Il testo di chi-siamo." in text_of(article)
    assert article.find("time") is None
    assert article.find(class_="byline") is None
    assert page.find(id="comments") is None
    assert page.find("form", id="commentform") is None
    assert page.find("meta", property="article:published_time") is None
    assert page.find("meta", property="og:type")["content"] == "website"


def test_a_comment_sent_to_a_page_is_refused_and_not_stored(app, client):
    add_page(app, comments_open=True)
    response = client.post(
        "/chi-siamo/comment",
        data={"comment": "Ciao", "author": "Mario", "email": "mario@example.it"},
    )
    assert response.status_code == 403
    assert "Questa pagina non accetta commenti." in text_of(soup(response))
    with app.app_context():
        assert db.session.query(Comment).count() == 0


def test_a_page_has_no_discussion_to_follow_or_feed(app, client):
    add_page(app)
    assert client.post("/chi-siamo/segui", data={"follow-email": "a@example.it"}).status_code == 404
    assert client.get("/chi-siamo/feed/").status_code == 404


def test_a_page_is_in_no_list_or_feed(app, client):
    add_page(app, categories=("Auto",), tags=("Fiat",))
    index = text_of(soup(client.get("/")))
    assert "Chi siamo" not in index
    assert client.get("/categoria/auto/").status_code == 404
    assert client.get("/tag/fiat/").status_code == 404
    feed = feedparser.parse(client.get("/feed/").get_data())
    assert "Chi siamo" not in [entry.title for entry in feed.entries]
    months = text_of(soup(client.get("/archivi/")))
    assert "1 articolo" in months, "only the shipped article is counted"


def test_a_public_page_is_in_the_sitemap_and_a_draft_is_not(app, client):
    add_page(app)
    with app.app_context():
        add_article("contatti", kind=ArticleKind.PAGE, status="draft")
    urls = read_sitemap(client)
    assert f"{SITE}/chi-siamo/" in urls
    assert f"{SITE}/contatti/" not in urls
