"""Configuration: defaults, environment overrides, the secret key, SQLite."""

from __future__ import annotations

import stat

import pytest
import sqlalchemy as sa

from blog import create_app
from blog.config import instance_secret_key
from blog.extensions import db


def test_defaults_are_set():
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["COMMENT_THREAD_DEPTH"] == 5
    assert app.config["MAX_CONTENT_LENGTH"] == 256 * 1024
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["PASSWORD_HASH_METHOD"] == "scrypt"


def test_secret_key_is_generated_once_with_private_permissions(tmp_path):
    first = instance_secret_key(tmp_path)
    key_file = tmp_path / "secret_key"
    assert len(first) >= 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert instance_secret_key(tmp_path) == first
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def test_environment_configures_the_app(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite3'}")
    monkeypatch.setenv("SECRET_KEY", "dall-ambiente")
    monkeypatch.setenv("FLASK_COMMENT_THREAD_DEPTH", "3")
    monkeypatch.setenv("FLASK_SITE_NAME", "Motori")
    monkeypatch.setenv("FLASK_PREFERRED_URL_SCHEME", "https")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.sqlite3")
    assert app.config["SECRET_KEY"] == "dall-ambiente"
    assert app.config["COMMENT_THREAD_DEPTH"] == 3
    assert app.config["SITE_NAME"] == "Motori"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_without_secret_key_the_instance_key_is_used(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    from flask import Flask

    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path / "inst"))
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first and first == second
    assert (tmp_path / "inst" / "secret_key").read_text().strip() == first


def test_sqlite_uses_wal_busy_timeout_and_foreign_keys(tmp_path):
    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'w.sqlite3'}"}
    )
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(sa.text("PRAGMA busy_timeout")).scalar() == 15000
        assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("it", 'COMMENT_DEFAULT_PAGE deve essere "newest" oppure "oldest"'),
        ("en", 'COMMENT_DEFAULT_PAGE must be "newest" or "oldest"'),
    ],
)
def test_a_setting_that_stops_the_start_says_so_in_the_default_language(
    monkeypatch, language, says
):
    monkeypatch.setenv("SITE_LANGUAGE", language)
    config = {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    with pytest.raises(RuntimeError) as stopped:
        create_app({**config, "COMMENT_DEFAULT_PAGE": "middle"})
    assert str(stopped.value) == says
