"""Absolute URLs, from ``SITE_URL`` alone.

A request's ``Host`` header is written by whoever sends the request: an
absolute URL built from it (a link in mail, a feed's ids, an export) would
let a stranger choose where a moderator's one-click link points. Every
absolute URL the blog writes comes from here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app

from blog.core.i18n import lazy_gettext as _l

#: Host names a development server answers to when ``SITE_URL`` is not set.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def site_parts(site_url: str) -> tuple[str, str, str]:
    """Split ``SITE_URL`` into scheme, host[:port] and path; refuse what is not one."""
    parts = urlsplit(site_url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(
            _l("SITE_URL=%(url)s: it needs an http(s)://host[/path] address", url=repr(site_url))
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(
            _l("SITE_URL=%(url)s: only a scheme, host, port and path", url=repr(site_url))
        )
    return parts.scheme, parts.netloc, parts.path.rstrip("/") or "/"


def trusted_hosts(site_url: str | None, extra: list[str]) -> list[str]:
    """The host names requests may carry: ``SITE_URL``'s, plus configured extras."""
    hostname = urlsplit(site_url.strip()).hostname if site_url else None
    if not hostname or hostname in LOOPBACK_HOSTS:
        # A site on this machine answers to any of its loopback names.
        return [*LOOPBACK_HOSTS, *extra]
    return [hostname, *extra]


def external_url(endpoint: str, *, anchor: str | None = None, **values: Any) -> str:
    """The absolute URL of ``endpoint`` under ``SITE_URL``, whatever the request says."""
    return build_external_url(current_app, endpoint, anchor=anchor, **values)


def build_external_url(
    app: Flask, endpoint: str, *, anchor: str | None = None, **values: Any
) -> str:
    """:func:`external_url` for a given app, in or out of a request."""
    scheme, netloc, path = site_parts(app.config["SITE_URL"])
    adapter = app.url_map.bind(netloc, script_name=path, url_scheme=scheme)
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{anchor}" if anchor else url
