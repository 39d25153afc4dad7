"""Mail to moderators and to authors, through a real SMTP server on loopback."""

from __future__ import annotations

import logging
import re
import string
import time
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from blog.extensions import db
from blog.models import Comment, CommentStatus, MailMessage, Moderator
from blog.moderation.workflow import Action, apply_action
from blog.notify import subscriptions
from blog.notify.moderator_mail import ACTION_SALT, action_token
from blog.notify.subscriptions import UNSUBSCRIBE_SALT
from tests.helpers import (
    ARTICLE_URL,
    POST_URL,
    VALID_COMMENT,
    Commenter,
    add_comment,
    add_moderator,
    form_fields,
    fresh_blog,
    queue_token,
    soup,
    text_of,
)
from tests.support.mail_server import SmtpServer, body_of, free_port

LINK = re.compile(r"(Approva|Spam|Cestina): (http://\S+)")
CONFIRM = re.compile(r"premi «Conferma»:\s+(http://\S+)")
UNSUBSCRIBE = re.compile(r"Per non ricevere più nulla da questo sito: (http://\S+)")


@pytest.fixture
def smtp():
    with SmtpServer() as inbox:
        yield inbox


@pytest.fixture
def app_config(app_config, smtp):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port}


@pytest.fixture
def moderators(app):
    with app.app_context():
        anna = add_moderator("anna", email="anna@example.it").id
        add_moderator("bruno", display_name="Bruno", email="bruno@example.it")
        add_moderator("carla", display_name="Carla")  # no email
        add_moderator("dario", display_name="Dario", email="dario@example.it", active=False)
    return anna


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def links_in(message) -> dict[str, str]:
    return {label: path_of(url) for label, url in LINK.findall(body_of(message))}


def post_pending(client, **fields):
    response = Commenter(client).post(**fields)
    assert response.status_code == 303
    return response


def test_a_pending_comment_mails_every_active_moderator_with_an_email(
    app, client, smtp, moderators
):
    post_pending(client, comment="Testo completo\ndel commento, su due righe.")
    messages = smtp.wait_for(2)
    assert sorted(m["To"] for m in messages) == ["anna@example.it", "bruno@example.it"]
    message = smtp.to("anna@example.it")[0]
    body = body_of(message)
    assert "Commento in attesa" in message["Subject"]
    assert "Jean-Philippe Imparato" in body
    for expected in (
        VALID_COMMENT["author"],
        VALID_COMMENT["email"],
        "Indirizzo IP: 127.0.0.1",
        "Testo completo\ndel commento, su due righe.",
    ):
        assert expected in body
    assert set(links_in(message)) == {"Approva", "Spam", "Cestina"}


def test_an_approved_comment_mails_no_moderator(app, client, smtp, moderators):
    with app.app_context():
        add_comment(comment="Già approvato")
        db.session.commit()
    assert smtp.messages == []


def comment_id(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Comment.id).order_by(Comment.id.desc()))


def status_of(app, cid: int) -> CommentStatus:
    with app.app_context():
        return db.session.get(Comment, cid).status


def test_a_link_confirms_on_get_and_acts_once_on_post(app, client, smtp, moderators):
    post_pending(client)
    cid = comment_id(app)
    approve = links_in(smtp.wait_for(2)[0])["Approva"]
    scanner = app.test_client()
    page = scanner.get(approve)
    assert page.status_code == 200
    assert status_of(app, cid) == CommentStatus.PENDING, "a GET changes nothing"
    assert VALID_COMMENT["comment"] in text_of(soup(page))
    form = form_fields(soup(page), "confirm-form")  # the confirmation form
    done = scanner.post(approve, data=form)
    assert done.status_code == 200
    assert "Commento approvato." in text_of(soup(done))
    assert "Fatto:" not in text_of(soup(done))
    assert status_of(app, cid) == CommentStatus.APPROVED
    assert VALID_COMMENT["comment"] in text_of(soup(client.get(ARTICLE_URL)))
    with app.app_context():
        event = db.session.scalar(sa.select(Comment).where(Comment.id == cid)).events[-1]
        assert event.action == "approve" and event.moderator.username == "anna"
    again = scanner.get(approve)
    assert "già stato usato" in text_of(soup(again))


