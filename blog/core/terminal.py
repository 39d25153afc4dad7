"""Helpers every ``flask`` command shares: errors in Italian, questions, safe printing."""

from __future__ import annotations

import sys
from typing import IO, Any

import click

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
