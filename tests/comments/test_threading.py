"""Approved comments, oldest first, nested as WordPress nests them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from blog.extensions import db
from blog.models import CommentStatus
from tests.helpers import ARTICLE_URL, add_comment, soup, text_of


def chain(length: int) -> list[int]:
    """Store a chain of replies, each answering the one before; return ids."""
    ids: list[int] = []
    parent = None
    for depth in range(1, length + 1):
        parent = add_comment(
            parent=parent, comment=f"Livello {depth}", age=timedelta(minutes=100 - depth)
        )
        ids.append(parent.id)
    return ids


def depth_of(page, comment_id: int) -> int:
    """How many comment <li> elements enclose this comment, itself included."""
    item = page.find("li", id=f"comment-{comment_id}")
    return 1 + len(item.find_parents("li", class_="comment"))


def test_reply_sits_inside_its_parent(client, app):
    with app.app_context():
        parent = add_comment(author="Anna", age=timedelta(hours=2))
        reply = add_comment(author="Bruno", parent=parent, age=timedelta(hours=1))
        other = add_comment(author="Carla")
        ids = parent.id, reply.id, other.id
    page = soup(client.get(ARTICLE_URL + "?corder=oldest"))
    top = page.select("ol.comment-list > li")
    assert [li["id"] for li in top] == [f"comment-{ids[0]}", f"comment-{ids[2]}"]
    nested = page.select_one(f"li#comment-{ids[0]} > ol.children > li")
    assert nested["id"] == f"comment-{ids[1]}"


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("", "newer"),
        ("?corder=newest", "newer"),
        ("?corder=oldest", "older"),
        ("?corder=x", "newer"),
    ],
)
def test_threads_come_in_the_order_asked_for(client, app, query, first):
    """Newest thread first by default (COMMENT_DEFAULT_PAGE=newest); replies
    stay in reading order inside their thread whatever the order."""
    with app.app_context():
        older = add_comment(comment="Più vecchio", age=timedelta(days=1))
        newer = add_comment(comment="Più recente", age=timedelta(minutes=2)).id
        reply = add_comment(comment="Risposta", parent=older, age=timedelta(minutes=1)).id
        ids = {"older": f"comment-{older.id}", "newer": f"comment-{newer}"}
    page = soup(client.get(ARTICLE_URL + query))
    top = [li["id"] for li in page.select("ol.comment-list > li")]
    assert top[0] == ids[first] and set(top) == set(ids.values())
    assert page.select_one(f"li#{ids['older']} > ol.children > li")["id"] == f"comment-{reply}"


def test_replies_deeper_than_the_limit_are_shown_at_the_last_level(client, app):
    with app.app_context():
        ids = chain(7)
    page = soup(client.get(ARTICLE_URL))
    assert [depth_of(page, cid) for cid in ids] == [1, 2, 3, 4, 5, 5, 5]
    last_level = page.find("li", id=f"comment-{ids[4]}").parent
    assert [li["id"] for li in last_level.find_all("li", recursive=False)] == [
        f"comment-{cid}" for cid in ids[4:]
    ]


@pytest.mark.parametrize(("limit", "expected"), [(1, [1, 1, 1]), (2, [1, 2, 2])])
def test_thread_depth_is_configurable(app_config, limit, expected):
    from blog import create_app

    app_config["COMMENT_THREAD_DEPTH"] = limit
    app = create_app(app_config)
    with app.app_context():
        db.create_all()
        from blog.articles.seed import seed_articles

        seed_articles()
        ids = chain(3)
    page = soup(app.test_client().get(ARTICLE_URL))
    assert [depth_of(page, cid) for cid in ids] == expected
    with app.app_context():
        db.drop_all()


def test_each_comment_shows_author_date_body_and_reply_link(client, app):
    with app.app_context():
        comment = add_comment(
            author="Giulia", url="https://giulia.example/", comment="Che *bella* notizia"
        )
        comment.created_at = datetime(2026, 11, 25, 14, 10)  # UTC: 15:10 in Rome
        db.session.commit()
        comment_id = comment.id
    item = soup(client.get(ARTICLE_URL)).find("li", id=f"comment-{comment_id}")
    author = item.find(class_="comment-author").find("a")
    assert text_of(author) == "Giulia"
    assert author["href"] == "https://giulia.example/"
    assert author["rel"] == ["nofollow", "ugc", "noopener"]
    date_link = item.find(class_="comment-metadata").find("a")
    assert date_link["href"] == f"#comment-{comment_id}"
    assert text_of(date_link) == "25 novembre 2026 alle 15:10"
    assert date_link.find("time")["datetime"] == "2026-11-25T14:10:00Z"
    assert text_of(item.find(class_="comment-content")) == "Che *bella* notizia"
    reply = item.find("a", class_="comment-reply-link")
    assert text_of(reply) == "Rispondi"


def test_author_without_site_is_plain_text(client, app):
    with app.app_context():
        comment_id = add_comment(author="Senza Sito", url="").id
    item = soup(client.get(ARTICLE_URL)).find("li", id=f"comment-{comment_id}")
    assert item.find(class_="comment-author").find("a") is None
    assert text_of(item.find(class_="comment-author")) == "Senza Sito"


@pytest.mark.parametrize(
    ("approved", "heading"), [(0, "Nessun commento"), (1, "1 commento"), (3, "3 commenti")]
)
def test_heading_counts_approved_comments(client, app, approved, heading):
    with app.app_context():
        for number in range(approved):
            add_comment(comment=f"Commento {number}")
        for status in (CommentStatus.PENDING, CommentStatus.SPAM, CommentStatus.TRASH):
            add_comment(status=status, comment=f"Nascosto {status}")
    page = soup(client.get(ARTICLE_URL))
    assert text_of(page.find(id="comments-title")) == heading
    assert len(page.select("li.comment")) == approved


@pytest.mark.parametrize("status", [CommentStatus.PENDING, CommentStatus.SPAM, CommentStatus.TRASH])
def test_unapproved_comments_are_not_shown(client, app, status):
    with app.app_context():
        add_comment(status=status, comment="Testo nascosto")
    assert "Testo nascosto" not in text_of(soup(client.get(ARTICLE_URL)))


def test_reply_whose_parent_is_hidden_starts_its_own_thread(client, app):
    from blog.moderation.workflow import Action, apply_action

    with app.app_context():
        parent = add_comment(age=timedelta(hours=1))
        reply_id = add_comment(parent=parent).id
        apply_action(parent, Action.TRASH)
        db.session.commit()
    top = soup(client.get(ARTICLE_URL)).select("ol.comment-list > li")
    assert [li["id"] for li in top] == [f"comment-{reply_id}"]


def store_chain_directly(length: int) -> list[int]:
    """Insert a chain of approved replies ``length`` deep in one statement; return ids."""
    import sqlalchemy as sa

    from blog.models import Article, Comment
    from blog.moderation.workflow import refresh_article_comments
    from tests.helpers import SLUG

    article = db.session.scalar(sa.select(Article).where(Article.slug == SLUG))
    first = (db.session.scalar(sa.select(sa.func.max(Comment.id))) or 0) + 1
    ids = list(range(first, first + length))
    start = datetime(2024, 1, 1)
    db.session.execute(
        sa.insert(Comment),
        [
            {
                "id": comment_id,
                "article_id": article.id,
                "parent_id": comment_id - 1 if comment_id > first else None,
                "thread_id": first,
                "author": f"Autore {depth}",
                "email": "catena@example.it",
                "body": f"Anello {depth}",
                "body_html": f"<p>Anello {depth}</p>",
                "status": CommentStatus.APPROVED,
                "created_at": start + timedelta(seconds=depth),
            }
            for depth, comment_id in enumerate(ids, start=1)
        ],
    )
    refresh_article_comments(article)
    db.session.commit()
    return ids


def test_a_reply_chain_thousands_deep_is_shown_whole(client, app, logged_in):
    from tests.helpers import SLUG

    with app.app_context():
        ids = store_chain_directly(1200)
    reader = app.test_client()
    response = reader.get(ARTICLE_URL)
    assert response.status_code == 200
    page = soup(response)
    shown = page.select("li.comment")
    assert [li["id"] for li in shown] == [f"comment-{cid}" for cid in ids]
    assert len(shown[-1].find_parents("li", class_="comment")) == 4  # the fifth level
    assert "Anello 1200" in text_of(page)
    queue = logged_in.get("/moderation/?status=approved")
    assert queue.status_code == 200 and "Anello 1200" in text_of(soup(queue))
    for feed in ("/feed/", "/comments/feed/", f"/{SLUG}/feed/"):
        assert reader.get(feed).status_code == 200, feed
    assert "Anello 1200" in reader.get(f"/{SLUG}/feed/").get_data(as_text=True)


def store_loop() -> tuple[int, int, int]:
    """A thread whose two replies answer each other, as a bad import leaves them."""
    root = add_comment(comment="Radice", age=timedelta(hours=3))
    first = add_comment(parent=root, comment="Primo del giro", age=timedelta(hours=2))
    second = add_comment(parent=first, comment="Secondo del giro", age=timedelta(hours=1))
    first.parent_id = second.id
    db.session.commit()
    return root.id, first.id, second.id


def test_replies_whose_parents_loop_are_still_shown(client, app):
    with app.app_context():
        root_id, first_id, second_id = store_loop()
    page = soup(client.get(ARTICLE_URL))
    assert {li["id"] for li in page.select("li.comment")} == {
        f"comment-{cid}" for cid in (root_id, first_id, second_id)
    }
    assert "Secondo del giro" in text_of(page)


def test_deleting_the_start_of_a_thread_with_a_loop_of_replies_ends(client, app):
    from blog.models import Comment
    from blog.moderation.workflow import Action, apply_action

    with app.app_context():
        root_id, first_id, second_id = store_loop()
        root = db.session.get(Comment, root_id)
        apply_action(root, Action.TRASH)
        apply_action(root, Action.DELETE)
        db.session.commit()
        threads = {cid: db.session.get(Comment, cid).thread_id for cid in (first_id, second_id)}
    # One of the two starts the thread, the other belongs under it.
    assert set(threads.values()) <= {first_id, second_id}
    assert len(set(threads.values())) == 1
