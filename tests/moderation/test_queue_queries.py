"""The queue costs the same number of queries whatever it shows: no query per
row, on every tab, with and without a search."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import CommentStatus
from tests.helpers import add_comment


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: object) -> None:
        self.count += 1


def queries_for(app, client, url: str) -> int:
    counter = QueryCounter()
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", counter)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", counter)
    assert response.status_code == 200
    return counter.count


def add_comments(app, count: int, status: CommentStatus) -> None:
    with app.app_context():
        parent = None
        for number in range(count):
            # Threads and replies, so that pages and parents are worked out.
            comment = add_comment(status, parent=parent, comment=f"Parola {number} cercata")
            parent = comment if number % 3 == 0 and status == CommentStatus.APPROVED else None


@pytest.mark.parametrize("status", ["pending", "approved", "spam", "trash"])
@pytest.mark.parametrize("search", ["", "cercata"])
def test_the_queue_makes_as_many_queries_for_thirty_rows_as_for_three(
    app, logged_in, status, search
):
    url = f"/moderation/?status={status}&q={search}"
    add_comments(app, 3, CommentStatus(status))
    few = queries_for(app, logged_in, url)
    add_comments(app, 30, CommentStatus(status))
    many = queries_for(app, logged_in, url)
    assert many == few, f"{few} queries for 3 rows, {many} for 33"


def test_pages_found_at_once_are_the_pages_found_one_by_one(app):
    from blog.comments.pages import page_of, pages_of
    from blog.models import Comment

    add_comments(app, 20, CommentStatus.APPROVED)
    with app.app_context():
        comments = db.session.scalars(sa.select(Comment)).all()
        for per_page in (1, 2, 3, 50):
            one_by_one = {c.id: page_of(c.article, c, per_page) for c in comments}
            assert pages_of(comments, per_page) == one_by_one
