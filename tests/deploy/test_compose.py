"""compose.yaml: the app gets the settings it reads, and reaches its database and Redis.

No image registry is reachable here, so PostgreSQL and Redis cannot be
pulled and the stack is not started: the file is read as compose reads it
(``${VAR:?…}`` and ``${VAR:-default}`` filled from a .env), and the app is
built from the environment it would get. tests/deploy/test_container.py runs the
image itself.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from blog import create_app

PROJECT = Path(__file__).resolve().parents[2]
DOTENV = {"SITE_URL": "https://blog.example.it", "BLOG_DB_PASSWORD": "s3cret-Passw0rd"}
VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<kind>:[?-])(?P<word>[^}]*))?\}")


def interpolate(value: str, dotenv: dict[str, str]) -> str:
    """Fill ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?error}`` as compose does."""

    def fill(match: re.Match[str]) -> str:
        name, kind, word = match["name"], match["kind"], match["word"]
        if dotenv.get(name):
            return dotenv[name]
        if kind == ":?":
            raise ValueError(word)
        return word or ""

    return VARIABLE.sub(fill, value)


def load_compose(dotenv: dict[str, str]) -> dict[str, Any]:
    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return interpolate(node, dotenv) if isinstance(node, str) else node

    return walk(yaml.safe_load((PROJECT / "compose.yaml").read_text()))


@pytest.fixture
def compose() -> dict[str, Any]:
    return load_compose(DOTENV)


@pytest.fixture
def compose_app(compose, monkeypatch, tmp_path):
    """The app as the container builds it from compose's environment, and nothing else."""
    for name in list(os.environ):
        if name.startswith(("FLASK_", "MAIL_")) or name in {"DATABASE_URL", "SITE_URL"}:
            monkeypatch.delenv(name)
    for name, value in compose["services"]["app"]["environment"].items():
        monkeypatch.setenv(name, str(value))
    # Compose leaves the key to the instance volume (tests/deploy/test_container.py
    # checks it there); given here, the test writes nothing in instance/.
    monkeypatch.setenv("SECRET_KEY", "compose test key")
    return create_app()


def test_a_missing_required_value_stops_compose():
    for name in DOTENV:
        with pytest.raises(ValueError, match=name):
            load_compose({key: value for key, value in DOTENV.items() if key != name})


def test_app_reads_the_database_redis_and_site_it_is_given(compose, compose_app):
    config = compose_app.config
    database = sa.make_url(config["SQLALCHEMY_DATABASE_URI"])
    postgres = compose["services"]["db"]["environment"]
    assert database.get_backend_name() == "postgresql"
    assert database.host in compose["services"]
    assert (database.username, database.password, database.database) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        postgres["POSTGRES_DB"],
    )
    assert config["RATELIMIT_STORAGE_URI"] == "redis://redis:6379/0"
    assert "redis" in compose["services"]
    assert config["SITE_URL"] == DOTENV["SITE_URL"]
    assert "blog.example.it" in config["TRUSTED_HOSTS"]


def test_app_is_set_for_https_behind_one_proxy(compose_app):
    config = compose_app.config
    assert config["PREFERRED_URL_SCHEME"] == "https"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert (config["PROXY_FIX_X_FOR"], config["PROXY_FIX_X_PROTO"]) == (1, 1)
    # No mail server in .env: messages go to the log.
    assert config["MAIL_SERVER"] is None


def test_app_is_published_on_loopback_only(compose):
    for service in compose["services"].values():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:")
    bind = re.search(r"GUNICORN_BIND=\S*:(\d+)", (PROJECT / "Containerfile").read_text())
    assert bind is not None
    assert compose["services"]["app"]["ports"] == [f"127.0.0.1:{bind[1]}:{bind[1]}"]


def test_instance_volume_is_the_images_volume(compose):
    volume = re.search(r"^VOLUME (\S+)$", (PROJECT / "Containerfile").read_text(), re.M)
    assert volume is not None
    assert f"instance:{volume[1]}" in compose["services"]["app"]["volumes"]
    assert "instance" in compose["volumes"]
