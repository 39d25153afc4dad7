"""Security headers on every response, and the cross-origin check on every unsafe request."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import Forbidden

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
#: Nothing here needs a camera, a microphone, a location or the like.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "camera",
        "microphone",
        "geolocation",
        "payment",
        "usb",
        "interest-cohort",
        "browsing-topics",
    )
)
HSTS = "max-age=31536000; includeSubDomains"


def add_security_headers(response: Response) -> Response:
    """Set CSP and friends; HSTS only when the site is served over https."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config["PREFERRED_URL_SCHEME"] == "https":
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


class CrossOriginRequest(Forbidden):
    """An unsafe request a browser sent from another site's page."""


#: Methods that change state; GET and HEAD never do.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def trusted_origins(config: dict) -> frozenset[str]:
    """``SITE_URL``'s origin and those of ``TRUSTED_ORIGINS``, as browsers write them."""
    origins = set()
    for url in (config["SITE_URL"], *config.get("TRUSTED_ORIGINS", ())):
        parts = urlsplit(url)
        if parts.scheme and parts.netloc:
            origins.add(f"{parts.scheme}://{parts.netloc}".lower())
    return frozenset(origins)


def is_cross_origin(method: str, fetch_site: str | None, origin: str | None, host: str) -> bool:
    """Tell whether a browser sent this unsafe request from another site.

    The Fetch Metadata check of Go's ``http.CrossOriginProtection``: a
    browser says where a request comes from in ``Sec-Fetch-Site``; without
    it (an older browser) the ``Origin`` must name this site; a request with
    neither comes from no browser's page and carries no one's cookies by
    accident. An origin in ``TRUSTED_ORIGINS`` is always allowed.
    """
    if method not in UNSAFE_METHODS:
        return False
    if origin and origin.lower() in trusted_origins(current_app.config):
        return False
    if fetch_site:
        return fetch_site not in {"same-origin", "none"}
    if origin:
        try:
            origin_host = urlsplit(origin).netloc
        except ValueError:  # not an origin at all (e.g. "http://["): no browser sent it
            return True
        return origin_host.lower() != host.lower()
    return False


def refuse_cross_origin_requests() -> None:
    """Before any view: a cross-site POST gets the 403 page and does nothing."""
    if is_cross_origin(
        request.method,
        request.headers.get("Sec-Fetch-Site"),
        request.headers.get("Origin"),
        request.host,
    ):
        raise CrossOriginRequest()


def register_cross_origin_check(app: Flask) -> None:
    """Install the check; before Flask-WTF's, so that it answers first."""
    app.before_request(refuse_cross_origin_requests)


def register(app: Flask) -> None:
    app.after_request(add_security_headers)
