"""Readers' search (/cerca/): stemming in the site's language, ranking,
highlights, only public articles, and a bounded cost for any query.

Run on SQLite (FTS5, words stemmed by PyStemmer) and on PostgreSQL
(``TEST_DATABASE_URL``: a tsvector column and PostgreSQL's own configuration
for the language).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from blog import create_app
from blog.extensions import db
from blog.models import Article, ArticleKind, ArticleStatus, utcnow
from tests.helpers import ARTICLE_URL, empty_schema, soup, test_database_url, text_of

SEARCH = "/cerca/"


def add_article(
    title: str,
    body: str,
    *,
    standfirst: str = "",
    slug: str | None = None,
    status: ArticleStatus = ArticleStatus.PUBLISH,
    kind: ArticleKind = ArticleKind.POST,
    published_at: datetime | None = None,
    trashed_at: datetime | None = None,
) -> int:
    """Store an article through the ORM, as every writer does; return its id."""
    article = Article(
        slug=slug or "-".join(title.lower().split())[:60],
        title=title,
        standfirst=standfirst,
        body_html=body,
        status=status,
        kind=kind,
        published_at=published_at or datetime(2024, 5, 1, 10, 0),
        trashed_at=trashed_at,
    )
    db.session.add(article)
    db.session.commit()
    return article.id


def titles_found(client: FlaskClient, query: str, **params: Any) -> list[str]:
    response = client.get(SEARCH, query_string={"q": query, **params})
    assert response.status_code == 200, response.status_code
    return [text_of(link) for link in soup(response).select(".search-result h2 a")]


def problem_of(response: Any) -> str:
    found = soup(response).select_one(".search-problem")
    return text_of(found) if found else ""


@pytest.fixture
def factory(app: Flask) -> Flask:
    """The app, with the article about a factory stored."""
    with app.app_context():
        add_article(
            "Visita a Melfi",
            "<p>La <strong>fabbrica</strong> di Melfi produce la nuova Jeep.</p>",
            slug="visita-a-melfi",
        )
    return app


def test_italian_stemming_finds_other_forms_of_a_word(factory, client):
    assert titles_found(client, "fabbriche") == ["Visita a Melfi"]
    assert titles_found(client, "FABBRICA") == ["Visita a Melfi"]
    # Every word must be there.
    assert titles_found(client, "fabbriche Cassino") == []


def test_words_found_are_highlighted_and_the_rest_escaped(app, client):
    with app.app_context():
        add_article(
            "Fabbriche & <script>",
            "<p>Il codice &lt;script&gt;alert(1)&lt;/script&gt; non entra in fabbrica.</p>",
            slug="fabbriche-e-script",
        )
    response = client.get(SEARCH, query_string={"q": "fabbrica"})
    page = soup(response)
    result = page.select_one(".search-result")
    assert [mark.get_text() for mark in result.select("h2 mark")] == ["Fabbriche"]
    assert [mark.get_text() for mark in result.select(".search-excerpt mark")] == ["fabbrica"]
    assert page.find("script", string=lambda text: text and "alert" in text) is None
    body = response.get_data(as_text=True)
    assert "Fabbriche</mark> &amp; &lt;script&gt;" in body
    excerpt = text_of(result.select_one(".search-excerpt"))
    with app.app_context():
        dialect = db.engine.dialect.name
    if dialect == "sqlite":
        # The article's text, shown as text.
        assert "<script>alert(1)</script>" in excerpt
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    else:
        # PostgreSQL's ts_headline leaves out what its parser reads as a tag.
        assert excerpt == "codice alert(1) non entra in fabbrica"


def test_english_stemming_when_the_site_speaks_english(app_config):
    app = create_app({**app_config, "SITE_LANGUAGE": "en"})
    with app.app_context():
        empty_schema()
        add_article("A visit", "<p>The factory in Melfi makes the new Jeep.</p>", slug="visit")
    client = app.test_client()
    assert titles_found(client, "factories") == ["A visit"]
    assert titles_found(client, "making") == ["A visit"]
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_title_match_ranks_before_matches_in_the_text(app, client):
    with app.app_context():
        add_article(
            "Un passo alpino",
            "<p>Lo Montreal, poi ancora lo Montreal, e il passo dello Montreal.</p>"
            + "<p>Altre strade di montagna e altri passi.</p>" * 20,
            slug="passo-alpino",
            published_at=datetime(2025, 1, 1),
        )
        add_article(
            "Alfa Romeo Montreal",
            "<p>Un SUV costruito a Cassino.</p>",
            slug="alfa-montreal",
            published_at=datetime(2020, 1, 1),
        )
    assert titles_found(client, "montreal") == ["Alfa Romeo Montreal", "Un passo alpino"]


def test_summary_matches_are_found_and_excerpted(app, client):
    with app.app_context():
        add_article(
            "Notizie",
            "<p>Nessuna parola cercata qui.</p>",
            standfirst="Gli stabilimenti di Pomigliano ripartono.",
            slug="notizie",
        )
    response = client.get(SEARCH, query_string={"q": "stabilimento pomigliano"})
    results = soup(response).select(".search-result")
    assert {text_of(result.select_one("h2")) for result in results} == {
        "Jean-Philippe Imparato ha visitato il Cassino Plant e Pomigliano d’Arco",
        "Notizie",
    }
    notizie = next(result for result in results if text_of(result.select_one("h2")) == "Notizie")
    assert [mark.get_text() for mark in notizie.select(".search-excerpt mark")] == [
        "stabilimenti",
        "Pomigliano",
    ]


def test_only_public_articles_and_pages_are_found(app, client):
    now = utcnow()
    with app.app_context():
        add_article("Bozza fabbrica", "<p>fabbrica</p>", status=ArticleStatus.DRAFT)
        add_article(
            "Programmato fabbrica", "<p>fabbrica</p>", published_at=now + timedelta(hours=1)
        )
        add_article("Cestino fabbrica", "<p>fabbrica</p>", trashed_at=now)
        add_article(
            "Bozza cestinata fabbrica",
            "<p>fabbrica</p>",
            status=ArticleStatus.DRAFT,
            trashed_at=now,
        )
        add_article("Pubblicato fabbrica", "<p>fabbrica</p>")
        add_article("Chi siamo fabbrica", "<p>fabbrica</p>", kind=ArticleKind.PAGE)
    found = titles_found(client, "fabbrica")
    assert sorted(found) == ["Chi siamo fabbrica", "Pubblicato fabbrica"]
    # Not by its own words either.
    assert titles_found(client, "programmato") == []
    assert titles_found(client, "bozza") == []
    assert titles_found(client, "cestino") == []


def test_a_scheduled_article_is_found_from_its_time_on_with_no_job(app, client, monkeypatch):
    with app.app_context():
        add_article(
            "Arriva la Junior", "<p>fabbrica</p>", published_at=utcnow() + timedelta(hours=1)
        )
    assert titles_found(client, "junior") == []

    later = utcnow() + timedelta(hours=2)
    monkeypatch.setattr("blog.models.articles.utcnow", lambda: later)
    assert titles_found(client, "junior") == ["Arriva la Junior"]


def test_the_index_follows_every_change_of_an_article(app, client):
    with app.app_context():
        article_id = add_article("Il Duetto", "<p>Un marchio storico.</p>", slug="duetto")
    assert titles_found(client, "duetto") == ["Il Duetto"]

    with app.app_context():
        article = db.session.get(Article, article_id)
        article.title = "Il Quadrifoglio"
        article.body_html = "<p>Un simbolo sportivo.</p>"
        db.session.commit()
    assert titles_found(client, "duetto") == []
    assert titles_found(client, "quadrifoglio simbolo") == ["Il Quadrifoglio"]

    with app.app_context():
        article = db.session.get(Article, article_id)
        article.trashed_at = utcnow()
        db.session.commit()
    assert titles_found(client, "quadrifoglio") == []
    with app.app_context():
        article = db.session.get(Article, article_id)
        article.trashed_at = None
        db.session.commit()
    assert titles_found(client, "quadrifoglio") == ["Il Quadrifoglio"]

    with app.app_context():
        db.session.delete(db.session.get(Article, article_id))
        db.session.commit()
        assert index_entries() == index_entries_of_articles()
    assert titles_found(client, "quadrifoglio") == []


def index_entries() -> int:
    """How many articles the search index holds an entry for."""
    if db.engine.dialect.name == "postgresql":
        query = "SELECT count(*) FROM article WHERE search_vector IS NOT NULL"
    else:
        query = "SELECT count(*) FROM article_search"
    return db.session.scalar(sa.text(query))


def index_entries_of_articles() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Article))


HOSTILE_QUERIES = [
    "NEAR(fabbrica melfi, 2)",
    "fabbr*",
    '"fabbrica',
    "title:fabbrica",
    "{title summary}: fabbrica",
    "fabbrica OR melfi NOT jeep AND",
    "^fabbrica + - ( ) :",
    "'; DROP TABLE article; --",
    "%_% \\ %",
    "* * *",
    '""""',
    "fabbrica\u202ejeep",
    "fa\u0301bbrica e\u0301",
    "🏭 fabbrica 🚗",
    "фабрика 工厂 مصنع",
    "\ufeff\u200b",
    "a" * 64,
    "a" * 65,
    "x" * 200,
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_get_results_or_a_clear_message(factory, client, query):
    response = client.get(SEARCH, query_string={"q": query})
    assert response.status_code == 200
    page = soup(response)
    assert page.select(".search-result") or problem_of(response)
    assert "Traceback" not in response.get_data(as_text=True)


