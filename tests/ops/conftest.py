"""Blogs on databases of their own, for backing up one and restoring into another."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from blog import create_app
from blog.articles.seed import seed_articles
from blog.extensions import db
from tests.helpers import test_database_url

SECRET = "a secret key for the backup tests, long enough"


@contextmanager
def new_database(tmp_path: Path, name: str) -> Iterator[str]:
    """An empty database: a new SQLite file, or a new PostgreSQL database
    beside this worker's, dropped afterwards."""
    url = sa.make_url(test_database_url(tmp_path))
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / (name + '.sqlite3')}"
        return
    database = f"{url.database}_{name}"
    server = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{database}"')
    try:
        yield url.set(database=database).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        server.dispose()


def blog_settings(url: str, tmp_path: Path, **settings: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": SECRET,
        "SQLALCHEMY_DATABASE_URI": url,
        "BACKUP_DIR": str(tmp_path / "backups"),
        "RATELIMIT_ENABLED": False,
        "COMMENT_FLOOD_SECONDS": 0,
        "COMMENT_MIN_SECONDS": 0,
        "MAIL_BACKGROUND": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        **settings,
    }


BlogMaker = Callable[..., Flask]


@pytest.fixture
def make_blog(tmp_path: Path) -> Iterator[BlogMaker]:
    """``make_blog(name, migrated=True, **settings)``: an app on a new database of
    its own; migrated to head with the shipped articles, or left empty."""
    with ExitStack() as stack:
        apps: list[Flask] = []

        def make(name: str, migrated: bool = True, **settings: Any) -> Flask:
            url = stack.enter_context(new_database(tmp_path, name))
            # Each blog its own images' folder, never the project's instance/.
            settings.setdefault("MEDIA_DIR", str(tmp_path / f"media-{name}"))
            app = create_app(blog_settings(url, tmp_path, **settings))
            apps.append(app)
            if migrated:
                with app.app_context():
                    upgrade()
                    seed_articles()
            return app

        yield make
        for app in apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
