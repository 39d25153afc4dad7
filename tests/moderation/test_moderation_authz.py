"""Every moderation route, walked as anonymous, inactive and active moderator."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Article, Comment, CommentStatus, ModerationEvent, Moderator, SiteSetting
from blog.moderation.workflow import Action, apply_action
from tests.helpers import ARTICLE_URL, add_comment, soup

ROUTES = [
    ("GET", "/moderation/", {}),
    ("GET", "/moderation/?status=spam&q=x", {}),
    ("GET", "/moderation/comments/{id}/edit", {}),
    *[("POST", f"/moderation/comments/{{id}}/{action.value}", {}) for action in Action],
    ("POST", "/moderation/bulk", {"action": "approve", "comment_ids": "{id}"}),
    (
        "POST",
        "/moderation/comments/{id}/edit",
        {"comment": "riscritto", "author": "Intruso", "url": ""},
    ),
    ("POST", "/moderation/comments/{id}/reply", {"comment": "risposta abusiva"}),
    ("GET", "/moderation/comments/{id}", {}),
    ("GET", "/moderation/comments/{id}/block?block-{id}-target=email", {}),
    ("POST", "/moderation/comments/{id}/block", {"block-{id}-target": "email"}),
    ("POST", "/moderation/comments/{id}/keep", {}),
    ("POST", "/moderation/undo", {"events": "{event}"}),
    ("POST", "/moderation/undo/block", {"target": "host", "value": "spam.example.com"}),
    ("GET", "/moderation/spam/empty", {}),
    ("POST", "/moderation/spam/empty", {}),
    ("GET", "/moderation/settings", {}),
    ("POST", "/moderation/settings", {"moderation_keys": "", "disallowed_keys": "ciao"}),
    ("POST", "/moderation/settings/siti-bloccati", {"blocked_hosts": "spam.example.com"}),
    (
        "POST",
        "/moderation/settings/moderazione",
        {"moderation": "none", "spam_score": "0,95", "hold_score": "0,9", "min_training": "5"},
    ),
    (
        "POST",
        "/moderation/settings/discussione",
        {"thread_depth": "1", "per_page": "1", "default_page": "oldest", "close_days": "1"},
    ),
    ("POST", "/moderation/articles/{article}/comments/close", {}),
    ("POST", "/moderation/articles/{article}/comments/open", {}),
    ("GET", "/moderation/profile", {}),
    ("POST", "/moderation/profile", {"display_name": "Altro nome", "email": "x@example.it"}),
    ("GET", "/moderation/privacy?email=mario.rossi@example.it", {}),
    (
        "POST",
        "/moderation/privacy",
        {"email": "mario.rossi@example.it", "action": "delete", "confirm": "y"},
    ),
]


def snapshot() -> list[tuple]:
    comments = db.session.scalars(sa.select(Comment).order_by(Comment.id))
    events = db.session.scalar(sa.select(sa.func.count(ModerationEvent.id)))
    articles = db.session.scalars(sa.select(Article.comments_open).order_by(Article.id)).all()
    settings = db.session.execute(sa.select(SiteSetting.key, SiteSetting.value)).all()
    moderators = db.session.execute(
        sa.select(Moderator.display_name, Moderator.email).order_by(Moderator.id)
    ).all()
    return [
        tuple(moderators),
        *[(c.id, c.status, c.body, c.author, c.parent_id) for c in comments],
        events,
        tuple(articles),
        tuple(settings),
    ]


def public_token(client) -> str:
    """A valid CSRF token of this client's own session, from a public form."""
    for path in ("/moderation/login", "/moderation/", ARTICLE_URL):
        field = soup(client.get(path)).find("input", attrs={"name": "csrf_token"})
        if field is not None:
            return field["value"]
    raise AssertionError("no form with a CSRF token")


@pytest.fixture(params=["anonymous", "inactive", "moderator"])
def role(request, app, client, auth):
    with app.app_context():
        from tests.helpers import add_moderator

        add_moderator()
    if request.param != "anonymous":
        assert auth.login().status_code == 303
    if request.param == "inactive":
        with app.app_context():
            db.session.scalar(sa.select(Moderator)).active = False
            db.session.commit()
    return request.param


@pytest.mark.parametrize(("method", "path", "data"), ROUTES, ids=lambda v: str(v))
def test_route_authorization(app, client, role, method, path, data):
    with app.app_context():
        status = CommentStatus.TRASH if path.endswith(("/restore", "/delete")) else None
        status = status or (CommentStatus.SPAM if path.endswith(("/not_spam", "/empty")) else None)
        status = status or (
            CommentStatus.APPROVED if path.endswith(("/unapprove", "/keep")) else None
        )
        comment = add_comment(status=status or CommentStatus.PENDING)
        if path.endswith("/keep"):  # a reported comment, for "Mantieni"
            comment.flag_count = 3
            db.session.commit()
        comment_id = comment.id
        event_id = 0
        if path.endswith("/undo"):
            apply_action(comment, Action.APPROVE, db.session.scalar(sa.select(Moderator)))
            db.session.commit()
            event_id = db.session.scalar(sa.select(sa.func.max(ModerationEvent.id)))
        article = db.session.scalar(sa.select(Article))
        if path.endswith("/open"):
            article.comments_open = False
            db.session.commit()
        article_id = article.id
        before = snapshot()
    url = path.format(id=comment_id, article=article_id)
    form = {
        key.format(id=comment_id): value.format(id=comment_id, event=event_id)
        for key, value in data.items()
    }
    # The strongest token an outsider can hold: a valid one for their own session.
    form["csrf_token"] = public_token(client)
    response = client.open(url, method=method, data=form if method == "POST" else None)

    if role == "moderator":
        assert response.status_code in (200, 303)
        if response.status_code == 303:
            assert not response.headers["Location"].startswith("/moderation/login")
        if method == "POST":
            with app.app_context():
                assert snapshot() != before, "a moderator's POST has an effect"
        return
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/moderation/login")
    with app.app_context():
        assert snapshot() == before, "no effect without an active moderator"


def test_every_moderation_route_is_in_the_table(app):
    tested = {path.split("?")[0] for _, path, _ in ROUTES}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("moderation."):
            path = (
                rule.rule.replace("<int:comment_id>", "{id}")
                .replace("<int:article_id>", "{article}")
                .replace("<action>", "approve")
                .replace("<any(open, close):switch>", "open")
                .replace("<any(spam, trash):status>", "spam")
            )
            assert path in tested, rule.rule


def test_replayed_moderator_form_without_the_session_does_nothing(app, client, auth):
    with app.app_context():
        from tests.helpers import add_moderator

        add_moderator()
        comment_id = add_comment(status=CommentStatus.PENDING).id
    auth.login()
    moderator_page = soup(client.get("/moderation/"))
    form = moderator_page.select_one(f"#entry-{comment_id} .entry-actions form")
    data = {i["name"]: i["value"] for i in form.find_all("input")}
    outsider = app.test_client()
    public_token(outsider)
    response = outsider.post(form["action"], data=data)
    assert response.status_code in (303, 400)
    with app.app_context():
        assert db.session.get(Comment, comment_id).status == CommentStatus.PENDING
