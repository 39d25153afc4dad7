"""What readers see: the article list and page, the comment POST and readers'
actions, feeds, and what search engines read."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from blog.reader import feeds, seo, views

    app.register_blueprint(feeds.bp)
    app.register_blueprint(views.bp)
    seo.register(app)
