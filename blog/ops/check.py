"""``flask check``: what is wrong with this configuration, before it bites.

Each check is a function returning its findings, one sentence each, in the
site's language; an empty list means all is well with that part.
"""

from __future__ import annotations

import runpy
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_babel import gettext as _

from blog.core.urls import LOOPBACK_HOSTS
from blog.extensions import db, migrate
from blog.ops.backup import backup_folder, backups_in, newest_backup_age

GUNICORN_CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
#: Shorter than this, a secret key is guessable offline from one signed cookie.
SECRET_KEY_MIN_BYTES = 32
#: Values copied from tutorials and examples (flaskr's "dev" first).
KNOWN_SECRET_KEYS = frozenset(
    {
        "dev",
        "development",
        "secret",
        "secret-key",
        "secret_key",
        "secretkey",
        "changeme",
        "change-me",
        "change_me",
        "your-secret-key",
        "your_secret_key",
        "super-secret",
        "supersecret",
        "test",
        "testing",
    }
)
BACKUP_MAX_AGE = 24 * 60 * 60


def site_url_findings(config: dict[str, Any]) -> list[str]:
    """SITE_URL against the scheme, TRUSTED_HOSTS and TRUSTED_ORIGINS."""
    site_url = config["SITE_URL"]
    parts = urlsplit(site_url)
    found = []
    if parts.hostname in LOOPBACK_HOSTS:
        found.append(
            _(
                "SITE_URL is %(url)s, an address of this machine: links in mail will not work "
                "for anyone else, and gunicorn will not start without SITE_URL. Set it to the "
                "blog's public address.",
                url=site_url,
            )
        )
    if parts.scheme != config["PREFERRED_URL_SCHEME"]:
        found.append(
            _(
                "SITE_URL is %(scheme)s but PREFERRED_URL_SCHEME is %(preferred)s: with https, "
                "set both to https (Secure cookies and HSTS come with it).",
                scheme=parts.scheme,
                preferred=config["PREFERRED_URL_SCHEME"],
            )
        )
    for host in config.get("TRUSTED_HOSTS") or []:
        if not isinstance(host, str) or not host.strip() or "/" in host or " " in host:
            found.append(
                _(
                    "TRUSTED_HOSTS: %(host)s is not a host name (write it without scheme or "
                    "path): requests for it get a 400.",
                    host=repr(host),
                )
            )
    for origin in config.get("TRUSTED_ORIGINS") or []:
        found += origin_findings(origin, parts.scheme)
    return found


def origin_findings(origin: Any, site_scheme: str) -> list[str]:
    """An entry of TRUSTED_ORIGINS that is no origin, or one anyone on the way can forge."""
    parts = urlsplit(origin) if isinstance(origin, str) else None
    if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
        return [
            _(
                "TRUSTED_ORIGINS: %(origin)s is not an origin (scheme://host[:port]): it is "
                "ignored.",
                origin=repr(origin),
            )
        ]
    if parts.path not in {"", "/"} or parts.query:
        return [
            _(
                "TRUSTED_ORIGINS: %(origin)s has a path, which browsers never send in Origin: "
                "it matches nothing. Write scheme://host[:port] only.",
                origin=repr(origin),
            )
        ]
    if parts.scheme == "http" and site_scheme == "https":
        return [
            _(
                "TRUSTED_ORIGINS: %(origin)s is plain http, on a site served over https: anyone "
                "on the network can change its pages, and they may post forms here.",
                origin=repr(origin),
            )
        ]
    return []


def gunicorn_workers() -> int:
    """The workers gunicorn.conf.py starts (WEB_CONCURRENCY, else 2 × cores + 1)."""
    return int(runpy.run_path(str(GUNICORN_CONF))["workers"])


def shared_storage_host(storage_uri: str) -> str | None:
    """The host of a rate-limit storage that lives off this machine, if it does."""
    parts = urlsplit(storage_uri)
    if parts.scheme.startswith("memory"):
        return None
    host = parts.hostname
    return host if host and host not in LOOPBACK_HOSTS and not host.startswith("127.") else None