def test_operators_are_read_as_words(factory, client):
    # FTS5 would read "title:" as a column filter and NEAR( as a function:
    # here they are two more words to find.
    assert titles_found(client, "title:fabbrica") == []
    assert titles_found(client, "NEAR(fabbrica melfi)") == []
    assert titles_found(client, '"fabbrica" melfi*') == ["Visita a Melfi"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Scrivi una o più parole da cercare negli articoli."),
        ("   ", "Scrivi una o più parole da cercare negli articoli."),
        ("!!! ??? ***", "La ricerca non contiene parole da cercare: scrivi lettere o cifre."),
        ("fabbrica " * 1000, "La ricerca è troppo lunga: scrivi al massimo 200 caratteri."),
    ],
)
def test_what_cannot_be_searched_is_said_in_italian(factory, client, query, message):
    response = client.get(SEARCH, query_string={"q": query})
    assert response.status_code == 200
    assert problem_of(response) == message
    assert soup(response).select(".search-result") == []


def test_nothing_found_is_said(factory, client):
    response = client.get(SEARCH, query_string={"q": "ornitorinco"})
    assert "Spiacenti, ma nulla corrisponde ai termini di ricerca" in problem_of(response)


def test_the_cost_of_a_query_is_bounded(factory, client):
    started = time.perf_counter()
    response = client.get(SEARCH, query_string={"q": "fabbrica " * 1250})  # 11,250 characters
    long_query = time.perf_counter() - started
    assert response.status_code == 200
    assert "troppo lunga" in problem_of(response)

    # Twenty words within the length cap: the first eight are searched.
    words = "fabbrica melfi " + " ".join(f"parola{number}" for number in range(18))
    started = time.perf_counter()
    response = client.get(SEARCH, query_string={"q": words})
    many_words = time.perf_counter() - started
    assert response.status_code == 200
    notice = soup(response).select_one(".search-notice")
    assert text_of(notice) == "Sono state cercate solo le prime 8 parole."
    assert long_query < 2 and many_words < 2


