"""Staff of each role, signed in, and a way to upload through the media page."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from blog.extensions import db
from blog.models import Role
from tests.helpers import AuthActions, add_moderator, soup


def sign_in(app: Flask, username: str, role: Role) -> FlaskClient:
    """A new client signed in as a new account of ``role``."""
    with app.app_context():
        account = add_moderator(username=username, display_name=username.title())
        account.role = role
        db.session.commit()
    client = app.test_client()
    response = AuthActions(client).login(username=username)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


@pytest.fixture
def author(app: Flask) -> FlaskClient:
    return sign_in(app, "autrice", Role.AUTHOR)


@pytest.fixture
def editor(app: Flask) -> FlaskClient:
    return sign_in(app, "editore", Role.EDITOR)


@pytest.fixture
def media_dir(app: Flask) -> Path:
    return Path(app.config["MEDIA_DIR"])


def page_token(client: FlaskClient) -> str:
    """The CSRF token of the media page's upload form."""
    page = soup(client.get("/admin/media/"))
    return page.find("form", id="upload-form").find("input", attrs={"name": "csrf_token"})["value"]


def upload(client: FlaskClient, data: bytes, filename: str, **fields: str) -> TestResponse:
    """Send a file through the media page's form, as a browser does."""
    form = {"csrf_token": page_token(client), "alt": "", **fields}
    form["file"] = (io.BytesIO(data), filename)
    return client.post("/admin/media/", data=form, content_type="multipart/form-data")
