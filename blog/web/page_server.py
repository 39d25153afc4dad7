"""Article pages for anonymous readers, served from memory before Flask.

Most of the traffic is people reading an article with no cookie of ours.
Their page is the same for all of them (it carries no CSRF token and sets
no cookie), so each worker keeps the whole response Flask rendered for
them, headers included, and serves it again:

* while the article's ``comment_version``, read from the database on every
  view (one indexed query), is the one it was rendered at, so a change made
  through any worker or host shows on the very next view;
* for at most ``PAGE_CACHE_SECONDS``, since the page holds the comment
  form's signed time (the time trap) and what changes with the clock alone
  (comments closing with age).

A conditional GET is answered with a 304 by the rules of
``blog/web/http_cache.py``. Anything else goes to Flask: other methods and
query strings, paths that are not the article route (``/feed/``,
``/moderation/`` and the app's other own first segments), hosts we don't
serve, and any request that carries a cookie of ours (a remembered
commenter, a moderator, a reader with comments of their own waiting).
Nothing here builds a token or a cookie: Flask made the response.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, cast

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine.interfaces import DBAPIConnection
from werkzeug.exceptions import SecurityError
from werkzeug.http import parse_cookie
from werkzeug.wsgi import get_host

from blog.core.slugs import SLUG, reserved_slugs
from blog.extensions import db
from blog.models import Article, utcnow
from blog.web.http_cache import (
    PageShown,
    article_copy_is_fresh,
    has_personal_cookies,
    parse_article_etag,
)

ARTICLE_PATH = re.compile(f"/({SLUG.pattern})/")
#: The queries of an article's comment pages: ``cpage`` and ``corder``, in
#: either order; any other query (``?replytocom=``, an unknown order) goes to Flask.
_CPAGE = r"cpage=([1-9][0-9]{0,5})"
_CORDER = r"corder=(oldest|newest|best)"
PAGE_QUERY = re.compile(f"(?:{_CPAGE}(?:&{_CORDER})?|{_CORDER}(?:&{_CPAGE})?)?")
#: Headers that are each response's own, never copied from the stored one.
OWN_HEADERS = frozenset({"content-length", "x-request-id", "date"})
#: Headers a 304 repeats from the full response (RFC 9110, 15.4.5).
NOT_MODIFIED_HEADERS = frozenset({"cache-control", "etag", "vary", "expires"})
#: Distinct Host headers whose check is remembered: a worker serves a few
#: names, and a stranger sending many others must not grow the memory.
TRUSTED_HOST_MEMORY = 64


StartResponse = Callable[..., Any]
PageKey = tuple[str, int | None, str | None]


@dataclass(frozen=True)
class Entry:
    """A whole response Flask rendered for anonymous readers.

    The header lists of its 200 and its 304 are made once, here, not on
    every view: only the request id is added per response.
    """

    version: int
    rendered_at: float
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str
    #: What the ETag says the page shows, for conditional GETs.
    shows: PageShown | None
    full_headers: tuple[tuple[str, str], ...]
    not_modified_headers: tuple[tuple[str, str], ...]


class ArticlePageServer:
    """WSGI middleware in front of the Flask app; see the module's docstring."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        config = app.config
        self.max_age = float(config["PAGE_CACHE_SECONDS"])
        self.max_entries = int(config["PAGE_CACHE_ENTRIES"])
        #: By slug, page and order as the query named them (None: not named).
        self._entries: dict[PageKey, Entry] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.lookups = 0
        self._local = threading.local()
        self._trusted_hosts: set[tuple[Any, ...]] = set()

    @property
    def size(self) -> int:
        """How many pages are kept."""
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not self.max_age or environ.get("REQUEST_METHOD") != "GET":
            return self.wsgi_app(environ, start_response)
        path = ARTICLE_PATH.fullmatch(environ.get("PATH_INFO", ""))
        query = PAGE_QUERY.fullmatch(environ.get("QUERY_STRING", ""))
        if (
            path is None
            or query is None
            or path.group(1) in self._reserved
            or not self._host_is_trusted(environ)
            or self._carries_personal_cookies(environ)
        ):
            return self.wsgi_app(environ, start_response)
        page = query.group(1) or query.group(4)
        key = (path.group(1), int(page) if page else None, query.group(2) or query.group(3))
        try:
            entry = self._entry(key, environ)
        except (sa.exc.SQLAlchemyError, self._driver_error):
            entry = None  # Flask answers, with the right error page if need be
        if entry is None:
            return self.wsgi_app(environ, start_response)
        return self._serve(entry, environ, start_response)

    def _host_is_trusted(self, environ: dict[str, Any]) -> bool:
        """Leave a request for a host we don't serve to Flask, which refuses it.

        Werkzeug's check (IDNA encoding each name) costs more than the rest
        of a served page, so a worker remembers the few Host values it has
        found trusted; an untrusted one goes to Flask every time.
        """
        key = (
            environ.get("wsgi.url_scheme"),
            environ.get("HTTP_HOST"),
            environ.get("SERVER_NAME"),
            environ.get("SERVER_PORT"),
        )
        if key in self._trusted_hosts:
            return True
        try:
            get_host(environ, self.app.config["TRUSTED_HOSTS"])
        except SecurityError:
            return False
        if len(self._trusted_hosts) < TRUSTED_HOST_MEMORY:
            self._trusted_hosts.add(key)
        return True

    def _carries_personal_cookies(self, environ: dict[str, Any]) -> bool:
        cookie_header = environ.get("HTTP_COOKIE")
        if not cookie_header:
            return False
        try:
            cookies = parse_cookie(cookie_header)
        except ValueError:  # bytes that are no UTF-8: Flask answers, as for any request
            return True
        return has_personal_cookies(cookies, self.app.config)

    # The cache.

    def _entry(self, key: PageKey, environ: dict[str, Any]) -> Entry | None:
        found = self._current_article(key[0])
        if found is None:
            return None
        _, version = found
        entry = self._entries.get(key)
        if (
            entry is not None
            and entry.version == version
            and time.monotonic() - entry.rendered_at < self.max_age
        ):
            self.hits += 1
            return entry
        # The version was read before rendering: a change that lands in
        # between is caught by the next view, never hidden under a new number.
        entry = self._render(environ, version)
        if entry is not None:
            with self._lock:
                self._entries[key] = entry
                while len(self._entries) > self.max_entries:
                    del self._entries[next(iter(self._entries))]
        return entry

    def _current_article(self, slug: str) -> tuple[int, int] | None:
        """The public article's id and version: one indexed query, on every view.

        It runs on a driver connection this thread keeps for the purpose, in
        autocommit mode: SQLAlchemy's statement execution and a pool
        checkout would cost more than the rest of the page. A connection
        that fails is thrown away, and the next view opens a new one.
        ``lookups`` counts these queries for the query-count tests.
        """
        sql, parameters = self._lookup
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._driver_cursor()
        try:
            cursor.execute(sql, parameters(slug, utcnow()))
            row = cursor.fetchone()
        except Exception:
            self._local.cursor = None
            self._local.connection.invalidate()
            raise
        self.lookups += 1
        return (row[0], row[1] or 0) if row else None

    def _driver_cursor(self) -> Any:
        """A driver cursor kept by this thread, on a connection of its own."""
        connection = self._engine.raw_connection()
        # Typed optional for an invalidated connection; a fresh checkout has one.
        dbapi = cast(DBAPIConnection, connection.dbapi_connection)
        if not isinstance(dbapi, sqlite3.Connection):
            # psycopg: out of whatever transaction the pool's ping began,
            # then autocommit, so that this connection never sits in a
            # transaction holding locks (a schema change would wait).
            try:
                dbapi.rollback()
                dbapi.autocommit = True
            except Exception:
                connection.invalidate()
                raise
        self._local.connection = connection
        self._local.cursor = dbapi.cursor()
        return self._local.cursor

    @cached_property
    def _reserved(self) -> frozenset[str]:
        """Paths like ``/feed/`` belong to other views, never to an article.

        Read on the first request: blueprints are registered after this
        middleware is made.
        """
        return reserved_slugs(self.app.url_map)

    @cached_property
    def _engine(self) -> sa.Engine:
        with self.app.app_context():
            return db.engine

    @cached_property
    def _driver_error(self) -> type[Exception]:
        """What the configured driver raises (psycopg is imported only if used)."""
        return self._engine.dialect.loaded_dbapi.Error

    @cached_property
    def _lookup(self) -> tuple[str, Callable[[str, datetime], Any]]:
        """The lookup's SQL, and what makes its driver parameters from a slug and a time.

        Only a public article (:meth:`Article.public`: published, its time
        come, not in the bin) is found: a draft, a scheduled article before
        its time and one in the bin go to Flask, which answers 404 to
        readers, and nothing of theirs is ever kept here. The time is this
        moment's, so a scheduled article is served from its time on.
        """
        dialect = self._engine.dialect
        compiled = (
            sa.select(Article.id, Article.comment_version)
            .where(Article.slug == sa.bindparam("slug"), Article.public(sa.bindparam("now")))
            .compile(dialect=dialect)
        )
        fixed = compiled.construct_params({"slug": "", "now": None})
        # The dialect's own conversion (SQLite keeps times as text).
        processors = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in compiled.binds.items()
        }
        names = list(compiled.positiontup or []) if compiled.positional else list(fixed)

        def parameters(slug: str, now: datetime) -> Any:
            values = {**fixed, "slug": slug, "now": now}
            driver = {
                name: processor(values[name]) if (processor := processors[name]) else values[name]
                for name in names
            }
            return tuple(driver.values()) if compiled.positional else driver

        return compiled.string, parameters

    def _render(self, environ: dict[str, Any], version: int) -> Entry | None:
        """Have Flask render the page in full; keep it if Flask made it public."""
        inner = {
            key: value
            for key, value in environ.items()
            if key not in ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")
        }
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        chunks = self.wsgi_app(inner, capture)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        headers = {name.lower(): value for name, value in captured.get("headers", [])}
        if (
            not captured.get("status", "").startswith("200")
            or not headers.get("cache-control", "").startswith("public")
            or "set-cookie" in headers
            or "etag" not in headers
        ):
            return None
        kept = tuple(
            (name, value) for name, value in captured["headers"] if name.lower() not in OWN_HEADERS
        )
        return Entry(
            version=version,
            rendered_at=time.monotonic(),
            status=captured["status"],
            headers=kept,
            body=body,
            etag=headers["etag"],
            shows=parse_article_etag(headers["etag"]),
            full_headers=(*kept, ("Content-Length", str(len(body)))),
            not_modified_headers=tuple(
                (name, value) for name, value in kept if name.lower() in NOT_MODIFIED_HEADERS
            ),
        )

    def _serve(
        self, entry: Entry, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        request_id = ("X-Request-ID", os.urandom(16).hex())
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if (
            if_none_match
            and entry.shows is not None
            and article_copy_is_fresh(if_none_match, entry.shows, self.app.config)
        ):
            start_response("304 NOT MODIFIED", [*entry.not_modified_headers, request_id])
            return []
        start_response(entry.status, [*entry.full_headers, request_id])
        return [entry.body]
