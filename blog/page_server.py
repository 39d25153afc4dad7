"""Article pages for anonymous readers, served from memory before Flask.

Most of the traffic is people reading an article with no cookie of ours, or
with only the session cookie that holds their CSRF secret. Their page is
the same for all of them except two values in the comment form: the signed
CSRF token and the signed time the form was served. So each worker keeps
the page Flask rendered, with those two values left as slots, and fills
the slots for every reader:

* the CSRF token is Flask-WTF's own, signed over the secret in the reader's
  session (a new session cookie is issued when they have none), so a token
  is worth nothing in another browser;
* the form time is signed now, for this reader, so the time trap measures
  this reader's minutes as before.

An entry is used only while the article's ``comment_version``, read from the
database on every view (one indexed query), is the one it was rendered at,
and for at most ``PAGE_CACHE_SECONDS``, so that what changes with the clock
alone (comments closing with age) shows within that time. Anything else
goes to Flask: other methods and query strings, paths that are not the
article route (``/feed/``, ``/moderation/`` and the app's other own first
segments), a remembered commenter, a moderator, a reader with comments of
their own waiting.
"""

from __future__ import annotations

import hmac
import os
import re
import sqlite3
import threading
import time
from base64 import urlsafe_b64encode
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from secrets import token_hex
from typing import Any

import sqlalchemy as sa
from flask import Flask, g, request
from itsdangerous import BadData, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, int_to_bytes, want_bytes
from werkzeug.exceptions import SecurityError
from werkzeug.http import dump_cookie, parse_cookie
from werkzeug.wsgi import get_host

from blog.extensions import db
from blog.models import Article
from blog.slugs import SLUG, reserved_slugs
from blog.spam import FORM_TIME_SALT

#: What the page carries instead of the reader's values while it is rendered
#: for the cache. Letters only, so escaping leaves them as they are.
CSRF_SLOT = "PageServerCsrfTokenSlot"
FORM_TIME_SLOT = "PageServerFormTimeSlot"
#: The environ key that asks the readers' view for a page with slots.
TEMPLATE_KEY = "blog.page_template"
#: Flask-WTF's session key and signing salt for the CSRF secret.
CSRF_KEY = "csrf_token"
CSRF_SALT = "wtf-csrf-token"

ARTICLE_PATH = re.compile(f"/({SLUG.pattern})/")
PAGE_QUERY = re.compile(r"(?:cpage=([1-9][0-9]{0,5}))?")
HEX = re.compile(r"[0-9a-f]+")
SLOTS = re.compile(f"({CSRF_SLOT}|{FORM_TIME_SLOT})")
#: Headers that are the reader's own, never copied from the rendered page.
OWN_HEADERS = frozenset({"content-length", "set-cookie", "x-request-id"})


StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class Entry:
    """A rendered page: its pieces around the slots, and what it is valid for."""

    version: int
    article_id: int
    rendered_at: float
    status: str
    headers: tuple[tuple[str, str], ...]
    #: The page's text around its slots: one more piece than slots.
    pieces: tuple[bytes, ...]
    slots: tuple[str, ...]


def leave_csrf_slot() -> None:
    """For a page rendered for the server, the CSRF token is a slot.

    Flask-WTF's ``generate_csrf`` returns ``g.csrf_token`` when it is set,
    so the form renders the slot and the template session stays empty.
    """
    if request.environ.get(TEMPLATE_KEY):
        g.csrf_token = CSRF_SLOT


