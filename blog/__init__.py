"""A comment-enabled blog: articles, moderated comments and their moderators.

``create_app`` reads as the application's table of contents: the settings,
the extensions, then each area of ``blog/``, which wires its own blueprint,
signal receivers and ``flask`` commands in its ``init_app``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from blog import (
    accounts,
    articles,
    comments,
    media,
    moderation,
    notify,
    ops,
    porting,
    privacy,
    reader,
    spam,
    web,
    webmention,
)
from blog.articles.search_index import include_object
from blog.config import load_config
from blog.core import i18n
from blog.core.database import engine_options
from blog.core.http import BlogRequest, IdConverter
from blog.extensions import csrf, db, limiter, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application; ``test_config`` replaces the environment."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.request_class = BlogRequest
    app.url_map.converters["int"] = IdConverter
    load_config(app, test_config)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app)

    db.init_app(app)
    # The search indexes are kept by blog/moderation/search.py and
    # blog/articles/search_index.py, not by the models.
    migrate.init_app(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        include_object=include_object,
    )
    # Before Flask-WTF's token check: the cross-origin check answers first.
    web.init_request_checks(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)

    for area in (
        web,
        accounts,
        moderation,
        notify,
        reader,
        comments,
        media,
        spam,
        porting,
        privacy,
        ops,
        webmention,
    ):
        area.init_app(app)
    articles.init_app(app)
    web.init_server(app)
    return app
