"""``flask send-mail``: what the outbox holds, sent when due."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from blog.core.terminal import show_database
from blog.extensions import db
from blog.notify import mail, moderator_mail, webhooks


@click.command("send-mail")
@with_appcontext
def send_mail_command() -> None:
    """Send the mail, digests and webhooks whose time has come, retrying failed ones."""
    show_database()
    digests = moderator_mail.send_digests()
    db.session.commit()
    sent, failed = mail.deliver_due()
    hooks_sent, hooks_failed = webhooks.deliver_due()
    click.echo(f"Riepiloghi per i moderatori: {digests}")
    click.echo(f"Messaggi inviati: {sent}; non riusciti (riproverò): {failed}")
    if current_app.config["WEBHOOK_URLS"]:
        click.echo(f"Webhook inviati: {hooks_sent}; non riusciti (riproverò): {hooks_failed}")
    if failed or hooks_failed:
        sys.exit(1)


COMMANDS = (send_mail_command,)
