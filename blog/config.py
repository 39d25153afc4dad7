"""Configuration: defaults in code, overrides from the environment."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from blog.core.database import make_private_folder
from blog.core.i18n import lazy_gettext as _l
from blog.core.urls import site_parts, trusted_hosts

#: Every setting the application reads, with its default. Each one can be
#: overridden from the environment as ``FLASK_<KEY>`` (values parsed as JSON).
DEFAULTS: dict[str, Any] = {
    "SITE_NAME": "Il blog",
    # The index's description for search results and link previews.
    "SITE_DESCRIPTION": "Articoli e discussioni dei lettori, moderate.",
    "TIMEZONE": "Europe/Rome",
    # The language readers, readers' mail and the flask commands speak: "it"
    # or "en", or any language with a catalog in blog/translations/.
    "SITE_LANGUAGE": "it",
    # Articles: the longest Markdown an article's body may be, in characters
    # (rendering the worst Markdown takes about two seconds per 100,000).
    "ARTICLE_MAX_LENGTH": 100_000,
    # Articles on each page of the index, a category, a tag, an author.
    "ARTICLES_PER_PAGE": 10,
    # Comments
    "COMMENT_THREAD_DEPTH": 5,
    "COMMENTS_PER_PAGE": 50,
    # The comment page an article opens on: "newest" (WordPress's default:
    # the last page, newest thread first) or "oldest" (the first page).
    "COMMENT_DEFAULT_PAGE": "newest",
    "COMMENT_CACHE_ENTRIES": 64,
    # Anonymous pages: how long a shared cache (s-maxage) and each worker
    # keep them, and how long a stale copy may be served while one request
    # refreshes it. Their sum bounds how old the comment form's signed time
    # can be when served: keep it under COMMENT_MIN_SECONDS.
    "PAGE_CACHE_SECONDS": 1,
    "PAGE_STALE_SECONDS": 1,
    "PAGE_CACHE_ENTRIES": 64,
    "COMMENT_MODERATION": "all",
    "COMMENT_AUTHOR_COOKIE_DAYS": 365,
    "COMMENT_PREVIEW_LIMIT": 20,
    # An author may change or withdraw their comment while it waits, and for
    # this many minutes after it is approved (Isso's 15; 0: only while it waits).
    "COMMENT_EDIT_MINUTES": 15,
    # Privacy: IP addresses and user agents are cleared after this many days.
    "COMMENT_IP_RETENTION_DAYS": 90,
    # Spam and abuse
    "COMMENT_FLOOD_SECONDS": 15,
    "COMMENT_MIN_SECONDS": 3,
    "COMMENT_FORM_MAX_AGE": 2 * 60 * 60,
    "COMMENT_MAX_LINKS": 2,
    "COMMENT_MODERATION_KEYS": [],
    "COMMENT_DISALLOWED_KEYS": [],
    # Sites (hosts and their subdomains) whose comments go to Spam, matched
    # against a comment's site and the links in its text only.
    "COMMENT_BLOCKED_HOSTS": [],
    "COMMENT_CLOSE_AFTER_DAYS": 0,
    "COMMENT_RATE_LIMIT": "5 per minute;50 per day",
    # "Anteprima" of a comment, per address block (apart from the comments).
    "PREVIEW_RATE_LIMIT": "30 per minute;300 per day",
    # "Mi piace" POSTs, per address block.
    "LIKE_RATE_LIMIT": "20 per minute;200 per day",
    # "Segnala": at this many readers' reports an approved comment waits
    # for a moderator again; reports per address block.
    "COMMENT_FLAG_THRESHOLD": 3,
    "COMMENT_FLAG_RATE_LIMIT": "10 per hour;30 per day",
    # Spam and Cestino comments are deleted by `flask purge` this many days
    # after they went there (0: never), as WordPress's EMPTY_TRASH_DAYS.
    "EMPTY_TRASH_DAYS": 30,
    # The learning filter (blog/spam/bayes.py): at or above SPAM_SCORE_SPAM a new
    # comment goes to Spam, at or above SPAM_SCORE_HOLD it waits; until it has
    # been trained on SPAM_MIN_TRAINING spam and as many ham, it only scores.
    "SPAM_SCORE_SPAM": 0.99,
    "SPAM_SCORE_HOLD": 0.9,
    "SPAM_MIN_TRAINING": 20,
    # Its arithmetic: Robinson's s and x, the least distance from 0.5 a token
    # needs to count, and how many of the strongest tokens are combined.
    "SPAM_PRIOR_STRENGTH": 0.45,
    "SPAM_UNKNOWN_PROBABILITY": 0.5,
    "SPAM_MIN_DEVIATION": 0.1,
    "SPAM_MAX_CLUES": 150,
    # Akismet (Automattic, US): off unless a key is set. AKISMET_API_URL sends
    # its requests to another Akismet-compatible endpoint instead.
    "AKISMET_KEY": None,
    "AKISMET_API_URL": None,
    "AKISMET_TIMEOUT": 2,
    "LOGIN_RATE_LIMIT": "5 per minute",
    # Per address block and username; per username alone only a slowdown.
    "LOGIN_USERNAME_RATE_LIMIT": "10 per hour",
    "LOGIN_SLOWDOWN_AFTER": "5 per 15 minutes",
    "LOGIN_SLOWDOWN_SECONDS": 1,
    # Staff invitations: how long the mailed link works; accepting one (POSTs
    # per address block).
    "INVITE_LINK_HOURS": 72,
    "INVITE_ACCEPT_RATE_LIMIT": "10 per hour",
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    # Per-address defenses count an IPv4 address alone and an IPv6 one by its /64.
    "IP_BLOCK_PREFIX_V4": 32,
    "IP_BLOCK_PREFIX_V6": 64,
    "PROXY_FIX_X_FOR": 0,
    "PROXY_FIX_X_PROTO": 0,
    # Mail: with no MAIL_SERVER, messages are written to the log.
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USERNAME": None,
    "MAIL_USE_TLS": False,
    "MAIL_FROM": "blog@localhost",
    "MAIL_TIMEOUT": 10,
    "MAIL_MAX_ATTEMPTS": 6,
    # Send after the response in a thread (off: at the end of the request).
    "MAIL_BACKGROUND": True,
    # One-click links in moderators' mail stay valid this long.
    "MAIL_LINK_MAX_AGE": 7 * 24 * 60 * 60,
    # Outbox rows (mail and webhooks: addresses, comments' text) are deleted
    # this long after they were written, by `flask purge`; so are addresses
    # that never confirmed a subscription.
    "MAIL_RETENTION_DAYS": 30,
    # "Segui la discussione", per address block.
    "FOLLOW_RATE_LIMIT": "5 per hour;20 per day",
    # The site's privacy policy; unset, the form links to a built-in page.
    "PRIVACY_POLICY_URL": None,
    # Signed JSON POSTs for each new comment and each change of status
    # (a JSON list of http(s) URLs; WEBHOOK_SECRET signs them).
    "WEBHOOK_URLS": [],
    "WEBHOOK_TIMEOUT": 5,
    # Outgoing requests to addresses strangers choose (blog/core/fetch.py):
    # https only unless FETCH_ALLOW_HTTP; FETCH_ALLOW_LOOPBACK is for tests
    # only (it lets the guard reach 127.0.0.0/8 and ::1). Seconds to connect,
    # seconds for the whole exchange, the largest body, the most redirects.
    "FETCH_ALLOW_HTTP": False,
    "FETCH_ALLOW_LOOPBACK": False,
    "FETCH_CONNECT_TIMEOUT": 5,
    "FETCH_TIMEOUT": 10,
    "FETCH_MAX_BYTES": 1_000_000,
    "FETCH_MAX_REDIRECTS": 5,
    # Webmention (blog/webmention/): off until turned on. Received mentions
    # per source host and per client address block (Flask-Limiter's syntax),
    # and the links one article may send Webmentions to.
    "WEBMENTION_ENABLED": False,
    "WEBMENTION_SOURCE_RATE_LIMIT": "20 per hour",
    "WEBMENTION_RATE_LIMIT": "30 per hour",
    "WEBMENTION_MAX_LINKS": 50,
    # The site's public address: every absolute URL (mail, feeds, exports)
    # is built from it, never from a request. Required under gunicorn.
    "SITE_URL": None,
    # Host names accepted besides SITE_URL's (Flask's TRUSTED_HOSTS; a
    # leading dot accepts every subdomain). Any other Host gets a 400.
    "TRUSTED_HOSTS": [],
    # Origins (scheme://host[:port]) whose pages may send forms here, besides
    # SITE_URL's: the cross-origin check refuses every other site.
    "TRUSTED_ORIGINS": [],
    # Moderation
    "MODERATION_PAGE_SIZE": 50,
    # Readers' search (/cerca/): searches per address block; the longest
    # search read (characters) and the words searched for in it; results per
    # page, and the pages of results a search can show; how many of the
    # newest articles holding the words are ranked.
    "SEARCH_RATE_LIMIT": "20 per minute;300 per hour",
    "SEARCH_MAX_CHARS": 200,
    "SEARCH_MAX_WORDS": 8,
    "SEARCH_PAGE_SIZE": 10,
    "SEARCH_MAX_PAGES": 20,
    "SEARCH_CANDIDATES": 1000,
    # Requests
    "MAX_CONTENT_LENGTH": 256 * 1024,
    "MAX_FORM_MEMORY_SIZE": 256 * 1024,
    # A reader may take a long time to write a comment: the token lives as
    # long as the form's own timestamp (two hours).
    "WTF_CSRF_TIME_LIMIT": 2 * 60 * 60,
    # Cookies
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_DURATION": 14 * 24 * 60 * 60,
    # A login without "Ricordami" ends this long after it began, even if the
    # browser keeps its session cookie (and they all end at logout).
    "MODERATOR_SESSION_SECONDS": 12 * 60 * 60,
    "SESSION_PROTECTION": "basic",
    "PREFERRED_URL_SCHEME": "http",
    # Database
    "SQLITE_BUSY_TIMEOUT_MS": 15000,
    # PostgreSQL connection pool, per worker process.
    "DATABASE_POOL_SIZE": 5,
    "DATABASE_MAX_OVERFLOW": 5,
    "DATABASE_POOL_RECYCLE": 1800,
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    # Uploaded images (blog/media/): the folder their files are written to
    # (None: the instance folder's media/), the largest file one upload may
    # be, and the most pixels an image may declare: a larger one is refused
    # before it is decoded (a "decompression bomb").
    "MEDIA_DIR": None,
    "MEDIA_MAX_BYTES": 20 * 1024 * 1024,
    "MEDIA_MAX_PIXELS": 40_000_000,
    # Backups (blog/ops/): `flask backup` writes into BACKUP_DIR (None: the
    # instance folder's backups/) and keeps the newest BACKUP_KEEP (0: all).
    "BACKUP_DIR": None,
    "BACKUP_KEEP": 7,
    # Where pg_dump and pg_restore are (None: Debian's folder for the
    # server's major version, /usr/lib/postgresql/N/bin, else the PATH).
    "POSTGRES_BIN_DIR": None,
}

# Outside the literal: bandit reads a "PASSWORD" key in a dict literal as a secret.
DEFAULTS["MODERATOR_PASSWORD_MIN_LENGTH"] = 12
# Werkzeug's name of the password hash (a method's name, not a password, for
# bandit's B105); the tests choose a cheap one.
DEFAULTS["PASSWORD_HASH_METHOD"] = "scrypt"  # nosec B105
DEFAULTS["MAIL_PASSWORD"] = None
# "Password dimenticata?": how long the mailed link works, and how often it
# may be asked for, per address block and per email address (rate limits,
# not passwords, for bandit's B105).
DEFAULTS["PASSWORD_RESET_MINUTES"] = 60
DEFAULTS["PASSWORD_RESET_RATE_LIMIT"] = "5 per hour"  # nosec B105
DEFAULTS["PASSWORD_RESET_EMAIL_RATE_LIMIT"] = "3 per hour"  # nosec B105
DEFAULTS["WEBHOOK_SECRET"] = None
# /metrics answers loopback, and whoever sends this as a Bearer token (None: nobody else).
DEFAULTS["METRICS_TOKEN"] = None


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill ``app.config`` from defaults, the environment and ``test_config``."""
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_prefixed_env()
        database_url = os.environ.get("DATABASE_URL")
        if database_url:
            app.config["SQLALCHEMY_DATABASE_URI"] = database_url
        language = os.environ.get("SITE_LANGUAGE")
        if language:
            app.config["SITE_LANGUAGE"] = language
        secret = os.environ.get("SECRET_KEY")
        if secret:
            app.config["SECRET_KEY"] = secret
        mail_from_environment(app)
    else:
        app.config.from_mapping(test_config)

    if app.config["PREFERRED_URL_SCHEME"] == "https":
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    app.config.setdefault(
        "SQLALCHEMY_DATABASE_URI",
        "sqlite:///" + str(Path(app.instance_path) / "blog.sqlite3"),
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    configure_site_url(app)
    check_webhooks(app.config)
    check_comment_pages(app.config)
    check_article_pages(app.config)


def startup_error(message: str) -> RuntimeError:
    """An error that stops the start, worded at once: the app has no context
    yet, so in the default catalog's language (``SITE_LANGUAGE`` from the
    environment, else the default), as ``flask --help`` speaks."""
    return RuntimeError(str(message))


def check_webhooks(config: dict[str, Any]) -> None:
    """Refuse to start with webhooks that could not be sent, or not be trusted."""
    urls = config["WEBHOOK_URLS"]
    if not isinstance(urls, list) or not all(isinstance(url, str) for url in urls):
        raise startup_error(_l('WEBHOOK_URLS must be a JSON list of addresses: ["https://…"]'))
    for url in urls:
        if urlsplit(url).scheme not in {"http", "https"} or not urlsplit(url).hostname:
            raise startup_error(
                _l("WEBHOOK_URLS: %(url)s is not an http(s) address", url=repr(url))
            )
    if urls and not config.get("WEBHOOK_SECRET"):
        raise startup_error(
            _l("WEBHOOK_URLS needs WEBHOOK_SECRET, the key that signs the messages")
        )


def check_comment_pages(config: dict[str, Any]) -> None:
    """Refuse to start with a default comment page that is neither kind."""
    if config["COMMENT_DEFAULT_PAGE"] not in ("newest", "oldest"):
        raise startup_error(_l('COMMENT_DEFAULT_PAGE must be "newest" or "oldest"'))


def check_article_pages(config: dict[str, Any]) -> None:
    """Refuse to start with a number of articles a page that is no whole number from 1."""
    value = config["ARTICLES_PER_PAGE"]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise startup_error(_l("ARTICLES_PER_PAGE must be a whole number from 1 to 1000"))


#: Where ``flask run`` serves when nothing else is said.
DEVELOPMENT_SITE_URL = "http://127.0.0.1:5000"


def configure_site_url(app: Flask) -> None:
    """Check ``SITE_URL`` and accept requests for its host only.

    Under gunicorn (which sets ``SERVER_SOFTWARE``) a missing ``SITE_URL``
    stops the start: mail links would otherwise point at a made-up address.
    A development server without one answers on loopback names only.
    """
    site_url = app.config.get("SITE_URL")
    extra = list(app.config.get("TRUSTED_HOSTS") or [])
    if not site_url:
        if os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn"):
            raise startup_error(
                _l(
                    "SITE_URL is not set: in production the blog needs its public address, "
                    "for example SITE_URL=https://blog.example.it"
                )
            )
        app.config["SITE_URL"] = DEVELOPMENT_SITE_URL
        app.config["TRUSTED_HOSTS"] = trusted_hosts(None, extra)
        return
    try:
        site_parts(site_url)
    except ValueError as error:
        raise startup_error(str(error)) from None
    app.config["TRUSTED_HOSTS"] = trusted_hosts(site_url, extra)


#: Mail settings read from the environment under their own names too.
MAIL_ENVIRONMENT: dict[str, Callable[[str], object]] = {
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_USE_TLS": lambda value: value.strip().lower() in {"1", "true", "yes", "on"},
    "MAIL_FROM": str,
    "SITE_URL": str,
}


def mail_from_environment(app: Flask) -> None:
    """``MAIL_SERVER=smtp.example.it`` as well as ``FLASK_MAIL_SERVER=…``."""
    for key, parse in MAIL_ENVIRONMENT.items():
        value = os.environ.get(key)
        if value:
            try:
                app.config[key] = parse(value)
            except ValueError as error:
                raise startup_error(
                    _l("%(setting)s is not valid", setting=f"{key}={value!r}")
                ) from error


def instance_secret_key(instance_path: Path) -> str:
    """Return the key kept in the instance folder, creating it on first use."""
    key_file = instance_path / "secret_key"
    try:
        return key_file.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    make_private_folder(instance_path)
    key = secrets.token_hex(32)
    # Written aside, then linked into place: when several workers start at
    # once, exactly one key wins and nobody ever reads a half-written file.
    fd, tmp_name = tempfile.mkstemp(dir=instance_path, prefix=".secret_key.")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key)
        os.chmod(tmp_name, 0o600)
        try:
            os.link(tmp_name, key_file)
        except FileExistsError:
            return key_file.read_text(encoding="ascii").strip()
    finally:
        os.unlink(tmp_name)
    return key
