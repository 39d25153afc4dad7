"""Serving: the page server before Flask, HTTP caching, security headers,
errors, health, request logging and the templates' shared filters."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from blog.core.http import apply_body_limit, refuse_nul_in_url, setup_request_logging
from blog.web import errors, health, http_cache, security, templates
from blog.web.page_server import ArticlePageServer


def init_request_checks(app: Flask) -> None:
    """Checks that must run before every other ``before_request``."""
    app.before_request(apply_body_limit)
    app.before_request(refuse_nul_in_url)
    security.register_cross_origin_check(app)


def init_app(app: Flask) -> None:
    app.register_blueprint(health.bp)
    errors.register(app)
    security.register(app)
    http_cache.register(app)
    setup_request_logging(app)
    templates.init_app(app)


def init_server(app: Flask) -> None:
    """Wrap the WSGI app: the page server, then the proxy headers outside it."""
    page_server = ArticlePageServer(app, app.wsgi_app)
    app.extensions["page_server"] = page_server
    # Flask's documented way to add middleware; mypy sees a method replaced.
    app.wsgi_app = page_server  # type: ignore[method-assign]
    trust_proxies(app)


def trust_proxies(app: Flask) -> None:
    """Read the client address from X-Forwarded-For only behind known proxies."""
    x_for = int(app.config["PROXY_FIX_X_FOR"])
    x_proto = int(app.config["PROXY_FIX_X_PROTO"])
    if x_for or x_proto:
        # Flask's documented way to add middleware; mypy sees a method replaced.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=x_for, x_proto=x_proto)  # type: ignore[method-assign]
