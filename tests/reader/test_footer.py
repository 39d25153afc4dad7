"""Every page's footer: the site's description (SITE_DESCRIPTION), the feeds
of articles and comments, the archives and the privacy page."""

from __future__ import annotations

import pytest

from tests.helpers import ARTICLE_URL, fresh_blog, soup, text_of

PATHS = ["/", ARTICLE_URL, "/cerca/?q=alfa", "/archivi/", "/privacy/", "/pagina-che-non-esiste/"]


def footer_of(client, path):
    return soup(client.get(path)).find("footer", class_="site-footer")


@pytest.mark.parametrize("path", PATHS)
def test_every_page_has_the_description_feeds_and_privacy(client, path):
    footer = footer_of(client, path)
    assert text_of(footer.find(class_="site-description")) == (
        "Articoli e discussioni dei lettori, moderate."
    )
    links = {text_of(link): link["href"] for link in footer.find_all("a")}
    assert links == {
        "Archivi": "/archivi/",
        "Feed degli articoli": "/feed/",
        "Feed dei commenti": "/comments/feed/",
        "Informativa sulla privacy": "/privacy/",
    }
    assert footer.find("nav")["aria-label"] == "Piè di pagina"


def test_the_description_and_privacy_page_come_from_the_settings(app_config):
    settings = {
        "SITE_DESCRIPTION": "Notizie di motori da Torino.",
        "PRIVACY_POLICY_URL": "https://example.it/privacy",
    }
    with fresh_blog(app_config, **settings) as app:
        footer = footer_of(app.test_client(), "/")
    assert text_of(footer.find(class_="site-description")) == "Notizie di motori da Torino."
    assert footer.find("a", string="Informativa sulla privacy")["href"] == (
        "https://example.it/privacy"
    )
