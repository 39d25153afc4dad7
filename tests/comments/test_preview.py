""" "Anteprima" without JavaScript, and the notice after posting."""

from __future__ import annotations

import sqlalchemy as sa

from blog.comments.sanitize import comment_to_html
from blog.extensions import db
from blog.models import Article, Comment, CommentStatus, MailMessage, ModerationEvent
from tests.helpers import (
    ARTICLE_URL,
    POST_URL,
    VALID_COMMENT,
    add_moderator,
    form_fields,
    fresh_blog,
    soup,
    text_of,
)
from tests.spam.test_spam import signed_seconds_ago

HOSTILE = (
    "Guardate <b>qui</b>: https://esempio.it/pagina <script>alert(1)</script>\n\n"
    '<a href="javascript:alert(2)" onclick="x()">clic</a> & fine'
)


def press_preview(client, **fields):
    """What a browser without JavaScript sends when "Anteprima" is pressed."""
    data = form_fields(soup(client.get(ARTICLE_URL)))
    data.pop("wp-comment-cookies-consent", None)
    data.update(VALID_COMMENT, url="https://mario.example/", preview="1", **fields)
    return client.post(POST_URL, data=data)


def typed(fields: dict[str, str]) -> str:
    """The comment as the textarea holds it (a browser drops its first line break)."""
    return fields["comment"].removeprefix("\r\n")


def nothing_stored(app) -> bool:
    with app.app_context():
        counts = [
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Comment, ModerationEvent, MailMessage)
        ]
    return counts == [0, 0, 0]


def test_the_preview_shows_the_comment_as_it_will_be_stored_and_stores_nothing(app, client):
    with app.app_context():
        add_moderator(email="anna@example.it")  # who would be mailed, were it stored
    response = press_preview(client, comment=HOSTILE)
    assert response.status_code == 200
    page = soup(response)
    preview = page.find("section", id="comment-preview")
    assert preview is not None
    shown = preview.find(class_="comment-content").decode_contents()
    assert shown == comment_to_html(HOSTILE)
    assert "<script" not in shown and "javascript:" not in shown and "onclick" not in shown
    link = preview.find("a", href="https://esempio.it/pagina")
    assert link["rel"] == ["nofollow", "ugc", "noopener"]
    author = preview.find(class_="comment-author").find("a")
    assert text_of(author) == "Mario Rossi" and author["href"] == "https://mario.example/"
    assert preview.find("svg", class_="avatar")["aria-hidden"] == "true"
    # Above the form, which keeps everything typed.
    form = page.find("form", id="commentform")
    assert preview.find_next("form") is form
    fields = form_fields(page)
    assert typed(fields) == HOSTILE
    assert (fields["author"], fields["email"], fields["url"]) == (
        "Mario Rossi",
        "mario.rossi@example.it",
        "https://mario.example/",
    )
    assert nothing_stored(app)
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in response.headers


def test_the_form_has_two_buttons_and_sending_is_the_default(client):
    page = soup(client.get(ARTICLE_URL))
    buttons = page.find("form", id="commentform").find_all("button")
    assert [(text_of(b), b.get("name"), b.get("value")) for b in buttons] == [
        ("Invia commento", None, None),
        ("Anteprima", "preview", "1"),
    ]


def test_after_the_preview_invia_stores_the_same_comment(app_config):
    """The preview keeps the time the form was first served: the time trap
    still sees a reader who took their time."""
    with fresh_blog(app_config, COMMENT_MIN_SECONDS=3) as app:
        client = app.test_client()
        served = signed_seconds_ago(app, 30)
        page = soup(press_preview(client, comment=HOSTILE, form_time=served))
        data = form_fields(page)
        assert data["form_time"] == served
        data.pop("wp-comment-cookies-consent", None)
        response = client.post(POST_URL, data=data)
        assert response.status_code == 303
        with app.app_context():
            (comment,) = db.session.scalars(sa.select(Comment)).all()
            assert comment.body == HOSTILE
            assert comment.body_html == comment_to_html(HOSTILE)
            assert comment.status == CommentStatus.PENDING


def test_a_stale_form_time_is_renewed_by_the_preview(app, client):
    page = soup(press_preview(client, form_time="scaduto"))
    assert page.find(id="comment-preview") is not None
    assert form_fields(page)["form_time"] != "scaduto"


def test_a_preview_with_errors_shows_them_and_no_preview(app, client):
    response = press_preview(client, email="non-una-email", comment="Testo")
    assert response.status_code == 422
    page = soup(response)
    assert page.find(id="comment-preview") is None
    assert "Inserisci un indirizzo email valido." in text_of(page.find(id="email-error"))
    assert typed(form_fields(page)) == "Testo"
    assert nothing_stored(app)


def test_no_preview_when_comments_are_closed(app, client):
    with app.app_context():
        db.session.scalar(sa.select(Article)).comments_open = False
        db.session.commit()
    data = {**VALID_COMMENT, "preview": "1"}
    assert client.post(POST_URL, data=data).status_code == 403
    assert nothing_stored(app)


def test_previews_have_their_own_limit_apart_from_comments(app_config):
    settings = {
        "RATELIMIT_ENABLED": True,
        "COMMENT_RATE_LIMIT": "1 per minute",
        "PREVIEW_RATE_LIMIT": "3 per minute",
    }
    with fresh_blog(app_config, **settings) as app:
        client = app.test_client()
        answers = [press_preview(client, comment=f"Prova {n}").status_code for n in range(3)]
        assert answers == [200, 200, 200]
        over = press_preview(client, comment="Ancora una")
        assert over.status_code == 429
        assert "troppe anteprime" in text_of(soup(over))
        assert typed(form_fields(soup(over))) == "Ancora una"
        data = form_fields(soup(client.get(ARTICLE_URL)))
        data.pop("wp-comment-cookies-consent", None)
        data.update(VALID_COMMENT)
        assert client.post(POST_URL, data=data).status_code == 303


def test_after_posting_the_author_is_thanked_near_the_comment(app, client):
    data = form_fields(soup(client.get(ARTICLE_URL)))
    data.pop("wp-comment-cookies-consent", None)
    data.update(VALID_COMMENT)
    response = client.post(POST_URL, data=data)
    page = soup(client.get(response.headers["Location"]))
    with app.app_context():
        comment_id = db.session.scalar(sa.select(Comment.id))
    notice = page.find("li", id=f"comment-{comment_id}").find(class_="comment-awaiting-moderation")
    assert notice["role"] == "status"
    assert [text_of(p) for p in notice.find_all("p")] == [
        "Grazie! Il tuo commento è in attesa di moderazione.",
        "Questa è un'anteprima, visibile solo a te: il tuo commento sarà visibile a tutti "
        "dopo essere stato approvato.",
    ]
    # Nobody else sees it, nor the notice.
    other = soup(app.test_client().get(ARTICLE_URL))
    assert other.find(class_="comment-awaiting-moderation") is None
