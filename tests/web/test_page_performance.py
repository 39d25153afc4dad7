"""The article page: paginated threads, a constant number of queries, a cache
that every change readers can see invalidates, and indexes that fit."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Article, Comment, CommentStatus
from blog.moderation.workflow import Action, apply_action, edit_comment
from tests.helpers import (
    ARTICLE_URL,
    Commenter,
    add_comment,
    add_moderator,
    empty_schema,
    soup,
    text_of,
)


@contextmanager
def count_queries(app):
    """Count the SQL statements the app sends while the block runs: those
    through SQLAlchemy, and the page server's own lookups on the driver."""
    statements: list[str] = []
    server = app.extensions["page_server"]
    lookups = server.lookups

    def before_execute(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before_execute)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", before_execute)
        statements += ["page server: article version"] * (server.lookups - lookups)


def seed_threads(count: int, replies_each: int = 0) -> None:
    """Store ``count`` approved top-level comments, each with some replies."""
    article = db.session.scalar(sa.select(Article))
    for number in range(count):
        root = Comment(
            article=article,
            author=f"Autore {number}",
            email=f"a{number}@example.it",
            url="",
            body=f"Commento {number}",
            body_html=f"<p>Commento {number}</p>",
            status=CommentStatus.APPROVED,
        )
        db.session.add(root)
        db.session.flush()
        root.thread_id = root.id
        root.created_at = root.created_at - timedelta(minutes=count - number)
        for reply_number in range(replies_each):
            db.session.add(
                Comment(
                    article=article,
                    parent_id=root.id,
                    thread_id=root.id,
                    author="Risponditore",
                    email="r@example.it",
                    url="",
                    body=f"Risposta {number}.{reply_number}",
                    body_html=f"<p>Risposta {number}.{reply_number}</p>",
                    status=CommentStatus.APPROVED,
                )
            )
    from blog.moderation.workflow import refresh_article_comments

    refresh_article_comments(article)
    db.session.commit()


@pytest.mark.parametrize("comments", [0, 10, 500])
def test_article_page_queries_are_few_and_constant(app, client, comments):
    with app.app_context():
        seed_threads(comments)
    client.get(ARTICLE_URL)  # first view renders and caches the thread
    with count_queries(app) as cached:
        assert client.get(ARTICLE_URL).status_code == 200
    app.extensions["thread_cache"].clear()
    app.extensions["page_server"].clear()
    with count_queries(app) as uncached:
        assert client.get(ARTICLE_URL).status_code == 200
    assert len(cached) == 1, cached  # the article, which carries the version
    assert len(uncached) <= 3, uncached


def test_queries_stay_constant_on_a_later_page(app, client):
    with app.app_context():
        seed_threads(120)
    app.extensions["thread_cache"].clear()
    app.extensions["page_server"].clear()
    with count_queries(app) as statements:
        assert client.get(ARTICLE_URL + "?cpage=3").status_code == 200
    assert len(statements) <= 3


def test_own_pending_comment_costs_one_more_query(app, client):
    with app.app_context():
        seed_threads(5)
    Commenter(client).post(comment="In attesa")
    with count_queries(app) as statements:
        page = soup(client.get(ARTICLE_URL))
    assert "In attesa" in text_of(page)
    assert len(statements) <= 4


def test_threads_are_paginated_fifty_to_a_page_with_their_replies(app, client):
    with app.app_context():
        seed_threads(120, replies_each=2)
    first = soup(client.get(ARTICLE_URL + "?corder=oldest"))
    top = first.select("ol.comment-list > li")
    assert len(top) == 50
    assert text_of(top[0].find(class_="comment-content")) == "Commento 0"
    assert len(first.select("ol.comment-list li.comment")) == 150, "replies come with the thread"
    nav = first.find("nav", class_="comment-navigation")
    assert "Pagina 1 di 3" in text_of(nav)
    assert nav.find("a", rel="prev") is None
    newer = nav.find("a", rel="next")
    assert text_of(newer) == "Commenti più recenti →"
    assert newer["href"] == f"{ARTICLE_URL}?corder=oldest&cpage=2#comments"
    third = soup(client.get(f"{ARTICLE_URL}?cpage=3&corder=oldest"))
    assert len(third.select("ol.comment-list > li")) == 20
    assert text_of(third.select("ol.comment-list > li")[0].find(class_="comment-content")) == (
        "Commento 100"
    )
    assert third.find("nav", class_="comment-navigation").find("a", rel="next") is None
    assert text_of(third.find(id="comments-title")) == "360 commenti"
    beyond = soup(client.get(f"{ARTICLE_URL}?cpage=99"))
    assert "Pagina 3 di 3" in text_of(beyond.find("nav", class_="comment-navigation"))


def test_comments_per_page_is_configurable(app_config):
    from blog import create_app
    from blog.articles.seed import seed_articles

    app = create_app({**app_config, "COMMENTS_PER_PAGE": 7})
    with app.app_context():
        empty_schema()
        seed_articles()
        seed_threads(10)
    page = soup(app.test_client().get(ARTICLE_URL + "?cpage=1"))
    assert len(page.select("ol.comment-list > li")) == 7
    with app.app_context():
        db.engine.dispose()


