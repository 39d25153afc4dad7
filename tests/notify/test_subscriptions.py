"""Readers' subscriptions (double opt-in, suppression, one-click unsubscribe),
mail headers, moderators' mail settings and digests, webhooks, links that
land on the comment's page, and personal data that goes away: through a
real SMTP server and a real HTTP server on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from datetime import timedelta
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import (
    Article,
    Comment,
    CommentStatus,
    DigestEntry,
    MailMessage,
    Moderator,
    Subscriber,
    Subscription,
    Suppression,
    WebhookDelivery,
    utcnow,
)
from blog.moderation.workflow import Action, apply_action
from blog.notify import subscriptions
from tests.helpers import (
    ARTICLE_URL,
    POST_URL,
    VALID_COMMENT,
    AuthActions,
    Commenter,
    add_comment,
    add_moderator,
    form_fields,
    soup,
    text_of,
)
from tests.support.mail_server import SmtpServer, body_of

SITE = "https://blog.example.it"
CONFIRM = re.compile(r"premi «Conferma»:\s+(https://\S+)")
MARIA = "maria@example.it"


@pytest.fixture
def smtp():
    with SmtpServer() as inbox:
        yield inbox


@pytest.fixture
def app_config(app_config, smtp):
    return {
        **app_config,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp.port,
        "SITE_URL": SITE,
        "TRUSTED_HOSTS": ["localhost"],
    }


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def send_mail(app) -> None:
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output


def post(client, **fields):
    response = Commenter(client).post(**fields)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response


def last_comment_id(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Comment.id).order_by(Comment.id.desc()))


def confirm_from(client, message) -> None:
    link = path_of(CONFIRM.search(body_of(message)).group(1))
    page = client.get(link)
    assert page.status_code == 200
    done = client.post(link, data=form_fields(soup(page), "confirm-form"))
    assert "Iscrizione confermata" in text_of(soup(done))


def follow(client, email: str):
    return client.post(f"{ARTICLE_URL}segui", data={"follow-email": email})


def approve_all(app) -> None:
    with app.app_context():
        for comment in db.session.scalars(
            sa.select(Comment).where(Comment.status == CommentStatus.PENDING)
        ):
            apply_action(comment, Action.APPROVE)
        db.session.commit()
    send_mail(app)


# Double opt-in


def test_the_confirmation_comes_first_and_alone(app, smtp):
    reader = app.test_client()
    post(reader, **{"comment-notify": "y", "email": MARIA, "comment": "Compra pillole"})
    [confirmation] = smtp.wait_for(1)
    assert confirmation["To"] == MARIA
    assert "Conferma l'iscrizione" in confirmation["Subject"]
    assert "pillole" not in body_of(confirmation)
    # Approval of their comment and replies to it: nothing until confirmed.
    approve_all(app)
    with app.app_context():
        add_comment(comment="Una risposta", parent=db.session.get(Comment, last_comment_id(app)))
    send_mail(app)
    assert len(smtp.to(MARIA)) == 1
    # A confirmation page's GET changes nothing.
    link = path_of(CONFIRM.search(body_of(confirmation)).group(1))
    reader.get(link)
    with app.app_context():
        assert db.session.scalar(sa.select(Subscriber.confirmed_at)) is None


def test_a_stranger_typing_an_address_sends_one_confirmation_a_day(app, smtp):
    for number in range(3):
        post(
            app.test_client(),
            **{"comment-notify": "y", "email": MARIA, "comment": f"Commento {number}"},
        )
    for _ in range(2):
        assert follow(app.test_client(), MARIA).status_code == 200
    send_mail(app)
    assert len(smtp.to(MARIA)) == 1


def test_a_confirmed_address_hears_of_replies_and_stays_confirmed(app, smtp):
    reader = app.test_client()
    post(reader, **{"comment-notify": "y", "email": MARIA, "comment": "Primo"})
    confirm_from(reader, smtp.wait_for(1)[0])
    first = last_comment_id(app)
    approve_all(app)
    assert [m["Subject"] for m in smtp.to(MARIA)][1:] == [
        "[Il blog] Il tuo commento è stato approvato"
    ] or "approvato" in smtp.to(MARIA)[-1]["Subject"]
    # A later comment from the browser that confirmed needs no second
    # confirmation (tests/notify/test_confirmed_browser.py: only from it).
    post(reader, **{"comment-notify": "y", "email": "Maria@Example.it", "comment": "B"})
    send_mail(app)
    assert not any("Conferma" in m["Subject"] for m in smtp.to(MARIA)[1:])
    with app.app_context():
        add_comment(comment="Risposta", email="l@example.it", parent=db.session.get(Comment, first))
    send_mail(app)
    assert "Nuova risposta" in smtp.to(MARIA)[-1]["Subject"]


# Only the browser that confirmed is trusted


def a_day_passes(app) -> None:
    """The address's daily confirmation is free again."""
    with app.app_context():
        db.session.execute(
            sa.update(Subscriber).values(confirmation_sent_at=utcnow() - timedelta(hours=25))
        )
        db.session.commit()


