"""An address an article had answers 301 to the one it has, for good: the
page with its query, its comment feed, and a comment sent from a page open
since before the change, which is stored, not lost."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Article, ArticleRedirect, ArticleStatus, Comment
from tests.helpers import VALID_COMMENT, form_fields, soup
from tests.reader.authored import add_article


@pytest.fixture
def moved(app):
    """ "nuovo-titolo", once at "vecchio-titolo"."""
    with app.app_context():
        article = add_article("nuovo-titolo")
        db.session.add(ArticleRedirect(old_slug="vecchio-titolo", article_id=article.id))
        db.session.commit()
        return article.id


@pytest.mark.parametrize(
    ("query", "location"),
    [
        ("", "/nuovo-titolo/"),
        ("?replytocom=3", "/nuovo-titolo/?replytocom=3"),
        ("?cpage=2&corder=oldest", "/nuovo-titolo/?cpage=2&corder=oldest"),
        ("?slug=x", "/nuovo-titolo/?slug=x"),
    ],
)
def test_an_old_address_answers_301_with_its_query(client, moved, query, location):
    response = client.get("/vecchio-titolo/" + query)
    assert response.status_code == 301
    assert response.headers["Location"] == location
    assert client.get(location).status_code == 200


def test_the_301_may_be_kept_by_shared_caches(client, moved):
    response = client.get("/vecchio-titolo/")
    assert response.headers["Cache-Control"].startswith("public")


def test_an_old_comment_feed_answers_301(client, moved):
    response = client.get("/vecchio-titolo/feed/")
    assert response.status_code == 301
    assert response.headers["Location"] == "/nuovo-titolo/feed/"


def test_a_comment_sent_to_the_old_address_is_stored_on_the_article(app, client, moved):
    form = form_fields(soup(client.get("/nuovo-titolo/")))
    assert (
        soup(client.get("/nuovo-titolo/"))
        .find("form", id="commentform")["action"]
        .startswith("/nuovo-titolo/comment")
    )
    form.pop("wp-comment-cookies-consent", None)
    form.update(VALID_COMMENT)
    # A page open in a tab since before the address changed posts here.
    response = client.post("/vecchio-titolo/comment", data=form)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/nuovo-titolo/")
    with app.app_context():
        comment = db.session.scalar(sa.select(Comment))
        assert comment.article_id == moved
        assert comment.body == VALID_COMMENT["comment"]


def test_an_old_address_of_a_hidden_article_is_not_found(app, client, moved):
    with app.app_context():
        db.session.get(Article, moved).status = ArticleStatus.DRAFT
        db.session.commit()
    assert client.get("/vecchio-titolo/").status_code == 404
    assert client.get("/vecchio-titolo/feed/").status_code == 404
    assert client.post("/vecchio-titolo/comment", data=VALID_COMMENT).status_code == 404


def test_a_current_address_wins_over_an_old_one(app, client, moved):
    with app.app_context():
        add_article("vecchio-titolo", title="Un altro articolo")
    response = client.get("/vecchio-titolo/")
    assert response.status_code == 200
    assert "Un altro articolo" in response.get_data(as_text=True)


def test_comment_links_name_the_current_address(app, client, moved):
    from blog.core.links import comment_link
    from tests.helpers import add_comment

    with app.test_request_context():
        comment = add_comment()
        article = db.session.get(Article, moved)
        comment.article = article
        db.session.commit()
        assert "/nuovo-titolo/" in comment_link(comment)
        assert "vecchio" not in comment_link(comment)
