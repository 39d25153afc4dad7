"""Staff accounts at /admin/staff/: invitations by mail, roles, deactivation,
and the guard that keeps one active administrator. Mail goes through a real
SMTP server on loopback."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Moderator, ModeratorSession, Role, StaffInvite, utcnow
from tests.helpers import AuthActions, add_moderator, form_fields, soup, text_of
from tests.support.mail_server import SmtpServer, body_of

LINK = re.compile(r"(http://\S+/admin/invite/\S+)")
NEW_PASSWORD = "la mia password da autrice"


@pytest.fixture
def smtp():
    with SmtpServer() as inbox:
        yield inbox


@pytest.fixture
def app_config(app_config, smtp):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port}


@pytest.fixture
def admin(app, client):
    """The client signed in as "ada", the site's administrator."""
    with app.app_context():
        ada = add_moderator("ada", display_name="Ada")
        ada.role = Role.ADMINISTRATOR
        db.session.commit()
    assert AuthActions(client).login("ada").status_code == 303
    return client


def staff_page(client):
    return soup(client.get("/admin/staff/"))


def invite(client, email="bea@example.it", role="author"):
    data = form_fields(staff_page(client), "invite-form")
    data.update(email=email, role=role)
    return client.post("/admin/staff/invite", data=data)


def path_of(url: str) -> str:
    return urlsplit(url).path


def invitation_link(smtp, address="bea@example.it") -> str:
    messages = smtp.to(address)
    assert len(messages) == 1
    return path_of(LINK.search(body_of(messages[-1])).group(1))


def accept(client, link, username="bea", display_name="Bea", password=NEW_PASSWORD):
    data = form_fields(soup(client.get(link)), "inviteform")
    data.update(
        username=username,
        display_name=display_name,
        password=password,
        password_again=password,
    )
    return client.post(link, data=data)


def csrf_token(client) -> str:
    """A token of this browser's session, from the login page."""
    return form_fields(soup(client.get("/moderation/login")), "loginform")["csrf_token"]


def accounts(app) -> dict[str, Moderator]:
    with app.app_context():
        return {m.username: m for m in db.session.scalars(sa.select(Moderator))}


def invites(app) -> list[StaffInvite]:
    with app.app_context():
        return list(db.session.scalars(sa.select(StaffInvite).order_by(StaffInvite.id)))


def test_an_invitation_is_mailed_and_makes_the_account_once(app, admin, smtp):
    response = invite(admin)
    assert response.status_code == 303
    assert "Invito inviato a bea@example.it" in text_of(staff_page(admin))
    link = invitation_link(smtp)
    token = link.rsplit("/", 1)[1]
    (record,) = invites(app)
    assert record.role == Role.AUTHOR and record.email == "bea@example.it"
    assert token not in record.token_digest and record.accepted_at is None
    assert record.expires_at - record.created_at == timedelta(hours=72)
    assert "bea@example.it" in text_of(staff_page(admin).find(id="invites").find_next("ul"))

    stranger = app.test_client()
    page = stranger.get(link)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "Autore" in text_of(soup(page))
    assert invites(app)[0].accepted_at is None and "bea" not in accounts(app)

    response = accept(stranger, link)
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/articles/"  # an author's home
    bea = accounts(app)["bea"]
    assert bea.role == Role.AUTHOR and bea.email == "bea@example.it" and bea.active
    assert bea.check_password(NEW_PASSWORD)
    assert invites(app)[0].accepted_at is not None and invites(app)[0].moderator_id == bea.id
    profile = stranger.get("/moderation/profile")
    assert profile.status_code == 200 and "Ciao, Bea" in text_of(soup(profile))

    again = app.test_client()
    used = again.get(link)
    assert used.status_code == 410 and "già stato usato" in text_of(soup(used))
    form = {"username": "bea2", "display_name": "X", "password": NEW_PASSWORD}
    token = csrf_token(again)
    replay = again.post(link, data={**form, "password_again": NEW_PASSWORD, "csrf_token": token})
    assert replay.status_code == 410
    assert set(accounts(app)) == {"ada", "bea"}


def test_an_expired_invitation_makes_nothing(app, admin, smtp):
    invite(admin)
    link = invitation_link(smtp)
    with app.app_context():
        record = db.session.scalars(sa.select(StaffInvite)).one()
        record.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    stranger = app.test_client()
    page = stranger.get(link)
    assert page.status_code == 410 and "scaduto" in text_of(soup(page))
    assert page.headers["Referrer-Policy"] == "no-referrer"
    data = {"username": "bea", "display_name": "Bea", "password": NEW_PASSWORD}
    data.update(password_again=NEW_PASSWORD, csrf_token=csrf_token(stranger))
    response = stranger.post(link, data=data)
    assert response.status_code == 410
    assert set(accounts(app)) == {"ada"}
    assert "Nessun invito in attesa" in text_of(staff_page(admin))


def test_a_revoked_invitation_makes_nothing(app, admin, smtp):
    invite(admin)
    link = invitation_link(smtp)
    stranger = app.test_client()
    form = form_fields(soup(stranger.get(link)), "inviteform")
    record_id = invites(app)[0].id
    data = form_fields(staff_page(admin), "invite-form")
    response = admin.post(
        f"/admin/staff/invites/{record_id}/revoke", data={"csrf_token": data["csrf_token"]}
    )
    assert response.status_code == 303
    assert "revocato" in text_of(staff_page(admin))
    form.update(
        username="bea", display_name="Bea", password=NEW_PASSWORD, password_again=NEW_PASSWORD
    )
    refused = stranger.post(link, data=form)
    assert refused.status_code == 410 and "revocato" in text_of(soup(refused))
    assert set(accounts(app)) == {"ada"}


