"""Every side effect: the outbox and its delivery, SMTP, moderators' mail,
readers' subscriptions, webhooks, and the pages behind mail links.

``init_app`` is the one place that wires them: the receivers of what the
domain announces (blog/signals.py), the delivery loop after each request
that queued something (blog/notify/delivery.py, with the app's one
background sender), and ``flask send-mail``. It refuses to start when a
send's deadline is not shorter than the outbox's lease.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from blog import signals
    from blog.notify import (
        cli,
        delivery,
        mail,
        mail_links,
        moderator_mail,
        outbox,
        staff_mail,
        subscriptions,
        webhooks,
    )

    outbox.check_deadlines(app.config)
    app.extensions[delivery.SENDER_KEY] = delivery.BackgroundSender(app)
    app.register_blueprint(mail_links.bp)
    app.add_template_filter(mail.one_line, "one_line")
    # What a new comment, an approval and a change of status set off, in this
    # order: the receivers run inside the change's transaction (see delivery.py).
    signals.comment_stored.connect(moderator_mail.comment_stored)
    signals.comment_stored.connect(subscriptions.comment_stored)
    signals.comment_approved.connect(subscriptions.comment_approved)
    signals.comment_stored.connect(webhooks.comment_stored)
    signals.comment_status_changed.connect(webhooks.comment_status_changed)
    signals.comment_edited.connect(moderator_mail.comment_edited)
    signals.comment_edited.connect(webhooks.comment_edited)
    signals.comment_reported.connect(moderator_mail.comment_reported)
    signals.staff_invited.connect(staff_mail.staff_invited)
    signals.password_reset_requested.connect(staff_mail.password_reset_requested)

    @app.teardown_request
    def deliver_queued(error: BaseException | None) -> None:
        delivery.deliver_after_request(app, error)

    for command in cli.COMMANDS:
        app.cli.add_command(command)
