"""Every side effect: the outbox and its delivery, SMTP, moderators' mail,
readers' subscriptions, webhooks, and the pages behind mail links."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from blog.notify import cli, mail, mail_links, moderator_mail, subscriptions, webhooks

    app.register_blueprint(mail_links.bp)
    mail.register(app)
    moderator_mail.register(app)
    subscriptions.register(app)
    webhooks.register(app)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
