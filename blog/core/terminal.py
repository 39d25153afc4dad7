"""Helpers every ``flask`` command shares: errors in the site's language,
questions, translated option help, safe printing."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import IO, Any

import click
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from blog import messages


class CliError(click.ClickException):
    """A command's error, in the site's language: Click's own prefix is English ("Error:").

    Worded when raised: Click shows it once the command's app context is gone.
    """

    def __init__(self, message: str) -> None:
        super().__init__(str(message))
        self.shown = messages.CLI_ERROR.format(message=self.message)

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.shown, file=file, err=file is None)


class TranslatedOption(click.Option):
    """An option whose help is translated each time ``--help`` shows it.

    Click's own option turns its help into a plain ``str`` when the module is
    imported (``inspect.cleandoc``), which would fix the language then; and
    it needs a real ``str`` when it lays the help out.
    """

    def __init__(self, *args: Any, help: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sentence = help

    @property
    def help(self) -> str | None:
        return None if self._sentence is None else str(self._sentence)

    @help.setter
    def help(self, sentence: str | None) -> None:
        self._sentence = sentence


def option(*param_decls: str, **attrs: Any) -> Callable[[Any], Any]:
    """``click.option``, with its help (a lazy sentence) translated when shown."""
    return click.option(*param_decls, cls=TranslatedOption, **attrs)


def typing_at_a_terminal() -> bool:
    """Tell whether a person types the answers (rather than a pipe giving them)."""
    return sys.stdin.isatty()


def confirm_or_stop(question: str) -> None:
    """Ask yes or no; stop the command, saying so in the site's language, on no."""
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
