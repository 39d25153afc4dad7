"""Staff accounts at the terminal: create, list, set a password or a role, deactivate."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import pgettext

from blog import messages
from blog.accounts import staff
from blog.core.i18n import lazy_gettext as _l
from blog.core.terminal import CliError, option, show_database, typing_at_a_terminal
from blog.extensions import db
from blog.models import Moderator, Role


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
        raise CliError(_("No moderator with the username “{username}”.").format(username=username))
    return moderator


ROLE_CHOICE = click.Choice([role.value for role in Role])


@click.command(
    "create-moderator",
    help=_l(
        "Create a staff account; the password is asked for twice. The first account is an "
        "administrator."
    ),
)
@click.argument("username")
@option("--display-name", help=_l("Name shown on replies (default: USERNAME)."))
@option("--email", help=_l("Address for notifications."))
@option(
    "--role",
    type=ROLE_CHOICE,
    help=_l(
        "administrator, editor, author or moderator (default: administrator for the "
        "first account, moderator after)."
    ),
)
@with_appcontext
def create_moderator_command(
    username: str, display_name: str | None, email: str | None, role: str | None
) -> None:
    """Create a staff account; the password is asked for twice."""
    show_database()
    username = username.strip()
    if not username or len(username) > 80:
        raise CliError(_("The username must be 1 to 80 characters long."))
    if db.session.scalar(sa.select(Moderator.id).where(Moderator.username == username)):
        raise CliError(_("The moderator “{username}” already exists.").format(username=username))
    first = db.session.scalar(sa.select(Moderator.id).limit(1)) is None
    chosen = Role(role) if role else Role.ADMINISTRATOR if first else Role.MODERATOR
    moderator = Moderator(
        username=username, display_name=display_name or username, email=email, role=chosen
    )
    moderator.set_password(ask_password())
    db.session.add(moderator)
    db.session.commit()
    click.echo(_("Moderator “{username}” created.").format(username=username))
    role_name = messages.ROLE_NAMES[chosen.value]
    if first and not role:
        click.echo(_("Role: {role} (the site's first account).").format(role=role_name))
    else:
        click.echo(_("Role: {role}.").format(role=role_name))


@click.command("moderators", help=_l("List the moderator accounts."))
@with_appcontext
def list_moderators_command() -> None:
    """List the moderator accounts."""
    moderators = db.session.scalars(sa.select(Moderator).order_by(Moderator.username)).all()
    if not moderators:
        click.echo(_("No moderators. Create one with: flask create-moderator NAME"))
        return
    row = "{:<20} {:<24} {:<28} {:<15} {:<11} {}"
    click.echo(
        row.format(
            pgettext("moderators column", "username"),
            pgettext("moderators column", "display name"),
            pgettext("moderators column", "email"),
            pgettext("moderators column", "role"),
            pgettext("moderators column", "status"),
            pgettext("moderators column", "last login"),
        )
    )
    for moderator in moderators:
        last = moderator.last_login_at
        click.echo(
            row.format(
                moderator.username,
                moderator.display_name,
                moderator.email or "—",
                str(messages.ROLE_NAMES.get(moderator.role, moderator.role)),
                pgettext("moderator", "active")
                if moderator.active
                else pgettext("moderator", "deactivated"),
                last.strftime("%Y-%m-%d %H:%M") if last else pgettext("last login", "never"),
            )
        )


@click.command("set-password", help=_l("Set a moderator's password; their open sessions end."))
@click.argument("username")
@with_appcontext
def set_password_command(username: str) -> None:
    """Set a moderator's password; their open sessions end."""
    show_database()
    moderator = find_moderator(username)
    moderator.set_password(ask_password())
    db.session.commit()
    click.echo(_("Password for “{username}” updated.").format(username=username))


@click.command(
    "deactivate-moderator",
    help=_l("Deactivate a moderator; they are logged out at their next request."),
)
@click.argument("username")
@with_appcontext
def deactivate_moderator_command(username: str) -> None:
    """Deactivate a moderator; they are logged out at their next request."""
    show_database()
    moderator = find_moderator(username)
    try:
        staff.deactivate(moderator)
    except staff.StaffError as refusal:
        raise CliError(str(refusal.message)) from None
    db.session.commit()
    click.echo(_("Moderator “{username}” deactivated.").format(username=username))


@click.command(
    "set-role",
    help=_l("Give a staff account a role: administrator, editor, author or moderator."),
)
@click.argument("username")
@click.argument("role", type=ROLE_CHOICE)
@with_appcontext
def set_role_command(username: str, role: str) -> None:
    """Give a staff account a role; the last administrator keeps theirs."""
    show_database()
    account = find_moderator(username)
    try:
        staff.change_role(account, Role(role))
    except staff.StaffError as refusal:
        raise CliError(str(refusal.message)) from None
    db.session.commit()
    click.echo(
        _("“{username}” is now: {role}.").format(username=username, role=messages.ROLE_NAMES[role])
    )


COMMANDS = (
    create_moderator_command,
    list_moderators_command,
    set_password_command,
    deactivate_moderator_command,
    set_role_command,
)