def test_each_link_works_once_and_follows_the_state_machine(app, client, smtp, moderators):
    post_pending(client)
    cid = comment_id(app)
    links = links_in(smtp.to("anna@example.it")[0])
    browser = app.test_client()
    spam = browser.get(links["Spam"])
    browser.post(links["Spam"], data=form_fields(soup(spam), "confirm-form"))
    assert status_of(app, cid) == CommentStatus.SPAM
    replay = browser.post(links["Spam"], data=form_fields(soup(spam), "confirm-form"))
    assert "già stato usato" in text_of(soup(replay))
    # A link written for the spam comment as it is now (no mail offers one):
    # spam cannot go to the trash, the state machine says so. Said, not done.
    with app.app_context():
        comment, anna = db.session.get(Comment, cid), db.session.get(Moderator, moderators)
        trash_now = f"/email/moderazione/{action_token(comment, 'trash', anna)}"
    trash = browser.get(trash_now)
    refused = browser.post(trash_now, data=form_fields(soup(trash), "confirm-form"))
    assert refused.status_code == 409
    assert "Operazione non possibile" in text_of(soup(refused))
    assert status_of(app, cid) == CommentStatus.SPAM


def test_a_link_post_needs_its_pages_token(app, client, smtp, moderators):
    post_pending(client)
    cid = comment_id(app)
    approve = links_in(smtp.wait_for(2)[0])["Approva"]
    response = app.test_client().post(approve, data={})
    assert response.status_code == 400
    assert status_of(app, cid) == CommentStatus.PENDING


def test_forged_expired_and_revoked_links_are_refused(app, client, smtp, moderators):
    post_pending(client)
    cid = comment_id(app)
    approve = links_in(smtp.to("anna@example.it")[0])["Approva"]
    browser = app.test_client()
    tampered = approve[:-3] + ("AAA" if not approve.endswith("AAA") else "BBB")
    assert browser.get(tampered).status_code == 400

    class EightDaysAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 8 * 24 * 3600

    old = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt=ACTION_SALT, signer=EightDaysAgo
    ).dumps({"c": cid, "a": "approve", "m": moderators, "v": 0})
    expired = browser.get(f"/email/moderazione/{old}")
    assert expired.status_code == 400
    assert "scaduto" in text_of(soup(expired))

    with app.app_context():
        db.session.get(Moderator, moderators).active = False
        db.session.commit()
    assert browser.get(approve).status_code == 400
    assert status_of(app, cid) == CommentStatus.PENDING


BASE64URL = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


def respelled(app, link: str) -> str:
    """The same signed link, its signature's last character spelled another way.

    The signature's bits do not fill its last base64 character; the spare
    bits are ignored when decoding, so both spellings verify.
    """
    prefix, token = link.rsplit("/", 1)
    twin = token[:-1] + BASE64URL[BASE64URL.index(token[-1]) ^ 1]
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=ACTION_SALT)
    assert twin != token and serializer.loads(twin) == serializer.loads(token)
    return f"{prefix}/{twin}"


def use(browser, link: str):
    """Open a link and confirm on its page."""
    return browser.post(link, data=form_fields(soup(browser.get(link)), "confirm-form"))


def csrf_token_of(browser) -> str:
    """A valid form token for this browser, to POST where no form is offered."""
    page = soup(browser.get("/moderation/login", follow_redirects=True))
    return page.find("input", attrs={"name": "csrf_token"})["value"]


def actions_on(app, cid: int) -> list[str]:
    with app.app_context():
        return [event.action for event in db.session.get(Comment, cid).events]


