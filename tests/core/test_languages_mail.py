"""Mail in the right language, through a real SMTP server on loopback:
readers' mail in the site's, moderators' mail in each moderator's own."""

from __future__ import annotations

from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from blog.extensions import db
from blog.models import Article, Comment, CommentStatus, DigestEntry, Moderator, utcnow
from blog.moderation.workflow import Action, apply_action
from tests.core.test_languages import catalog_words, words
from tests.helpers import (
    ARTICLE_URL,
    VALID_COMMENT,
    AuthActions,
    Commenter,
    add_comment,
    add_moderator,
    form_fields,
    fresh_blog,
    queue_token,
    soup,
)
from tests.support.mail_server import Inbox, SmtpServer, body_of

MARIA = "maria@example.org"
FOLLOWER = "follower@example.org"
ANNA = "anna@example.org"
BRUNO = "bruno@example.org"
#: A word of the moderation list: it holds Maria's comment, with a reason.
HELD_WORD = "xyzzy"
MARIA_TEXT = f"Lorem ipsum {HELD_WORD} dolor"
REPLY_TEXT = "Sit amet consectetur"


@pytest.fixture
def smtp():
    with SmtpServer() as inbox:
        yield inbox


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp: Inbox) -> dict[str, Any]:
    return {
        **app_config,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp.port,
        "COMMENT_MODERATION_KEYS": [HELD_WORD],
    }


def add_moderators(app: Flask, anna_language: str | None) -> None:
    """Anna hears of each waiting comment at once, in ``anna_language``;
    Bruno in an hourly digest, in the site's language."""
    with app.app_context():
        anna = add_moderator("anna", email=ANNA)
        anna.language = anna_language
        bruno = add_moderator("bruno", display_name="Bruno", email=BRUNO)
        bruno.mail_frequency = "hourly"
        db.session.commit()


def post_held_comment(app: Flask) -> tuple[FlaskClient, int]:
    """Maria comments, asking to hear of the approval; her words hold it."""
    maria = app.test_client()
    fields = {"comment-notify": "y", "email": MARIA, "comment": MARIA_TEXT}
    assert Commenter(maria).post(**fields).status_code == 303
    with app.app_context():
        comment = db.session.scalars(sa.select(Comment).order_by(Comment.id.desc())).first()
        assert comment.status == CommentStatus.PENDING
        return maria, comment.id


def confirm(client: FlaskClient, message: Message) -> None:
    """Open the confirmation link a mail carries, and press its button."""
    link = next(word for word in body_of(message).split() if "/email/conferma/" in word)
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    done = client.post("/" + path, data=form_fields(soup(page), "confirm-form"))
    assert done.status_code == 200