def test_reply_redirects_to_the_page_of_its_thread(app, client):
    with app.app_context():
        seed_threads(60)
        parent_id = db.session.scalar(sa.select(Comment.id).where(Comment.body == "Commento 55"))
    response = Commenter(client).post(
        f"?cpage=2&replytocom={parent_id}", comment="Risposta in pagina due"
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"{ARTICLE_URL}?cpage=2#comment-")
    page = soup(client.get(response.headers["Location"]))
    assert "Risposta in pagina due" in text_of(page)


def test_approval_shows_on_the_next_view_served_by_another_worker(app, app_config):
    """Two apps on one database stand for two workers, each with its own cache."""
    from blog import create_app

    other_worker = create_app(app_config)
    with app.app_context():
        comment_id = add_comment(status=CommentStatus.PENDING, comment="Appena approvato").id
    for worker in (app, other_worker):
        assert "Appena approvato" not in worker.test_client().get(ARTICLE_URL).get_data(
            as_text=True
        )
    with app.app_context():
        apply_action(db.session.get(Comment, comment_id), Action.APPROVE)
        db.session.commit()
    hits = [worker.extensions["page_server"].hits for worker in (app, other_worker)]
    for worker in (other_worker, app):
        assert "Appena approvato" in worker.test_client().get(ARTICLE_URL).get_data(as_text=True)
    # Both views were whole pages from memory, each worker re-rendering once.
    assert [worker.extensions["page_server"].hits for worker in (app, other_worker)] == hits
    for worker in (other_worker, app):
        assert "Appena approvato" in worker.test_client().get(ARTICLE_URL).get_data(as_text=True)
    assert [worker.extensions["page_server"].hits for worker in (app, other_worker)] == [
        hit + 1 for hit in hits
    ]


@pytest.mark.parametrize("change", ["spam", "trash", "unapprove", "edit", "close", "delete"])
def test_every_visible_change_invalidates_the_cache(app, client, change):
    with app.app_context():
        moderator = add_moderator()
        comment_id = add_comment(comment="Testo visibile").id
    assert "Testo visibile" in client.get(ARTICLE_URL).get_data(as_text=True)
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        if change == "edit":
            edit_comment(comment, body="Testo corretto", author="X", url="", moderator=moderator)
        elif change == "close":
            comment.article.comments_open = False
            comment.article.comment_version += 1
        elif change == "delete":
            apply_action(comment, Action.TRASH)
            apply_action(comment, Action.DELETE)
        else:
            apply_action(comment, Action(change))
        db.session.commit()
    html = client.get(ARTICLE_URL).get_data(as_text=True)
    if change == "close":
        assert "Testo visibile" in html and 'class="comment-reply-link"' not in html
    else:
        assert "Testo visibile" not in html


def explain(app, sql: str, params: dict) -> str:
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            rows = connection.execute(sa.text("EXPLAIN QUERY PLAN " + sql), params).all()
            return " | ".join(str(row[-1]) for row in rows)
        rows = connection.execute(sa.text("EXPLAIN " + sql), params).all()
        return " | ".join(row[0] for row in rows)


def test_page_queries_use_their_indexes(app):
    with app.app_context():
        seed_threads(30)
        if db.engine.dialect.name != "sqlite":
            with db.engine.begin() as connection:
                connection.execute(sa.text("ANALYZE"))
    threads = explain(
        app,
        "SELECT thread_id, min(created_at) FROM comment "
        "WHERE article_id = :a AND status = 'approved' GROUP BY thread_id",
        {"a": 1},
    )
    queue = explain(
        app,
        "SELECT id FROM comment WHERE status = 'pending' ORDER BY created_at DESC LIMIT 50",
        {},
    )
    flood = explain(
        app,
        "SELECT id FROM comment WHERE ip_block = :ip AND created_at > :t LIMIT 1",
        {"ip": "1.2.3.4/32", "t": "2020-01-01"},
    )
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
    if sqlite:
        assert "ix_comment_article_status" in threads, threads
        assert "ix_comment_status_created" in queue, queue
        assert "ix_comment_ip_block_created" in flood, flood
    else:  # tiny tables may be scanned; the plan must at least be valid
        assert threads and queue and flood


def test_an_authored_article_with_terms_costs_no_more_queries(app, client):
    from blog.models import Role
    from tests.reader.authored import add_article, add_staff

    with app.app_context():
        writer = add_staff("lucia", Role.AUTHOR, display_name="Lucia Bianchi")
        add_article(
            "con-autrice",
            author=writer,
            categories=("Auto", "Industria"),
            tags=("Fiat", "Stellantis"),
        )
    client.get("/con-autrice/")
    with count_queries(app) as cached:
        assert client.get("/con-autrice/").status_code == 200
    app.extensions["thread_cache"].clear()
    app.extensions["page_server"].clear()
    with count_queries(app) as uncached:
        page = soup(client.get("/con-autrice/"))
    assert "Lucia Bianchi" in text_of(page.find(class_="byline"))
    assert len(page.find(class_="post-terms").find_all("a")) == 4
    app.extensions["thread_cache"].clear()
    app.extensions["page_server"].clear()
    with count_queries(app) as shipped:
        assert client.get(ARTICLE_URL).status_code == 200
    assert len(cached) == 1, cached
    # The author and the terms come with the article's own query.
    assert len(uncached) == len(shipped) <= 3, uncached
