"""Atom feeds, read back with feedparser as a feed reader would."""

from __future__ import annotations

from xml.etree import ElementTree

import feedparser
import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Article, CommentStatus
from tests.helpers import ARTICLE_URL, SLUG, add_comment, soup
from tests.xss_vectors import XSS_VECTORS

FEEDS = ["/feed/", "/comments/feed/", f"/{SLUG}/feed/"]
#: The tests' SITE_URL, which every id is built from.
SITE = "http://127.0.0.1:5000"
NS = {"a": "http://www.w3.org/2005/Atom"}


def parse(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.content_type == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    return feed


def test_articles_feed_lists_the_article(client):
    feed = parse(client, "/feed/")
    [entry] = feed.entries
    assert entry.title.startswith("Jean-Philippe Imparato")
    assert entry.link.endswith(ARTICLE_URL)
    assert "Cassino" in entry.content[0].value


def test_comment_feeds_show_approved_comments_only(app, client):
    with app.app_context():
        add_comment(comment="Commento approvato", author="Giulia")
        add_comment(comment="Commento in attesa", status=CommentStatus.PENDING)
        add_comment(comment="Commento spam", status=CommentStatus.SPAM)
    for url in FEEDS[1:]:
        feed = parse(client, url)
        texts = [entry.content[0].value for entry in feed.entries]
        assert texts == ["<p>Commento approvato</p>"]
        assert feed.entries[0].author == "Giulia"
        assert "example.it" not in client.get(url).get_data(as_text=True)  # no emails


@pytest.mark.parametrize("vector", XSS_VECTORS[:20])
def test_commenter_text_is_escaped(app, client, vector):
    with app.app_context():
        add_comment(comment=vector, author=vector[:200])
    body = client.get("/comments/feed/").get_data(as_text=True)
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.bozo_exception
    for entry in feed.entries:
        # feedparser sanitizes too; the raw XML must carry no live markup.
        assert "<script" not in body.lower()
        assert "onerror=" not in entry.content[0].value.lower()


def test_pages_link_their_feeds(client):
    page = soup(client.get(ARTICLE_URL))
    hrefs = {link["href"] for link in page.find_all("link", rel="alternate")}
    assert set(FEEDS) <= hrefs


@pytest.mark.parametrize("url", FEEDS)
def test_feeds_answer_conditional_gets(app, client, url):
    first = client.get(url)
    etag = first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    with app.app_context():
        if url == "/feed/":
            db.session.scalar(sa.select(Article)).title = "Cambia il feed"
            db.session.commit()
        else:
            add_comment(comment="Cambia il feed")
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Cambia il feed" in changed.get_data(as_text=True)


def test_unknown_article_feed_is_404(client):
    assert client.get("/non-esiste/feed/").status_code == 404


def test_each_feed_has_an_id_of_its_own(app, client):
    with app.app_context():
        add_comment(comment="Un commento nel feed")
    ids = [parse(client, url).feed.id for url in FEEDS]
    assert len(set(ids)) == len(FEEDS), ids
    entry_ids = {e.id for url in FEEDS for e in parse(client, url).entries}
    assert entry_ids.isdisjoint(ids), "no feed shares its id with an entry"
    # The articles feed keeps the id it always had.
    assert parse(client, "/feed/").feed.id == f"{SITE}/"


def atom(client, url) -> ElementTree.Element:
    """The feed's XML as written (feedparser fills in what a feed leaves out)."""
    return ElementTree.fromstring(client.get(url).get_data())


def test_every_feed_has_an_author(app, client):
    with app.app_context():
        add_comment(comment="Commento con autore", author="Giulia")
    for url in FEEDS:
        root = atom(client, url)
        # RFC 4287: the feed's author stands for every entry without one.
        assert root.findtext("a:author/a:name", namespaces=NS) == "Il blog"
    for url in FEEDS[1:]:
        names = [
            e.findtext("a:author/a:name", namespaces=NS)
            for e in atom(client, url).iterfind("a:entry", NS)
        ]
        assert names == ["Giulia"]


def test_no_summary_repeats_the_content(app, client):
    with app.app_context():
        add_comment(comment="Il testo una volta sola")
    for url in FEEDS:
        for entry in atom(client, url).iterfind("a:entry", NS):
            summary = entry.findtext("a:summary", namespaces=NS)
            assert summary is None or summary != entry.findtext("a:content", namespaces=NS)
    [article] = atom(client, "/feed/").iterfind("a:entry", NS)
    assert article.findtext("a:summary", namespaces=NS).startswith("Il nuovo CEO di Alfa Romeo")
    assert atom(client, "/comments/feed/").find("a:entry/a:summary", NS) is None


def test_entry_ids_stay_what_they_were(app, client):
    with app.app_context():
        comment_id = add_comment(comment="Id stabile").id
    [article] = parse(client, "/feed/").entries
    assert article.id == f"{SITE}{ARTICLE_URL}"
    [entry] = parse(client, "/comments/feed/").entries
    assert entry.id == f"{SITE}{ARTICLE_URL}#comment-{comment_id}"
