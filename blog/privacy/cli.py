"""Personal data at the terminal: export, erase, and ``flask purge`` for what is past its time."""

from __future__ import annotations

from typing import TextIO

import click
from flask import current_app
from flask.cli import with_appcontext

from blog.accounts import auth
from blog.comments import likes
from blog.core.terminal import confirm_or_stop, show_database
from blog.extensions import db
from blog.moderation import workflow
from blog.notify import outbox
from blog.privacy import personal_data


@click.command("privacy-export")
@click.argument("email")
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Il file JSON da scrivere (predefinito: lo standard output).",
)
@with_appcontext
def privacy_export_command(email: str, output: TextIO) -> None:
    """Write a JSON of every comment and personal field stored for EMAIL."""
    data = personal_data.export(email)
    output.write(personal_data.as_json(data))
    click.echo(f"Commenti esportati per {email}: {len(data['comments'])}", err=True)


@click.command("privacy-erase")
@click.argument("email")
@click.option("--delete", is_flag=True, help="Elimina i commenti invece di anonimizzarli.")
@click.option("--yes", is_flag=True, help="Non chiedere conferma.")
@with_appcontext
def privacy_erase_command(email: str, delete: bool, yes: bool) -> None:
    """Anonymise (or delete) every comment stored for EMAIL, as WordPress does."""
    show_database()
    count = len(personal_data.comments_of(email))
    if not count:
        click.echo(f"Nessun commento con l'email {email}.")
        return
    verb = "eliminare" if delete else "anonimizzare"
    if not yes:
        confirm_or_stop(f"{count} commenti di {email}: {verb}?")
    erased = personal_data.erase(email, delete=delete)
    db.session.commit()
    done = "eliminati" if delete else "anonimizzati"
    click.echo(f"Commenti {done}: {erased.comments}")


@click.command("purge")
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
    expired = workflow.delete_expired(trash_days)
    cleared = personal_data.purge_addresses(days)
    likes_gone = likes.purge_likes(days)
    outbox_gone = outbox.purge(mail_days)
    unconfirmed = personal_data.purge_unconfirmed(mail_days)
    sessions = auth.delete_expired_sessions()
    db.session.commit()
    if trash_days:
        click.echo(
            f"Commenti nello spam e nel cestino da più di {trash_days} giorni eliminati: {expired}"
        )
    click.echo(
        f"Indirizzi IP e browser cancellati da {cleared} commenti (più vecchi di {days} giorni)."
    )
    click.echo(
        f"Mi piace più vecchi di {days} giorni dimenticati (il conteggio resta): {likes_gone}"
    )
    click.echo(f"Email e webhook più vecchi di {mail_days} giorni eliminati: {outbox_gone}")
    click.echo(f"Indirizzi mai confermati eliminati: {unconfirmed}")
    click.echo(f"Sessioni dei moderatori scadute eliminate: {sessions}")


COMMANDS = (
    privacy_export_command,
    privacy_erase_command,
    purge_command,
)
