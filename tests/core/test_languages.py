"""Pages in the site's language: no Italian left on an English site, no
English on an Italian one, and the language named where pages name it."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po
from flask import Flask
from werkzeug.test import TestResponse

from blog.core.i18n import TRANSLATIONS
from blog.extensions import db
from blog.models import Article, Comment, CommentStatus
from blog.moderation.workflow import Event, record_event
from tests.helpers import (
    ARTICLE_URL,
    SLUG,
    AuthActions,
    Commenter,
    add_comment,
    add_moderator,
    form_fields,
    fresh_blog,
    queue_token,
    soup,
)

ITALIAN = TRANSLATIONS / "it" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}")
#: Text a person wrote, not the blog: whatever its language, it stays.
CONTENT = ".post-content, .comment-content, .standfirst, textarea, option, kbd, .request-id code"
#: Attributes that people read or hear.
SPOKEN_ATTRIBUTES = (
    "aria-label",
    "title",
    "placeholder",
    "alt",
    "data-replyto",
    "data-default-title",
    "data-select",
    "data-deselect",
)
#: The people and comments of the visit: names and text that are no UI.
PEOPLE = {"author": "Dora", "email": "dora@example.org", "url": ""}
MODERATOR = "Mod Zed"
OWN_COMMENT = "Dolor sit amet"
#: Pages of the visit that are not a 200.
STATUSES = {
    "form errors": 422,
    "follow refused": 422,
    "404": 404,
    "405": 405,
    "untrusted host": 400,
    "login failed": 422,
    "400": 400,
    "500": 500,
}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # Small pages, so that both kinds of pagination show.
    return {
        **app_config,
        "SITE_LANGUAGE": "en",
        "MODERATION_PAGE_SIZE": 3,
        "COMMENTS_PER_PAGE": 3,
        "COMMENT_CLOSE_AFTER_DAYS": 10000,
    }


def words(text: str) -> set[str]:
    """The words of ``text``: addresses (example.org, anna@example.it) and
    lone letters (the d of d'Arco, of you'd) say nothing of a language."""
    text = re.sub(r"\S+@\S+|https?://\S+|\b[\w-]+\.(?:org|com|it|net)\b", " ", text)
    found = re.findall(r"[^\W\d_]+", PLACEHOLDER.sub(" ", text).lower())
    return {word for word in found if len(word) > 1}


def catalog_messages() -> list[Any]:
    with ITALIAN.open("rb") as file:
        return [message for message in read_po(file) if message.id]


def texts(value: Any) -> list[str]:
    return list(value) if isinstance(value, tuple | list) else [value]


def catalog_words() -> tuple[set[str], set[str]]:
    """The words of the English sentences, and of their Italian translations."""
    english: set[str] = set()
    italian: set[str] = set()
    for message in catalog_messages():
        for source in texts(message.id):
            english |= words(source)
        for translation in texts(message.string):
            italian |= words(translation)
    return english, italian


def add_pages_content(app: Flask) -> list[str]:
    """Comments in every status, a report, a filter's note; the content's strings."""
    bodies = {}

    def add(author: str, status: CommentStatus = CommentStatus.APPROVED, **fields: Any) -> Comment:
        bodies[author] = f"Lorem ipsum {author}"
        email = f"{author.lower()}@example.org"
        return add_comment(status, author=author, comment=bodies[author], email=email, **fields)

    with app.app_context():
        first = add("Alba")
        add("Bruno", parent=first)
        for number in range(4):
            add(f"Reader{number}")
        add("Carla", CommentStatus.PENDING)
        spam = add("Spammer", CommentStatus.SPAM)
        spam.spam_score = 0.97
        spam.spam_clues = '[["lorem", 0.99], ["ipsum", 0.8]]'
        record_event(spam, Event.FILTER, None, CommentStatus.PENDING, CommentStatus.SPAM, "x")
        add("Trashed", CommentStatus.TRASH)
        first.flag_count = 2
        first.like_count = 3
        db.session.commit()
        add_moderator(display_name=MODERATOR)
        articles = db.session.scalars(sa.select(Article)).all()
        content = [text for article in articles for text in (article.title, article.standfirst)]
    return [text for text in content if text] + [
        *bodies.values(),
        OWN_COMMENT,
        app.config["SITE_NAME"],
        app.config["SITE_DESCRIPTION"],
        MODERATOR,
    ]


def visit_reader_pages(app: Flask, pages: dict[str, TestResponse]) -> int:
    """Every page a reader sees; the id of the reader's own pending comment."""
    client = app.test_client()
    pages["index"] = client.get("/")
    pages["article"] = client.get(ARTICLE_URL)
    for order in ("oldest", "newest", "best"):
        pages[f"article {order} 2"] = client.get(f"{ARTICLE_URL}?corder={order}&cpage=2")
    first = db_comment(app, "Alba")
    pages["reply form"] = client.get(f"{ARTICLE_URL}?replytocom={first}")
    commenter = Commenter(client)
    pages["form errors"] = commenter.post(comment="", author="")
    pages["preview"] = commenter.post(preview="1", comment=OWN_COMMENT, **PEOPLE)
    posted = commenter.post(comment=OWN_COMMENT, **PEOPLE)
    pages["own pending comment"] = client.get(posted.headers["Location"])
    own = db_comment(app, "Dora")
    pages["own comment edit"] = client.get(f"/{SLUG}/modifica/{own}")
    pages["follow refused"] = client.post(f"/{SLUG}/segui", data={"follow-email": "x"})
    pages["follow"] = client.post(f"/{SLUG}/segui", data={"follow-email": "x@example.org"})
    reply = db_comment(app, "Bruno")
    pages["flagged"] = client.post(f"/{SLUG}/segnala/{reply}")
    pages["flagged again"] = client.post(f"/{SLUG}/segnala/{reply}")
    pages["privacy"] = client.get("/privacy/")
    pages["404"] = client.get("/no-such-page/")
    pages["405"] = client.put("/")
    pages["untrusted host"] = client.get("/", headers={"Host": "evil.example"})
    app.config["AKISMET_KEY"] = "key"  # its sentence in the form's privacy note
    pages["article with Akismet"] = client.get(ARTICLE_URL)
    app.config["AKISMET_KEY"] = ""
    return own


