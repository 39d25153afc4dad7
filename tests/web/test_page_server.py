"""Whole article pages served from memory to anonymous readers (one page
for all of them, with no cookie and no token), and everything personal
left to Flask."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Article, CommentStatus
from tests.helpers import (
    ARTICLE_URL,
    Commenter,
    add_comment,
    comments_in_db,
    form_fields,
    fresh_blog,
    soup,
    text_of,
)


@pytest.fixture
def app_config(app_config):
    # Long enough that a slow machine never sees an entry expire between two
    # views of one test; expiry itself has a test of its own.
    return {**app_config, "PAGE_CACHE_SECONDS": 60}


def server(app):
    return app.extensions["page_server"]


def test_second_view_comes_from_memory_and_matches_flask(app, client):
    with app.app_context():
        add_comment(comment="Un commento approvato")
    first = client.get(ARTICLE_URL)
    assert server(app).hits == 0
    second = app.test_client().get(ARTICLE_URL)
    assert server(app).hits == 1
    assert second.status_code == 200
    assert "Un commento approvato" in text_of(soup(second))
    assert second.get_data() == first.get_data()
    for header in ("Content-Security-Policy", "X-Frame-Options", "Vary", "Cache-Control", "ETag"):
        assert second.headers[header] == first.headers[header]
    assert second.headers["X-Request-ID"] != first.headers["X-Request-ID"]
    assert int(second.headers["Content-Length"]) == len(second.get_data())


def test_every_anonymous_reader_gets_the_same_page_and_no_cookie(app):
    pages = [app.test_client().get(ARTICLE_URL) for _ in range(3)]
    assert server(app).hits == 2
    assert len({page.get_data() for page in pages}) == 1
    for page in pages:
        assert "Set-Cookie" not in page.headers
        assert page.headers["Cache-Control"].startswith("public")
        assert "csrf_token" not in form_fields(soup(page))


def test_a_conditional_get_from_memory_is_a_304(app, client):
    first = client.get(ARTICLE_URL)
    client.get(ARTICLE_URL)
    hits = server(app).hits
    again = client.get(ARTICLE_URL, headers={"If-None-Match": first.headers["ETag"]})
    assert server(app).hits == hits + 1
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]


def test_an_etag_of_another_version_gets_the_new_page(app, client):
    etag = client.get(ARTICLE_URL).headers["ETag"]
    with app.app_context():
        add_comment(comment="Nuovo commento")
    response = client.get(ARTICLE_URL, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] != etag
    assert "Nuovo commento" in text_of(soup(response))


def test_a_form_served_from_memory_posts_a_comment(app, client):
    client.get(ARTICLE_URL)
    response = Commenter(client).post(comment="Dal modulo in memoria")
    assert server(app).hits >= 1
    assert response.status_code == 303
    with app.app_context():
        assert [c.body for c in comments_in_db()] == ["Dal modulo in memoria"]


@pytest.mark.parametrize(
    "cookie", ["comment_author", "comment_author_email", "comment_author_url", "remember_token"]
)
def test_personal_cookies_go_to_flask(app, client, cookie):
    client.get(ARTICLE_URL)
    client.set_cookie(cookie, "Maria")
    page = soup(client.get(ARTICLE_URL))
    assert server(app).hits == 0
    if cookie.startswith("comment_author"):
        field = {"comment_author": "author", "comment_author_email": "email"}.get(cookie, "url")
        assert page.find("input", attrs={"name": field})["value"].endswith("Maria")


def test_a_reader_with_a_pending_comment_sees_it(app, client):
    commenter = Commenter(client)
    commenter.post(comment="Aspetto la moderazione")
    hits = server(app).hits
    page = soup(client.get(ARTICLE_URL))
    assert "Aspetto la moderazione" in text_of(page)
    assert server(app).hits == hits
    other = app.test_client()
    other.get(ARTICLE_URL)
    assert "Aspetto la moderazione" not in text_of(soup(other.get(ARTICLE_URL)))


def test_a_moderator_gets_their_own_page(app, logged_in):
    hits = server(app).hits
    page = soup(logged_in.get(ARTICLE_URL))
    assert server(app).hits == hits
    assert page.find("form", action="/moderation/logout") is not None


def test_a_tampered_session_goes_to_flask(app, client):
    client.set_cookie("session", "non.una.sessione")
    response = client.get(ARTICLE_URL)
    client.get(ARTICLE_URL)
    assert response.status_code == 200
    assert server(app).hits == 0


@pytest.mark.parametrize("query", ["?replytocom=1", "?cpage=abc", "?cpage=2&x=1"])
def test_other_queries_go_to_flask(app, client, query):
    with app.app_context():
        add_comment(comment="Genitore")
    for _ in range(2):
        assert client.get(ARTICLE_URL + query).status_code == 200
    assert server(app).hits == 0


def test_pages_are_cached_one_by_one(app, client):
    with app.app_context():
        for number in range(60):
            add_comment(comment=f"Numero {number}")
    for _ in range(2):
        first = text_of(soup(client.get(ARTICLE_URL + "?cpage=1")))
        second = text_of(soup(client.get(ARTICLE_URL)))  # the newest page, the second
    assert server(app).hits == 2
    assert "Numero 0" in first and "Numero 0" not in second
    assert "Numero 55" in second and "Numero 55" not in first


def test_unknown_and_unpublished_articles_are_404(app, client):
    with app.app_context():
        article = db.session.scalar(sa.select(Article))
        article.published_at = article.published_at.replace(year=2999)
        db.session.commit()
    for _ in range(2):
        assert client.get(ARTICLE_URL).status_code == 404
        assert client.get("/non-esiste/").status_code == 404


def test_any_change_to_the_article_row_renews_the_page(app, client):
    client.get(ARTICLE_URL)
    with app.app_context():
        db.session.scalar(sa.select(Article)).title = "Un titolo nuovo"
        db.session.commit()
    assert "Un titolo nuovo" in text_of(soup(client.get(ARTICLE_URL)))


def test_entries_expire_after_page_cache_seconds(app, client):
    """What changes with the clock alone shows within PAGE_CACHE_SECONDS."""
    client.get(ARTICLE_URL)
    with app.app_context():
        article = db.session.scalar(sa.select(Article))
        # Behind the application's back: only the clock can notice.
        db.session.execute(
            sa.update(Article).where(Article.id == article.id).values(title="Cambiato di nascosto")
        )
        db.session.commit()
    assert "Cambiato di nascosto" not in text_of(soup(client.get(ARTICLE_URL)))
    for key, entry in list(server(app)._entries.items()):
        server(app)._entries[key] = entry.__class__(
            **{**entry.__dict__, "rendered_at": entry.rendered_at - 3600}
        )
    assert "Cambiato di nascosto" in text_of(soup(client.get(ARTICLE_URL)))


def test_the_page_server_can_be_turned_off(app_config):
    with fresh_blog(app_config, PAGE_CACHE_SECONDS=0) as app:
        client = app.test_client()
        for _ in range(3):
            assert client.get(ARTICLE_URL).status_code == 200
        assert server(app).hits == 0


def test_a_closed_article_is_served_from_memory_without_a_form(app, client):
    with app.app_context():
        db.session.scalar(sa.select(Article)).comments_open = False
        db.session.commit()
    client.get(ARTICLE_URL)
    page = soup(client.get(ARTICLE_URL))
    assert server(app).hits == 1
    assert page.find("form", id="commentform") is None
    assert "I commenti sono chiusi." in text_of(page)


def test_only_the_article_route_is_served_from_memory(app, client):
    """An article row slugged like another page (an old import) never takes its path."""
    from datetime import datetime

    with app.app_context():
        db.session.add(
            Article(
                slug="feed",
                title="Un vecchio articolo",
                body_html="<p>x</p>",
                published_at=datetime(2024, 1, 1),
            )
        )
        db.session.commit()
    assert "<feed" in client.get("/feed/").get_data(as_text=True)
    with app.app_context():
        db.session.add(
            Article(
                slug="appena-uscito",
                title="Appena uscito",
                body_html="<p>y</p>",
                published_at=datetime(2024, 2, 1),
            )
        )
        db.session.commit()
    again = client.get("/feed/")
    assert again.mimetype == "application/atom+xml"
    assert "Appena uscito" in again.get_data(as_text=True)
    assert server(app).lookups == 0


def test_the_time_trap_still_catches_a_bot_served_from_memory(app_config):
    """The form time is the render's; an entry lives at most PAGE_CACHE_SECONDS."""
    with fresh_blog(app_config, COMMENT_MIN_SECONDS=30) as app:
        app.test_client().get(ARTICLE_URL)
        response = Commenter(app.test_client()).post(comment="Troppo veloce")
        assert server(app).hits >= 1
        assert response.status_code == 303
        with app.app_context():
            [comment] = comments_in_db()
            assert comment.status == CommentStatus.SPAM
