"""Who may open which staff page: every route under /moderation and /admin,
for every role, against a table written here (not read from the code).

A new staff route fails ``test_every_staff_route_is_in_the_table`` until it
is given its line in ``REQUIRED``. Another area's pages (the editor's
/admin/articles/…) join by adding their endpoints there, and their
arguments to ``ARGUMENTS`` when a route has a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from blog.accounts.roles import Capability
from blog.extensions import db
from blog.models import (
    Article,
    ArticleRevision,
    MediaFile,
    Moderator,
    Role,
    StaffInvite,
    utcnow,
)
from tests.helpers import MODERATOR_PASSWORD, add_comment, add_moderator, soup, text_of

MODERATE = Capability.MODERATE_COMMENTS
MANAGE = Capability.MANAGE_SITE
WRITE = Capability.WRITE_ARTICLES
EDIT_OTHERS = Capability.EDIT_OTHERS_ARTICLES
#: Every signed-in member of staff, whatever their role.
EVERY_ROLE = None

#: What each staff page needs. Written from the issue's table of roles:
#: comments for Amministratore, Editore, Moderatore; staff for Amministratore.
REQUIRED: dict[str, Capability | None] = {
    "moderation.queue": MODERATE,
    "moderation.moderate_comment": MODERATE,
    "moderation.keep_reported": MODERATE,
    "moderation.bulk": MODERATE,
    "moderation.undo_last": MODERATE,
    "moderation.empty_tab": MODERATE,
    "moderation.show_comment": MODERATE,
    "moderation.edit": MODERATE,
    "moderation.reply": MODERATE,
    "moderation.confirm_block": MODERATE,
    "moderation.block_sender": MODERATE,
    "moderation.undo_last_block": MODERATE,
    "moderation.settings": MODERATE,
    "moderation.save_moderation_settings": MODERATE,
    "moderation.save_discussion_settings": MODERATE,
    "moderation.save_blocked_sites": MODERATE,
    "moderation.switch_comments": MODERATE,
    "moderation.privacy_tools": MODERATE,
    "moderation.profile": EVERY_ROLE,
    # The editor: writing is for those who write; another's article (the
    # seed article here) for those who edit every article.
    "articles.index": WRITE,
    "articles.new": WRITE,
    "articles.create": WRITE,
    "articles.preview_new": WRITE,
    "articles.live_preview": WRITE,
    "articles.edit": EDIT_OTHERS,
    "articles.update": EDIT_OTHERS,
    "articles.trash": EDIT_OTHERS,
    "articles.restore": EDIT_OTHERS,
    "articles.autosave": EDIT_OTHERS,
    "articles.preview_article": EDIT_OTHERS,
    "articles.revisions": EDIT_OTHERS,
    "articles.compare": EDIT_OTHERS,
    "articles.preview_revision": EDIT_OTHERS,
    "articles.restore_revision": EDIT_OTHERS,
    # Pages are the site's: editors and administrators write them (WordPress).
    "articles.pages": EDIT_OTHERS,
    "articles.new_page": EDIT_OTHERS,
    "articles.create_page": EDIT_OTHERS,
    "articles.preview_new_page": EDIT_OTHERS,
    # The site menu: administrators only.
    "menu.edit_menu": MANAGE,
    "menu.save": MANAGE,
    "media.library": WRITE,
    "media.upload": WRITE,
    "media.place_upload": WRITE,
    "media.figure": WRITE,
    # An author deletes only their own uploads: this one is someone else's.
    "media.delete": EDIT_OTHERS,
    "staff.accounts": MANAGE,
    "staff.send_invite": MANAGE,
    "staff.revoke_invite": MANAGE,
    "staff.change_role": MANAGE,
    "staff.deactivate": MANAGE,
    "staff.reactivate": MANAGE,
}

#: Pages under those prefixes that are no staff page: signing in and out,
#: and the pages a mailed link opens, which carry their own authority
#: (tests/accounts/test_invitations.py, test_password_reset.py).
NOT_STAFF_PAGES = frozenset(
    {
        "auth.login",
        "auth.logout",
        "auth.lost_password",
        "auth.reset_password",
        "staff.accept_invite",
    }
)
STAFF_PREFIXES = ("/moderation", "/admin")

#: Which roles have each capability: the issue's table, kept apart from
#: blog/accounts/roles.py so that a wrong line there fails here.
ROLES_WITH: dict[Capability, frozenset[Role]] = {
    Capability.MODERATE_COMMENTS: frozenset({Role.ADMINISTRATOR, Role.EDITOR, Role.MODERATOR}),
    Capability.WRITE_ARTICLES: frozenset({Role.ADMINISTRATOR, Role.EDITOR, Role.AUTHOR}),
    Capability.EDIT_OTHERS_ARTICLES: frozenset({Role.ADMINISTRATOR, Role.EDITOR}),
    Capability.MANAGE_SITE: frozenset({Role.ADMINISTRATOR}),
}

USERNAMES = {
    Role.ADMINISTRATOR: "ada",
    Role.EDITOR: "edo",
    Role.AUTHOR: "aldo",
    Role.MODERATOR: "anna",
}


def staff_rules(app: Flask) -> list[Any]:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(STAFF_PREFIXES) and rule.endpoint not in NOT_STAFF_PAGES
    ]


def test_every_staff_route_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in staff_rules(app)}
    assert endpoints - set(REQUIRED) == set(), "staff routes without a line in REQUIRED"
    assert set(REQUIRED) - endpoints == set(), "lines of REQUIRED for routes that are gone"


#: A value for each route argument: a row that exists, or a valid word.
ARGUMENTS: dict[str, Callable[[dict[str, int]], object]] = {
    "comment_id": lambda rows: rows["comment"],
    "article_id": lambda rows: rows["article"],
    "account_id": lambda rows: rows["target"],
    "invite_id": lambda rows: rows["invite"],
    "revision_id": lambda rows: rows["revision"],
    "media_id": lambda rows: rows["media"],
    "action": lambda rows: "approve",
    "status": lambda rows: "spam",
    "switch": lambda rows: "open",
}


def staff_rows() -> dict[str, int]:
    """One of each row the routes name; every role's account; one to act on."""
    for role, username in USERNAMES.items():
        account = add_moderator(username, display_name=username.title())
        account.role = role
    target = add_moderator("zeno", display_name="Zeno")
    invite = StaffInvite(
        email="nuovo@example.it",
        role=Role.AUTHOR,
        token_digest="0" * 64,
        expires_at=utcnow().replace(year=utcnow().year + 1),
    )
    db.session.add(invite)
    article = db.session.scalars(sa.select(Article).limit(1)).one()
    revision = ArticleRevision(
        article_id=article.id,
        title=article.title,
        slug=article.slug,
        standfirst=article.standfirst,
        body_source=article.body_source,
        body_html=article.body_html,
    )
    db.session.add(revision)
    media = MediaFile(
        stem="a" * 22,
        original_name="foto.jpg",
        mime="image/jpeg",
        fallback="jpeg",
        width=480,
        height=320,
        sizes=[{"width": 480, "height": 320}],
        bytes=1000,
        uploaded_by=target,
    )
    db.session.add(media)
    db.session.commit()
    return {
        "media": media.id,
        "comment": add_comment().id,
        "article": article.id,
        "revision": revision.id,
        "target": target.id,
        "invite": invite.id,
    }