def confirmed_owner(app, smtp):
    """Maria, who commented, ticked "Avvisami…" and confirmed, in her own browser."""
    owner = app.test_client()
    post(owner, **{"comment-notify": "y", "email": MARIA, "comment": "Il mio primo"})
    confirm_from(owner, smtp.wait_for(1)[0])
    approve_all(app)
    assert "approvato" in smtp.to(MARIA)[-1]["Subject"]
    return owner


def reply_to(app, comment_id: int, text: str) -> None:
    with app.app_context():
        add_comment(comment=text, email="l@example.it", parent=db.session.get(Comment, comment_id))
    send_mail(app)


def test_a_stranger_using_a_confirmed_address_gets_it_asked_again_and_mailed_nothing(app, smtp):
    confirmed_owner(app, smtp)
    a_day_passes(app)
    before = len(smtp.to(MARIA))
    stranger = app.test_client()  # another browser, no cookie of Maria's
    post(stranger, **{"comment-notify": "y", "email": MARIA, "comment": "Non l'ho scritto io"})
    forged = last_comment_id(app)
    [asked] = smtp.to(MARIA)[before:]
    assert "Conferma l'iscrizione" in asked["Subject"]
    assert "le risposte al tuo commento" in body_of(asked)
    assert "Non l'ho scritto io" not in body_of(asked)
    approve_all(app)
    reply_to(app, forged, "Risposta al commento falso")
    later = smtp.to(MARIA)[before + 1 :]
    assert not any("approvato" in m["Subject"] for m in later), "no approval mail"
    assert not any("Nuova risposta" in m["Subject"] for m in later), "no reply mail"
    with app.app_context():
        subscription = db.session.scalar(
            sa.select(Subscription).where(Subscription.comment_id == forged)
        )
        assert subscription.confirmed_at is None


def test_the_browser_that_confirmed_needs_no_new_confirmation(app, smtp):
    owner = confirmed_owner(app, smtp)
    first = last_comment_id(app)
    a_day_passes(app)  # a confirmation could be sent: none is needed
    before = len(smtp.to(MARIA))
    post(owner, **{"comment-notify": "y", "email": "Maria@Example.it", "comment": "Di nuovo io"})
    second = last_comment_id(app)
    assert smtp.to(MARIA)[before:] == [], "no confirmation asked"
    approve_all(app)
    [approved] = smtp.to(MARIA)[before:]
    assert "approvato" in approved["Subject"]
    assert f"#comment-{second}" in body_of(approved)
    reply_to(app, second, "Risposta al secondo")
    assert "Nuova risposta" in smtp.to(MARIA)[-1]["Subject"]
    reply_to(app, first, "Risposta al primo")
    assert "Risposta al primo" in body_of(smtp.to(MARIA)[-1])