def test_pages_of_results_are_bounded(app, client):
    with app.app_context():
        for number in range(25):
            add_article(
                f"Alfasud {number:02d}",
                "<p>Una berlina.</p>",
                published_at=datetime(2024, 1, 1) + timedelta(days=number),
            )
    first = client.get(SEARCH, query_string={"q": "alfasud"})
    assert len(soup(first).select(".search-result")) == 10
    assert "25 risultati" in text_of(soup(first).select_one(".search-count"))
    third = titles_found(client, "alfasud", page="3")
    assert len(third) == 5
    everything = titles_found(client, "alfasud") + titles_found(client, "alfasud", page="2") + third
    assert sorted(everything) == [f"Alfasud {number:02d}" for number in range(25)]
    assert titles_found(client, "alfasud", page="abc") == titles_found(client, "alfasud")
    assert titles_found(client, "alfasud", page="-1") == titles_found(client, "alfasud")
    beyond = client.get(SEARCH, query_string={"q": "alfasud", "page": "4"})
    assert beyond.status_code == 200
    assert "Non ci sono altri risultati" in problem_of(beyond)
    assert client.get(SEARCH, query_string={"q": "alfasud", "page": "21"}).status_code == 404
    assert client.get(SEARCH, query_string={"q": "alfasud", "page": "9" * 40}).status_code == 200


