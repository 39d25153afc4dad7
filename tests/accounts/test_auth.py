"""Moderators' login, logout, sessions and the ``next`` redirect."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from blog.accounts.auth import safe_next
from blog.extensions import db
from blog.models import Moderator
from tests.helpers import (
    MODERATOR_PASSWORD,
    AuthActions,
    add_moderator,
    form_fields,
    soup,
    text_of,
)


def test_login_page_has_the_form(client):
    page = soup(client.get("/moderation/login"))
    form = page.find("form", id="loginform")
    assert form.find("input", attrs={"name": "username"})
    assert form.find("input", attrs={"name": "password"})["type"] == "password"
    assert text_of(form.find("button")) == "Accedi"
    assert form.find("input", attrs={"name": "csrf_token"})


def test_login_succeeds_and_records_the_time(client, auth, moderator, app):
    response = auth.login()
    assert response.status_code == 303
    assert response.headers["Location"] == "/moderation/"
    page = soup(client.get("/moderation/"))
    assert "Moderazione dei commenti" in text_of(page)
    # A first login is no homecoming, and the greeting has no gender.
    assert text_of(page.find(class_="flashes")) == (
        "Ciao, Anna la moderatrice: qui trovi i commenti da moderare."
    )
    with app.app_context():
        assert db.session.get(Moderator, moderator).last_login_at is not None
    auth.logout()
    assert "Sessione chiusa." in text_of(soup(client.get("/moderation/login")))
    auth.login()
    again = text_of(soup(client.get("/moderation/")).find(class_="flashes"))
    assert again == "Ciao di nuovo, Anna la moderatrice."
    assert "Bentornat" not in again


@pytest.mark.parametrize(
    ("username", "password"),
    [("anna", "password sbagliata"), ("nessuno", MODERATOR_PASSWORD), ("ANNA", MODERATOR_PASSWORD)],
    ids=["wrong password", "unknown user", "wrong case"],
)
def test_failed_login_says_the_same_thing(client, auth, moderator, username, password):
    response = auth.login(username, password)
    assert response.status_code == 422
    assert "Nome utente o password non validi." in text_of(soup(response))
    assert client.get("/moderation/").status_code == 303


def test_unknown_user_and_wrong_password_pages_are_identical(client, auth, moderator):
    def body(response):
        page = soup(response)
        for field in page.find_all("input", attrs={"name": ["csrf_token", "username"]}):
            field["value"] = ""
        return str(page.find("main"))

    assert body(auth.login("anna", "sbagliata!!")) == body(auth.login("zzz", "sbagliata!!"))


def test_inactive_moderator_cannot_log_in(client, auth, app):
    with app.app_context():
        add_moderator(active=False)
    response = auth.login()
    assert response.status_code == 422
    assert "Nome utente o password non validi." in text_of(soup(response))


def test_deactivated_moderator_is_logged_out_at_the_next_request(logged_in, app):
    assert logged_in.get("/moderation/").status_code == 200
    with app.app_context():
        db.session.scalar(sa.select(Moderator)).active = False
        db.session.commit()
    response = logged_in.get("/moderation/")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/moderation/login")


def test_new_password_ends_open_sessions(logged_in, app):
    with app.app_context():
        db.session.scalar(sa.select(Moderator)).set_password("una nuova password lunga")
        db.session.commit()
    assert logged_in.get("/moderation/").status_code == 303


def test_logout_is_a_post_with_csrf(logged_in, auth):
    assert logged_in.get("/moderation/logout").status_code == 405
    assert logged_in.post("/moderation/logout").status_code == 400
    assert logged_in.get("/moderation/").status_code == 200
    response = auth.logout()
    assert response.status_code == 303
    assert logged_in.get("/moderation/").status_code == 303


def test_login_follows_a_local_next(client, auth, moderator):
    response = auth.login(next="/moderation/%3Fstatus%3Dspam")
    assert response.status_code == 303
    assert response.headers["Location"] == "/moderation/?status=spam"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "https://evil.example/",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/\tevil",
        "///evil.example",
        "/\r\nSet-Cookie: x=1",
    ],
)
def test_login_refuses_a_next_outside_the_site(client, auth, moderator, target):
    from urllib.parse import quote

    response = auth.login(next=quote(target, safe=""))
    assert response.status_code == 303
    assert response.headers["Location"] == "/moderation/"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/moderation/", "/moderation/"),
        ("/moderation/?status=spam&page=2", "/moderation/?status=spam&page=2"),
        ("//evil.example", None),
        ("/\\evil.example", None),
        ("https://evil.example/", None),
        ("", None),
        (None, None),
        ("relative", None),
        ("/a\nb", None),
    ],
)
def test_safe_next(target, expected):
    assert safe_next(target) == expected


def test_login_page_redirects_a_signed_in_moderator(logged_in):
    assert logged_in.get("/moderation/login").status_code == 302


def test_session_cookie_is_httponly_and_lax(client, auth, moderator):
    response = auth.login()
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie


def test_cookies_are_secure_under_https(app_config):
    from blog import create_app

    app_config["PREFERRED_URL_SCHEME"] = "https"
    app = create_app(app_config)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_remember_me_cookie_is_httponly(client, moderator):
    page = soup(client.get("/moderation/login"))
    token = page.find("input", attrs={"name": "csrf_token"})["value"]
    response = client.post(
        "/moderation/login",
        data={
            "username": "anna",
            "password": MODERATOR_PASSWORD,
            "remember": "y",
            "csrf_token": token,
        },
    )
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# Sessions end on the server, not only in the browser


def login_remembered(client) -> None:
    page = soup(client.get("/moderation/login"))
    data = form_fields(page, "loginform")
    data.update(username="anna", password=MODERATOR_PASSWORD, remember="y")
    assert client.post("/moderation/login", data=data).status_code == 303


def cookie_value(client, name: str) -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def replayed(app, **cookies: str):
    """A fresh browser holding only the given cookies."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def test_logout_ends_the_session_and_the_remember_cookie_on_the_server(
    app, client, auth, moderator
):
    login_remembered(client)
    old_session = cookie_value(client, "session")
    old_remember = cookie_value(client, "remember_token")
    assert replayed(app, session=old_session).get("/moderation/").status_code == 200
    assert replayed(app, remember_token=old_remember).get("/moderation/").status_code == 200

    assert auth.logout().status_code == 303

    assert replayed(app, session=old_session).get("/moderation/").status_code == 303
    assert replayed(app, remember_token=old_remember).get("/moderation/").status_code == 303
    both = replayed(app, session=old_session, remember_token=old_remember)
    assert both.get("/moderation/").status_code == 303


