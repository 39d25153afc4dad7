"""Personal data at the terminal: export, erase, and ``flask purge`` for what is past its time."""

from __future__ import annotations

from typing import TextIO

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from blog.accounts import auth
from blog.comments import likes
from blog.core.i18n import lazy_gettext as _l
from blog.core.terminal import confirm_or_stop, option, show_database
from blog.extensions import db
from blog.moderation import emptying
from blog.notify import outbox
from blog.privacy import personal_data


@click.command(
    "privacy-export",
    help=_l("Write a JSON of every comment and personal field stored for EMAIL."),
)
@click.argument("email")
@option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help=_l("The JSON file to write (default: standard output)."),
)
@with_appcontext
def privacy_export_command(email: str, output: TextIO) -> None:
    """Write a JSON of every comment and personal field stored for EMAIL."""
    data = personal_data.export(email)
    output.write(personal_data.as_json(data))
    click.echo(
        _("Comments exported for {email}: {count}").format(
            email=email, count=len(data["comments"])
        ),
        err=True,
    )


@click.command(
    "privacy-erase",
    help=_l("Anonymise (or delete) every comment stored for EMAIL, as WordPress does."),
)
@click.argument("email")
@option("--delete", is_flag=True, help=_l("Delete the comments instead of anonymising them."))
@option("--yes", is_flag=True, help=_l("Do not ask for confirmation."))
@with_appcontext
def privacy_erase_command(email: str, delete: bool, yes: bool) -> None:
    """Anonymise (or delete) every comment stored for EMAIL, as WordPress does."""
    show_database()
    count = len(personal_data.comments_of(email))
    if not count:
        click.echo(_("No comments with the email {email}.").format(email=email))
        return
    if not yes:
        confirm_or_stop(erase_question(count, email, delete))
    erased = personal_data.erase(email, delete=delete)
    db.session.commit()
    done = _("Comments deleted: {count}") if delete else _("Comments anonymised: {count}")
    click.echo(done.format(count=erased.comments))


def erase_question(count: int, email: str, delete: bool) -> str:
    """Ask before erasing the comments of ``email``."""
    if delete:
        question = ngettext(
            "Delete the {count} comment of {email}?",
            "Delete the {count} comments of {email}?",
            count,
        )
    else:
        question = ngettext(
            "Anonymise the {count} comment of {email}?",
            "Anonymise the {count} comments of {email}?",
            count,
        )
    return question.format(count=count, email=email)


@click.command(
    "purge",
    help=_l(
        "Delete what is past its time: Spam and Trash comments (EMPTY_TRASH_DAYS), IP "
        "addresses, browsers and the likes' keyed hashes (COMMENT_IP_RETENTION_DAYS), mail "
        "and webhooks, unconfirmed addresses (MAIL_RETENTION_DAYS), expired logins."
    ),
)
@with_appcontext
def purge_command() -> None:
    """Delete what is past its time: Spam and Cestino comments (EMPTY_TRASH_DAYS),
    IP addresses, browsers and the likes' keyed hashes (COMMENT_IP_RETENTION_DAYS),
    mail and webhooks,
    unconfirmed addresses (MAIL_RETENTION_DAYS), expired logins."""
    show_database()
    days = current_app.config["COMMENT_IP_RETENTION_DAYS"]
    mail_days = current_app.config["MAIL_RETENTION_DAYS"]
    trash_days = current_app.config["EMPTY_TRASH_DAYS"]
    expired = emptying.delete_expired(trash_days)
    cleared = personal_data.purge_addresses(days)
    likes_gone = likes.purge_likes(days)
    outbox_gone = outbox.purge(mail_days)
    unconfirmed = personal_data.purge_unconfirmed(mail_days)
    sessions = auth.delete_expired_sessions()
    db.session.commit()
    if trash_days:
        emptied = ngettext(
            "Comments in spam and in the trash for more than {days} day deleted: {count}",
            "Comments in spam and in the trash for more than {days} days deleted: {count}",
            trash_days,
        )
        click.echo(emptied.format(days=trash_days, count=expired))
    older = ngettext("older than {days} day", "older than {days} days", days)
    addresses = ngettext(
        "IP addresses and browsers cleared from {count} comment ({older}).",
        "IP addresses and browsers cleared from {count} comments ({older}).",
        cleared,
    )
    click.echo(addresses.format(count=cleared, older=older.format(days=days)))
    forgotten = ngettext(
        "Likes older than {days} day forgotten (the count stays): {count}",
        "Likes older than {days} days forgotten (the count stays): {count}",
        days,
    )
    click.echo(forgotten.format(days=days, count=likes_gone))
    sent = ngettext(
        "Mail and webhooks older than {days} day deleted: {count}",
        "Mail and webhooks older than {days} days deleted: {count}",
        mail_days,
    )
    click.echo(sent.format(days=mail_days, count=outbox_gone))
    click.echo(_("Unconfirmed addresses deleted: {count}").format(count=unconfirmed))
    click.echo(_("Expired moderator sessions deleted: {count}").format(count=sessions))


COMMANDS = (
    privacy_export_command,
    privacy_erase_command,
    purge_command,
)