def change_status(app, cid: int, moderator_id: int, *actions: Action) -> None:
    """A moderator changes the comment from the queue, not from the mail."""
    with app.app_context():
        comment, moderator = db.session.get(Comment, cid), db.session.get(Moderator, moderator_id)
        for action in actions:
            apply_action(comment, action, moderator)
        db.session.commit()


def assert_refused(browser, link: str, message: str, status: int = 200) -> None:
    """The link's page says ``message``, offers no button, and its POST says it again."""
    page = browser.get(link)
    assert page.status_code == status
    assert message in text_of(soup(page))
    assert soup(page).find(id="confirm-form") is None
    posted = browser.post(link, data={"csrf_token": csrf_token_of(browser)})
    assert posted.status_code == status
    assert message in text_of(soup(posted))


@pytest.mark.parametrize(
    ("label", "said", "status"),
    [
        ("Approva", "Commento approvato.", CommentStatus.APPROVED),
        ("Spam", "Commento segnato come spam.", CommentStatus.SPAM),
        ("Cestina", "Commento spostato nel cestino.", CommentStatus.TRASH),
    ],
)
def test_a_used_link_says_what_it_did_in_a_sentence(
    app, client, smtp, moderators, label, said, status
):
    post_pending(client)
    cid = comment_id(app)
    link = links_in(smtp.to("anna@example.it")[0])[label]
    done = text_of(soup(use(app.test_client(), link)))
    assert said in done
    assert "Fatto:" not in done, "not the button's name after a colon"
    assert status_of(app, cid) == status


USED = "già stato usato"
STATUS_CHANGED = "Lo stato del commento è cambiato dopo l'invio di questo messaggio"


def test_a_used_link_spelled_another_way_is_still_used(app, client, smtp, moderators):
    post_pending(client)
    cid = comment_id(app)
    approve = links_in(smtp.to("anna@example.it")[0])["Approva"]
    browser = app.test_client()
    assert "Commento approvato." in text_of(soup(use(browser, approve)))
    assert_refused(browser, respelled(app, approve), USED)
    assert actions_on(app, cid) == ["approve"]


def test_using_one_link_of_a_mail_retires_the_others(app, client, smtp, moderators):
    post_pending(client)
    cid = comment_id(app)
    links = links_in(smtp.to("anna@example.it")[0])
    browser = app.test_client()
    use(browser, links["Spam"])
    for sibling in (links["Approva"], links["Cestina"], respelled(app, links["Approva"])):
        assert_refused(browser, sibling, USED)
    assert status_of(app, cid) == CommentStatus.SPAM
    assert actions_on(app, cid) == ["spam"]


@pytest.mark.parametrize(
    "changes",
    [
        (Action.APPROVE,),
        (Action.TRASH,),
        # Back where it was when mailed: the links are still out of date.
        (Action.APPROVE, Action.UNAPPROVE),
    ],
    ids=["approved", "trashed", "approved-then-unapproved"],
)
def test_a_link_mailed_before_the_status_changed_does_nothing(
    app, client, smtp, moderators, changes
):
    post_pending(client)
    cid = comment_id(app)
    links = links_in(smtp.to("bruno@example.it")[0])
    change_status(app, cid, moderators, *changes)
    status = status_of(app, cid)
    browser = app.test_client()
    for link in links.values():
        assert_refused(browser, link, STATUS_CHANGED, 409)
    assert status_of(app, cid) == status
    assert actions_on(app, cid) == [str(action) for action in changes]


def test_a_used_link_does_nothing_after_the_comment_is_unapproved(app, client, smtp, moderators):
    post_pending(client)
    cid = comment_id(app)
    links = links_in(smtp.to("anna@example.it")[0])
    browser = app.test_client()
    use(browser, links["Approva"])
    change_status(app, cid, moderators, Action.UNAPPROVE)
    for link in (links["Approva"], respelled(app, links["Approva"]), links["Spam"]):
        assert_refused(browser, link, USED)
    assert status_of(app, cid) == CommentStatus.PENDING
    assert actions_on(app, cid) == ["approve", "unapprove"]