def test_logout_on_one_device_keeps_the_others(app, client, auth, moderator):
    laptop, phone = client, app.test_client()
    assert auth.login().status_code == 303
    assert AuthActions(phone).login().status_code == 303
    assert auth.logout().status_code == 303
    assert laptop.get("/moderation/").status_code == 303
    assert phone.get("/moderation/").status_code == 200


def test_a_remember_cookie_expires_on_the_server(app, client, moderator):
    login_remembered(client)
    old_remember = cookie_value(client, "remember_token")
    with app.app_context():
        db.session.execute(
            sa.text("UPDATE moderator_session SET expires_at = :past"),
            {"past": datetime(2020, 1, 1)},
        )
        db.session.commit()
    assert replayed(app, remember_token=old_remember).get("/moderation/").status_code == 303
    assert client.get("/moderation/").status_code == 303


def test_a_session_without_remember_me_expires_on_the_server(app_config, moderator, app):
    from blog import create_app

    short = create_app({**app_config, "MODERATOR_SESSION_SECONDS": 0})
    client = short.test_client()
    assert AuthActions(client).login().status_code == 303
    assert client.get("/moderation/").status_code == 303


def test_login_replaces_the_anonymous_session(client, auth, moderator):
    anonymous_token = auth.csrf_token()
    assert auth.login(next="/moderation/%3Fstatus%3Dspam").headers["Location"] == (
        "/moderation/?status=spam"
    )
    assert "Ciao, Anna la moderatrice" in text_of(soup(client.get("/moderation/")))
    stale = client.post("/moderation/logout", data={"csrf_token": anonymous_token})
    assert stale.status_code == 400
    assert client.get("/moderation/").status_code == 200  # the stale token did nothing
    assert auth.logout().status_code == 303
    assert client.get("/moderation/").status_code == 303


def test_deactivation_from_the_cli_ends_every_session(app, client, auth, moderator, runner):
    login_remembered(client)
    old_remember = cookie_value(client, "remember_token")
    assert runner.invoke(args=["deactivate-moderator", "anna"]).exit_code == 0
    assert client.get("/moderation/").status_code == 303
    assert replayed(app, remember_token=old_remember).get("/moderation/").status_code == 303


def test_purge_deletes_expired_sessions_only(app, client, auth, moderator, runner):
    assert auth.login().status_code == 303
    assert AuthActions(app.test_client()).login().status_code == 303
    with app.app_context():
        db.session.execute(
            sa.text(
                "UPDATE moderator_session SET expires_at = :past"
                " WHERE id = (SELECT min(id) FROM moderator_session)"
            ),
            {"past": datetime(2020, 1, 1)},
        )
        db.session.commit()
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "Sessioni dei moderatori scadute eliminate: 1" in result.output
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT count(*) FROM moderator_session")) == 1
