"""No XSS vector, in any field, reaches a reader as markup that runs."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from blog.comments.sanitize import COMMENT_TAGS, LAYOUT_TAGS
from blog.extensions import db
from blog.models import Comment, CommentStatus
from blog.moderation.workflow import Action, apply_action
from tests.helpers import ARTICLE_URL, comments_in_db, soup
from tests.xss_vectors import XSS_VECTORS

SAFE_SCHEMES = {"http", "https", "mailto", ""}
OUR_SCRIPTS = {"/static/js/comment-reply.js"}


def is_our_avatar(svg) -> bool:
    """The face blog/comments/avatars.py draws: a hidden SVG, a circle and a text."""
    return (
        svg.get("class") == ["avatar"]
        and svg.get("aria-hidden") == "true"
        and [tag.name for tag in svg.find_all(True)] == ["circle", "text"]
    )


def assert_page_is_inert(page) -> None:
    """Nothing on the page can run script: tags, handlers, or URLs."""
    for script in page.find_all("script"):
        assert script.get("src") in OUR_SCRIPTS and not script.get_text().strip()
    for tag in page.find_all(True):
        if tag.name == "svg":
            assert is_our_avatar(tag), tag
        assert tag.name not in {"iframe", "object", "embed", "math", "img", "base"}
        for attribute, value in tag.attrs.items():
            assert not attribute.lower().startswith("on"), (tag.name, attribute)
            assert attribute.lower() not in {"style", "srcdoc", "formaction"}
            if attribute in {"href", "src", "action", "cite"} and isinstance(value, str):
                scheme = urlsplit(value.strip()).scheme.lower()
                assert scheme in SAFE_SCHEMES, (tag.name, attribute, value)
    for content in page.select(".comment-content"):
        for tag in content.find_all(True):
            assert tag.name in COMMENT_TAGS | LAYOUT_TAGS, tag.name


@pytest.mark.parametrize("field", ["comment", "author", "url", "email"])
@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_vector_in_field_is_inert(client, commenter, app, field, vector):
    response = commenter.post(**{field: vector})
    assert response.status_code in (303, 422)
    assert_page_is_inert(soup(response))
    if response.status_code == 422:
        with app.app_context():
            assert comments_in_db() == []
        return
    with app.app_context():
        comment = db.session.scalar(sa.select(Comment))
        apply_action(comment, Action.APPROVE)
        db.session.commit()
        comment_id, author = comment.id, comment.author
        assert comment.status == CommentStatus.APPROVED
    page = soup(app.test_client().get(ARTICLE_URL))
    item = page.find("li", id=f"comment-{comment_id}")
    assert item is not None
    assert_page_is_inert(page)
    # The name is shown exactly as typed: as text, never as markup.
    assert item.find(class_="comment-author").get_text().strip() == author


def test_there_are_enough_vectors():
    assert len(set(XSS_VECTORS)) >= 60
