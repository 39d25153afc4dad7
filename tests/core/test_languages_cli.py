"""Every ``flask`` command speaks the site's language: English with SITE_LANGUAGE=en.

Each command runs as a person would run it, and its output must hold none of
the Italian the catalog has for it (``ITALIAN``: every run of words of an
Italian translation that its English source lacks).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po

from blog import create_app
from blog.core.i18n import TRANSLATIONS
from blog.extensions import db
from tests.helpers import add_comment, add_moderator, test_database_url

PROJECT = Path(__file__).resolve().parents[2]
FIXTURES = PROJECT / "tests" / "fixtures"
PASSWORD = "a safe enough password"
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)[sd]")


def italian_fragments() -> set[str]:
    """Each run of words of an Italian translation that its English source lacks."""
    with (TRANSLATIONS / "it" / "LC_MESSAGES" / "messages.po").open("rb") as file:
        catalog = read_po(file)
    fragments = set()
    for message in catalog:
        if not message.id:
            continue
        english = " ".join(message.id) if isinstance(message.id, tuple) else message.id
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in texts:
            for piece in PLACEHOLDER.split(text):
                piece = piece.strip(" .,:;()«»…?\n")
                if len(piece) >= 6 and piece not in english:
                    fragments.add(piece)
    return fragments


ITALIAN = italian_fragments()


def assert_english(output: str, *sentences: str) -> None:
    """The output says each of ``sentences``, and nothing in Italian."""
    for sentence in sentences:
        assert sentence in output, (sentence, output)
    # Addresses and paths are the file's data, not the command's words.
    words = re.sub(r"(?:https?://|/)\S+", "", output)
    found = [
        fragment
        for fragment in ITALIAN
        # Whole words: "pagina" is not in a migration named "...pagination".
        if re.search(rf"(?<!\w){re.escape(fragment)}(?!\w)", words)
    ]
    assert sorted(found) == [], output


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "SITE_LANGUAGE": "en"}


def test_the_catalog_has_italian_to_look_for():
    """A check that finds no Italian because it looks for none cannot fail."""
    assert {"Moderatore", "Articoli importati", "Database pronto", "Messaggi inviati"} <= ITALIAN


# Moderators


def test_moderator_commands_speak_english(app, runner):
    assert_english(
        runner.invoke(args=["moderators"]).output,
        "No moderators. Create one with: flask create-moderator NAME",
    )
    created = runner.invoke(
        args=["create-moderator", "anna", "--email", "anna@example.com", "--role", "moderator"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert created.exit_code == 0, created.output
    assert_english(created.output, "Moderator “anna” created.")
    taken = runner.invoke(args=["create-moderator", "anna"], input=f"{PASSWORD}\n")
    assert_english(taken.output, "Error: The moderator “anna” already exists.")
    short = runner.invoke(args=["create-moderator", "bruno"], input="short\n")
    assert_english(short.output, "Error: The password must be at least 12 characters long.")
    differ = runner.invoke(args=["create-moderator", "bruno"], input=f"{PASSWORD}\nother one\n")
    assert_english(differ.output, "Error: The two passwords do not match.")
    blank = runner.invoke(args=["create-moderator", " "], input=f"{PASSWORD}\n")
    assert_english(blank.output, "Error: The username must be 1 to 80 characters long.")

    changed = runner.invoke(args=["set-password", "anna"], input=f"{PASSWORD} 2\n")
    assert_english(changed.output, "Password for “anna” updated.")
    unknown = runner.invoke(args=["set-password", "zeno"], input=f"{PASSWORD}\n")
    assert_english(unknown.output, "Error: No moderator with the username “zeno”.")
    deactivated = runner.invoke(args=["deactivate-moderator", "anna"])
    assert_english(deactivated.output, "Moderator “anna” deactivated.")

    with app.app_context():
        add_moderator("bruno", display_name="Bruno")
    listed = runner.invoke(args=["moderators"]).output.splitlines()
    assert listed[0].split() == [
        "username", "display", "name", "email", "role", "status", "last", "login",
    ]  # fmt: skip
    assert listed[1].split()[-2:] == ["deactivated", "never"]
    assert listed[2].split()[-2:] == ["active", "never"]
    assert_english("\n".join(listed))


def test_typed_passwords_are_asked_for_in_english(app, runner, monkeypatch):
    monkeypatch.setattr("blog.accounts.cli.typing_at_a_terminal", lambda: True)
    result = runner.invoke(
        args=["create-moderator", "anna"], input=f"short\n{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert_english(
        result.output,
        "Choose a password of at least 12 characters",
        "Repeat the password",
        "Moderator “anna” created.",
    )


# Personal data


def test_privacy_commands_speak_english(app, runner):
    with app.app_context():
        add_comment(comment="Kept for a while", email="x@example.com")
        add_comment(comment="And another", email="y@example.com")
    exported = runner.invoke(args=["privacy-export", "x@example.com"])
    assert_english(exported.output, "Comments exported for x@example.com: 1")
    assert_english(
        runner.invoke(args=["privacy-erase", "z@example.com"]).output,
        "No comments with the email z@example.com.",
    )
    refused = runner.invoke(args=["privacy-erase", "x@example.com"], input="n\n")
    assert refused.exit_code == 1
    assert_english(
        refused.output,
        "Anonymise the 1 comment of x@example.com?",
        "Error: Cancelled: nothing was changed.",
    )
    refused = runner.invoke(args=["privacy-erase", "--delete", "x@example.com"], input="n\n")
    assert_english(refused.output, "Delete the 1 comment of x@example.com?")
    erased = runner.invoke(args=["privacy-erase", "--yes", "x@example.com"])
    assert_english(erased.output, "Comments anonymised: 1")
    deleted = runner.invoke(args=["privacy-erase", "--delete", "--yes", "y@example.com"])
    assert_english(deleted.output, "Comments deleted: 1")


def test_purge_speaks_english(app, runner):
    with app.app_context():
        add_comment(comment="Old", age=timedelta(days=91), ip_address="198.51.100.1")
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert_english(
        result.output,
        "Comments in spam and in the trash for more than 30 days deleted: 0",
        "IP addresses and browsers cleared from 1 comment (older than 90 days).",
        "Likes older than 90 days forgotten (the count stays): 0",
        "Mail and webhooks older than 30 days deleted: 0",
        "Unconfirmed addresses deleted: 0",
        "Expired moderator sessions deleted: 0",
    )


def test_send_mail_speaks_english(app, runner):
    app.config["WEBHOOK_URLS"] = ["https://hooks.example/in"]
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert_english(
        result.output,
        "Digests for moderators: 0",
        "Messages sent: 0; failed (to be retried): 0",
        "Webhooks sent: 0; failed (to be retried): 0",
    )


# Imports and export


def test_imports_print_their_summary_in_english(app, runner):
    wxr = runner.invoke(args=["import-wxr", str(FIXTURES / "small.wxr")])
    assert wxr.exit_code == 0, wxr.output
    assert_english(
        wxr.output,
        "Importing",
        "Articles imported",
        "  approved comments",
        "Pingbacks and trackbacks skipped",
        "Unpublished articles, skipped",
        "Not published: “",
    )
    # The published article, the scheduled one and the two drafts.
    assert re.search(r"Articles imported\s+4\n", wxr.output), wxr.output
    again = runner.invoke(args=["import-wxr", str(FIXTURES / "small.wxr")])
    assert re.search(r"Comments already present\s+[1-9]", again.output), again.output
    disqus = runner.invoke(args=["import-disqus", str(FIXTURES / "disqus.xml")])
    assert disqus.exit_code == 0, disqus.output
    assert_english(disqus.output, "Discussions with no matching article", "No article for: ")
    isso = runner.invoke(args=["import-isso", str(FIXTURES / "isso.db")])
    assert isso.exit_code == 0, isso.output
    assert_english(
        isso.output, "Comments imported", "No article for: /una-pagina-che-non-esiste-qui/"
    )


def test_import_errors_speak_english(app, runner, tmp_path, monkeypatch):
    text = tmp_path / "note.xml"
    text.write_text("<disqus xmlns='http://disqus.com'>")
    broken = runner.invoke(args=["import-disqus", str(text)])
    assert broken.exit_code == 1
    assert_english(broken.output, "Error: Invalid XML: ", "Import stopped: what was already")
    other = tmp_path / "other.xml"
    other.write_text("<rss/>")
    wrong = runner.invoke(args=["import-disqus", str(other)])
    assert_english(wrong.output, "Error: The file is not a Disqus export.")
    not_isso = runner.invoke(args=["import-isso", str(other)])
    assert_english(not_isso.output, "Error: Unreadable database: ")
    monkeypatch.setattr("blog.porting.xmlstream.XML_HELD_TEXT", 10_000)
    long_text = tmp_path / "long.xml"
    long_text.write_text(
        f"<rss><channel><item><title>{'a' * 20_000}</title></item></channel></rss>"
    )
    too_long = runner.invoke(args=["import-wxr", str(long_text)])
    assert too_long.exit_code == 1
    # Numbers as English writes them: 10,000 (10.000 in Italian).
    assert_english(too_long.output, "more than 10,000 characters")


def test_export_speaks_english(app, runner, tmp_path):
    result = runner.invoke(args=["export-wxr", str(tmp_path / "blog.wxr")])
    assert result.exit_code == 0, result.output
    assert_english(result.output, "Articles exported: 1")


# The learning filter


def test_spam_commands_speak_english(app, runner):
    unlabelled = runner.invoke(args=["spam-train", str(FIXTURES / "spam" / "spam.mbox")])
    assert_english(unlabelled.output, "Say whether the messages are spam (--spam) or not (--ham).")
    trained = runner.invoke(args=["spam-train", str(FIXTURES / "spam" / "spam.mbox"), "--spam"])
    assert trained.exit_code == 0, trained.output
    assert_english(trained.output, "Messages learned as spam: ", "The filter has learned from")
    stats = runner.invoke(args=["spam-stats", "--top", "3"])
    assert_english(stats.output, "Known terms: ", "Terms that most often mean spam:")
    # Probabilities with English's decimal point: 0.935, not 0,935.
    assert re.search(r"\n  [01]\.\d{3}  ", stats.output), stats.output
    refused = runner.invoke(args=["spam-reset"], input="n\n")
    assert_english(refused.output, "The filter will forget everything it has learned")
    reset = runner.invoke(args=["spam-reset", "--yes"])
    assert_english(reset.output, "The filter has forgotten everything: ")


# The database


def test_init_db_speaks_english(app_config):
    app = create_app(app_config)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert_english(result.output, "Articles added: 1", "Database ready.")
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.engine.dispose()


# --help


def flask_help(tmp_path: Path, *args: str, language: str | None) -> str:
    """``flask --help`` as a person runs it, with SITE_LANGUAGE set or not."""
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(tmp_path),
        "SECRET_KEY": "help test",
    }
    env.pop("SITE_LANGUAGE", None)
    env.pop("FLASK_SITE_LANGUAGE", None)
    if language:
        env["SITE_LANGUAGE"] = language
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args, "--help"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_help_follows_site_language_from_the_environment(tmp_path):
    english = flask_help(tmp_path, language="en")
    assert "Create a staff account; the password is asked" in english
    assert "Teach the learning filter from mail" in english
    assert "Crea un account della redazione" not in english
    italian = flask_help(tmp_path, language=None)
    assert "Crea un account della redazione" in italian
    assert "Create a staff account" not in italian
    options = flask_help(tmp_path, "privacy-erase", language="en")
    assert "Delete the comments instead of anonymising them." in options
    assert "Anonymise (or delete) every comment stored for EMAIL" in options
    assert_english(options)
    options = flask_help(tmp_path, "privacy-erase", language=None)
    assert "Elimina i commenti invece di anonimizzarli." in options


def test_option_help_is_translated_when_shown(app, runner, monkeypatch):
    """Not when the module was imported: the language of the moment."""
    monkeypatch.setenv("SITE_LANGUAGE", "en")
    english = runner.invoke(args=["import-wxr", "--help"]).output
    assert_english(english, "Hold for moderation the comments published at the source too.")
    monkeypatch.setenv("SITE_LANGUAGE", "it")
    italian = runner.invoke(args=["import-wxr", "--help"]).output
    assert "Metti in attesa di moderazione anche i commenti pubblicati" in italian