def test_the_confirming_browser_gets_a_signed_httponly_lax_cookie_and_no_one_else(app, smtp):
    owner = app.test_client()
    post(owner, **{"comment-notify": "y", "email": MARIA})
    link = path_of(CONFIRM.search(body_of(smtp.wait_for(1)[0])).group(1))
    page = owner.get(link)
    assert owner.get_cookie(subscriptions.BROWSER_COOKIE) is None, "a GET marks nothing"
    owner.post(link, data=form_fields(soup(page), "confirm-form"))
    cookie = owner.get_cookie(subscriptions.BROWSER_COOKIE)
    assert cookie.http_only and cookie.same_site == "Lax"
    assert MARIA not in cookie.value
    # Reading the site with it alone is the page every reader shares.
    reader = app.test_client()
    reader.set_cookie(subscriptions.BROWSER_COOKIE, cookie.value)
    assert reader.get(ARTICLE_URL).headers["Cache-Control"].startswith("public")
    # A cookie that is not ours (altered, or signed with another key) trusts nothing.
    a_day_passes(app)
    stranger = app.test_client()
    stranger.set_cookie(subscriptions.BROWSER_COOKIE, cookie.value[:-2] + "xx")
    before = len(smtp.to(MARIA))
    post(stranger, **{"comment-notify": "y", "email": MARIA, "comment": "Con un cookie finto"})
    assert "Conferma" in smtp.to(MARIA)[before]["Subject"]


def test_a_browser_mark_never_trusts_a_newer_subscriber_given_the_same_id(app, smtp):
    owner = app.test_client()
    post(owner, **{"comment-notify": "y", "email": "vecchio@example.it"})
    confirm_from(owner, smtp.wait_for(1)[0])
    with app.app_context():
        db.session.execute(sa.delete(Subscriber))
        db.session.commit()
    # The same id, on SQLite, for another address confirmed elsewhere.
    post(app.test_client(), **{"comment-notify": "y", "email": MARIA, "comment": "Mio"})
    confirm_from(app.test_client(), smtp.to(MARIA)[-1])
    a_day_passes(app)
    before = len(smtp.to(MARIA))
    post(owner, **{"comment-notify": "y", "email": MARIA, "comment": "Non suo"})
    assert "Conferma" in smtp.to(MARIA)[before]["Subject"]


def test_reader_mail_has_the_headers_that_make_it_arrive(app, smtp):
    reader = app.test_client()
    post(reader, **{"comment-notify": "y", "email": MARIA})
    confirmation = smtp.wait_for(1)[0]
    confirm_from(reader, confirmation)
    approve_all(app)
    message = smtp.to(MARIA)[-1]
    for mail in (confirmation, message):
        assert parsedate_to_datetime(mail["Date"]).tzinfo is not None
        assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", mail["Message-ID"])
        assert mail["Auto-Submitted"] == "auto-generated"
    unsubscribe = message["List-Unsubscribe"]
    assert re.fullmatch(r"<https://blog\.example\.it/email/disiscrivi/\S+>", unsubscribe)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.strip("<>") in body_of(message)
    assert MARIA not in unsubscribe and "maria" not in unsubscribe.lower()