def send_mail(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output


def content_of(app: Flask) -> list[str]:
    """What people wrote, not the blog: titles, names, comments, the site's name."""
    with app.app_context():
        titles = list(db.session.scalars(sa.select(Article.title)))
    return [
        *titles,
        app.config["SITE_NAME"],
        MARIA_TEXT,
        REPLY_TEXT,
        VALID_COMMENT["author"],
        VALID_COMMENT["comment"],
    ]


def subject_of(message: Message) -> str:
    """The subject as written, its non-ASCII words decoded (RFC 2047)."""
    return str(make_header(decode_header(message["Subject"])))


def text_of(message: Message, content: list[str]) -> str:
    """A mail's subject and body, without what people wrote."""
    text = f"{subject_of(message)}\n{body_of(message)}"
    for piece in sorted(content, key=len, reverse=True):
        text = text.replace(piece, " ")
    return text


def other_language(message: Message, content: list[str], language: str) -> list[str]:
    """The words of ``message`` that only the other language's sentences use."""
    english, italian = catalog_words()
    foreign = italian - english if language == "en" else english - italian
    return sorted(words(text_of(message, content)) & foreign)


def subjects(inbox: Inbox, address: str) -> list[str]:
    return [subject_of(message) for message in inbox.to(address)]


def test_every_mail_of_an_english_site_is_english(app_config, smtp):
    with fresh_blog(app_config, SITE_LANGUAGE="en") as app:
        add_moderators(app, None)
        maria, comment_id = post_held_comment(app)
        [asked] = smtp.to(MARIA)
        confirm(maria, asked)
        follower = app.test_client()
        followed = follower.post(f"{ARTICLE_URL}segui", data={"follow-email": FOLLOWER})
        assert followed.status_code == 200
        confirm(follower, smtp.to(FOLLOWER)[0])
        with app.app_context():
            apply_action(db.session.get_one(Comment, comment_id), Action.APPROVE)
            db.session.commit()
            add_comment(
                comment=REPLY_TEXT,
                email="reply@example.org",
                parent=db.session.get_one(Comment, comment_id),
            )
            db.session.execute(
                sa.update(DigestEntry).values(created_at=utcnow().replace(year=2000))
            )
            db.session.commit()
        send_mail(app)
        content = content_of(app)
    assert [s.split("] ", 1)[1] for s in subjects(smtp, MARIA)] == [
        "Confirm your subscription",
        "Your comment has been approved",
        "New reply to your comment",
    ]
    assert subjects(smtp, FOLLOWER)[0].endswith("Confirm your subscription")
    assert all("New comment on “" in subject for subject in subjects(smtp, FOLLOWER)[1:])
    assert len(subjects(smtp, FOLLOWER)) == 3
    [held] = smtp.to(ANNA)
    assert "Comment awaiting moderation: “" in subject_of(held)
    assert f"Held because: moderation word “{HELD_WORD}”" in body_of(held)
    assert "Approve: http" in body_of(held) and "Trash: http" in body_of(held)
    [digest] = smtp.to(BRUNO)
    assert subject_of(digest).endswith("Digest: 1 comment")
    assert f"Held because: moderation word “{HELD_WORD}”" in body_of(digest)
    assert "To stop all mail from this site: http" in body_of(smtp.to(MARIA)[-1])
    assert len(smtp.messages) == 8
    left = {
        f"{message['To']}: {subject_of(message)}": other_language(message, content, "en")
        for message in smtp.messages
    }
    assert left == {key: [] for key in left}


def test_on_an_italian_site_each_moderator_reads_their_language_and_readers_italian(
    app_config, smtp
):
    with fresh_blog(app_config, SITE_LANGUAGE="it") as app:
        add_moderators(app, "en")
        with app.app_context():
            db.session.execute(sa.update(Moderator).values(mail_frequency="immediate"))
            db.session.commit()
        post_held_comment(app)
        content = content_of(app)
    [english] = smtp.to(ANNA)
    assert "Comment awaiting moderation: “" in subject_of(english)
    assert f"Held because: moderation word “{HELD_WORD}”" in body_of(english)
    assert "Approve: http" in body_of(english)
    assert other_language(english, content, "en") == []
    [italian] = smtp.to(BRUNO)
    assert "Commento in attesa: «" in subject_of(italian)
    assert f"Trattenuto perché: parola da moderare «{HELD_WORD}»" in body_of(italian)
    assert "Approva: http" in body_of(italian)
    [asked] = smtp.to(MARIA)
    assert subject_of(asked).endswith("Conferma l'iscrizione")
    for message in (italian, asked):
        assert other_language(message, content, "it") == []


def test_an_english_moderator_approving_leaves_the_readers_mail_italian(app_config, smtp):
    with fresh_blog(app_config, SITE_LANGUAGE="it") as app:
        add_moderators(app, "en")
        maria, comment_id = post_held_comment(app)
        confirm(maria, smtp.to(MARIA)[0])
        moderator = app.test_client()
        AuthActions(moderator).login()
        assert "Pending" in moderator.get("/moderation/").get_data(as_text=True)
        token = queue_token(moderator)
        response = moderator.post(
            f"/moderation/comments/{comment_id}/approve", data={"csrf_token": token}
        )
        assert response.status_code == 303
        smtp.wait_for(3)
        content = content_of(app)
    approved = smtp.to(MARIA)[-1]
    assert subject_of(approved).endswith("Il tuo commento è stato approvato")
    body = body_of(approved)
    assert body.startswith(f"Ciao {VALID_COMMENT['author']},\n\nil tuo commento a «")
    assert "Per non ricevere più nulla da questo sito: http" in body
    assert other_language(approved, content, "it") == []