def scale_findings(config: dict[str, Any], workers: int) -> list[str]:
    """SQLite on several hosts; rate limits counted in each worker's memory."""
    found = []
    storage = str(config["RATELIMIT_STORAGE_URI"])
    other_host = shared_storage_host(storage)
    database = sa.make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    if database == "sqlite" and other_host:
        found.append(
            _(
                "The database is a SQLite file, but the rate limits are counted on %(host)s, "
                "which means several hosts: they cannot share one SQLite file. Use PostgreSQL.",
                host=other_host,
            )
        )
    if config["RATELIMIT_ENABLED"] and storage.startswith("memory") and workers > 1:
        found.append(
            _(
                "RATELIMIT_STORAGE_URI is memory:// with %(workers)s gunicorn workers: each "
                "worker counts on its own, so every limit is %(workers)s times looser. Count in "
                "Redis (RATELIMIT_STORAGE_URI=redis://…).",
                workers=workers,
            )
        )
    return found


def mail_findings(config: dict[str, Any]) -> list[str]:
    if config.get("MAIL_SERVER"):
        return []
    return [
        _(
            "MAIL_SERVER is not set: mail to moderators and readers only goes to the log, and "
            "nobody hears of a comment waiting."
        )
    ]


def secret_key_findings(config: dict[str, Any]) -> list[str]:
    key = config.get("SECRET_KEY") or ""
    text = key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)
    if text.strip().lower() in KNOWN_SECRET_KEYS:
        return [
            _(
                "SECRET_KEY is a well-known example value: anyone can sign sessions and mail "
                "links for this blog. Make a new one: python3 -c 'import secrets; "
                "print(secrets.token_hex(32))'."
            )
        ]
    if len(text.encode()) < SECRET_KEY_MIN_BYTES:
        return [
            _(
                "SECRET_KEY is shorter than %(bytes)s bytes: it can be guessed from one signed "
                "cookie. Make a new one: python3 -c 'import secrets; "
                "print(secrets.token_hex(32))'.",
                bytes=SECRET_KEY_MIN_BYTES,
            )
        ]
    return []


def others_can_open(path: Path) -> str | None:
    """The mode of ``path`` when users other than its owner have any right on it."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None
    return f"{mode:04o}" if mode & 0o077 else None


def permission_findings(app: Flask) -> list[str]:
    """Folders and files only the blog's user should open."""
    instance = Path(app.instance_path)
    folders = [instance, backup_folder(app)]
    files = [instance / "secret_key", *backups_in(backup_folder(app))]
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        files += [Path(url.database + suffix) for suffix in ("", "-wal", "-shm")]
    found = []
    for path, advice in [(folder, "700") for folder in folders] + [(file, "600") for file in files]:
        mode = others_can_open(path)
        if mode:
            found.append(
                _(
                    "%(path)s can be opened by other users of this machine (mode %(mode)s): "
                    "chmod %(advice)s %(path)s",
                    path=str(path),
                    mode=mode,
                    advice=advice,
                )
            )
    return found


def migration_findings() -> list[str]:
    """The database's schema against the code's."""
    head = ScriptDirectory.from_config(migrate.get_config()).get_current_head()
    try:
        with db.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except sa.exc.SQLAlchemyError as error:
        # The driver's own words, first line: SQLAlchemy adds its statement and a link.
        detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return [_("The database cannot be reached: %(error)s", error=detail)]
    if current is None:
        return [_("The database has no schema yet: run flask init-db.")]
    if current != head:
        return [
            _(
                "The database is at migration %(current)s and the code expects %(head)s: run "
                "flask db upgrade.",
                current=current,
                head=head,
            )
        ]
    return []


def backup_findings(app: Flask) -> list[str]:
    folder = backup_folder(app)
    age = newest_backup_age(folder)
    if age is None:
        return [
            _(
                "There is no backup in %(folder)s: run flask backup, and enable blog-backup.timer.",
                folder=str(folder),
            )
        ]
    if age > BACKUP_MAX_AGE:
        return [
            _(
                "The newest backup in %(folder)s is %(hours)s hours old: is blog-backup.timer "
                "running?",
                folder=str(folder),
                hours=int(age // 3600),
            )
        ]
    return []


def findings(app: Flask) -> list[str]:
    """Everything ``flask check`` finds, in order (in an app context)."""
    config = app.config
    checks: list[Callable[[], list[str]]] = [
        lambda: site_url_findings(config),
        lambda: scale_findings(config, gunicorn_workers()),
        lambda: mail_findings(config),
        lambda: secret_key_findings(config),
        lambda: permission_findings(app),
        migration_findings,
        lambda: backup_findings(app),
    ]
    return [finding for check in checks for finding in check()]