def test_the_one_click_post_unsubscribes_and_the_address_gets_nothing_after(app, smtp):
    reader = app.test_client()
    post(reader, **{"comment-notify": "y", "email": MARIA})
    confirm_from(reader, smtp.wait_for(1)[0])
    approve_all(app)
    link = path_of(smtp.to(MARIA)[-1]["List-Unsubscribe"].strip("<>"))
    # What a mail provider sends (RFC 8058): a POST, no cookie, no page.
    provider = app.test_client()
    response = provider.post(link, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with app.app_context():
        assert subscriptions.is_suppressed(MARIA)
        assert (
            db.session.scalar(sa.select(Suppression.digest))
            == hashlib.sha256(MARIA.encode()).hexdigest()
        )
    before = len(smtp.to(MARIA))
    # Suppressed: nothing, not even a confirmation.
    post(app.test_client(), **{"comment-notify": "y", "email": MARIA, "comment": "Di nuovo"})
    follow(app.test_client(), MARIA)
    approve_all(app)
    assert len(smtp.to(MARIA)) == before
    # The page after unsubscribing lets the owner ask again: a confirmation
    # is mailed (the page itself holds no token that would lift anything).
    page = reader.post(link)
    again = soup(page).find(id="confirm-form")
    assert "/email/conferma/" not in page.get_data(as_text=True)
    with app.app_context():
        db.session.execute(sa.update(Subscriber).values(confirmation_sent_at=None))
        db.session.commit()
    reader.post(again["action"], data=form_fields(soup(page), "confirm-form"))
    with app.app_context():
        assert subscriptions.is_suppressed(MARIA), "only the mailed link lifts it"
    confirmation = smtp.to(MARIA)[-1]
    assert "Conferma" in confirmation["Subject"]
    confirm_from(reader, confirmation)
    with app.app_context():
        assert not subscriptions.is_suppressed(MARIA)


# Follow a discussion


def test_following_a_discussion_without_commenting(app, smtp):
    page = soup(app.test_client().get(ARTICLE_URL))
    assert page.find(id="follow-form") is not None
    assert "Segui la discussione" in text_of(page.find(id="follow-form"))
    reader = app.test_client()
    response = follow(reader, MARIA)
    assert response.status_code == 200
    assert "ti scriviamo per confermare" in text_of(soup(response))
    confirm_from(reader, smtp.wait_for(1)[0])
    post(app.test_client(), comment="Un commento da seguire", email="l@example.it")
    approve_all(app)
    message = smtp.to(MARIA)[-1]
    assert "Nuovo commento" in message["Subject"]
    assert "Un commento da seguire" in body_of(message)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The follower's own comment is not mailed back to them.
    post(app.test_client(), comment="Scrivo io", email=MARIA)
    approve_all(app)
    assert "Scrivo io" not in body_of(smtp.to(MARIA)[-1])


def test_a_bad_follow_address_gets_a_clear_italian_error(app, smtp):
    response = follow(app.test_client(), "non-una-email")
    assert response.status_code == 422
    page = soup(response)
    assert "indirizzo email valido" in text_of(page).lower() or "email" in text_of(page)
    assert page.find(id="follow-email")["value"] == "non-una-email"
    assert smtp.messages == []


# Links that land


@pytest.fixture
def three_pages(app_config):
    from tests.helpers import fresh_blog

    with fresh_blog(app_config, COMMENTS_PER_PAGE=1) as app:
        with app.app_context():
            for number in range(2):
                add_comment(comment=f"Filo {number}", age=timedelta(hours=3 - number))
            add_moderator("anna", email="anna@example.it")
        yield app


def test_a_comment_on_page_three_is_linked_to_page_three_everywhere(three_pages, smtp):
    app = three_pages
    app.config["COMMENT_MODERATION"] = "none"
    follower = app.test_client()
    follow(follower, MARIA)
    confirm_from(follower, smtp.wait_for(1)[0])
    # The notice after posting: the redirect.
    response = post(app.test_client(), comment="Sul terzo foglio", email="l@example.it")
    cid = last_comment_id(app)
    assert response.headers["Location"].endswith(f"{ARTICLE_URL}?cpage=3#comment-{cid}")
    # Mail: the follower hears of it.
    send_mail(app)
    assert f"{SITE}{ARTICLE_URL}?cpage=3#comment-{cid}" in body_of(smtp.to(MARIA)[-1])
    # Feeds: the comments feed's link.
    feed = app.test_client().get("/comments/feed/").get_data(as_text=True)
    assert f'href="{SITE}{ARTICLE_URL}?cpage=3#comment-{cid}"' in feed
    # The queue, as a moderator sees the approved comment.
    moderator = app.test_client()
    assert AuthActions(moderator).login().status_code == 303
    queue = soup(moderator.get("/moderation/?status=approved"))
    assert queue.find("a", href=f"{ARTICLE_URL}?cpage=3#comment-{cid}") is not None
    # And page 3 really holds it.
    page = soup(app.test_client().get(f"{ARTICLE_URL}?cpage=3"))
    assert page.find(id=f"comment-{cid}") is not None


# Moderators' mail settings


def set_preferences(app, username: str, events: str, frequency: str) -> None:
    with app.app_context():
        moderator = db.session.scalar(sa.select(Moderator).where(Moderator.username == username))
        moderator.mail_events, moderator.mail_frequency = events, frequency
        db.session.commit()


def test_moderators_choose_on_their_profile_page(app, logged_in):
    page = soup(logged_in.get("/moderation/profile"))
    fields = form_fields(page, "profile-form")
    fields.update({"mail_events": "all", "mail_frequency": "daily", "email": "anna@example.it"})
    response = logged_in.post("/moderation/profile", data=fields)
    assert response.status_code == 303
    with app.app_context():
        anna = db.session.scalar(sa.select(Moderator))
        assert (anna.mail_events, anna.mail_frequency) == ("all", "daily")
    page = soup(logged_in.get("/moderation/profile"))
    assert page.find("input", attrs={"name": "mail_frequency", "value": "daily"}).has_attr(
        "checked"
    )


def test_what_each_moderator_hears(app, smtp):
    with app.app_context():
        add_moderator("anna", email="anna@example.it")
        add_moderator("bruno", email="bruno@example.it")
        add_moderator("carla", email="carla@example.it")
    set_preferences(app, "anna", "pending", "immediate")
    set_preferences(app, "bruno", "all", "immediate")
    set_preferences(app, "carla", "never", "immediate")
    app.config["COMMENT_MODERATION_KEYS"] = ["parolaccia"]
    app.config["COMMENT_MODERATION"] = "none"
    post(app.test_client(), comment="Pubblicato subito " + "lungo " * 200)
    post(app.test_client(), comment="Contiene una parolaccia", email="x@example.it")
    send_mail(app)
    anna = smtp.to("anna@example.it")
    bruno = smtp.to("bruno@example.it")
    assert [m["Subject"].split(":")[0] for m in anna] == ["[Il blog] Commento in attesa"]
    assert len(bruno) == 2 and any("pubblicato" in m["Subject"] for m in bruno)
    assert smtp.to("carla@example.it") == []
    held = body_of(anna[0])
    assert "Trattenuto perché" in held and "parolaccia" in held
    published = next(body_of(m) for m in bruno if "pubblicato" in m["Subject"])
    assert "[…]" in published and published.count("lungo") < 90  # 500 characters at most


def test_spam_is_never_mailed(app, smtp):
    with app.app_context():
        add_moderator("anna", email="anna@example.it")
    set_preferences(app, "anna", "all", "immediate")
    app.config["COMMENT_DISALLOWED_KEYS"] = ["casinò"]
    post(app.test_client(), comment="Vinci al casinò")
    send_mail(app)
    assert smtp.messages == []


def test_digests_group_what_they_should_and_wait_for_their_hour(app, smtp):
    with app.app_context():
        add_moderator("anna", email="anna@example.it")
        add_moderator("bruno", email="bruno@example.it")
    set_preferences(app, "anna", "pending", "hourly")
    set_preferences(app, "bruno", "pending", "daily")
    for number in range(3):
        post(app.test_client(), comment=f"Commento numero {number}", email=f"r{number}@example.it")
    send_mail(app)
    assert smtp.messages == [], "no mail per comment, and no digest before its hour"
    with app.app_context():
        db.session.execute(
            sa.update(DigestEntry).values(created_at=utcnow() - timedelta(minutes=61))
        )
        db.session.commit()
    send_mail(app)
    [anna] = smtp.to("anna@example.it")
    assert smtp.to("bruno@example.it") == [], "the daily digest waits a day"
    with app.app_context():
        db.session.execute(sa.update(DigestEntry).values(created_at=utcnow() - timedelta(days=1)))
        db.session.commit()
    send_mail(app)
    [bruno] = smtp.to("bruno@example.it")
    assert "Riepilogo: 3 commenti" in bruno["Subject"]
    assert "Riepilogo: 3 commenti" in anna["Subject"]
    for number in range(3):
        assert f"Commento numero {number}" in body_of(anna)
    # Within the hour, a new comment waits for the next digest.
    post(app.test_client(), comment="Dopo il riepilogo", email="z@example.it")
    send_mail(app)
    assert len(smtp.to("anna@example.it")) == 1
    with app.app_context():
        anna_row = db.session.scalar(sa.select(Moderator).where(Moderator.username == "anna"))
        anna_row.digest_sent_at = utcnow() - timedelta(minutes=61)
        db.session.commit()
    send_mail(app)
    latest = smtp.to("anna@example.it")[-1]
    assert "Riepilogo: 1 commento" in latest["Subject"]
    assert "Dopo il riepilogo" in body_of(latest)
    assert len(smtp.to("bruno@example.it")) == 1


# Webhooks


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):  # http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server = self.server
        if server.fail_next:
            server.fail_next -= 1
            self.send_response(503)
            self.end_headers()
            return
        server.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received, server.fail_next = [], 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_webhooks_arrive_signed_and_are_retried_after_a_failure(app, receiver, smtp):
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    app.config.update(WEBHOOK_URLS=[url], WEBHOOK_SECRET="segreto condiviso")
    receiver.fail_next = 1
    post(app.test_client(), comment="Per il bot", email=MARIA)
    with app.app_context():
        delivery = db.session.scalar(sa.select(WebhookDelivery))
        assert delivery.attempts == 1 and delivery.sent_at is None and delivery.last_error
        delivery.next_attempt_at = utcnow()  # its retry is due
        db.session.commit()
    send_mail(app)
    [(headers, body)] = receiver.received
    expected = hmac.new(b"segreto condiviso", body, hashlib.sha256).hexdigest()
    assert headers["X-Blog-Signature"] == f"sha256={expected}"
    assert headers["X-Blog-Event"] == "comment.created"
    payload = json.loads(body)
    assert payload["comment"]["text"] == "Per il bot"
    assert payload["comment"]["status"] == "pending"
    assert MARIA not in body.decode(), "no email in a webhook"
    approve_all(app)
    headers, body = receiver.received[-1]
    assert headers["X-Blog-Event"] == "comment.status_changed"
    assert json.loads(body)["status"] == "approved"


