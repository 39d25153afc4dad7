"""Error pages in the reader's language; no traceback ever reaches a reader."""

from __future__ import annotations

from flask import Flask, Response, current_app, render_template, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from blog import messages
from blog.core.http import request_id
from blog.extensions import db
from blog.web.security import CrossOriginRequest


def render_error(code: int, detail: str | None = None) -> tuple[str, int]:
    """Render the error page for ``code``."""
    title, explanation = messages.ERRORS.get(code, messages.ERRORS[400 if code < 500 else 500])
    return (
        render_template(
            "errors/error.html",
            code=code,
            title=title,
            explanation=detail or explanation,
            request_id=request_id() if code >= 500 else None,
        ),
        code,
    )


def handle_http_error(error: HTTPException) -> HTTPException | tuple[str, int]:
    """Answer any HTTP error with its page."""
    if error.code is None or error.code < 400:
        return error
    if error.code >= 500:
        db.session.rollback()
    if isinstance(error, SecurityError):
        # A Host we don't serve: no URL can be built for it, so the page
        # stands alone, without the site's layout.
        return render_template("errors/untrusted_host.html"), 400
    return render_error(error.code)


def handle_csrf_error(error: CSRFError) -> tuple[str, int]:
    """A missing or stale form token: explain how to recover."""
    return render_error(400, messages.CSRF_FAILED)


def handle_cross_origin(error: CrossOriginRequest) -> tuple[str, int]:
    """A form sent from another site's page: refused, and said why."""
    return render_error(403, messages.CROSS_ORIGIN)


def handle_rate_limit(error: RateLimitExceeded) -> Response | tuple[str, int]:
    """Over a rate limit: the limit's own answer (a comment keeps its typed
    text, see ``reader.comment_rate_limited``), else the 429 page."""
    if isinstance(error.response, Response):
        return error.response
    return render_error(429)


def handle_unexpected_error(error: Exception) -> tuple[str, int]:
    """Roll back, log the failure, and show the generic 500 page."""
    db.session.rollback()
    cause: BaseException = error
    if isinstance(error, InternalServerError) and error.original_exception is not None:
        cause = error.original_exception
    current_app.logger.error(
        "Unhandled error on %s %s", request.method, request.path, exc_info=cause
    )
    return render_error(500)


def register(app: Flask) -> None:
    """Install the error handlers on ``app``."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(CrossOriginRequest, handle_cross_origin)
    app.register_error_handler(RateLimitExceeded, handle_rate_limit)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)
