"""A real browser loads a page full of XSS attempts: nothing runs, nothing leaves."""

from __future__ import annotations

import sqlalchemy as sa

from blog import create_app
from blog.extensions import db
from blog.models import Comment, CommentStatus
from blog.moderation.workflow import Action, apply_action
from tests.helpers import ARTICLE_URL, POST_URL, test_database_url
from tests.support.browser import chromium
from tests.support.live_server import Browser, gunicorn, init_database, wipe_database
from tests.xss_vectors import XSS_VECTORS


def post_every_vector(port: int) -> int:
    """Post each vector into the comment, author and url fields; count 303s."""
    browser = Browser(port)
    tokens = browser.form_tokens(ARTICLE_URL)
    accepted = 0
    for number, vector in enumerate(XSS_VECTORS):
        for field in ("comment", "author", "url"):
            fields = {
                **tokens,
                "comment": f"Vettore {number} nel campo {field}",
                "author": f"Autore {number}",
                "email": f"xss{number}@example.it",
                "url": "",
                "comment_parent": "0",
                field: vector,
            }
            status, _, _ = browser.post_form(POST_URL, fields)
            assert status in (303, 422), (vector, field, status)
            accepted += status == 303
    return accepted


def approve_everything(database_url: str) -> int:
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        waiting = db.session.scalars(
            sa.select(Comment).where(Comment.status != CommentStatus.APPROVED)
        ).all()
        for comment in waiting:
            if comment.status == CommentStatus.SPAM:
                apply_action(comment, Action.NOT_SPAM)
            apply_action(comment, Action.APPROVE)
        db.session.commit()
        count = db.session.scalar(sa.select(sa.func.count(Comment.id)))
        db.engine.dispose()
        return count


def test_page_full_of_xss_attempts_runs_nothing_and_calls_nobody(tmp_path):
    database_url = test_database_url(tmp_path)
    wipe_database(database_url)
    init_database(database_url)
    try:
        with gunicorn(database_url, workers=2) as server:
            accepted = post_every_vector(server.port)
            approved = approve_everything(database_url)
            assert accepted == approved and accepted >= 2 * len(XSS_VECTORS)
            origin = f"http://127.0.0.1:{server.port}"
            dialogs: list[str] = []
            outside: list[str] = []
            with chromium() as browser:
                page = browser.new_page()
                page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
                page.on(
                    "request",
                    lambda request: (
                        None
                        if request.url.startswith(origin) or request.url.startswith("data:")
                        else outside.append(request.url)
                    ),
                )
                shown = 0
                for number in range(1, 50):
                    response = page.goto(
                        f"{origin}{ARTICLE_URL}?cpage={number}", wait_until="networkidle"
                    )
                    assert response.status == 200
                    shown += page.locator("li.comment").count()
                    # Hover and tab through the page, so that mouse and focus
                    # handlers would fire if any had survived.
                    hovered = 0
                    for element in page.locator(".comment-content *, .comment-author *").all():
                        if hovered >= 40:
                            break
                        if element.is_visible() and element.bounding_box()["width"] > 0:
                            element.hover(timeout=2000)
                            hovered += 1
                    for _ in range(10):
                        page.keyboard.press("Tab")
                    if page.locator("a.comment-nav-newer").count() == 0:
                        break
                page.wait_for_timeout(500)
    finally:
        wipe_database(database_url)
    assert shown == approved
    assert dialogs == []
    assert outside == []
