"""Archives by month: /<year>/<month>/ lists that month's public articles (in
the site's time zone), a page at a time, cacheable like the index; /archivi/
lists the months with their counts, and every page's footer links there."""

from __future__ import annotations

from datetime import datetime

import pytest

from blog.models import ArticleKind, ArticleStatus
from tests.helpers import soup, text_of
from tests.reader.authored import add_article


@pytest.fixture
def app_config(app_config):
    return {**app_config, "ARTICLES_PER_PAGE": 2, "TIMEZONE": "Europe/Rome"}


@pytest.fixture
def december(app):
    """Three public articles of December 2025 in Rome (one stored on 30
    November UTC), a draft, a page and one in the bin of that month, and one
    of January 2026 in Rome (stored on 31 December UTC)."""
    with app.app_context():
        add_article("dic-1", published_at=datetime(2025, 12, 3, 10))
        add_article("dic-2", published_at=datetime(2025, 12, 20, 10))
        # 23:30 UTC on 30 November is 00:30 on 1 December in Rome.
        add_article("dic-mezzanotte", published_at=datetime(2025, 11, 30, 23, 30))
        add_article("dic-bozza", published_at=datetime(2025, 12, 5), status=ArticleStatus.DRAFT)
        add_article("dic-pagina", published_at=datetime(2025, 12, 6), kind=ArticleKind.PAGE)
        add_article("dic-cestino", published_at=datetime(2025, 12, 7), trashed=True)
        # 23:30 UTC on 31 December is already January in Rome.
        add_article("gen-1", published_at=datetime(2025, 12, 31, 23, 30))


def slugs(response) -> list[str]:
    return [link["href"].strip("/") for link in soup(response).select("article.post-summary h2 a")]


def test_a_month_lists_its_public_articles_a_page_at_a_time(client, december):
    first = client.get("/2025/12/")
    assert first.status_code == 200
    page = soup(first)
    assert text_of(page.find("h1")) == "Mese: Dicembre 2025"
    assert slugs(first) == ["dic-2", "dic-1"]
    second = client.get("/2025/12/?page=2")
    assert slugs(second) == ["dic-mezzanotte"]
    assert client.get("/2025/12/?page=3").status_code == 404
    assert slugs(client.get("/2026/01/")) == ["gen-1"]


@pytest.mark.parametrize(
    "path", ["/2025/10/", "/2025/13/", "/2025/00/", "/2025/1/", "/25/12/", "/0000/12/"]
)
def test_an_empty_month_or_no_month_is_not_found(client, december, path):
    assert client.get(path).status_code == 404


def test_a_month_is_cacheable_like_the_index(client, december):
    response = client.get("/2025/12/")
    assert "public" in response.headers["Cache-Control"]
    again = client.get("/2025/12/", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_months_list_counts_public_articles_newest_first(client, december):
    page = soup(client.get("/archivi/"))
    items = [text_of(item) for item in page.select(".month-list li")]
    assert items == [
        "Gennaio 2026 (1 articolo)",
        "Dicembre 2025 (3 articoli)",
        "Febbraio 2021 (1 articolo)",
    ]
    assert page.select(".month-list a")[1]["href"] == "/2025/12/"


def test_every_page_links_the_archives_from_its_footer(client, december):
    for path in ("/", "/2025/12/", "/dic-1/"):
        footer = soup(client.get(path)).find("footer", class_="site-footer")
        assert footer.find("a", string="Archivi")["href"] == "/archivi/"
