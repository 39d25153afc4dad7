"""What readers see: the article list and page, the comment POST and readers'
actions, feeds, and what search engines read."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Importing actions, archives and own_comments adds their routes to views.bp.
    from blog.reader import actions, archives, feeds, own_comments, seo, views  # noqa: F401

    app.register_blueprint(feeds.bp)
    app.register_blueprint(views.bp)
    seo.register(app)
