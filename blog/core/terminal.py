"""Helpers every ``flask`` command shares: errors in Italian, questions, safe printing,
and the database a command is about to change."""

from __future__ import annotations

import sys
from typing import IO, Any

import click
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from blog import messages


class CliError(click.ClickException):
    """A command's error, said in Italian: Click's own prefix is English ("Error:")."""

    def show(self, file: IO[Any] | None = None) -> None:
        message = messages.CLI_ERROR.format(message=self.format_message())
        click.echo(message, file=file, err=file is None)


def typing_at_a_terminal() -> bool:
    """Tell whether a person types the answers (rather than a pipe giving them)."""
    return sys.stdin.isatty()


def confirm_or_stop(question: str) -> None:
    """Ask yes or no; stop the command, saying so in Italian, on no."""
    if not click.confirm(question, err=True):
        raise CliError(messages.CLI_CANCELLED)


def printable(text: str, limit: int = 120) -> str:
    """Text from a file, safe for a terminal: escapes instead of control codes."""
    shown = "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text[:limit])
    return shown + ("…" if len(text) > limit else "")


def database_shown(uri: str) -> str:
    """The database's URL as a person may see it: everything but the password."""
    url = sa.make_url(uri)
    shown = sa.URL.create(
        url.drivername,
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return shown.render_as_string(hide_password=True)


def show_database() -> None:
    """Say, on standard error, which database this command is about to change.

    A command run without the production settings opens a development
    SQLite file and would say nothing: this line makes the mistake visible.
    """
    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    click.echo(_("Database: %(url)s", url=database_shown(uri)), err=True)