class ArticlePageServer:
    """WSGI middleware in front of the Flask app; see the module's docstring."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        config = app.config
        self.max_age = float(config["PAGE_CACHE_SECONDS"])
        self.max_entries = int(config["PAGE_CACHE_ENTRIES"])
        self.session_cookie = config["SESSION_COOKIE_NAME"]
        #: Cookies that change what the page shows: those go to Flask.
        self.personal_cookies = frozenset(
            {
                "comment_author",
                "comment_author_email",
                "comment_author_url",
                config.get("REMEMBER_COOKIE_NAME", "remember_token"),
            }
        )
        self._entries: dict[tuple[str, int], Entry] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.lookups = 0
        self._local = threading.local()
        app.before_request(leave_csrf_slot)

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
        ):
            return self.wsgi_app(environ, start_response)
        csrf_secret = self._reader_csrf_secret(environ.get("HTTP_COOKIE", ""))
        if csrf_secret is False:
            return self.wsgi_app(environ, start_response)
        slug = path.group(1)
        key = (slug, int(query.group(1) or 1))
        try:
            entry = self._entry(key, environ)
        except (sa.exc.SQLAlchemyError, self._driver_error):
            entry = None  # Flask answers, with the right error page if need be
        if entry is None:
            return self.wsgi_app(environ, start_response)
        return self._serve(entry, csrf_secret, start_response)

    def _host_is_trusted(self, environ: dict[str, Any]) -> bool:
        """Leave a request for a host we don't serve to Flask, which refuses it."""
        try:
            get_host(environ, self.app.config["TRUSTED_HOSTS"])
        except SecurityError:
            return False
        return True

    def _reader_csrf_secret(self, cookie_header: str) -> str | None | bool:
        """The reader's CSRF secret; None when they have no session yet;
        False when their cookies make the page theirs alone."""
        if not cookie_header:
            return None
        cookies = parse_cookie(cookie_header)
        if not self.personal_cookies.isdisjoint(cookies):
            return False
        value = cookies.get(self.session_cookie)
        if value is None:
            return None
        try:
            session = self._session.loads(value)
        except BadData:
            return False  # Flask starts a new session and says so
        if not isinstance(session, dict):
            return False
        secret = session.get(CSRF_KEY)
        # Flask-Login marks an anonymous session "not fresh": still nobody's.
        anonymous = session.get("_fresh", False) is False
        if set(session) - {CSRF_KEY, "_fresh"} or not anonymous or not is_hex(secret):
            return False  # their own comments, a login, a message: Flask
        return secret

    # The cache.

    def _entry(self, key: tuple[str, int], environ: dict[str, Any]) -> Entry | None:
        found = self._current_article(key[0])
        if found is None:
            return None
        article_id, version = found
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
        entry = self._render(environ, article_id, version)
        if entry is not None:
            with self._lock:
                self._entries[key] = entry
                while len(self._entries) > self.max_entries:
                    del self._entries[next(iter(self._entries))]
        return entry

    def _current_article(self, slug: str) -> tuple[int, int] | None:
        """The article's id and version: one indexed query, on every view.

        It runs on a driver connection this thread keeps for the purpose, in
        autocommit mode: SQLAlchemy's statement execution and a pool
        checkout would cost more than the rest of the page. A connection
        that fails is thrown away, and the next view opens a new one.
        ``lookups`` counts these queries for the query-count tests.
        """
        sql, positional = self._lookup_sql
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._driver_cursor()
        try:
            cursor.execute(sql, (slug,) if positional else {"slug": slug})
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
        dbapi = connection.dbapi_connection
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
    def _lookup_sql(self) -> tuple[str, bool]:
        compiled = (
            sa.select(Article.id, Article.comment_version)
            .where(Article.slug == sa.bindparam("slug"))
            .compile(dialect=self._engine.dialect)
        )
        return compiled.string, compiled.positional

    def _render(self, environ: dict[str, Any], article_id: int, version: int) -> Entry | None:
        """Have Flask render the page for a reader with no cookies, with slots."""
        inner = {
            key: value
            for key, value in environ.items()
            if key not in ("HTTP_COOKIE", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")
        }
        inner[TEMPLATE_KEY] = True
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
        if not captured.get("status", "").startswith("200"):
            return None
        parts = SLOTS.split(body.decode("utf-8"))
        slots = tuple(parts[1::2])
        if len(set(slots)) != len(slots) or (FORM_TIME_SLOT in slots) != (CSRF_SLOT in slots):
            return None  # a page this server does not know how to fill
        return Entry(
            version=version,
            article_id=article_id,
            rendered_at=time.monotonic(),
            status=captured["status"],
            headers=tuple(
                (name, value)
                for name, value in captured["headers"]
                if name.lower() not in OWN_HEADERS
            ),
            pieces=tuple(piece.encode() for piece in parts[0::2]),
            slots=slots,
        )

    # Per reader.

    def _serve(
        self,
        entry: Entry,
        csrf_secret: str | None,
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        headers = list(entry.headers)
        chunks = [entry.pieces[0]]
        for slot, piece in zip(entry.slots, entry.pieces[1:], strict=True):
            if slot == CSRF_SLOT:
                if csrf_secret is None:
                    csrf_secret = token_hex(20)
                    headers.append(("Set-Cookie", self._session_cookie(csrf_secret)))
                chunks += (self._csrf.sign(f'"{csrf_secret}"'), piece)
            else:
                chunks += (self._form_time.sign_shared(str(entry.article_id)), piece)
        body = b"".join(chunks)
        headers.append(("Content-Length", str(len(body))))
        headers.append(("X-Request-ID", os.urandom(16).hex()))
        start_response(entry.status, headers)
        return [body]

    def _session_cookie(self, csrf_secret: str) -> str:
        """A new session holding only the CSRF secret, as Flask would set it."""
        head, tail = self._cookie_template
        token = self._session.sign(f'{{"{CSRF_KEY}":"{csrf_secret}"}}')
        return f"{head}{token.decode('ascii')}{tail}"

    @cached_property
    def _cookie_template(self) -> tuple[str, str]:
        """The Set-Cookie value around the session, with Flask's attributes.

        Signed sessions are URL-safe base64, which cookies take unquoted.
        """
        app, interface = self.app, self.app.session_interface
        cookie = dump_cookie(
            interface.get_cookie_name(app),
            "SESSIONVALUE",
            domain=interface.get_cookie_domain(app),
            path=interface.get_cookie_path(app),
            secure=interface.get_cookie_secure(app),
            httponly=interface.get_cookie_httponly(app),
            samesite=interface.get_cookie_samesite(app),
            partitioned=interface.get_cookie_partitioned(app),
        )
        head, tail = cookie.split("SESSIONVALUE")
        return head, tail

    # Keys and signatures, made once per process.

    @cached_property
    def _session(self) -> FastSigning:
        return FastSigning(self.app.session_interface.get_signing_serializer(self.app))  # type: ignore[attr-defined]

    @cached_property
    def _csrf(self) -> FastSigning:
        secret = self.app.config.get("WTF_CSRF_SECRET_KEY") or self.app.secret_key
        return FastSigning(URLSafeTimedSerializer(secret, salt=CSRF_SALT))

    @cached_property
    def _form_time(self) -> FastSigning:
        return FastSigning(
            URLSafeTimedSerializer(self.app.config["SECRET_KEY"], salt=FORM_TIME_SALT)
        )


def is_hex(value: object) -> bool:
    """A CSRF secret as Flask-WTF and this server make them."""
    return isinstance(value, str) and 0 < len(value) <= 128 and HEX.fullmatch(value) is not None


class FastSigning:
    """``serializer.dumps`` without its per-call set-up, same output.

    itsdangerous derives the signing key and builds a signer on every call,
    which costs more than the rest of a page served from memory. Here the
    signer and its key are made once; the payload, timestamp and signature
    are made by the serializer's and signer's own parts. ``loads`` is the
    serializer's: tests check that it reads what this writes.
    """

    def __init__(self, serializer: URLSafeTimedSerializer) -> None:
        self.serializer = serializer
        signer = serializer.make_signer()
        self.key = signer.derive_key()
        # hmac.digest is the one-call C path; both signers here are HMAC.
        self.digest = signer.digest_method().name
        self.sep = want_bytes(signer.sep)
        self._now = -1
        self._stamp = b""
        #: sign_shared's tokens: JSON text -> (second, token).
        self._shared: dict[str, tuple[int, bytes]] = {}

    def sign(self, json_text: str) -> bytes:
        """What ``serializer.dumps`` makes of the value whose JSON this is.

        Callers write the JSON of their few, fixed shapes themselves (a hex
        string, an id, a one-key session), which is cheaper than a JSON
        encoder; tests check it against the serializer's own. The payload
        is left uncompressed, which ``loads`` takes as well: compressing
        tokens this short never pays, and trying costs the most.
        """
        now = int(time.time())  # TimestampSigner.get_timestamp
        if now != self._now:
            self._now, self._stamp = now, self.sep + base64_encode(int_to_bytes(now))
        value = urlsafe_b64encode(json_text.encode()).rstrip(b"=") + self._stamp
        signature = urlsafe_b64encode(hmac.digest(self.key, value, self.digest)).rstrip(b"=")
        return value + self.sep + signature

    def sign_shared(self, json_text: str) -> bytes:
        """``sign`` for a value every reader gets alike (an article's form
        time): the same token for the whole second, so signed once."""
        now = int(time.time())
        cached = self._shared.get(json_text)
        if cached is not None and cached[0] == now:
            return cached[1]
        token = self.sign(json_text)
        if len(self._shared) >= 1024:
            self._shared.clear()
        self._shared[json_text] = (now, token)
        return token

    def loads(self, token: str | bytes) -> Any:
        return self.serializer.loads(token)