def signed_in(app: Flask, role: Role | None) -> tuple[FlaskClient, str]:
    """A client signed in with ``role`` (None: nobody), and its CSRF token."""
    client = app.test_client()
    page = "/moderation/login"
    if role is not None:
        login = soup(client.get(page)).find("form", id="loginform")
        data = {field["name"]: field.get("value", "") for field in login.find_all("input")}
        data.update(username=USERNAMES[role], password=MODERATOR_PASSWORD)
        assert client.post(page, data=data).status_code == 303
        page = "/moderation/profile"
    token = soup(client.get(page)).find("input", attrs={"name": "csrf_token"})["value"]
    return client, token


def is_login_redirect(response: Any) -> bool:
    location = response.headers.get("Location", "")
    return response.status_code in (302, 303) and urlsplit(location).path == "/moderation/login"


@pytest.mark.parametrize("endpoint", sorted(REQUIRED))
def test_each_role_gets_what_the_table_says(app, endpoint):
    with app.app_context():
        rows = staff_rows()
    rules = [rule for rule in staff_rules(app) if rule.endpoint == endpoint]
    requests = []
    with app.test_request_context():
        for rule in rules:
            values = {name: ARGUMENTS[name](rows) for name in rule.arguments}
            path = app.url_for(endpoint, **values)
            requests += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    assert requests
    needed = REQUIRED[endpoint]

    def allowed(role: Role) -> bool:
        return needed is EVERY_ROLE or role in ROLES_WITH[needed]

    # Those refused first: what the others' requests change cannot hide a 403.
    for role in [None, *sorted(Role, key=allowed)]:
        client, token = signed_in(app, role)
        for method, path in requests:
            response = client.open(path, method=method, data={"csrf_token": token})
            seen = f"{role} {method} {path}: {response.status_code}"
            if role is None:
                assert is_login_redirect(response), seen
            elif allowed(role):
                assert response.status_code != 403 and not is_login_redirect(response), seen
                assert response.status_code < 500, seen
            else:
                assert response.status_code == 403, seen
                page = text_of(soup(response))
                assert "Accesso negato" in page and "Non hai il permesso" in page, seen


