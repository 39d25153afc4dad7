""" "Password dimenticata?": the same answer for any address, a mailed link
that works once and expires, rate limits per address block and per email."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from blog.accounts.staff import RESET_SALT, reset_fingerprint
from blog.extensions import db
from blog.models import Moderator
from tests.helpers import (
    MODERATOR_PASSWORD,
    AuthActions,
    add_moderator,
    form_fields,
    fresh_blog,
    soup,
    text_of,
)
from tests.support.mail_server import SmtpServer, body_of

LINK = re.compile(r"(http://\S+/moderation/reset-password/\S+)")
NEW_PASSWORD = "una nuova password lunga"


@pytest.fixture
def smtp():
    with SmtpServer() as inbox:
        yield inbox


@pytest.fixture
def app_config(app_config, smtp):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port}


@pytest.fixture
def anna(app):
    with app.app_context():
        return add_moderator("anna", email="anna@example.it").id


def ask(client, email):
    page = soup(client.get("/moderation/lost-password"))
    data = form_fields(page, "lostpasswordform")
    data["email"] = email
    return client.post("/moderation/lost-password", data=data)


def reset_link(smtp) -> str:
    (message,) = smtp.to("anna@example.it")
    return urlsplit(LINK.search(body_of(message)).group(1)).path


def choose(client, link, password=NEW_PASSWORD, again=None):
    data = form_fields(soup(client.get(link)), "resetform")
    data.update(password=password, password_again=again or password)
    return client.post(link, data=data)


def account(app) -> Moderator:
    with app.app_context():
        return db.session.scalar(sa.select(Moderator).where(Moderator.username == "anna"))


def test_the_login_page_offers_it(client):
    link = soup(client.get("/moderation/login")).find("a", string="Password dimenticata?")
    assert link["href"] == "/moderation/lost-password"


def test_the_same_answer_whether_or_not_the_address_has_an_account(app, anna, smtp):
    answers = []
    for email in ("anna@example.it", "nessuno@example.it"):
        client = app.test_client()
        response = ask(client, email)
        page = text_of(soup(client.get(response.headers["Location"])))
        answers.append((response.status_code, response.headers["Location"], page))
    assert answers[0] == answers[1]
    assert answers[0][0] == 303 and "Se un account usa questo indirizzo" in answers[0][2]
    assert [message["To"] for message in smtp.messages] == ["anna@example.it"]


def test_the_link_sets_a_new_password_once_and_ends_every_other_session(app, anna, smtp):
    office = app.test_client()
    assert AuthActions(office).login().status_code == 303
    ask(app.test_client(), "Anna@Example.it")
    link = reset_link(smtp)

    browser = app.test_client()
    page = browser.get(link)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    assert account(app).check_password(MODERATOR_PASSWORD)  # a GET changes nothing

    differ = choose(browser, link, again="un'altra password lunga")
    assert differ.status_code == 422 and "non coincidono" in text_of(soup(differ))
    response = choose(browser, link)
    assert response.status_code == 303
    assert account(app).check_password(NEW_PASSWORD)
    assert browser.get("/moderation/").status_code == 200  # signed in here
    left = office.get("/moderation/")
    assert left.status_code == 303 and "/moderation/login" in left.headers["Location"]

    used = app.test_client().get(link)
    assert used.status_code == 410 and "già stato usato" in text_of(soup(used))
    token = form_fields(soup(browser.get("/moderation/profile")), "profile-form")["csrf_token"]
    other = "ancora un'altra password"
    replay = browser.post(
        link, data={"password": other, "password_again": other, "csrf_token": token}
    )
    assert replay.status_code == 410
    assert account(app).check_password(NEW_PASSWORD)


def test_an_expired_link_changes_nothing(app, anna):
    class TwoHoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 2 * 3600

    with app.app_context():
        moderator = db.session.get(Moderator, anna)
        payload = {"id": anna, "f": reset_fingerprint(moderator)}
    old = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt=RESET_SALT, signer=TwoHoursAgo
    ).dumps(payload)
    response = app.test_client().get(f"/moderation/reset-password/{old}")
    assert response.status_code == 410 and "scaduto" in text_of(soup(response))

    fresh = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=RESET_SALT).dumps(payload)
    assert app.test_client().get(f"/moderation/reset-password/{fresh}").status_code == 200
    forged = URLSafeTimedSerializer("another key", salt=RESET_SALT).dumps(payload)
    assert app.test_client().get(f"/moderation/reset-password/{forged}").status_code == 410


def test_a_deactivated_account_gets_no_link(app, smtp):
    with app.app_context():
        add_moderator("anna", email="anna@example.it", active=False)
    assert ask(app.test_client(), "anna@example.it").status_code == 303
    assert smtp.messages == []


@pytest.mark.parametrize(
    ("settings", "emails"),
    [
        # Per address block: many addresses from one block.
        ({"PASSWORD_RESET_RATE_LIMIT": "2 per hour"}, ["a@example.it", "b@example.it"]),
        # Per email: one address asked for again and again.
        ({"PASSWORD_RESET_EMAIL_RATE_LIMIT": "2 per hour"}, ["anna@example.it"] * 2),
    ],
)
def test_asking_is_rate_limited(app_config, smtp, settings, emails):
    with fresh_blog(app_config, RATELIMIT_ENABLED=True, **settings) as app:
        with app.app_context():
            add_moderator("anna", email="anna@example.it")
        client = app.test_client()
        for email in emails:
            assert ask(client, email).status_code == 303
        refused = ask(client, emails[-1])
        assert refused.status_code == 429
        assert "Troppe richieste di una nuova password" in text_of(soup(refused))
        # An unknown address is refused the same way: the limit tells nothing.
        refused_unknown = ask(client, "nessuno@example.it" if len(set(emails)) > 1 else emails[0])
        assert refused_unknown.status_code == 429
