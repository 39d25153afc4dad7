"""Which comment page an article opens on, and the orders readers switch between."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import timedelta

import pytest

from blog import create_app
from blog.core.links import comment_link
from blog.extensions import db
from blog.models import Comment
from tests.helpers import ARTICLE_URL, add_comment, fresh_blog, soup, text_of


def three_threads() -> list[int]:
    """Three threads, oldest first, one a page; the oldest has a reply."""
    ids = [
        add_comment(comment=f"Filo {number}", age=timedelta(hours=5 - number)).id
        for number in range(3)
    ]
    first = db.session.get_one(Comment, ids[0])
    add_comment(comment="Risposta al filo 0", parent=first, age=timedelta(minutes=1))
    return ids


@pytest.fixture
def blog(app_config):
    """Factory: a blog with three threads, one a page, under ``settings``."""
    with ExitStack() as stack:

        def make(**settings):
            app = stack.enter_context(fresh_blog(app_config, COMMENTS_PER_PAGE=1, **settings))
            with app.app_context():
                ids = three_threads()
            return app, ids

        yield make


def shown(response) -> list[str]:
    return [text_of(item) for item in soup(response).select(".comment-list .comment-content")]


def position(response) -> str:
    return text_of(soup(response).find(class_="comment-nav-position"))


def test_an_article_opens_on_its_newest_page_by_default(blog):
    app, _ = blog()
    response = app.test_client().get(ARTICLE_URL)
    assert response.status_code == 200
    assert position(response) == "Pagina 3 di 3"
    assert shown(response) == ["Filo 2"]
    older = soup(response).find("a", class_="comment-nav-older")
    assert text_of(older) == "Commenti meno recenti →"
    assert older["href"] == f"{ARTICLE_URL}?cpage=2#comments"


def test_oldest_opens_on_the_first_page(blog):
    app, _ = blog(COMMENT_DEFAULT_PAGE="oldest")
    response = app.test_client().get(ARTICLE_URL)
    assert position(response) == "Pagina 1 di 3"
    assert shown(response) == ["Filo 0", "Risposta al filo 0"]


@pytest.mark.parametrize(
    ("query", "page", "texts"),
    [
        ("?corder=oldest", "Pagina 1 di 3", ["Filo 0", "Risposta al filo 0"]),
        ("?corder=newest", "Pagina 3 di 3", ["Filo 2"]),
        ("?corder=newest&cpage=1", "Pagina 1 di 3", ["Filo 0", "Risposta al filo 0"]),
        ("?cpage=2&corder=oldest", "Pagina 2 di 3", ["Filo 1"]),
        ("?corder=piu-bello", "Pagina 3 di 3", ["Filo 2"]),
        ("?corder=", "Pagina 3 di 3", ["Filo 2"]),
        ("?cpage=abc", "Pagina 3 di 3", ["Filo 2"]),
        ("?cpage=99", "Pagina 3 di 3", ["Filo 2"]),
    ],
)
def test_readers_choose_the_order_and_unknown_values_mean_the_default(blog, query, page, texts):
    app, _ = blog()
    response = app.test_client().get(ARTICLE_URL + query)
    assert response.status_code == 200
    assert position(response) == page
    assert shown(response) == texts


def test_the_order_links_are_plain_links_and_say_which_is_current(blog):
    app, _ = blog()
    client = app.test_client()
    nav = soup(client.get(ARTICLE_URL)).find("nav", class_="comment-order")
    links = {text_of(link): link for link in nav.find_all("a")}
    assert list(links) == ["Meno recenti", "Più recenti", "Più apprezzati"]
    assert links["Più recenti"]["href"] == f"{ARTICLE_URL}#comments"
    assert links["Più recenti"]["aria-current"] == "true"
    assert links["Meno recenti"]["href"] == f"{ARTICLE_URL}?corder=oldest#comments"
    assert not links["Meno recenti"].has_attr("aria-current")
    oldest = soup(client.get(links["Meno recenti"]["href"].split("#")[0]))
    current = oldest.find("nav", class_="comment-order").find("a", attrs={"aria-current": "true"})
    assert text_of(current) == "Meno recenti"
    newer = oldest.find("a", class_="comment-nav-newer")
    assert newer["href"] == f"{ARTICLE_URL}?corder=oldest&cpage=2#comments"
    assert shown(client.get(newer["href"].split("#")[0])) == ["Filo 1"]


def test_newest_first_inside_a_page_too(app_config):
    with fresh_blog(app_config) as app:
        with app.app_context():
            three_threads()
        client = app.test_client()
        assert shown(client.get(ARTICLE_URL)) == [
            "Filo 2",
            "Filo 1",
            "Filo 0",
            "Risposta al filo 0",
        ]
        assert shown(client.get(ARTICLE_URL + "?corder=oldest")) == [
            "Filo 0",
            "Risposta al filo 0",
            "Filo 1",
            "Filo 2",
        ]


@pytest.mark.parametrize("query", ["?corder=oldest", "?corder=newest&cpage=2", "?cpage=1"])
def test_each_order_and_page_is_cacheable_like_the_article(blog, query):
    app, _ = blog()
    client = app.test_client()
    first = client.get(ARTICLE_URL + query)
    assert first.headers["Cache-Control"].startswith("public")
    assert "Set-Cookie" not in first.headers
    etag = first.headers["ETag"]
    again = client.get(ARTICLE_URL + query, headers={"If-None-Match": etag})
    assert again.status_code == 304
    # The same ETag never answers for another order or page.
    other = client.get(ARTICLE_URL + "?corder=best", headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_the_page_server_keeps_each_order_apart(blog):
    # A lifetime no loaded machine outlasts between the two rounds.
    app, _ = blog(PAGE_CACHE_SECONDS=60)
    client = app.test_client()
    server = app.extensions["page_server"]
    for _ in range(2):
        newest = shown(client.get(ARTICLE_URL))
        oldest = shown(client.get(ARTICLE_URL + "?corder=oldest"))
        second = shown(client.get(ARTICLE_URL + "?cpage=2&corder=oldest"))
    assert server.hits == 3
    assert (newest, oldest, second) == (["Filo 2"], ["Filo 0", "Risposta al filo 0"], ["Filo 1"])


@pytest.mark.parametrize("default", ["newest", "oldest"])
def test_a_comment_link_lands_on_the_page_that_shows_it(blog, default):
    app, ids = blog(COMMENT_DEFAULT_PAGE=default)
    client = app.test_client()
    with app.test_request_context():
        links = [comment_link(db.session.get_one(Comment, cid), external=False) for cid in ids]
    for comment_id, link in zip(ids, links, strict=True):
        page = soup(client.get(link.split("#")[0]))
        assert page.find(id=f"comment-{comment_id}") is not None, link
    if default == "oldest":
        assert links[0] == f"{ARTICLE_URL}#comment-{ids[0]}"
    else:
        # The newest page changes as threads arrive: a link names its page.
        assert links[2] == f"{ARTICLE_URL}?cpage=3#comment-{ids[2]}"
        with app.app_context():
            add_comment(comment="Filo 3")
        assert soup(client.get(links[2].split("#")[0])).find(id=f"comment-{ids[2]}") is not None


def test_a_default_page_of_another_kind_stops_the_start(app_config):
    with pytest.raises(RuntimeError, match="COMMENT_DEFAULT_PAGE"):
        create_app({**app_config, "COMMENT_DEFAULT_PAGE": "last"})