def test_webhooks_need_a_secret(app_config):
    from blog import create_app

    with pytest.raises(RuntimeError, match="WEBHOOK_SECRET"):
        create_app({**app_config, "WEBHOOK_URLS": ["https://hooks.example.it/x"]})
    with pytest.raises(RuntimeError, match="WEBHOOK_URLS"):
        create_app({**app_config, "WEBHOOK_URLS": ["file:///etc/passwd"], "WEBHOOK_SECRET": "s"})


# Personal data


def every_text(app) -> str:
    """Every text value in every table, as one string."""
    values = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(sa.select(table)):
                values.extend(str(value) for value in row if isinstance(value, str))
    return "\n".join(values)


def leave_traces(app, smtp, receiver):
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    app.config.update(WEBHOOK_URLS=[url], WEBHOOK_SECRET="s")
    with app.app_context():
        add_moderator("anna", email="anna@example.it")
    set_preferences(app, "anna", "all", "hourly")
    # Held by a word list: the filter's note in the history names the word.
    app.config["COMMENT_MODERATION_KEYS"] = ["tracciabile"]
    reader = app.test_client()
    post(
        reader,
        author="Mariella Tracciabile",
        email=MARIA,
        comment="Un testo di Mariella",
        **{"comment-notify": "y"},
    )
    confirm_from(reader, smtp.wait_for(1)[0])
    follow(reader, MARIA)
    with app.app_context():
        db.session.execute(sa.update(DigestEntry).values(created_at=utcnow() - timedelta(hours=2)))
        db.session.commit()
    approve_all(app)
    assert any("Riepilogo" in m["Subject"] for m in smtp.to("anna@example.it"))
    assert MARIA in every_text(app) and "Mariella Tracciabile" in every_text(app)


