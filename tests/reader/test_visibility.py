"""Who sees an article readers cannot see yet (a draft, a scheduled one) or
any more (in the bin): staff who may edit it, at its address, with a banner
and no cache; everyone else gets 404. A scheduled article appears on its
own at its time, everywhere, with no request or job to trigger it."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Article, ArticleStatus, Comment, Moderator, Role, utcnow
from tests.helpers import VALID_COMMENT, AuthActions, soup, text_of
from tests.reader.authored import add_article, add_staff

STATES = {
    "draft": {"status": ArticleStatus.DRAFT},
    "scheduled": {"published_at": None, "age": timedelta(days=-2)},
    "trashed": {"trashed": True},
}
BANNERS = {"draft": "Bozza", "scheduled": "Programmato per", "trashed": "Nel cestino"}


@pytest.fixture
def staff(app):
    """One account of each role; "autrice" writes the hidden articles."""
    with app.app_context():
        for username, role in [
            ("amministratore", Role.ADMINISTRATOR),
            ("editore", Role.EDITOR),
            ("autrice", Role.AUTHOR),
            ("altroautore", Role.AUTHOR),
            ("moderatore", Role.MODERATOR),
        ]:
            add_staff(username, role)


def hidden_article(app, state: str, slug: str = "in-arrivo") -> None:
    with app.app_context():
        author = db.session.scalar(sa.select(Moderator).where(Moderator.username == "autrice"))
        add_article(slug, author=author, tags=("segreto",), **STATES[state])


@pytest.mark.parametrize("state", STATES)
def test_readers_get_404_for_a_hidden_article(app, client, staff, state):
    hidden_article(app, state)
    response = client.get("/in-arrivo/")
    assert response.status_code == 404
    assert "In arrivo" not in response.get_data(as_text=True)
    assert client.get("/in-arrivo/feed/").status_code == 404
    assert client.get("/tag/segreto/").status_code == 404
    assert client.get("/tag/segreto/feed/").status_code == 404
    # Nothing of it was kept by the page server for the next reader.
    assert app.extensions["page_server"].size == 0


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize(
    ("username", "sees"),
    [
        ("amministratore", True),
        ("editore", True),
        ("autrice", True),
        ("altroautore", False),
        ("moderatore", False),
    ],
)
def test_staff_who_may_edit_see_it_with_a_banner_and_no_cache(
    app, client, staff, state, username, sees
):
    hidden_article(app, state)
    assert AuthActions(client).login(username=username).status_code == 303
    response = client.get("/in-arrivo/")
    if not sees:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in response.headers
    page = soup(response)
    banner = page.find(class_="post-state")
    assert BANNERS[state] in text_of(banner)
    assert text_of(page.find("h1")) == "In arrivo"
    # No comment form on an article readers cannot see.
    assert page.find("form", id="commentform") is None
    assert app.extensions["page_server"].size == 0
    assert app.extensions["thread_cache"].size == 0


def test_scheduled_banner_says_when_in_the_site_time_zone(app, client, staff):
    with app.app_context():
        add_article("in-arrivo", published_at=utcnow() + timedelta(days=3))
    AuthActions(client).login(username="editore")
    banner = text_of(soup(client.get("/in-arrivo/")).find(class_="post-state"))
    assert banner.startswith("Programmato per")
    assert str((utcnow() + timedelta(days=3)).year) in banner


@pytest.mark.parametrize("state", STATES)
def test_a_comment_on_a_hidden_article_is_refused(app, client, staff, state):
    hidden_article(app, state)
    response = client.post("/in-arrivo/comment", data={**VALID_COMMENT, "comment_parent": "0"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0


def test_a_comment_by_staff_on_a_draft_is_refused_too(app, client, staff):
    hidden_article(app, "draft")
    auth = AuthActions(client)
    auth.login(username="amministratore")
    response = client.post(
        "/in-arrivo/comment",
        data={"comment": "Una nota", "comment_parent": "0", "csrf_token": auth.csrf_token()},
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0


def test_the_page_server_never_serves_a_page_once_its_article_is_hidden(app, client):
    with app.app_context():
        add_article("presto-ritirato")
    assert client.get("/presto-ritirato/").status_code == 200
    assert client.get("/presto-ritirato/").status_code == 200
    assert app.extensions["page_server"].hits == 1
    with app.app_context():
        article = db.session.scalar(sa.select(Article).where(Article.slug == "presto-ritirato"))
        article.status = ArticleStatus.DRAFT
        db.session.commit()
    assert client.get("/presto-ritirato/").status_code == 404


def listed_everywhere(client) -> dict[str, bool]:
    """Whether the article "Tra poco" is on each public list, read by a reader."""
    where = {
        "index": "/",
        "tag": "/tag/puntuale/",
        "category": "/categoria/notizie/",
        "author": "/autore/autrice/",
        "feed": "/feed/",
        "tag feed": "/tag/puntuale/feed/",
        "sitemap": "/sitemap.xml",
    }
    return {
        name: "tra-poco" in client.get(path).get_data(as_text=True) for name, path in where.items()
    }


def test_a_scheduled_article_appears_everywhere_at_its_time_on_its_own(app, client, staff):
    with app.app_context():
        author = db.session.scalar(sa.select(Moderator).where(Moderator.username == "autrice"))
        # Something public on every list, so that each exists before.
        add_article("gia-uscito", author=author, categories=("Notizie",), tags=("Puntuale",))
        add_article(
            "tra-poco",
            author=author,
            categories=("Notizie",),
            tags=("Puntuale",),
            published_at=utcnow() + timedelta(seconds=2),
        )
    before = listed_everywhere(client)
    assert not any(before.values()), before
    assert client.get("/tra-poco/").status_code == 404
    time.sleep(2.2)
    # No request, no job in between: only the clock moved.
    after = listed_everywhere(client)
    assert all(after.values()), after
    assert client.get("/tra-poco/").status_code == 200


def test_feed_etag_changes_when_a_scheduled_article_reaches_its_time(app, client):
    with app.app_context():
        add_article("tra-poco", published_at=utcnow() + timedelta(seconds=1))
    first = client.get("/feed/")
    assert "tra-poco" not in first.get_data(as_text=True)
    time.sleep(1.2)
    again = client.get("/feed/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert "tra-poco" in again.get_data(as_text=True)


def test_index_etag_changes_when_a_scheduled_article_reaches_its_time(app, client):
    with app.app_context():
        add_article("tra-poco", published_at=utcnow() + timedelta(seconds=1))
    first = client.get("/")
    assert "tra-poco" not in first.get_data(as_text=True)
    time.sleep(1.2)
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert "tra-poco" in again.get_data(as_text=True)