def db_comment(app: Flask, author: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Comment.id).where(Comment.author == author))


def visit_moderator_pages(app: Flask, pages: dict[str, TestResponse], own: int) -> None:
    """Every page a moderator sees, the queue in each status."""
    client = app.test_client()
    pages["login"] = client.get("/moderation/login")
    data = form_fields(soup(client.get("/moderation/login")), "loginform")
    pages["login failed"] = client.post(
        "/moderation/login", data={**data, "username": "anna", "password": "wrong"}
    )
    AuthActions(client).login()
    for status in ("pending", "approved", "spam", "trash"):
        pages[f"queue {status}"] = client.get(f"/moderation/?status={status}")
    pages["queue page 2"] = client.get("/moderation/?status=approved&page=2")
    pages["queue all selected"] = client.get("/moderation/?status=approved&seleziona=tutti")
    pages["queue search"] = client.get("/moderation/?status=approved&q=Reader")
    pages["queue search empty"] = client.get("/moderation/?q=nothing-like-it")
    token = queue_token(client)
    client.post(f"/moderation/comments/{own}/approve", data={"csrf_token": token})
    pages["queue with undo"] = client.get("/moderation/?status=pending")
    pages["queue with history"] = client.get("/moderation/?status=approved")
    pages["400"] = client.get("/moderation/?q=%01")
    pages["moderator edit"] = client.get(f"/moderation/comments/{own}/edit")
    pages["settings"] = client.get("/moderation/settings")
    pages["profile"] = client.get("/moderation/profile")
    pages["privacy tools"] = client.get("/moderation/privacy")
    pages["privacy tools search"] = client.get("/moderation/privacy?email=dora@example.org")
    pages["empty spam"] = client.get("/moderation/spam/empty")
    pages["empty trash"] = client.get("/moderation/trash/empty")
    with app.app_context():
        db.session.execute(sa.delete(Comment).where(Comment.status == CommentStatus.TRASH))
        db.session.execute(sa.update(Article).values(comments_open=False))
        db.session.commit()
    pages["empty trash, nothing"] = client.get("/moderation/trash/empty")
    pages["settings, comments closed"] = client.get("/moderation/settings")
    pages["article, comments closed"] = client.get(ARTICLE_URL)