@pytest.mark.parametrize("delete", [False, True])
def test_erase_leaves_nothing_of_the_person_in_any_table(app, smtp, receiver, delete):
    leave_traces(app, smtp, receiver)
    args = ["privacy-erase", MARIA, "--yes"] + (["--delete"] if delete else [])
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    left = every_text(app)
    assert MARIA not in left.lower()
    assert "tracciabile" not in left.lower(), "name, digests and the filter's note"
    assert "192.0.2" not in left and "127.0.0.1" not in left.replace(
        f"http://127.0.0.1:{receiver.server_address[1]}/hook", ""
    )
    with app.app_context():
        # Only the hash of a suppressed address may stay; this one never unsubscribed.
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscriber)) == 0


def test_purge_deletes_old_mail_and_unconfirmed_addresses(app, smtp):
    post(app.test_client(), **{"comment-notify": "y", "email": MARIA})
    follow(app.test_client(), "mai.confermato@example.it")
    send_mail(app)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(MailMessage.id))) == 2
        old = utcnow() - timedelta(days=31)
        db.session.execute(sa.update(MailMessage).values(created_at=old))
        db.session.execute(sa.update(Subscriber).values(created_at=old))
        db.session.commit()
    follow(app.test_client(), "recente@example.it")  # this month's: kept
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    left = every_text(app)
    assert "mai.confermato" not in left
    with app.app_context():
        assert db.session.scalars(sa.select(MailMessage.to_address)).all() == ["recente@example.it"]
        assert db.session.scalars(sa.select(Subscriber.email)).all() == ["recente@example.it"]