def test_the_results_page_is_shared_by_every_reader(factory, client):
    response = client.get(SEARCH, query_string={"q": "fabbrica"})
    assert response.headers["Cache-Control"].startswith("public")
    assert "Set-Cookie" not in response.headers
    again = client.get(
        SEARCH, query_string={"q": "fabbrica"}, headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


@pytest.fixture
def limited_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config.update(RATELIMIT_ENABLED=True, SEARCH_RATE_LIMIT="2 per minute")
    return app_config


def test_searches_are_rate_limited_per_address(limited_config, app, client):
    for _ in range(2):
        assert client.get(SEARCH, query_string={"q": "fabbrica"}).status_code == 200
    refused = client.get(SEARCH, query_string={"q": "fabbrica"})
    assert refused.status_code == 429
    assert "Troppe ricerche in poco tempo" in refused.get_data(as_text=True)
    other = client.get(
        SEARCH, query_string={"q": "fabbrica"}, environ_overrides={"REMOTE_ADDR": "192.0.2.9"}
    )
    assert other.status_code == 200


@pytest.mark.parametrize("path", ["/", ARTICLE_URL, "/privacy/", "/non-esiste/", SEARCH])
def test_every_page_has_the_search_box(client, path):
    page = soup(client.get(path))
    form = page.select_one("form[role=search]")
    assert form["action"] == SEARCH and form["method"] == "get"
    field = form.select_one("input[name=q]")
    label = form.select_one(f"label[for={field['id']}]")
    assert text_of(label) == "Cerca:"
    assert field["type"] == "search"


def test_the_box_keeps_what_was_searched(factory, client):
    page = soup(client.get(SEARCH, query_string={"q": "fabbriche <b>"}))
    assert page.select_one("input[name=q]")["value"] == "fabbriche <b>"
    assert text_of(page.select_one("h1")) == "Risultati della ricerca per: fabbriche <b>"


def test_search_reindex_follows_a_change_of_language(app_config):
    italian = create_app(app_config)
    with italian.app_context():
        empty_schema()
        add_article("A visit", "<p>The factories in Melfi.</p>", slug="visit")
    english = create_app({**app_config, "SITE_LANGUAGE": "en"})
    # Indexed by the Italian stemmer, "factory" is not "factories" yet.
    assert titles_found(english.test_client(), "factory") == []
    result = english.test_cli_runner().invoke(args=["search-reindex"])
    assert result.exit_code == 0, result.output
    assert "Articles indexed for search: 1" in result.output
    assert titles_found(english.test_client(), "factory") == ["A visit"]
    for each in (italian, english):
        with each.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def migrated_database(tmp_path: Any) -> Any:
    """An empty database of its own (SQLite file, or PostgreSQL database)."""
    url = sa.make_url(test_database_url(tmp_path))
    if url.get_backend_name() != "postgresql":
        yield url.render_as_string(hide_password=False)
        return
    name = f"{url.database}_search"
    server = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()


def test_the_migration_indexes_the_articles_already_there(migrated_database):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": migrated_database,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        upgrade(revision="f51721260c9a")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO article (slug, title, standfirst, body_html, published_at,"
                    " comments_open, approved_comment_count, comment_version)"
                    " VALUES ('vecchio', 'Un vecchio articolo', '', '<p>Le fabbriche.</p>',"
                    " :when, true, 0, 0)"
                ),
                {"when": datetime(2020, 1, 1)},
            )
        upgrade()
    try:
        assert titles_found(app.test_client(), "fabbrica") == ["Un vecchio articolo"]
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def few_candidates(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config.update(SEARCH_CANDIDATES=5)
    return app_config


def test_only_the_newest_candidates_are_ranked(few_candidates, app, client):
    with app.app_context():
        # The oldest has the word in its title: it would rank first, but it
        # is not among the newest five articles holding the word.
        add_article("Alfasud storica", "<p>Una berlina.</p>", published_at=datetime(2001, 1, 1))
        for number in range(7):
            add_article(
                f"Notizia {number}",
                "<p>Parla della Alfasud.</p>",
                published_at=datetime(2024, 1, 1) + timedelta(days=number),
            )
    response = client.get(SEARCH, query_string={"q": "alfasud"})
    found = [text_of(link) for link in soup(response).select(".search-result h2 a")]
    assert sorted(found) == [f"Notizia {number}" for number in range(2, 7)]
    assert text_of(soup(response).select_one(".search-count")) == "Più di 5 risultati"
