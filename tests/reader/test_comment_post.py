"""The comment POST's parts: forms that read no database, the view that finds
the comment a reply answers, the settings the use case runs under."""

from __future__ import annotations

import ast
from pathlib import Path

import sqlalchemy as sa

from blog.comments.forms import CommentForm
from blog.extensions import db
from blog.models import CommentStatus
from blog.moderation import site_settings
from blog.reader.comment_settings import comment_settings, settings_from
from tests.helpers import add_comment, comments_in_db, soup, text_of

BLOG = Path(__file__).resolve().parents[2] / "blog"
#: What a module reads the database through.
DATABASE_MODULES = ("blog.extensions", "blog.models", "blog.comments.submit", "sqlalchemy")


def database_imports(path: Path) -> list[str]:
    imported = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.append(node.module)
        elif isinstance(node, ast.Import):
            imported.extend(alias.name for alias in node.names)
    return [name for name in imported if name.startswith(DATABASE_MODULES)]


def test_no_form_reads_the_database():
    forms = sorted(BLOG.rglob("forms.py"))
    assert len(forms) >= 4
    found = {path.relative_to(BLOG).as_posix(): database_imports(path) for path in forms}
    assert found == dict.fromkeys(found, [])


def test_the_comment_form_checks_the_parent_id_without_a_query(app):
    statements = []

    def count(*_args):
        statements.append(1)

    data = {"comment_parent": "999", "comment": "Testo", "author": "Mario", "email": "m@x.it"}
    with app.test_request_context(method="POST", data=data):
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            form = CommentForm(meta={"csrf": False})
            form.validate()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
    assert form.comment_parent.errors == []
    assert statements == []


def test_a_parent_that_is_not_approved_is_refused_beside_the_other_errors(commenter, app):
    with app.app_context():
        pending_id = add_comment(status=CommentStatus.PENDING).id
    response = commenter.post(comment_parent=str(pending_id), author="")
    assert response.status_code == 422
    summary = text_of(soup(response).find(id="form-notice"))
    assert "Il commento a cui vuoi rispondere non esiste o non è ancora approvato." in summary
    assert "Inserisci il tuo nome." in summary
    with app.app_context():
        assert [comment.id for comment in comments_in_db()] == [pending_id]


def test_settings_are_the_config_with_what_moderators_saved(app):
    config = {
        **app.config,
        "COMMENT_MIN_SECONDS": 7,
        "COMMENT_MAX_LINKS": 4,
        "COMMENT_MODERATION_KEYS": ["casinò"],
        "COMMENT_DISALLOWED_KEYS": ["viagra"],
    }
    settings = settings_from(config, None)
    assert (settings.spam.min_seconds, settings.spam.max_links) == (7, 4)
    assert settings.spam.moderation_keys == ["casinò"]
    assert settings.spam.disallowed_keys == ["viagra"]
    assert settings.secret_key == app.config["SECRET_KEY"]
    assert settings.akismet is None
    with app.test_request_context():
        site_settings.save("COMMENT_DISALLOWED_KEYS", ["saldi"])
        site_settings.save("COMMENT_MODERATION", "all")
        db.session.commit()
    with app.test_request_context():
        in_force = comment_settings()
    assert in_force.spam.disallowed_keys == ["saldi"]
    assert in_force.moderation == "all"
