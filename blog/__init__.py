"""A comment-enabled blog: articles, moderated comments and their moderators."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from werkzeug.middleware.proxy_fix import ProxyFix

from blog import (
    akismet_check,
    auth,
    avatars,
    bayes,
    cli,
    dates,
    errors,
    feeds,
    health,
    http_cache,
    links,
    mail,
    mail_links,
    messages,
    moderation_views,
    notifications,
    reader,
    search,
    security,
    seo,
    spam,
    subscriptions,
    webhooks,
)
from blog.config import load_config
from blog.database import engine_options
from blog.extensions import csrf, db, limiter, login_manager, migrate
from blog.http import BlogRequest, IdConverter, refuse_nul_in_url, setup_request_logging
from blog.page_server import ArticlePageServer
from blog.thread_cache import ThreadCache

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SharedTemplateCode(BytecodeCache):
    """Compiled templates kept for every app this process builds.

    Jinja compiles a template once per environment, and each app has its
    own: a process that builds many apps (the test suite builds one per
    test) compiled the article page again each time, about 0.1 s. Jinja
    checks each entry against the template's source, so an edited template
    is compiled again.
    """

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = SharedTemplateCode()


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
    # A SPAM_* setting the filter's arithmetic cannot use stops the start.
    bayes.FilterSettings.from_config(app.config)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app)

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        # The search index is kept by blog/search.py, not by the models.
        include_object=search.include_object,
    )
    app.before_request(refuse_nul_in_url)
    security.register_cross_origin_check(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)

    app.extensions["thread_cache"] = ThreadCache(app.config["COMMENT_CACHE_ENTRIES"])
    page_server = ArticlePageServer(app, app.wsgi_app)
    app.extensions["page_server"] = page_server
    # Flask's documented way to add middleware; mypy sees a method replaced.
    app.wsgi_app = page_server  # type: ignore[method-assign]
    trust_proxies(app)

    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(moderation_views.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(mail_links.bp)
    app.register_blueprint(reader.bp)
    errors.register(app)
    security.register(app)
    seo.register(app)
    http_cache.register(app)
    mail.register(app)
    notifications.register(app)
    subscriptions.register(app)
    webhooks.register(app)
    akismet_check.register(app)
    setup_request_logging(app)
    cli.register(app)
    register_template_filters(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Read the client address from X-Forwarded-For only behind known proxies."""
    x_for = int(app.config["PROXY_FIX_X_FOR"])
    x_proto = int(app.config["PROXY_FIX_X_PROTO"])
    if x_for or x_proto:
        # Flask's documented way to add middleware; mypy sees a method replaced.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=x_for, x_proto=x_proto)  # type: ignore[method-assign]


def register_template_filters(app: Flask) -> None:
    """Date filters that templates use, in the configured time zone, and Italian decimals."""
    timezone = app.config["TIMEZONE"]
    app.add_template_filter(lambda moment: dates.italian_date(moment, timezone), "it_date")
    app.add_template_filter(lambda moment: dates.italian_datetime(moment, timezone), "it_datetime")
    app.add_template_filter(dates.iso_datetime, "iso")
    app.add_template_filter(bayes.decimal_comma, "decimal")
    app.add_template_filter(spam.plain_text, "plain_text")
    app.jinja_env.globals["messages"] = messages
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    app.jinja_env.globals["comment_link"] = links.comment_link
    app.jinja_env.globals["avatar"] = lambda name, email: avatars.avatar_svg(
        name, email, app.config["SECRET_KEY"]
    )