def visit_every_page(app: Flask) -> tuple[dict[str, TestResponse], list[str]]:
    """Each kind of page, and the content they show."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/broken-on-purpose")
    def broken() -> str:
        raise RuntimeError("broken on purpose")

    content = add_pages_content(app)
    pages: dict[str, TestResponse] = {}
    own = visit_reader_pages(app, pages)
    visit_moderator_pages(app, pages, own)
    pages["500"] = app.test_client().get("/broken-on-purpose")
    return pages, content


def ui_text(response: TestResponse, content: list[str]) -> str:
    """What a page says of its own: its text and spoken attributes, without
    the articles, the comments and the site's name."""
    page = soup(response)
    for node in page.select(CONTENT):
        node.decompose()
    spoken = [
        value
        for tag in page.find_all(True)
        for name, value in tag.attrs.items()
        if name in SPOKEN_ATTRIBUTES and isinstance(value, str)
    ]
    text = " ".join([page.get_text(" "), *spoken])
    for piece in sorted(content, key=len, reverse=True):
        text = text.replace(piece, " ")
    return " ".join(text.split())


def test_an_english_site_shows_no_italian(app):
    pages, content = visit_every_page(app)
    english, italian = catalog_words()
    left = {}
    for name, response in pages.items():
        assert response.status_code == STATUSES.get(name, 200), name
        found = words(ui_text(response, content)) & (italian - english)
        if found:
            left[name] = sorted(found)
    assert left == {}


def test_an_italian_site_shows_no_english(app_config):
    with fresh_blog(app_config, SITE_LANGUAGE="it") as app:
        pages, content = visit_every_page(app)
    english, italian = catalog_words()
    left = {}
    for name, response in pages.items():
        assert response.status_code == STATUSES.get(name, 200), name
        found = words(ui_text(response, content)) & (english - italian)
        if found:
            left[name] = sorted(found)
    assert left == {}


@pytest.mark.parametrize(
    ("language", "lang", "locale"), [("it", "it", "it_IT"), ("en", "en", "en_US")]
)
def test_pages_name_their_language(app_config, language, lang, locale):
    with fresh_blog(app_config, SITE_LANGUAGE=language) as app:
        client = app.test_client()
        article = soup(client.get(ARTICLE_URL))
        untrusted = soup(client.get("/", headers={"Host": "evil.example"}))
        feed = client.get("/feed/").get_data(as_text=True)
    assert article.html["lang"] == lang and untrusted.html["lang"] == lang
    assert article.find("meta", property="og:locale")["content"] == locale
    assert f'xml:lang="{lang}"' in feed


def test_numbers_and_plurals_follow_the_language(app, app_config):
    with app.app_context():
        comment = add_comment(CommentStatus.SPAM)
        comment.spam_score = 0.165
        db.session.commit()
        add_moderator()
    client = app.test_client()
    AuthActions(client).login()
    english = soup(client.get("/moderation/?status=spam"))
    assert english.select_one(".badge-score").get_text() == "score 0.17"
    assert english.select_one(".queue-summary").get_text().startswith("1 comment, page 1 of 1.")
    with fresh_blog(app_config, SITE_LANGUAGE="it") as italian_app:
        with italian_app.app_context():
            for _ in range(2):
                add_comment(CommentStatus.SPAM).spam_score = 0.165
            db.session.commit()
            add_moderator()
        client = italian_app.test_client()
        AuthActions(client).login()
        italian = soup(client.get("/moderation/?status=spam"))
    assert italian.select_one(".badge-score").get_text() == "punteggio 0,17"
    assert italian.select_one(".queue-summary").get_text().startswith("2 commenti, pagina 1 di 1.")


def test_the_queue_script_gets_its_words_from_the_page(app, logged_in):
    with app.app_context():
        add_comment(CommentStatus.PENDING)
    button = soup(logged_in.get("/moderation/")).find(id="select-all")
    assert (button["data-select"], button["data-deselect"]) == ("Select all", "Deselect all")