def test_privacy_export_includes_subscriptions_and_mail(app, smtp):
    reader = app.test_client()
    post(reader, **{"comment-notify": "y", "email": MARIA})
    confirm_from(reader, smtp.wait_for(1)[0])
    result = app.test_cli_runner().invoke(args=["privacy-export", MARIA])
    assert result.exit_code == 0, result.output
    exported = json.loads(result.stdout)
    assert exported["subscription"]["confirmed_at"]
    assert exported["subscription"]["subscriptions"][0]["comment_id"] == last_comment_id(app)
    assert [mail["subject"] for mail in exported["mail"]] == ["[Il blog] Conferma l'iscrizione"]


# The privacy note


def test_the_privacy_note_says_it_and_links_to_the_policy(app, client):
    note = soup(client.get(ARTICLE_URL)).find(id="privacy-note")
    assert note.find("a")["href"] == "/privacy/"
    # The note is one line now: the page it links to says the rest.
    policy = client.get("/privacy/")
    said = text_of(soup(policy))
    assert "30 giorni" in said and "confermare" in said
    assert policy.status_code == 200 and "SHA-256" in said
    app.config["PRIVACY_POLICY_URL"] = "https://www.example.it/privacy"
    note = soup(app.test_client().get(ARTICLE_URL + "?x=1")).find(id="privacy-note")
    assert note.find("a")["href"] == "https://www.example.it/privacy"


def test_a_reply_mail_quotes_at_most_500_characters(app, smtp):
    with app.app_context():
        parent = add_comment(comment="Genitore", email=MARIA)
        subscriptions.confirm(
            subscriptions.subscribe(MARIA, parent.article, comment_id=parent.id), up_to=2**31 - 1
        )
        db.session.query(MailMessage).delete()
        db.session.commit()
        add_comment(comment="parola " * 300, email="l@example.it", parent=parent)
    send_mail(app)
    [message] = smtp.to(MARIA)
    assert body_of(message).count("parola") <= 500 // len("parola ") + 1


def test_a_stranger_cannot_use_someone_elses_post_url_to_skip_the_form(app, smtp):
    """The follow POST has no token, so the cross-origin check guards it."""
    response = app.test_client().post(
        f"{ARTICLE_URL}segui",
        data={"follow-email": MARIA},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    assert smtp.messages == []
    assert POST_URL and VALID_COMMENT  # the shared constants stay importable


def test_spam_makes_no_webhook(app, receiver):
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    app.config.update(WEBHOOK_URLS=[url], WEBHOOK_SECRET="s", COMMENT_DISALLOWED_KEYS=["casinò"])
    post(app.test_client(), comment="Vinci al casinò")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(WebhookDelivery.id))) == 0
    assert receiver.received == []


