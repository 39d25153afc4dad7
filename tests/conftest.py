"""Fixtures in the flaskr style: ``app``, ``client``, ``runner``, ``auth``.

The helpers tests share (the seed article's addresses, a reader, a
moderator, parsing) are in tests/helpers.py, imported from there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from blog import create_app
from blog.articles.seed import seed_articles
from blog.extensions import db
from tests.helpers import (
    AuthActions,
    Commenter,
    add_moderator,
    empty_schema,
    test_database_url,
)
from tests.support.redis_server import redis_url as start_redis


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis: TEST_REDIS_URL, else a redis-server started here, else a skip."""
    with start_redis() as url:
        yield url


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    """Settings for the app under test; a test may change them before ``app``."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test secret key",
        "SQLALCHEMY_DATABASE_URI": test_database_url(tmp_path),
        # Uploaded images go to the test's own folder, never the project's instance/.
        "MEDIA_DIR": str(tmp_path / "media"),
        # Per-client throttles are off except in the tests of the defenses
        # themselves (tests/test_spam*.py), which switch them back on.
        "RATELIMIT_ENABLED": False,
        "COMMENT_FLOOD_SECONDS": 0,
        "COMMENT_MIN_SECONDS": 0,
        # Mail is sent at the end of the request, not in a thread: tests
        # read the SMTP server's inbox right after.
        "MAIL_BACKGROUND": False,
        # scrypt costs about 0.2 s per hash: every moderator fixture and
        # login paid it. Production keeps the default (tests/test_config.py).
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    """An app on an empty database holding the shipped articles."""
    app = create_app(app_config)
    with app.app_context():
        empty_schema()
        seed_articles()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def commenter(client: FlaskClient) -> Commenter:
    return Commenter(client)


@pytest.fixture
def moderator(app: Flask):
    with app.app_context():
        return add_moderator().id


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def logged_in(client: FlaskClient, auth: AuthActions, moderator: int) -> FlaskClient:
    """A client signed in as the moderator "anna"."""
    response = auth.login()
    assert response.status_code == 303, response.get_data(as_text=True)
    return client