def header_links(client: FlaskClient) -> set[str]:
    nav = soup(client.get("/moderation/profile")).select_one(".moderator-nav")
    return {link["href"] for link in nav.find_all("a")}


def test_an_author_is_refused_the_queue_with_a_clear_page_and_sees_only_their_links(app):
    with app.app_context():
        staff_rows()
    author, _ = signed_in(app, Role.AUTHOR)
    response = author.get("/moderation/")
    assert response.status_code == 403
    assert "Accesso negato" in text_of(soup(response))
    assert header_links(author) == {"/admin/articles/", "/admin/media/", "/moderation/profile"}
    moderator, _ = signed_in(app, Role.MODERATOR)
    assert "/moderation/" in header_links(moderator)
    assert "/admin/staff/" not in header_links(moderator)
    administrator, _ = signed_in(app, Role.ADMINISTRATOR)
    assert {"/moderation/", "/admin/staff/"} <= header_links(administrator)


def test_signing_in_lands_on_a_page_the_role_may_open(app):
    with app.app_context():
        staff_rows()
    client = app.test_client()
    login = soup(client.get("/moderation/login")).find("form", id="loginform")
    data = {field["name"]: field.get("value", "") for field in login.find_all("input")}
    data.update(username="aldo", password=MODERATOR_PASSWORD)
    response = client.post("/moderation/login", data=data)
    assert response.headers["Location"] == "/admin/articles/"
    page = client.get("/moderation/profile")
    assert page.status_code == 200 and "Ciao, Aldo." in text_of(soup(page))
    # Comment mail is not offered to a role that cannot moderate.
    assert soup(page).find("input", attrs={"name": "mail_events"}) is None


def test_staff_buttons_on_the_article_page_follow_the_capability(app):
    with app.app_context():
        staff_rows()
    from tests.helpers import ARTICLE_URL

    author, _ = signed_in(app, Role.AUTHOR)
    page = soup(author.get(ARTICLE_URL))
    assert page.select(".staff-actions") == []
    # Still staff: the form asks only for the text, under the account's name.
    assert "Aldo" in text_of(page.select_one(".logged-in-as"))
    editor, _ = signed_in(app, Role.EDITOR)
    assert soup(editor.get(ARTICLE_URL)).select(".staff-actions")


def test_only_those_who_moderate_get_comment_mail(app):
    from blog.notify.moderator_mail import notify_moderators

    with app.app_context():
        rows = staff_rows()
        for account in db.session.scalars(sa.select(Moderator)):
            account.email = f"{account.username}@example.it"
            account.mail_events = "all"
        db.session.commit()
        notify_moderators(rows["comment"])
        from blog.models import MailMessage

        mailed = {message.to_address for message in db.session.scalars(sa.select(MailMessage))}
        db.session.rollback()
    assert mailed == {"ada@example.it", "edo@example.it", "anna@example.it", "zeno@example.it"}


def test_every_role_has_its_name():
    from blog import messages

    assert set(messages.ROLE_NAMES) == {role.value for role in Role}


def test_a_mail_link_stops_working_once_its_moderator_no_longer_moderates(app):
    from blog.models import CommentStatus
    from blog.notify.moderator_mail import action_token

    with app.app_context():
        staff_rows()
        comment = add_comment(status=CommentStatus.PENDING)
        anna = db.session.scalar(sa.select(Moderator).where(Moderator.username == "anna"))
        link = "/email/moderazione/" + action_token(comment, "approve", anna)
    client = app.test_client()
    assert client.get(link).status_code == 200
    with app.app_context():
        db.session.scalar(
            sa.select(Moderator).where(Moderator.username == "anna")
        ).role = Role.AUTHOR
        db.session.commit()
    refused = client.get(link)
    assert refused.status_code == 400 and "non è valido" in text_of(soup(refused))
