"""The moderation queue: the status state machine and policy, the moderator's
reply, site settings, the queue's search, and its pages."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from blog.moderation import views

    app.register_blueprint(views.bp)
