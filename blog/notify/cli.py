"""``flask send-mail``: what the outbox holds, sent when due."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from blog.core.i18n import lazy_gettext as _l
from blog.core.terminal import show_database
from blog.notify import delivery


@click.command(
    "send-mail",
    help=_l(
        "Send the mail, digests, webhooks and Webmentions whose time has come, retrying "
        "failed ones; verify received Webmentions."
    ),
)
@with_appcontext
def send_mail_command() -> None:
    """Send the mail, digests and webhooks whose time has come, retrying failed ones."""
    show_database()
    done = delivery.deliver_due()
    sent, failed = done.sent.get("mail", (0, 0))
    hooks_sent, hooks_failed = done.sent.get("webhooks", (0, 0))
    click.echo(_("Digests for moderators: {count}").format(count=done.digests))
    click.echo(
        _("Messages sent: {sent}; failed (to be retried): {failed}").format(
            sent=sent, failed=failed
        )
    )
    if current_app.config["WEBHOOK_URLS"]:
        click.echo(
            _("Webhooks sent: {sent}; failed (to be retried): {failed}").format(
                sent=hooks_sent, failed=hooks_failed
            )
        )
    if current_app.config["WEBMENTION_ENABLED"]:
        for name, line in (
            (
                "webmentions received",
                _("Webmentions verified: {sent}; failed (to be retried): {failed}"),
            ),
            ("webmentions sent", _("Webmentions sent: {sent}; failed (to be retried): {failed}")),
        ):
            done_sent, done_failed = done.sent.get(name, (0, 0))
            click.echo(line.format(sent=done_sent, failed=done_failed))
    if done.failed:
        sys.exit(1)


COMMANDS = (send_mail_command,)