def test_following_is_throttled_per_address_block(app_config, smtp):
    from tests.helpers import fresh_blog

    with fresh_blog(app_config, RATELIMIT_ENABLED=True, FOLLOW_RATE_LIMIT="2 per hour") as app:
        client = app.test_client()
        answers = [follow(client, f"r{n}@example.it").status_code for n in range(3)]
        assert answers == [200, 200, 429]
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 2


def test_the_same_address_twice_is_one_subscriber(app, smtp):
    for _ in range(2):
        follow(app.test_client(), "Maria@Example.it ")
    with app.app_context():
        [subscriber] = db.session.scalars(sa.select(Subscriber)).all()
        assert subscriber.email == MARIA
        assert len(subscriber.subscriptions) == 1


def test_following_needs_the_owners_consent_even_for_a_confirmed_address(app, smtp):
    reader = app.test_client()
    post(reader, **{"comment-notify": "y", "email": MARIA, "comment": "Il mio"})
    confirm_from(reader, smtp.wait_for(1)[0])
    with app.app_context():
        db.session.execute(sa.update(Subscriber).values(confirmation_sent_at=None))
        db.session.commit()
    # A stranger makes the confirmed address follow the article.
    follow(app.test_client(), MARIA)
    asked = smtp.to(MARIA)[-1]
    assert "Conferma" in asked["Subject"] and "i nuovi commenti a" in body_of(asked)
    post(app.test_client(), comment="Non richiesto", email="l@example.it")
    approve_all(app)
    assert not any("Non richiesto" in body_of(m) for m in smtp.to(MARIA)), "not confirmed"


def test_a_confirmation_confirms_only_what_it_listed(app, smtp):
    reader = app.test_client()
    follow(reader, MARIA)
    [confirmation] = smtp.wait_for(1)
    with app.app_context():
        listed = db.session.scalar(sa.select(Subscription.article_id))
        extra = Article(slug="altro", title="Altro", body_html="<p>x</p>", published_at=utcnow())
        db.session.add(extra)
        db.session.flush()
        later = extra.id
        subscriptions.subscribe(MARIA, extra)  # asked after the mail: not in it
        db.session.commit()
    confirm_from(reader, confirmation)
    with app.app_context():
        states = dict(
            db.session.execute(sa.select(Subscription.article_id, Subscription.confirmed_at)).all()
        )
    assert states[listed] is not None
    assert states[later] is None


def test_a_link_never_acts_on_a_newer_subscriber_given_the_same_id(app, smtp):
    reader = app.test_client()
    follow(reader, "vecchio@example.it")
    [old_confirmation] = smtp.wait_for(1)
    link = path_of(CONFIRM.search(body_of(old_confirmation)).group(1))
    with app.app_context():
        db.session.execute(sa.delete(Subscriber))
        db.session.commit()
    follow(app.test_client(), MARIA)  # may get the same id on SQLite
    page = reader.get(link)
    assert page.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(Subscriber.confirmed_at)) is None


def test_an_address_too_long_once_lowercased_is_refused_quietly(app, smtp):
    email = "İ" * 80 + "@example.org"
    assert follow(app.test_client(), email).status_code in (200, 422)
    response = Commenter(app.test_client()).post(email=email, **{"comment-notify": "y"})
    assert response.status_code in (303, 422)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0


def test_a_redirecting_webhook_receiver_is_a_failure(app):
    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):  # http.server's name
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        app.config.update(WEBHOOK_URLS=[url], WEBHOOK_SECRET="s")
        post(app.test_client(), comment="Per il bot")
        with app.app_context():
            delivery = db.session.scalar(sa.select(WebhookDelivery))
            assert delivery.sent_at is None and "302" in delivery.last_error
    finally:
        server.shutdown()
        server.server_close()
