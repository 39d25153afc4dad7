"""Webmention (W3C Recommendation): replies, likes and mentions from other
sites' pages, received into the same moderation as readers' comments, and
sent to the pages an article links to. Off until ``WEBMENTION_ENABLED``.

``receiving.py`` is the endpoint, ``verifying.py`` fetches and reads a
received one later, ``sending.py`` tells linked pages of an article,
``microformats.py`` reads other sites' pages. Every request to another
site goes through the guard in blog/core/fetch.py.
"""

from __future__ import annotations

from flask import Flask, Response, request

from blog.core.urls import external_url


def check_fetch_deadline(config: dict) -> None:
    """Refuse to start when one send (two requests) could outlive its outbox lease."""
    from blog.notify.outbox import LEASE

    seconds = config["FETCH_TIMEOUT"]
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        raise RuntimeError(f"FETCH_TIMEOUT={seconds!r} must be a number of seconds")
    if 2 * seconds >= LEASE.total_seconds():
        raise RuntimeError(
            f"FETCH_TIMEOUT={seconds!r}: sending a Webmention makes two requests, which "
            f"must end within the outbox lease ({LEASE.total_seconds():.0f} s)"
        )


def endpoint_url() -> str:
    """The endpoint's absolute address, from ``SITE_URL``."""
    return external_url("webmention.receive")


def init_app(app: Flask) -> None:
    from blog import signals
    from blog.webmention import receiving, sending, verifying

    check_fetch_deadline(app.config)
    app.register_blueprint(receiving.bp)
    signals.article_published.connect(sending.queue_article)
    signals.article_updated.connect(sending.queue_article)

    @app.after_request
    def advertise_endpoint(response: Response) -> Response:
        """Name the endpoint in a ``Link`` header on article pages, which the
        page servers keep with the rest of the page's headers."""
        if app.config["WEBMENTION_ENABLED"] and request.endpoint == "reader.article":
            response.headers.add("Link", f'<{endpoint_url()}>; rel="webmention"')
        return response

    @app.context_processor
    def webmention_helpers() -> dict[str, object]:
        return {"webmention_endpoint": endpoint_url, "webmention_likes": verifying.article_likes}