def test_a_link_never_acts_on_a_newer_comment_given_the_same_id(app, client, smtp, moderators):
    """SQLite gives a deleted comment's id to the next one: the link knows its comment."""
    post_pending(client)
    cid = comment_id(app)
    links = links_in(smtp.to("anna@example.it")[0])
    with app.app_context():
        comment = db.session.get(Comment, cid)
        article_id = comment.article_id
        db.session.delete(comment)
        db.session.commit()
        newer = Comment(
            id=cid,
            article_id=article_id,
            author="Un altro",
            email="altro@example.it",
            body="Un commento nuovo",
            body_html="<p>Un commento nuovo</p>",
            status=CommentStatus.PENDING,
        )
        db.session.add(newer)
        db.session.commit()
    browser = app.test_client()
    page = browser.get(links["Approva"])
    assert "Un commento nuovo" not in text_of(soup(page))
    assert soup(page).find(id="confirm-form") is None
    browser.post(links["Approva"], data={"csrf_token": csrf_token_of(browser)})
    assert status_of(app, cid) == CommentStatus.PENDING


def test_an_author_who_asked_confirms_first_then_hears_of_the_approval(
    app, client, smtp, logged_in
):
    reader = app.test_client()
    post_pending(reader, **{"comment-notify": "y", "comment": "Avvisatemi"})
    cid = comment_id(app)
    [confirmation] = smtp.wait_for(1)
    assert confirmation["To"] == VALID_COMMENT["email"]
    assert "Conferma l'iscrizione" in confirmation["Subject"]
    assert "Avvisatemi" not in body_of(confirmation), "nothing a stranger typed"
    token = queue_token(logged_in)
    logged_in.post(f"/moderation/comments/{cid}/approve", data={"csrf_token": token})
    time.sleep(0.2)
    assert len(smtp.to(VALID_COMMENT["email"])) == 1, "nothing but the confirmation"
    # Confirmed, the next approval is mailed.
    confirm = path_of(CONFIRM.search(body_of(confirmation)).group(1))
    page = reader.get(confirm)
    reader.post(confirm, data=form_fields(soup(page), "confirm-form"))
    post_pending(reader, **{"comment-notify": "y", "comment": "Avvisatemi ancora"})
    cid = comment_id(app)
    logged_in.post(f"/moderation/comments/{cid}/approve", data={"csrf_token": token})
    message = smtp.to(VALID_COMMENT["email"])[-1]
    assert "approvato" in message["Subject"]
    assert f"#comment-{cid}" in body_of(message)
    assert UNSUBSCRIBE.search(body_of(message))


def test_no_mail_to_an_author_who_did_not_ask(app, client, smtp, logged_in):
    post_pending(app.test_client(), comment="Non avvisatemi")
    cid = comment_id(app)
    token = queue_token(logged_in)
    logged_in.post(f"/moderation/comments/{cid}/approve", data={"csrf_token": token})
    assert smtp.messages == []


