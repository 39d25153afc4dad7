"""/sitemap.xml: the home page, every public article, the category, tag and
author pages that list one, with absolute addresses from SITE_URL; never a
draft, a scheduled article or one in the bin."""

from __future__ import annotations

from datetime import datetime, timedelta
from xml.etree import ElementTree

from blog.models import ArticleStatus, Role, utcnow
from tests.helpers import SLUG
from tests.reader.authored import add_article, add_staff

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
SITE = "http://127.0.0.1:5000"


def read_sitemap(client) -> dict[str, str | None]:
    response = client.get("/sitemap.xml", headers={"Host": "127.0.0.1:5000"})
    assert response.status_code == 200
    assert response.content_type == "application/xml; charset=utf-8"
    root = ElementTree.fromstring(response.get_data())
    return {
        url.findtext("s:loc", namespaces=NS): url.findtext("s:lastmod", namespaces=NS)
        for url in root.findall("s:url", NS)
    }


def test_the_sitemap_lists_public_pages_only(app, client):
    updated = datetime(2030, 1, 2, 3, 4, 5)
    with app.app_context():
        writer = add_staff("lucia", Role.AUTHOR)
        add_staff("muto", Role.AUTHOR)
        add_article(
            "pubblico", author=writer, categories=("Auto",), tags=("Fiat",), updated_at=updated
        )
        add_article("bozza", author=writer, tags=("Segreto",), status=ArticleStatus.DRAFT)
        add_article("programmato", tags=("Futuro",), published_at=utcnow() + timedelta(days=1))
        add_article("cestinato", tags=("Buttato",), trashed=True)
    urls = read_sitemap(client)
    assert set(urls) == {
        f"{SITE}/",
        f"{SITE}/{SLUG}/",
        f"{SITE}/pubblico/",
        f"{SITE}/categoria/auto/",
        f"{SITE}/tag/fiat/",
        f"{SITE}/autore/lucia/",
    }
    assert urls[f"{SITE}/pubblico/"] == "2030-01-02T03:04:05Z"
    assert urls[f"{SITE}/"] == "2030-01-02T03:04:05Z"
    assert urls[f"{SITE}/tag/fiat/"] == "2030-01-02T03:04:05Z"


def test_lastmod_is_the_publication_when_never_updated(app, client):
    with app.app_context():
        article = add_article("pubblico")
        expected = article.published_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert read_sitemap(client)[f"{SITE}/pubblico/"] == expected


def test_the_sitemap_is_cached_like_the_feeds(client):
    response = client.get("/sitemap.xml")
    assert response.headers["Cache-Control"].startswith("public")
    again = client.get("/sitemap.xml", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
