"""``flask send-mail``: what the outbox holds, sent when due."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from blog.notify import delivery


@click.command("send-mail")
@with_appcontext
def send_mail_command() -> None:
    """Send the mail, digests and webhooks whose time has come, retrying failed ones."""
    done = delivery.deliver_due()
    sent, failed = done.sent.get("mail", (0, 0))
    hooks_sent, hooks_failed = done.sent.get("webhooks", (0, 0))
    click.echo(f"Riepiloghi per i moderatori: {done.digests}")
    click.echo(f"Messaggi inviati: {sent}; non riusciti (riproverò): {failed}")
    if current_app.config["WEBHOOK_URLS"]:
        click.echo(f"Webhook inviati: {hooks_sent}; non riusciti (riproverò): {hooks_failed}")
    if done.failed:
        sys.exit(1)


COMMANDS = (send_mail_command,)