def test_an_approved_reply_mails_the_parent_author_until_they_unsubscribe(app, smtp):
    with app.app_context():
        parent = add_comment(comment="Voglio le risposte", email="maria@example.it")
        article = parent.article
        subscriptions.confirm(
            subscriptions.subscribe("maria@example.it", article, comment_id=parent.id),
            up_to=2**31 - 1,
        )
        db.session.query(MailMessage).delete()  # the confirmation, already seen
        db.session.commit()
        parent_id = parent.id
    replier = app.test_client()
    replier.get(ARTICLE_URL)
    form = Commenter(replier).open_form(f"?replytocom={parent_id}")
    replier.post(
        POST_URL,
        data={**form, **VALID_COMMENT, "comment": "Ecco una risposta", "email": "l@example.it"},
    )
    reply_id = comment_id(app)
    with app.app_context():
        apply_action(db.session.get(Comment, reply_id), Action.APPROVE)
        db.session.commit()
    # Outside a request the message waits in the outbox for `flask send-mail`.
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    [message] = smtp.to("maria@example.it")
    assert "Nuova risposta" in message["Subject"]
    assert "Ecco una risposta" in body_of(message)
    unsubscribe = path_of(UNSUBSCRIBE.search(body_of(message)).group(1))
    # The link's payload is signed, not secret: it names the subscriber by id only.
    payload = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT).loads(
        unsubscribe.rsplit("/", 1)[1]
    )
    assert "maria" not in str(payload).lower() and set(payload) == {"s", "k"}

    browser = app.test_client()
    page = browser.get(unsubscribe)
    assert page.status_code == 200
    with app.app_context():
        assert not subscriptions.is_suppressed("maria@example.it"), "a GET changes nothing"
    done = browser.post(unsubscribe, data=form_fields(soup(page), "confirm-form"))
    assert "Non riceverai più messaggi" in text_of(soup(done))
    with app.app_context():
        assert subscriptions.is_suppressed("Maria@Example.it")
        add_comment(comment="Un'altra risposta", parent=db.session.get(Comment, parent_id))
    app.test_cli_runner().invoke(args=["send-mail"])
    assert len(smtp.to("maria@example.it")) == 1


@contextmanager
def blog_with(app_config, **settings):
    """A fresh app with these settings and a moderator who has an email."""
    with fresh_blog(app_config, **settings) as app:
        with app.app_context():
            add_moderator("anna", email="anna@example.it")
        yield app


def test_a_failed_send_keeps_the_comment_and_is_retried(app_config, smtp):
    down = free_port()  # nothing listens here
    with blog_with(app_config, MAIL_PORT=down) as app:
        failed_then_retried(app, smtp)


def failed_then_retried(app, smtp):
    client = app.test_client()
    response = Commenter(client).post(comment="Arrivo comunque")
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(Comment.body)) == "Arrivo comunque"
        message = db.session.scalar(sa.select(MailMessage))
        assert message.sent_at is None and message.attempts == 1
        assert "Connection" in message.last_error or "Errno" in message.last_error
        assert message.next_attempt_at > message.created_at + timedelta(seconds=30)
        # Time passes, and the server is back.
        message.next_attempt_at = message.created_at
        db.session.commit()
    app.config["MAIL_PORT"] = smtp.port
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert "Messaggi inviati: 1" in result.output
    assert len(smtp.to("anna@example.it")) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(MailMessage)).sent_at is not None


def test_without_a_mail_server_messages_go_to_the_log(app_config, caplog):
    with blog_with(app_config, MAIL_SERVER=None) as app:
        with caplog.at_level(logging.INFO, logger="blog.notify.smtp"):
            Commenter(app.test_client()).post(comment="Solo nel log")
        assert "anna@example.it" in caplog.text and "Solo nel log" in caplog.text
        with app.app_context():
            assert db.session.scalar(sa.select(MailMessage)).sent_at is not None


def test_moderators_set_their_email_on_the_profile_page(app, logged_in):
    page = soup(logged_in.get("/moderation/profile"))
    data = form_fields(page, "profile-form")
    bad = logged_in.post("/moderation/profile", data={**data, "email": "non-valida"})
    assert bad.status_code == 422
    assert soup(bad).find("input", attrs={"name": "email"})["aria-invalid"] == "true"
    done = logged_in.post("/moderation/profile", data={**data, "email": "anna@posta.it"})
    assert done.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(Moderator.email)) == "anna@posta.it"


def test_create_moderator_takes_an_email(app, runner):
    result = runner.invoke(
        args=["create-moderator", "zoe", "--email", "zoe@example.it"],
        input="una password lunga abbastanza\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert (
            db.session.scalar(sa.select(Moderator.email).where(Moderator.username == "zoe"))
            == "zoe@example.it"
        )
