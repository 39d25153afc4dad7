"""Moderator accounts from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Moderator, Role
from tests.helpers import add_moderator

PASSWORD = "una password sicura"
PROJECT = Path(__file__).resolve().parents[2]


def moderators(app) -> dict[str, Moderator]:
    with app.app_context():
        return {m.username: m for m in db.session.scalars(sa.select(Moderator))}


def test_create_moderator_with_password_typed_twice(runner, app):
    result = runner.invoke(
        args=["create-moderator", "anna", "--display-name", "Anna B.", "--email", "a@example.it"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Moderatore «anna» creato." in result.output
    anna = moderators(app)["anna"]
    assert anna.display_name == "Anna B." and anna.email == "a@example.it" and anna.active
    method = app.config["PASSWORD_HASH_METHOD"].split(":")[0]
    assert anna.password_hash.startswith(f"{method}:") and PASSWORD not in anna.password_hash
    assert anna.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("corta\ncorta\n", "almeno 12 caratteri"),
        (f"{PASSWORD}\naltra password lunga\n", "non coincidono"),
        ("", "almeno 12 caratteri"),
    ],
)
def test_create_moderator_refuses_bad_passwords(runner, app, typed, message):
    result = runner.invoke(args=["create-moderator", "anna"], input=typed)
    assert result.exit_code != 0
    assert message in result.output
    assert moderators(app) == {}


def test_create_moderator_refuses_a_taken_name(runner, app):
    with app.app_context():
        add_moderator("anna")
    result = runner.invoke(args=["create-moderator", "anna"], input=f"{PASSWORD}\n")
    assert result.exit_code != 0 and "esiste già" in result.output


def test_moderators_lists_accounts(runner, app):
    with app.app_context():
        add_moderator("anna", display_name="Anna")
        add_moderator("bruno", display_name="Bruno", active=False)
    result = runner.invoke(args=["moderators"])
    lines = result.output.splitlines()
    assert lines[1].split()[:3] == ["anna", "Anna", "—"] and "attivo" in lines[1]
    assert lines[2].startswith("bruno") and "disattivato" in lines[2]


def test_set_password_changes_it(runner, app):
    with app.app_context():
        add_moderator("anna")
    result = runner.invoke(args=["set-password", "anna"], input="nuova password lunga\n")
    assert result.exit_code == 0, result.output
    assert moderators(app)["anna"].check_password("nuova password lunga")
    result = runner.invoke(args=["set-password", "zeno"], input="nuova password lunga\n")
    assert result.exit_code != 0 and "Nessun moderatore" in result.output


def test_deactivate_moderator(runner, app):
    with app.app_context():
        add_moderator("anna")
    result = runner.invoke(args=["deactivate-moderator", "anna"])
    assert result.exit_code == 0
    assert not moderators(app)["anna"].active


def test_password_piped_to_the_real_command(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "SECRET_KEY": "cli test",
        "FLASK_APP": "app",
    }
    env.pop("TEST_DATABASE_URL", None)
    flask = [sys.executable, "-m", "flask"]
    run = subprocess.run
    assert run([*flask, "init-db"], cwd=PROJECT, env=env, capture_output=True).returncode == 0
    created = run(
        [*flask, "create-moderator", "anna"],
        cwd=PROJECT,
        env=env,
        input=f"{PASSWORD}\n{PASSWORD}\n",
        capture_output=True,
        text=True,
    )
    assert created.returncode == 0, created.stderr
    listed = run([*flask, "moderators"], cwd=PROJECT, env=env, capture_output=True, text=True)
    assert "anna" in listed.stdout


@pytest.fixture
def at_a_terminal(monkeypatch):
    """Answers typed by a person: prompts, hidden input, asking again."""
    monkeypatch.setattr("blog.accounts.cli.typing_at_a_terminal", lambda: True)


def test_a_short_password_is_asked_again_at_a_terminal(runner, app, at_a_terminal):
    result = runner.invoke(
        args=["create-moderator", "anna"],
        input=f"corta\n\n{PASSWORD}\naltra password lunga\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    output = result.output
    # The database the command changes, then the rules, before any question.
    assert output.splitlines()[0].startswith("Database: ")
    assert "almeno 12 caratteri" in output.splitlines()[1], "the rules come first"
    assert output.count("La password deve contenere almeno 12 caratteri.") == 2
    assert output.count("Le due password non coincidono.") == 1
    assert output.count("Ripeti la password") == 2
    assert "Moderatore «anna» creato." in output
    assert moderators(app)["anna"].check_password(PASSWORD)


def test_set_password_asks_again_too(runner, app, at_a_terminal):
    with app.app_context():
        add_moderator("anna")
    typed = "breve\nnuova password lunga\nnuova password lunga\n"
    result = runner.invoke(args=["set-password", "anna"], input=typed)
    assert result.exit_code == 0, result.output
    assert "almeno 12 caratteri." in result.output
    assert moderators(app)["anna"].check_password("nuova password lunga")


@pytest.mark.parametrize(
    ("args", "typed", "message"),
    [
        (["create-moderator", "anna"], "corta\n", "Errore: La password deve contenere almeno"),
        (["set-password", "zeno"], "", "Errore: Nessun moderatore con nome utente «zeno»."),
        (["privacy-erase", "x@example.it"], "", "Nessun commento"),
    ],
)
def test_errors_are_in_italian(runner, app, args, typed, message):
    result = runner.invoke(args=args, input=typed)
    assert message in result.output
    assert "Error:" not in result.output and "Aborted" not in result.output


def test_a_refused_confirmation_stops_in_italian(runner, app):
    with app.app_context():
        from tests.helpers import add_comment

        add_comment(comment="Da cancellare", email="x@example.it")
    result = runner.invoke(args=["privacy-erase", "x@example.it"], input="n\n")
    assert result.exit_code == 1
    assert "Errore: Annullato: non è stato cambiato nulla." in result.output
    assert "Aborted" not in result.output


def test_the_first_account_is_an_administrator_and_the_next_a_moderator(runner, app):
    first = runner.invoke(args=["create-moderator", "ada"], input=f"{PASSWORD}\n")
    assert first.exit_code == 0, first.output
    assert "Ruolo: Amministratore (il primo account del sito)." in first.output
    second = runner.invoke(args=["create-moderator", "anna"], input=f"{PASSWORD}\n")
    assert "Ruolo: Moderatore." in second.output
    third = runner.invoke(
        args=["create-moderator", "aldo", "--role", "author"], input=f"{PASSWORD}\n"
    )
    assert "Ruolo: Autore." in third.output
    roles = {name: account.role for name, account in moderators(app).items()}
    assert roles == {"ada": Role.ADMINISTRATOR, "anna": Role.MODERATOR, "aldo": Role.AUTHOR}
    for result in (first, second, third):
        assert "Database: " in result.output


def test_a_first_account_given_a_role_keeps_it(runner, app):
    result = runner.invoke(
        args=["create-moderator", "anna", "--role", "moderator"], input=f"{PASSWORD}\n"
    )
    assert result.exit_code == 0 and "Ruolo: Moderatore." in result.output
    assert moderators(app)["anna"].role == Role.MODERATOR


def test_moderators_lists_roles(runner, app):
    with app.app_context():
        add_moderator("anna").role = Role.EDITOR
        db.session.commit()
    result = runner.invoke(args=["moderators"])
    assert "ruolo" in result.output.splitlines()[0]
    assert "Editore" in result.output.splitlines()[1]


def test_set_role_changes_it_and_keeps_the_last_administrator(runner, app):
    with app.app_context():
        add_moderator("ada").role = Role.ADMINISTRATOR
        add_moderator("anna")
        db.session.commit()
    result = runner.invoke(args=["set-role", "anna", "editor"])
    assert result.exit_code == 0, result.output
    assert "Database: " in result.output and "Ruolo di «anna»: Editore." in result.output
    assert moderators(app)["anna"].role == Role.EDITOR

    refused = runner.invoke(args=["set-role", "ada", "author"])
    assert refused.exit_code != 0 and "unico amministratore attivo" in refused.output
    refused = runner.invoke(args=["deactivate-moderator", "ada"])
    assert refused.exit_code != 0 and "unico amministratore attivo" in refused.output
    assert moderators(app)["ada"].role == Role.ADMINISTRATOR and moderators(app)["ada"].active

    unknown = runner.invoke(args=["set-role", "anna", "capo"])
    assert unknown.exit_code != 0 and moderators(app)["anna"].role == Role.EDITOR
    assert runner.invoke(args=["set-role", "zeno", "editor"]).exit_code != 0
