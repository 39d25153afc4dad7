"""Images: the upload use case (checked, re-encoded, sized), their files and
how they are served, the media page, and the ``<figure>`` pages show."""

from __future__ import annotations

from flask import Flask

from blog.accounts.roles import Capability, can
from blog.media import serving, views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(serving.bp)

    @app.context_processor
    def media_link() -> dict[str, bool]:
        """Whether the staff menu shows "Media"."""
        return {"can_upload_media": can(Capability.WRITE_ARTICLES)}
