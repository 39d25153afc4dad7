"""Command-line tools: ``flask init-db`` and the moderator accounts."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from blog import messages
from blog.extensions import db
from blog.models import Moderator, new_session_token
from blog.seed import seed_articles


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database and load the shipped articles."""
    upgrade()
    added = seed_articles()
    if added:
        click.echo(f"Articoli aggiunti: {len(added)}")
    click.echo("Database pronto.")


def ask_password() -> str:
    """Ask for a new password twice, hidden; or read it piped on standard input.

    Piped, the first line is the password; a second line, when given, must
    repeat it.
    """
    stdin = sys.stdin
    if stdin.isatty():
        password = click.prompt(
            "Password", hide_input=True, confirmation_prompt="Ripeti la password", err=True
        )
    else:
        lines = stdin.read().splitlines()
        password = lines[0] if lines else ""
        if len(lines) > 1 and lines[1] != password:
            raise click.ClickException(messages.PASSWORDS_DIFFER)
    minimum = current_app.config["MODERATOR_PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise click.ClickException(messages.PASSWORD_TOO_SHORT.format(min=minimum))
    return password


def find_moderator(username: str) -> Moderator:
    moderator = db.session.scalar(sa.select(Moderator).where(Moderator.username == username))
    if moderator is None:
        raise click.ClickException(f"Nessun moderatore con nome utente «{username}».")
    return moderator


@click.command("create-moderator")
@click.argument("username")
@click.option("--display-name", help="Nome mostrato sulle risposte (predefinito: USERNAME).")
@click.option("--email", help="Indirizzo per le notifiche.")
@with_appcontext
def create_moderator_command(username: str, display_name: str | None, email: str | None) -> None:
    """Create a moderator account; the password is asked for twice."""
    username = username.strip()
    if not username or len(username) > 80:
        raise click.ClickException("Il nome utente deve avere da 1 a 80 caratteri.")
    if db.session.scalar(sa.select(Moderator.id).where(Moderator.username == username)):
        raise click.ClickException(f"Il moderatore «{username}» esiste già.")
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
    moderator = find_moderator(username)
    moderator.set_password(ask_password())
    db.session.commit()
    click.echo(f"Password di «{username}» aggiornata.")


@click.command("deactivate-moderator")
@click.argument("username")
@with_appcontext
def deactivate_moderator_command(username: str) -> None:
    """Deactivate a moderator; they are logged out at their next request."""
    moderator = find_moderator(username)
    moderator.active = False
    moderator.session_token = new_session_token()
    db.session.commit()
    click.echo(f"Moderatore «{username}» disattivato.")


def register(app: Flask) -> None:
    """Attach the commands to the app's ``flask`` CLI."""
    for command in (
        init_db_command,
        create_moderator_command,
        list_moderators_command,
        set_password_command,
        deactivate_moderator_command,
    ):
        app.cli.add_command(command)
