"""The discussion's settings on the settings page: thread depth, threads per
page, the page an article opens on, closing after some days. Stored over the
configuration, checked, and in force at once, cached pages included."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Article, SiteSetting, utcnow
from tests.helpers import (
    ARTICLE_URL,
    POST_URL,
    VALID_COMMENT,
    Commenter,
    add_comment,
    comments_in_db,
    form_fields,
    soup,
    text_of,
)

SETTINGS = "/moderation/settings"
SAVE = SETTINGS + "/discussione"
DEFAULTS = {"thread_depth": "5", "per_page": "50", "default_page": "newest", "close_days": "0"}


def discussion_form(client) -> dict[str, str]:
    page = soup(client.get(SETTINGS))
    fields = form_fields(page, "discussion-form")
    checked = page.select_one('#discussion-form input[name="default_page"][checked]')
    fields["default_page"] = checked["value"] if checked else ""
    return fields


def save(client, **changes: str):
    return client.post(SAVE, data={**discussion_form(client), **changes})


def saved() -> dict[str, object]:
    return {
        key: json.loads(value)
        for key, value in db.session.execute(sa.select(SiteSetting.key, SiteSetting.value))
    }


def test_the_page_shows_the_configuration_in_force(logged_in):
    fields = discussion_form(logged_in)
    assert {key: fields[key] for key in DEFAULTS} == DEFAULTS
    page = soup(logged_in.get(SETTINGS))
    labels = [text_of(label) for label in page.select("#discussion-form label")]
    assert "Livelli di risposte annidate (da 1 a 10) *" in labels
    assert "Giorni dopo i quali i commenti si chiudono (0: mai) *" in labels


def test_saving_stores_them_and_shows_them(logged_in, app):
    changes = {"thread_depth": "3", "per_page": "20", "default_page": "oldest", "close_days": "7"}
    response = save(logged_in, **changes)
    assert response.status_code == 303
    assert response.headers["Location"] == SETTINGS + "#discussion-title"
    page = soup(logged_in.get(SETTINGS))
    assert "Impostazioni della discussione salvate." in text_of(page.find(class_="flashes"))
    fields = discussion_form(logged_in)
    assert {key: fields[key] for key in changes} == changes
    with app.app_context():
        assert saved() == {
            "COMMENT_THREAD_DEPTH": 3,
            "COMMENTS_PER_PAGE": 20,
            "COMMENT_DEFAULT_PAGE": "oldest",
            "COMMENT_CLOSE_AFTER_DAYS": 7,
        }


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("thread_depth", "0", "Scrivi un numero intero tra 1 e 10."),
        ("thread_depth", "11", "Scrivi un numero intero tra 1 e 10."),
        ("thread_depth", "tre", "Scrivi un numero intero, come 20."),
        ("per_page", "0", "Scrivi un numero intero tra 1 e 1.000."),
        ("per_page", "1001", "Scrivi un numero intero tra 1 e 1.000."),
        ("per_page", "", "Scrivi un numero intero, come 20."),
        ("close_days", "-1", "Scrivi un numero intero tra 0 e 36.500."),
        ("close_days", "99999999999999999999", "tra 0 e 36.500"),
        ("default_page", "best", "Scegli una delle opzioni."),
        ("default_page", "", "Scegli una delle opzioni."),
    ],
)
def test_invalid_values_are_refused_and_nothing_is_saved(logged_in, app, field, value, error):
    response = save(logged_in, **{field: value})
    assert response.status_code == 422
    page = soup(response)
    notice = text_of(page.find(id="form-notice"))
    assert "Le impostazioni non sono state salvate" in notice
    assert error in notice
    if field != "default_page":
        assert page.find("input", id=field)["aria-invalid"] == "true"
        assert page.find("input", id=field)["value"] == value
    with app.app_context():
        assert saved() == {}


def test_saving_needs_the_token(logged_in, app):
    response = logged_in.post(SAVE, data=DEFAULTS)
    assert response.status_code == 400
    with app.app_context():
        assert saved() == {}


def seed_threads(app, count: int) -> list[int]:
    """``count`` approved threads, oldest first, each with one reply."""
    with app.app_context():
        ids = []
        for number in range(count):
            hours = 2 * (count - number)
            root = add_comment(comment=f"Filo {number}", age=timedelta(hours=hours))
            add_comment(comment=f"Risposta {number}", parent=root, age=timedelta(hours=hours - 1))
            ids.append(root.id)
        return ids


def shown_threads(client, query: str = "") -> list[str]:
    page = soup(client.get(ARTICLE_URL + query))
    return [text_of(li.find(class_="comment-content")) for li in page.select(".comment-list > li")]


def test_threads_per_page_and_order_apply_at_once_to_cached_pages(app, logged_in):
    seed_threads(app, 3)
    reader = app.test_client()
    for _ in range(2):  # rendered, then kept by the page server and the comment-page cache
        before = reader.get(ARTICLE_URL)
        assert shown_threads(reader) == ["Filo 2", "Filo 1", "Filo 0"]
    assert save(logged_in, per_page="1").status_code == 303
    assert shown_threads(reader) == ["Filo 2"], "the newest page, one thread"
    nav = text_of(soup(reader.get(ARTICLE_URL)).find(class_="comment-navigation"))
    assert "Pagina 3 di 3" in nav
    # A copy revalidated with the old ETag is not told it is still good.
    again = reader.get(ARTICLE_URL, headers={"If-None-Match": before.headers["ETag"]})
    assert again.status_code == 200
    assert save(logged_in, default_page="oldest").status_code == 303
    assert shown_threads(reader) == ["Filo 0"], "the first page, oldest first"


def test_links_to_a_comment_follow_the_saved_pages(app, logged_in):
    ids = seed_threads(app, 3)
    save(logged_in, per_page="1")
    # "Vai al commento" from the queue opens the page the comment is on.
    response = logged_in.get(f"/moderation/comments/{ids[0]}")
    assert response.headers["Location"] == f"{ARTICLE_URL}?cpage=1#comment-{ids[0]}"
    response = logged_in.get(f"/moderation/comments/{ids[2]}")
    assert response.headers["Location"] == f"{ARTICLE_URL}?cpage=3#comment-{ids[2]}"
    # A new comment's redirect too: waiting, it is shown on the last page.
    posted = Commenter(app.test_client()).post(comment="Nuovo filo")
    with app.app_context():
        newest = comments_in_db()[-1].id
    assert posted.headers["Location"] == f"{ARTICLE_URL}?cpage=3#comment-{newest}"


def test_the_thread_depth_applies_at_once(app, logged_in):
    seed_threads(app, 1)
    reader = app.test_client()
    page = soup(reader.get(ARTICLE_URL))
    assert len(page.select(".comment-reply-link")) == 2, "the reply can be answered"
    save(logged_in, thread_depth="2")
    page = soup(reader.get(ARTICLE_URL))
    assert len(page.select(".comment-reply-link")) == 1, "replies are the deepest level"
    save(logged_in, thread_depth="1")
    page = soup(reader.get(ARTICLE_URL))
    assert page.select(".comment-reply-link") == []
    assert page.select(".comment-list .children") == []


def test_closing_after_some_days_applies_at_once(app, logged_in):
    with app.app_context():
        article = db.session.scalar(sa.select(Article))
        article.published_at = utcnow() - timedelta(days=10)
        db.session.commit()
    reader = app.test_client()
    for _ in range(2):
        assert soup(reader.get(ARTICLE_URL)).find("form", id="commentform") is not None
    save(logged_in, close_days="30")
    assert soup(reader.get(ARTICLE_URL)).find("form", id="commentform") is not None
    save(logged_in, close_days="7")
    page = soup(reader.get(ARTICLE_URL))
    assert page.find("form", id="commentform") is None
    assert "I commenti sono chiusi." in text_of(page)
    late = app.test_client().post(POST_URL, data={**VALID_COMMENT, "comment_parent": "0"})
    assert late.status_code == 403
    settings_page = text_of(soup(logged_in.get(SETTINGS)))
    assert "I commenti si chiudono automaticamente 7 giorni dopo la pubblicazione." in settings_page