def test_a_token_never_issued_is_not_found(app, admin):
    response = app.test_client().get("/admin/invite/" + "x" * 43)
    assert response.status_code == 404
    assert "non è valido" in text_of(soup(response))


def test_a_second_invitation_to_one_address_retires_the_first(app, admin, smtp):
    invite(admin)
    first = invitation_link(smtp)
    invite(admin, role="editor")
    second = path_of(LINK.search(body_of(smtp.to("bea@example.it")[-1])).group(1))
    client = app.test_client()
    assert client.get(first).status_code == 410
    assert accept(client, second).status_code == 303
    assert accounts(app)["bea"].role == Role.EDITOR


def test_an_address_with_an_active_account_is_not_invited(app, admin, smtp):
    with app.app_context():
        add_moderator("bruno", email="bruno@example.it")
    response = invite(admin, email="Bruno@example.it")
    assert response.status_code == 422
    assert "già questo indirizzo" in text_of(soup(response))
    assert invites(app) == [] and smtp.messages == []


def test_the_invited_person_must_choose_a_free_username_and_a_long_password(app, admin, smtp):
    with app.app_context():
        add_moderator("bruno")
    invite(admin)
    link = invitation_link(smtp)
    client = app.test_client()
    taken = accept(client, link, username="bruno")
    assert taken.status_code == 422 and "già in uso" in text_of(soup(taken))
    short = accept(client, link, password="corta")
    assert short.status_code == 422 and "almeno 12 caratteri" in text_of(soup(short))
    assert invites(app)[0].accepted_at is None and "bea" not in accounts(app)
    assert accept(client, link).status_code == 303


def test_accepting_is_rate_limited(app_config, smtp):
    from tests.helpers import fresh_blog

    with fresh_blog(
        app_config, RATELIMIT_ENABLED=True, INVITE_ACCEPT_RATE_LIMIT="2 per hour"
    ) as app:
        with app.app_context():
            from blog.accounts import staff

            _, token = staff.invite("bea@example.it", Role.AUTHOR, None)
            db.session.commit()
        client = app.test_client()
        link = f"/admin/invite/{token}"
        for _ in range(2):
            assert accept(client, link, password="corta").status_code == 422
        assert accept(client, link).status_code == 429
        assert "bea" not in accounts(app)


def role_form(client, account_id):
    page = staff_page(client)
    form = page.find("form", action=f"/admin/staff/{account_id}/role")
    return {field["name"]: field.get("value", "") for field in form.find_all("input")}


def test_an_administrator_changes_a_role(app, admin):
    with app.app_context():
        bruno = add_moderator("bruno", display_name="Bruno").id
    data = role_form(admin, bruno)
    data[f"account-{bruno}-role"] = "editor"
    response = admin.post(f"/admin/staff/{bruno}/role", data=data)
    assert response.status_code == 303
    assert accounts(app)["bruno"].role == Role.EDITOR
    assert "Ruolo di Bruno: Editore" in text_of(staff_page(admin))


def test_the_last_active_administrator_keeps_the_role_and_stays_active(app, admin):
    ada = accounts(app)["ada"].id
    data = role_form(admin, ada)
    data[f"account-{ada}-role"] = "editor"
    refused = admin.post(f"/admin/staff/{ada}/role", data=data)
    assert refused.status_code == 409
    assert "unico amministratore attivo" in text_of(soup(refused))
    token = data["csrf_token"]
    refused = admin.post(f"/admin/staff/{ada}/deactivate", data={"csrf_token": token})
    assert refused.status_code == 409
    assert "unico amministratore attivo" in text_of(soup(refused))
    assert accounts(app)["ada"].role == Role.ADMINISTRATOR and accounts(app)["ada"].active

    # A deactivated administrator does not count.
    with app.app_context():
        old = add_moderator("olga", active=False)
        old.role = Role.ADMINISTRATOR
        db.session.commit()
    assert admin.post(f"/admin/staff/{ada}/role", data=data).status_code == 409

    with app.app_context():
        add_moderator("carlo").role = Role.ADMINISTRATOR
        db.session.commit()
    assert admin.post(f"/admin/staff/{ada}/role", data=data).status_code == 303
    assert accounts(app)["ada"].role == Role.EDITOR
    # No longer an administrator: the staff page is closed to her at once.
    assert admin.get("/admin/staff/").status_code == 403


def test_deactivation_ends_every_session_and_reactivation_lets_them_in(app, admin):
    with app.app_context():
        bruno = add_moderator("bruno", display_name="Bruno").id
    phone = app.test_client()
    assert AuthActions(phone).login("bruno").status_code == 303
    assert phone.get("/moderation/").status_code == 200
    token = role_form(admin, bruno)["csrf_token"]
    assert (
        admin.post(f"/admin/staff/{bruno}/deactivate", data={"csrf_token": token}).status_code
        == 303
    )
    assert not accounts(app)["bruno"].active
    with app.app_context():
        sessions = db.session.scalars(
            sa.select(ModeratorSession).where(ModeratorSession.moderator_id == bruno)
        ).all()
    assert sessions == []
    response = phone.get("/moderation/")
    assert response.status_code == 303 and "/moderation/login" in response.headers["Location"]
    assert AuthActions(phone).login("bruno").status_code == 422  # refused: the form again

    assert (
        admin.post(f"/admin/staff/{bruno}/reactivate", data={"csrf_token": token}).status_code
        == 303
    )
    assert AuthActions(phone).login("bruno").status_code == 303
