"""What search engines and link previews see: descriptions, Open Graph, canonical
links, robots.txt, the favicon, and noindex on the pages that are nobody's result."""

from __future__ import annotations

import pytest

from tests.helpers import ARTICLE_URL, SLUG, soup

SITE = "http://127.0.0.1:5000"
PRIVATE_PAGES = [
    "/moderation/",
    "/moderation/settings",
    "/moderation/privacy",
    "/moderation/profile",
]


def meta(page, **attrs) -> str | None:
    tag = page.find("meta", attrs=attrs)
    return tag["content"] if tag else None


def test_article_page_has_description_and_open_graph(client):
    page = soup(client.get(ARTICLE_URL))
    standfirst = "Il nuovo CEO di Alfa Romeo, Jean-Philippe Imparato, si è recato"
    assert meta(page, name="description").startswith(standfirst)
    assert meta(page, property="og:type") == "article"
    assert meta(page, property="og:title").startswith("Jean-Philippe Imparato ha visitato")
    assert meta(page, property="og:description").startswith(standfirst)
    assert meta(page, property="og:url") == f"{SITE}{ARTICLE_URL}"
    assert meta(page, property="og:site_name") == "Il blog"
    assert meta(page, property="og:locale") == "it_IT"
    assert meta(page, property="article:published_time") == "2021-02-04T11:00:00Z"
    assert page.find("link", rel="canonical")["href"] == f"{SITE}{ARTICLE_URL}"
    assert meta(page, name="robots") is None


@pytest.mark.parametrize("query", ["?cpage=1", "?replytocom=1", "?utm_source=x"])
def test_every_copy_of_the_article_names_one_canonical_url(client, query):
    page = soup(client.get(ARTICLE_URL + query))
    assert page.find("link", rel="canonical")["href"] == f"{SITE}{ARTICLE_URL}"


def test_canonical_comes_from_site_url_not_from_the_host_header(app, client):
    app.config["TRUSTED_HOSTS"] = None  # let the forged name through to the view
    page = soup(client.get(ARTICLE_URL, headers={"Host": "evil.example"}))
    assert page.find("link", rel="canonical")["href"] == f"{SITE}{ARTICLE_URL}"
    assert meta(page, property="og:url") == f"{SITE}{ARTICLE_URL}"


def test_index_has_description_and_canonical(client):
    page = soup(client.get("/"))
    assert meta(page, name="description") == "Articoli e discussioni dei lettori, moderate."
    assert page.find("link", rel="canonical")["href"] == f"{SITE}/"


def test_robots_txt_keeps_crawlers_out_of_moderation_and_mail_links(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.content_type == "text/plain; charset=utf-8"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "User-agent: *"
    assert set(lines[1:]) == {"Disallow: /moderation/", "Disallow: /admin/", "Disallow: /email/"}
    assert response.headers["Cache-Control"].startswith("public")


def test_favicon_is_an_svg_linked_from_every_page(client):
    icon = soup(client.get("/")).find("link", rel="icon")
    assert icon["type"] == "image/svg+xml"
    response = client.get(icon["href"])
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).startswith("<svg")


@pytest.mark.parametrize("url", ["/", ARTICLE_URL, f"/{SLUG}/feed/", "/privacy/", "/robots.txt"])
def test_public_pages_may_be_indexed(client, url):
    response = client.get(url)
    assert "X-Robots-Tag" not in response.headers
    if response.mimetype == "text/html":
        assert meta(soup(response), name="robots") is None


@pytest.mark.parametrize("url", PRIVATE_PAGES)
def test_moderation_pages_say_noindex(logged_in, url):
    response = logged_in.get(url)
    assert response.status_code == 200
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert meta(soup(response), name="robots") == "noindex, nofollow"


@pytest.mark.parametrize("url", ["/moderation/login", "/email/moderazione/non-valido"])
def test_login_and_mail_link_pages_say_noindex(client, url):
    response = client.get(url)
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert meta(soup(response), name="robots") == "noindex, nofollow"


def test_robots_txt_is_no_article_address(app):
    from blog.core.slugs import reserved_slugs

    assert "robots.txt" in reserved_slugs(app.url_map)
