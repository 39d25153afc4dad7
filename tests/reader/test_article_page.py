"""The article as readers see it: text, structure, and no outside requests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from blog.articles.seed import load_content
from blog.extensions import db
from blog.models import Article
from tests.helpers import ARTICLE_URL, SLUG, add_comment, soup, text_of

SEED_FILE = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "seed"
    / "article-imparato-cassino-pomigliano.txt"
)
TITLE = "Jean-Philippe Imparato ha visitato il Cassino Plant e Pomigliano d’Arco"
STANDFIRST = (
    "Il nuovo CEO di Alfa Romeo, Jean-Philippe Imparato, si è recato presso gli "
    "stabilimenti di Cassino e di Pomigliano D’Arco"
)
CAPTION = "Jean-Philippe Imparato Cassino Pomigliano"


def test_article_page_shows_title_standfirst_and_date(client):
    response = client.get(ARTICLE_URL)
    assert response.status_code == 200
    page = soup(response)
    assert page.html["lang"] == "it"
    article = page.find("article", class_="post")
    header = article.find("header")
    assert text_of(header.find("h1")) == TITLE
    assert text_of(header.find(class_="standfirst")) == STANDFIRST
    time = header.find("time")
    assert time["datetime"] == "2021-02-04T11:00:00Z"
    assert text_of(time) == "4 febbraio 2021"
    assert page.title.get_text().startswith(TITLE)


def test_article_body_has_subheading_and_no_caption_without_its_photo(client):
    body = soup(client.get(ARTICLE_URL)).find(class_="post-content")
    assert [text_of(h) for h in body.find_all("h2")] == ["Un segnale importante"]
    # The photographs are not shipped; their captions were only their names.
    assert body.find("figure") is None
    assert body.find("img") is None, "the images are not available: no broken <img>"
    assert CAPTION not in text_of(body)
    text = text_of(body)
    assert "dell’innovazione destinata ai nostri clienti, presenti e futuri”" in text
    assert "#ProudlyAlfaRomeo" in text
    assert text.rstrip().endswith("appaiono sicuramente interessanti.")
    assert "Lascia un commento" not in text


def test_seed_residue_is_not_article_text(client):
    body = text_of(soup(client.get(ARTICLE_URL)).find("article", class_="post"))
    assert not body.startswith("in ")
    assert not body.lower().startswith("in\n")


@pytest.mark.skipif(not SEED_FILE.exists(), reason="../shared/seed is not beside the project")
def test_shipped_article_is_the_seed_text_verbatim(client):
    lines = [line for line in SEED_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert lines[0] == "in" and lines[-1] == "Lascia un commento"
    title, standfirst, *body = lines[1:-1]
    # The captions name photographs the blog does not have: left out.
    body = [line for line in body if line != CAPTION]
    page = soup(client.get(ARTICLE_URL))
    assert text_of(page.find("h1")) == title
    assert text_of(page.find(class_="standfirst")) == standfirst
    blocks = page.find(class_="post-content").find_all(["p", "h2", "figcaption"])
    assert [text_of(block) for block in blocks] == body


def test_content_file_keeps_typographic_apostrophes():
    (entry,) = load_content()
    assert "’" in entry["title"] and "'" not in entry["title"]
    assert all("'" not in next(iter(block.values())) for block in entry["body"])


def test_index_lists_article_with_link_standfirst_date_and_count(client, app):
    with app.app_context():
        add_comment()
        add_comment(comment="Un secondo commento.")
    page = soup(client.get("/"))
    summary = page.find("article", class_="post-summary")
    link = summary.find("h2").find("a")
    assert text_of(link) == TITLE
    assert link["href"] == ARTICLE_URL
    assert text_of(summary.find(class_="standfirst")) == STANDFIRST
    assert summary.find("time")["datetime"] == "2021-02-04T11:00:00Z"
    assert "2 commenti" in text_of(summary)


def test_index_lists_newest_first(client, app):
    from datetime import datetime

    from blog.extensions import db
    from blog.models import Article

    with app.app_context():
        db.session.add(
            Article(
                slug="nuovo",
                title="Un articolo più recente",
                body_html="<p>x</p>",
                published_at=datetime(2022, 1, 1),
            )
        )
        db.session.add(
            Article(
                slug="futuro",
                title="Programmato",
                body_html="<p>x</p>",
                published_at=datetime(2999, 1, 1),
            )
        )
        db.session.commit()
    titles = [text_of(h) for h in soup(client.get("/")).select("article.post-summary h2")]
    assert titles == ["Un articolo più recente", TITLE]
    assert client.get("/futuro/").status_code == 404


def test_unknown_article_is_an_italian_404(client):
    response = client.get("/non-esiste/")
    assert response.status_code == 404
    assert "Pagina non trovata" in text_of(soup(response))


@pytest.mark.parametrize("path", ["/", ARTICLE_URL])
def test_pages_make_no_request_outside_the_site(client, app, path):
    with app.app_context():
        add_comment(url="https://esterno.example/", comment="Visita https://altro.example/")
    page = soup(client.get(path))
    for tag in page.find_all(["script", "link", "img", "iframe", "source", "video", "audio"]):
        if tag.name == "link" and tag.get("rel") == ["canonical"]:
            continue  # names the page's address; a browser never fetches it
        for attribute in ("src", "href", "srcset"):
            value = tag.get(attribute)
            if value:
                assert value.startswith("/") and not value.startswith("//"), (tag.name, value)
    for style in page.find_all("style"):
        assert "url(" not in style.get_text()
    assert not page.find_all(attrs={"style": True}), "no inline styles"


def test_stylesheet_loads_nothing_from_outside(client):
    css = client.get("/static/css/site.css").get_data(as_text=True)
    assert "@import" not in css
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", css)
    assert "@font-face" not in css


def test_page_is_semantic(client):
    page = soup(client.get(ARTICLE_URL))
    assert page.find("main")
    assert page.find("article", class_="post").find("header")
    assert page.find("meta", attrs={"name": "viewport"})
    comments = page.find("section", id="comments")
    assert comments and comments.find("section", id="respond")


def test_article_slug_is_stable():
    assert SLUG == load_content()[0]["slug"]


def test_the_article_list_answers_conditional_gets(app, client):
    first = client.get("/")
    etag = first.headers["ETag"]
    again = client.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    with app.app_context():
        db.session.scalar(sa.select(Article)).title = "Titolo cambiato"
        db.session.commit()
    changed = client.get("/", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Titolo cambiato" in changed.get_data(as_text=True)


def test_the_privacy_note_is_one_sentence_leading_to_the_policy(app, client):
    note = soup(client.get(ARTICLE_URL)).find(id="privacy-note")
    assert " ".join(note.get_text().split()) == "Privacy: come trattiamo i tuoi dati."
    assert note.find("a")["href"] == "/privacy/"
    policy = text_of(soup(client.get("/privacy/")))
    for fact in ("90 giorni", "30 giorni", "impronta cifrata", "cookie"):
        assert fact in policy
    assert "Akismet" not in policy
    # Sent to a third party: said beside the form and on the policy page.
    app.config["AKISMET_KEY"] = "key"
    note = text_of(soup(app.test_client().get(ARTICLE_URL + "?x=1")).find(id="privacy-note"))
    assert "vengono inviati anche ad Akismet" in note
    assert "Akismet" in text_of(soup(app.test_client().get("/privacy/?x=1")))
