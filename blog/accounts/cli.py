"""Staff accounts at the terminal: create, list, set a password, deactivate."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from blog import messages
from blog.core.terminal import CliError, show_database, typing_at_a_terminal
from blog.extensions import db
from blog.models import Moderator, new_session_token


def ask_password() -> str:
    """Ask for a new password twice, hidden; or read it piped on standard input.

    At a terminal, a password too short, or not typed the same twice, is
    asked for again. Piped, the first line is the password; a second line,
    when given, must repeat it.
    """
    minimum = current_app.config["MODERATOR_PASSWORD_MIN_LENGTH"]
    if not typing_at_a_terminal():
        lines = sys.stdin.read().splitlines()
        password = lines[0] if lines else ""
        if len(lines) > 1 and lines[1] != password:
            raise CliError(messages.PASSWORDS_DIFFER)
        if len(password) < minimum:
            raise CliError(messages.PASSWORD_TOO_SHORT.format(min=minimum))
        return password
    click.echo(messages.PASSWORD_RULES.format(min=minimum), err=True)
    while True:
        # An empty answer is an answer (too short), not a reason to ask silently again.
        password = click.prompt(
            messages.PASSWORD_PROMPT, hide_input=True, default="", show_default=False, err=True
        )
        if len(password) < minimum:
            click.echo(messages.PASSWORD_TOO_SHORT.format(min=minimum), err=True)
            continue
        again = click.prompt(
            messages.PASSWORD_AGAIN_PROMPT,
            hide_input=True,
            default="",
            show_default=False,
            err=True,
        )
        if again == password:
            return password
        click.echo(messages.PASSWORDS_DIFFER, err=True)


def find_moderator(username: str) -> Moderator:
    moderator = db.session.scalar(sa.select(Moderator).where(Moderator.username == username))
    if moderator is None:
        raise CliError(f"Nessun moderatore con nome utente «{username}».")
    return moderator


@click.command("create-moderator")
@click.argument("username")
@click.option("--display-name", help="Nome mostrato sulle risposte (predefinito: USERNAME).")
@click.option("--email", help="Indirizzo per le notifiche.")
@with_appcontext
def create_moderator_command(username: str, display_name: str | None, email: str | None) -> None:
    """Create a moderator account; the password is asked for twice."""
    show_database()
    username = username.strip()
    if not username or len(username) > 80:
        raise CliError("Il nome utente deve avere da 1 a 80 caratteri.")
    if db.session.scalar(sa.select(Moderator.id).where(Moderator.username == username)):
        raise CliError(f"Il moderatore «{username}» esiste già.")
    moderator = Moderator(username=username, display_name=display_name or username, email=email)
    moderator.set_password(ask_password())
    db.session.add(moderator)
    db.session.commit()
    click.echo(f"Moderatore «{username}» creato.")


@click.command("moderators")
@with_appcontext
def list_moderators_command() -> None:
    """List the moderator accounts."""
    moderators = db.session.scalars(sa.select(Moderator).order_by(Moderator.username)).all()
    if not moderators:
        click.echo("Nessun moderatore. Creane uno con: flask create-moderator NOME")
        return
    row = "{:<20} {:<24} {:<28} {:<11} {}"
    click.echo(row.format("nome utente", "nome mostrato", "email", "stato", "ultimo accesso"))
    for moderator in moderators:
        last = moderator.last_login_at
        click.echo(
            row.format(
                moderator.username,
                moderator.display_name,
                moderator.email or "—",
                "attivo" if moderator.active else "disattivato",
                last.strftime("%Y-%m-%d %H:%M") if last else "mai",
            )
        )


@click.command("set-password")
@click.argument("username")
@with_appcontext
def set_password_command(username: str) -> None:
    """Set a moderator's password; their open sessions end."""
    show_database()
    moderator = find_moderator(username)
    moderator.set_password(ask_password())
    db.session.commit()
    click.echo(f"Password di «{username}» aggiornata.")


@click.command("deactivate-moderator")
@click.argument("username")
@with_appcontext
def deactivate_moderator_command(username: str) -> None:
    """Deactivate a moderator; they are logged out at their next request."""
    show_database()
    moderator = find_moderator(username)
    moderator.active = False
    moderator.session_token = new_session_token()
    db.session.commit()
    click.echo(f"Moderatore «{username}» disattivato.")


COMMANDS = (
    create_moderator_command,
    list_moderators_command,
    set_password_command,
    deactivate_moderator_command,
)
