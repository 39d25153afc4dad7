"""A moderator's reply as a use case, and the only doors a comment is stored through."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import has_request_context

from blog import signals
from blog.extensions import db
from blog.models import Article, Comment, CommentStatus, ModerationEvent
from blog.moderation.reply import ReplyRefused, reply
from tests.helpers import SLUG, add_comment, add_moderator, comments_in_db

P, A, S, T = (
    CommentStatus.PENDING,
    CommentStatus.APPROVED,
    CommentStatus.SPAM,
    CommentStatus.TRASH,
)


def events_of(comment_id: int) -> list[tuple[str, str | None, str | None]]:
    return [
        (event.action, event.from_status, event.to_status)
        for event in db.session.scalars(
            sa.select(ModerationEvent)
            .where(ModerationEvent.comment_id == comment_id)
            .order_by(ModerationEvent.id)
        )
    ]


def test_a_reply_needs_no_request_and_approves_what_it_answers(app):
    heard = []

    def receiver(sender, **news):
        heard.append(news)

    with app.app_context(), signals.comment_stored.connected_to(receiver):
        assert not has_request_context()
        moderator = add_moderator(email="anna@example.it")
        parent = add_comment(status=P, author="Lettore")
        parent_id, moderator_id = parent.id, moderator.id
        heard.clear()
        answer = reply(parent, "Grazie del commento!", moderator, user_agent="cli")
        answer_id = answer.id
        # Committed: a fresh session sees it all.
        db.session.remove()
        answer = db.session.get(Comment, answer_id)
        assert (answer.status, answer.parent_id, answer.thread_id) == (A, parent_id, parent_id)
        assert (answer.author, answer.email, answer.url) == (
            "Anna la moderatrice",
            "anna@example.it",
            "",
        )
        assert answer.moderator_id == moderator_id
        assert answer.body == "Grazie del commento!"
        assert answer.body_html == "<p>Grazie del commento!</p>"
        assert answer.user_agent == "cli" and answer.ip_address is None
        assert db.session.get(Comment, parent_id).status == A
        assert events_of(parent_id) == [("approve", "pending", "approved")]
        assert events_of(answer_id) == [("reply", None, "approved")]
        article = db.session.scalar(sa.select(Article).where(Article.slug == SLUG))
        assert article.approved_comment_count == 2
    assert [news["comment_id"] for news in heard] == [answer_id]


def test_a_reply_to_an_approved_comment_leaves_it_as_it_was(app):
    with app.app_context():
        moderator = add_moderator()
        parent = add_comment(status=A)
        version = parent.status_version
        answer = reply(parent, "Una risposta", moderator)
        assert answer.status == A
        assert db.session.get(Comment, parent.id).status_version == version
        assert events_of(parent.id) == []


@pytest.mark.parametrize("status", [S, T])
def test_spam_and_trash_take_no_reply(app, status):
    with app.app_context():
        moderator = add_moderator()
        parent = add_comment(status=status)
        with pytest.raises(ReplyRefused):
            reply(parent, "No", moderator)
        db.session.rollback()
        assert [comment.id for comment in comments_in_db()] == [parent.id]
        assert db.session.get(Comment, parent.id).status == status


# The doors: a reader's submit, a moderator's reply, the import runner.

BLOG = Path(__file__).resolve().parents[2] / "blog"
#: The functions that write a comment row; they live in STORE_MODULE.
LOW_LEVEL = frozenset({"insert_comment", "store_comment"})
STORE_MODULE = "comments/submit.py"
#: (module, function) that may call them.
DOORS = frozenset({("comments/submit.py", "submit"), ("moderation/reply.py", "reply")})
#: The import runner writes its batches with an INSERT of its own.
BULK_WRITER = "porting/importer.py"
#: Where an INSERT into the comment table may be built.
INSERTERS = frozenset({STORE_MODULE, BULK_WRITER})


def comment_table_names(tree: ast.Module) -> set[str]:
    """Module-level names bound to ``Comment.__table__`` (maybe through ``cast``)."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            is_comment_table(part, set()) for part in ast.walk(node.value)
        ):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
    return names


def is_comment_table(node: ast.AST, aliases: set[str]) -> bool:
    """``Comment``, ``Comment.__table__``, or a name bound to the latter."""
    if isinstance(node, ast.Name):
        return node.id == "Comment" or node.id in aliases
    return (
        isinstance(node, ast.Attribute)
        and node.attr in ("__table__", "Comment")
        and (node.attr == "Comment" or is_comment_table(node.value, set()))
    )


def called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def comment_writes(module: str, tree: ast.Module) -> list[tuple[str, str, int]]:
    """Every place ``module`` stores a comment: (what, outermost function, line)."""
    aliases = comment_table_names(tree)
    found = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) and not function:
                inner = child.name
            if isinstance(child, ast.Call):
                name = called_name(child)
                if name in LOW_LEVEL:
                    found.append((name, function, child.lineno))
                elif name == "Comment":
                    found.append(("Comment(", function, child.lineno))
                elif name == "insert" and (
                    any(is_comment_table(arg, aliases) for arg in child.args)
                    or (
                        isinstance(child.func, ast.Attribute)
                        and is_comment_table(child.func.value, aliases)
                    )
                ):
                    found.append(("insert", function, child.lineno))
            visit(child, inner)

    visit(tree, "")
    return found


def allowed(module: str, what: str, function: str) -> bool:
    if what in LOW_LEVEL:
        return (module, function) in DOORS or (module == STORE_MODULE and function in LOW_LEVEL)
    return what == "insert" and module in INSERTERS


def test_a_comment_is_stored_only_through_its_three_doors():
    writes = {}
    for path in sorted(BLOG.rglob("*.py")):
        module = path.relative_to(BLOG).as_posix()
        for what, function, line in comment_writes(module, ast.parse(path.read_text())):
            writes[(module, line)] = (what, function)
    strays = [
        f"{module}:{line} {what} in {function or 'module level'}"
        for (module, line), (what, function) in writes.items()
        if not allowed(module, what, function)
    ]
    assert strays == [], "a comment stored outside submit, reply and the importer"
    # The scan sees the doors themselves, so it cannot pass by seeing nothing.
    seen = {(module, what, function) for (module, _), (what, function) in writes.items()}
    assert ("comments/submit.py", "insert_comment", "submit") in seen
    assert ("moderation/reply.py", "store_comment", "reply") in seen
    assert any(module == BULK_WRITER and what == "insert" for module, what, _ in seen)


@pytest.mark.parametrize(
    "source",
    [
        "def view():\n    store_comment(article, new, status)\n",
        "def view():\n    submit_module.insert_comment(article, new, status)\n",
        "def view():\n    db.session.add(Comment(body='x'))\n",
        "def view():\n    db.session.execute(sa.insert(Comment), rows)\n",
        "table = cast(sa.Table, Comment.__table__)\n"
        "def view():\n    db.session.execute(sa.insert(table), rows)\n",
        "def view():\n    db.session.execute(models.Comment.__table__.insert(), rows)\n",
    ],
)
def test_the_scan_sees_a_comment_stored_elsewhere(source):
    writes = comment_writes("reader/views.py", ast.parse(source))
    assert writes and not any(allowed("reader/views.py", what, fn) for what, fn, _ in writes)
