"""The domain announces what happened; mail subscribes (blog/signals.py)."""

from __future__ import annotations

import ast
from pathlib import Path

from blog import signals
from blog.extensions import db
from blog.models import CommentStatus, Moderator
from blog.moderation.workflow import Action, apply_action
from tests.helpers import add_comment, add_moderator

DOMAIN = (
    "comments/submit.py",
    "moderation/workflow.py",
    "spam/rules.py",
    "comments/sanitize.py",
    "comments/thread.py",
    "moderation/reply.py",
    "moderation/undo.py",
    "moderation/blocking.py",
    "moderation/emptying.py",
)


def test_storing_a_comment_announces_it(app):
    heard = []

    def receiver(sender, **news):
        heard.append(news)

    with app.app_context(), signals.comment_stored.connected_to(receiver):
        comment_id = add_comment(CommentStatus.PENDING).id
    assert heard == [
        {
            "comment_id": comment_id,
            "status": CommentStatus.PENDING,
            "parent_id": None,
            "reasons": (),
        }
    ]


def test_approving_announces_it_once(app):
    heard = []

    def receiver(sender, comment):
        heard.append((comment.id, comment.status))

    with app.app_context(), signals.comment_approved.connected_to(receiver):
        add_moderator()
        moderator = db.session.query(Moderator).one()
        comment = add_comment(CommentStatus.PENDING)
        apply_action(comment, Action.APPROVE, moderator)
        apply_action(comment, Action.UNAPPROVE, moderator)
        db.session.commit()
        assert heard == [(comment.id, CommentStatus.APPROVED)]


def test_no_domain_module_imports_mail():
    blog = Path(__file__).resolve().parents[2] / "blog"
    for name in DOMAIN:
        tree = ast.parse((blog / name).read_text())
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom | ast.Import)
            for alias in node.names
        } | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not imported & {
            "mail",
            "notifications",
            "blog.notify.mail",
            "blog.notify.moderator_mail",
        }, name
        assert not any(module.startswith("blog.notify") for module in imported), name


def test_every_change_of_status_is_announced(app):
    heard = []

    def receiver(sender, **news):
        heard.append((news["comment_id"], news["previous"], news["status"]))

    with app.app_context(), signals.comment_status_changed.connected_to(receiver):
        add_moderator()
        moderator = db.session.query(Moderator).one()
        comment = add_comment(CommentStatus.PENDING)
        comment_id = comment.id
        apply_action(comment, Action.APPROVE, moderator)
        apply_action(comment, Action.TRASH, moderator)
        apply_action(comment, Action.DELETE, moderator)
        db.session.commit()
    assert heard == [
        (comment_id, CommentStatus.PENDING, CommentStatus.APPROVED),
        (comment_id, CommentStatus.APPROVED, CommentStatus.TRASH),
        (comment_id, CommentStatus.TRASH, None),
    ]
