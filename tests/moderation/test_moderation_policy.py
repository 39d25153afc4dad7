"""COMMENT_MODERATION through the real form: all, first_time, none."""

from __future__ import annotations

import pytest

from blog import create_app
from blog.articles.seed import seed_articles
from blog.extensions import db
from blog.models import CommentStatus
from tests.helpers import (
    ARTICLE_URL,
    Commenter,
    add_comment,
    comments_in_db,
    empty_schema,
    soup,
    text_of,
)


@pytest.fixture
def app_with_policy(app_config):
    def make(policy: str):
        app = create_app({**app_config, "COMMENT_MODERATION": policy})
        with app.app_context():
            empty_schema()
            seed_articles()
        return app

    return make


@pytest.mark.parametrize(
    ("policy", "known_author", "expected"),
    [
        ("all", False, CommentStatus.PENDING),
        ("all", True, CommentStatus.PENDING),
        ("first_time", False, CommentStatus.PENDING),
        ("first_time", True, CommentStatus.APPROVED),
        ("none", False, CommentStatus.APPROVED),
    ],
)
def test_policy_decides_the_first_status(app_with_policy, policy, known_author, expected):
    app = app_with_policy(policy)
    with app.app_context():
        if known_author:
            add_comment(comment="Già approvato in passato")
    client = app.test_client()
    response = Commenter(client).post(comment="Nuovo commento")
    assert response.status_code == 303
    with app.app_context():
        assert comments_in_db()[-1].status == expected
    reader_page = soup(app.test_client().get(ARTICLE_URL))
    assert ("Nuovo commento" in text_of(reader_page)) == (expected == CommentStatus.APPROVED)
    with app.app_context():
        db.engine.dispose()


def test_moderator_comment_through_the_public_form_is_approved(logged_in, app):
    response = Commenter(logged_in).post(comment="Scrivo da moderatrice")
    assert response.status_code == 303
    with app.app_context():
        comment = comments_in_db()[-1]
        assert comment.status == CommentStatus.APPROVED
        assert comment.moderator_id is not None
    assert "Scrivo da moderatrice" in text_of(soup(app.test_client().get(ARTICLE_URL)))
