"""Threads as WordPress draws them: no "Rispondi" at the deepest level, replies
named in the feeds, a moderator's form filled from their account."""

from __future__ import annotations

from datetime import timedelta

import feedparser
import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from blog.extensions import db
from blog.models import CommentStatus, Moderator
from tests.helpers import (
    ARTICLE_URL,
    SLUG,
    add_comment,
    comments_in_db,
    form_fields,
    fresh_blog,
    soup,
    text_of,
)

SITE = "http://127.0.0.1:5000"


def chain(length: int) -> list[int]:
    """A chain of replies, each answering the one before."""
    ids: list[int] = []
    parent = None
    for depth in range(1, length + 1):
        parent = add_comment(
            parent=parent, comment=f"Livello {depth}", age=timedelta(minutes=100 - depth)
        )
        ids.append(parent.id)
    return ids


def reply_links(page, comment_ids: list[int]) -> list[bool]:
    return [
        page.find("li", id=f"comment-{cid}").find("article").find("a", class_="comment-reply-link")
        is not None
        for cid in comment_ids
    ]


@pytest.mark.parametrize(("depth", "length"), [(5, 7), (3, 4), (1, 2)])
def test_no_reply_link_at_the_deepest_level(app_config, depth, length):
    with fresh_blog(app_config, COMMENT_THREAD_DEPTH=depth) as app:
        with app.app_context():
            ids = chain(length)
        page = soup(app.test_client().get(ARTICLE_URL))
    expected = [level < depth for level in range(1, length + 1)]
    assert reply_links(page, ids) == expected


def test_a_replys_feed_entry_begins_by_naming_the_comment_it_answers(app, client):
    with app.app_context():
        parent = add_comment(author="Giulia <b>Bianchi</b>", comment="Prima")
        reply = add_comment(author="Bruno", comment="Seconda", parent=parent)
        hidden = add_comment(author="Nascosta", comment="Terza", status=CommentStatus.APPROVED)
        orphan = add_comment(author="Carla", comment="Quarta", parent=hidden)
        hidden.status = CommentStatus.PENDING
        db.session.commit()
        ids = parent.id, reply.id, orphan.id
    for url in ("/comments/feed/", f"/{SLUG}/feed/"):
        feed = feedparser.parse(client.get(url).get_data())
        assert not feed.bozo, feed.bozo_exception
        entries = {entry.id.rsplit("-", 1)[1]: entry for entry in feed.entries}
        html = BeautifulSoup(entries[str(ids[1])].content[0].value, "html.parser")
        first = html.find("p")
        assert first.get_text() == "In risposta a Giulia <b>Bianchi</b>."
        assert first.find("a")["href"] == f"{SITE}{ARTICLE_URL}?cpage=1#comment-{ids[0]}"
        assert [p.get_text() for p in html.find_all("p")][1:] == ["Seconda"]
        # A top-level comment, and a reply to what readers no longer see, name nobody.
        assert entries[str(ids[0])].content[0].value == "<p>Prima</p>"
        assert entries[str(ids[2])].content[0].value == "<p>Quarta</p>"


def set_account(app, **fields) -> None:
    with app.app_context():
        moderator = db.session.scalar(sa.select(Moderator))
        for name, value in fields.items():
            setattr(moderator, name, value)
        db.session.commit()


def test_a_moderator_writes_under_their_account(app, logged_in):
    set_account(app, email="anna@example.it", url="https://anna.example/")
    logged_in.set_cookie("comment_author", "Qualcun altro")
    page = soup(logged_in.get(ARTICLE_URL))
    fields = form_fields(page)
    # As WordPress: the form says who is writing instead of asking (not the cookie's name).
    said = text_of(page.find(class_="logged-in-as"))
    assert said.startswith("Connesso come Anna la moderatrice.")
    assert not {"author", "email", "url"} & set(fields)
    fields["comment"] = "Grazie a tutti per i commenti."
    fields.pop("wp-comment-cookies-consent", None)
    response = logged_in.post(f"/{SLUG}/comment", data=fields)
    assert response.status_code == 303
    with app.app_context():
        (comment,) = comments_in_db()
        assert (comment.author, comment.email, comment.url, comment.status) == (
            "Anna la moderatrice",
            "anna@example.it",
            "https://anna.example/",
            CommentStatus.APPROVED,
        )
        assert comment.moderator_id is not None


def test_a_moderator_sets_their_site_on_their_profile(app, logged_in):
    page = soup(logged_in.get("/moderation/profile"))
    fields = form_fields(page, "profile-form")
    fields.update(url="anna.example", mail_events="pending", mail_frequency="immediate")
    response = logged_in.post("/moderation/profile", data=fields)
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(Moderator.url)) == "http://anna.example"
    fields["url"] = "javascript:alert(1)"
    response = logged_in.post("/moderation/profile", data=fields)
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(Moderator.url)) == "http://anna.example"


def test_readers_forms_are_not_filled_from_any_account(app, client, moderator):
    set_account(app, email="anna@example.it", url="https://anna.example/")
    fields = form_fields(soup(client.get(ARTICLE_URL)))
    assert (fields["author"], fields["email"], fields["url"]) == ("", "", "")
