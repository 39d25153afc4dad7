"""The moderation queue: the status state machine and policy, the moderator's
reply, site settings, the queue's search, and its pages."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Importing settings_views adds the settings, privacy and profile pages
    # to the queue's blueprint, and block_views "Blocca" and its "Annulla".
    from blog.moderation import block_views, settings_views, views  # noqa: F401

    app.register_blueprint(views.bp)
