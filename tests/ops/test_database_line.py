"""Every ``flask`` command that changes something first says which database it changes.

A command run without the production settings opens a development SQLite
file in the instance folder; the line on standard error makes that visible
before anything is done.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from blog.core.terminal import database_shown
from tests.helpers import add_comment, add_moderator

FIXTURES = Path(__file__).parents[1] / "fixtures"
PASSWORD = "una password nuova e lunga\n"

#: Each command that changes the database, with arguments that let it run.
CHANGING = {
    "create-moderator": (["bruno"], PASSWORD),
    "set-password": (["anna"], PASSWORD),
    "deactivate-moderator": (["anna"], None),
    "privacy-erase": (["mario.rossi@example.it", "--yes"], None),
    "purge": ([], None),
    "send-mail": ([], None),
    "import-wxr": ([str(FIXTURES / "small.wxr")], None),
    "import-disqus": ([str(FIXTURES / "disqus.xml")], None),
    "import-isso": ([str(FIXTURES / "isso.db")], None),
    "spam-train": ([str(FIXTURES / "spam" / "spam.mbox"), "--spam"], None),
    "spam-reset": (["--yes"], None),
    "backup": ([], None),
}
#: Commands that only read: no such line.
READING = {
    "moderators": [],
    "spam-stats": [],
    "privacy-export": ["mario.rossi@example.it"],
}


@pytest.fixture
def blog(app, tmp_path):
    app.config["BACKUP_DIR"] = str(tmp_path / "backups")
    with app.app_context():
        add_moderator("anna")
        add_comment()
    return app


@pytest.mark.parametrize("command", CHANGING)
def test_a_command_that_changes_the_database_names_it_first(blog, command):
    arguments, typed = CHANGING[command]
    result = blog.test_cli_runner().invoke(args=[command, *arguments], input=typed)
    assert result.exit_code == 0, result.output
    shown = database_shown(blog.config["SQLALCHEMY_DATABASE_URI"])
    assert result.stderr.splitlines()[0] == f"Database: {shown}"
    assert f"Database: {shown}" not in result.stdout


def test_init_db_names_the_database_it_creates(make_blog):
    fresh = make_blog("fresh", migrated=False)
    result = fresh.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    shown = database_shown(fresh.config["SQLALCHEMY_DATABASE_URI"])
    assert result.stderr.splitlines()[0] == f"Database: {shown}"


def test_restore_names_the_database_before_it_reads_the_file(blog, tmp_path):
    not_a_backup = tmp_path / "nulla.tar"
    not_a_backup.write_bytes(b"nulla")
    result = blog.test_cli_runner().invoke(args=["restore", str(not_a_backup)])
    assert result.exit_code == 1
    shown = database_shown(blog.config["SQLALCHEMY_DATABASE_URI"])
    assert result.stderr.splitlines()[0] == f"Database: {shown}"


@pytest.mark.parametrize("command", READING)
def test_a_command_that_only_reads_says_nothing_of_it(blog, command):
    result = blog.test_cli_runner().invoke(args=[command, *READING[command]])
    assert result.exit_code == 0, result.output
    assert "Database:" not in result.output


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        (
            "postgresql+psycopg://blog:s3gr3t%40@10.0.0.4:5432/blog",
            "postgresql+psycopg://blog@10.0.0.4:5432/blog",
        ),
        (
            "postgresql+psycopg://blog@/blog?host=/var/run/postgresql",
            "postgresql+psycopg://blog@/blog?host=%2Fvar%2Frun%2Fpostgresql",
        ),
        ("sqlite:////opt/blog/instance/blog.sqlite3", "sqlite:////opt/blog/instance/blog.sqlite3"),
    ],
)
def test_the_password_is_never_shown(uri, shown):
    assert database_shown(uri) == shown
    assert "s3gr3t" not in database_shown(uri)
