"""``flask check``: each mistake in a configuration is one line, in the site's
language, and the exit status says whether there was any."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import stamp

from blog import create_app
from blog.extensions import db
from blog.ops.backup import backups_in
from blog.ops.restore import script_directory
from tests.ops.conftest import blog_settings


def run_check(app: Flask) -> tuple[int, list[str]]:
    result = app.test_cli_runner().invoke(args=["check"])
    return result.exit_code, result.output.splitlines()


@pytest.fixture
def healthy(make_blog, tmp_path, monkeypatch) -> Flask:
    """A blog configured as docs/deploying.md says, with a fresh backup."""
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    app = make_blog(
        "blog",
        SITE_URL="https://blog.example.it",
        PREFERRED_URL_SCHEME="https",
        TRUSTED_HOSTS=["www.blog.example.it"],
        TRUSTED_ORIGINS=["https://amici.example.it"],
        MAIL_SERVER="smtp.example.it",
    )
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o700)
    app.instance_path = str(instance)
    (instance / "secret_key").write_text("0" * 64)
    (instance / "secret_key").chmod(0o600)
    assert app.test_cli_runner().invoke(args=["backup"]).exit_code == 0
    return app


def test_a_healthy_blog_is_all_well(healthy):
    assert run_check(healthy) == (0, ["Tutto a posto."])


def finds(app: Flask, *fragments: str) -> None:
    """The check fails with exactly one line, holding every fragment."""
    status, lines = run_check(app)
    assert status == 1
    assert len(lines) == 1, lines
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_site_url_on_this_machine(healthy):
    healthy.config.update(SITE_URL="http://127.0.0.1:5000", PREFERRED_URL_SCHEME="http")
    finds(healthy, "SITE_URL è http://127.0.0.1:5000", "indirizzo pubblico")


def test_site_url_on_https_with_cookies_for_http(healthy):
    healthy.config["PREFERRED_URL_SCHEME"] = "http"
    finds(healthy, "SITE_URL è in https ma PREFERRED_URL_SCHEME è http")


@pytest.mark.parametrize("entry", ["https://www.blog.example.it", "www.blog.example.it/", ""])
def test_a_trusted_host_that_is_no_host_name(healthy, entry):
    healthy.config["TRUSTED_HOSTS"] = [entry]
    finds(healthy, "TRUSTED_HOSTS:", repr(entry), "400")


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ("amici.example.it", "non è un'origine"),
        ("https://amici.example.it/pagina", "ha un percorso"),
        ("http://amici.example.it", "semplice http"),
    ],
)
def test_a_trusted_origin_that_is_wrong(healthy, entry, says):
    healthy.config["TRUSTED_ORIGINS"] = [entry]
    finds(healthy, "TRUSTED_ORIGINS:", repr(entry), says)


def test_sqlite_with_several_hosts(healthy):
    if healthy.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("PostgreSQL serves several hosts")
    healthy.config["RATELIMIT_STORAGE_URI"] = "redis://10.0.0.5:6379/0"
    finds(healthy, "SQLite", "10.0.0.5", "PostgreSQL")
    # A Redis on this machine is one host.
    healthy.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379/0"
    assert run_check(healthy) == (0, ["Tutto a posto."])


def test_memory_rate_limits_with_several_workers(healthy, monkeypatch):
    healthy.config["RATELIMIT_ENABLED"] = True
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    finds(healthy, "memory://", "4 worker", "Redis")
    healthy.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379/0"
    assert run_check(healthy) == (0, ["Tutto a posto."])


def test_no_mail_server(healthy):
    healthy.config["MAIL_SERVER"] = None
    finds(healthy, "MAIL_SERVER non è impostato")


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("dev", "valore d'esempio"),
        ("changeme", "valore d'esempio"),
        ("una chiave corta", "più corta di 32 byte"),
        ("", "più corta di 32 byte"),
    ],
)
def test_a_weak_secret_key(healthy, key, says):
    healthy.config["SECRET_KEY"] = key
    finds(healthy, "SECRET_KEY", says)
    if len(key) > 5:
        assert key not in run_check(healthy)[1][0], "the key itself is never printed"


def test_files_other_users_can_open(healthy):
    instance = Path(healthy.instance_path)
    places = [instance, instance / "secret_key", Path(healthy.config["BACKUP_DIR"])]
    url = sa.make_url(healthy.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        places.append(Path(url.database))
    for place in places:
        mode = place.stat().st_mode
        place.chmod(0o755 if place.is_dir() else 0o644)
        finds(healthy, str(place), "altri utenti", "chmod")
        place.chmod(mode)
    assert run_check(healthy) == (0, ["Tutto a posto."])


def test_migrations_not_applied(healthy):
    with healthy.app_context():
        head = script_directory().get_current_head()
        older = script_directory().get_revision(head).down_revision
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": older})
        db.session.commit()
    finds(healthy, f"migrazione {older}", head, "flask db upgrade")
    with healthy.app_context():
        stamp()
    assert run_check(healthy) == (0, ["Tutto a posto."])


def test_a_database_with_no_schema(make_blog, healthy):
    empty = make_blog("empty", migrated=False)
    for key in ("SITE_URL", "PREFERRED_URL_SCHEME", "MAIL_SERVER", "TRUSTED_ORIGINS"):
        empty.config[key] = healthy.config[key]
    empty.instance_path = healthy.instance_path
    finds(empty, "non ha ancora uno schema", "flask init-db")


def test_a_database_out_of_reach(healthy, tmp_path):
    settings = {
        key: healthy.config[key]
        for key in ("SITE_URL", "PREFERRED_URL_SCHEME", "MAIL_SERVER", "TRUSTED_ORIGINS")
    }
    nowhere = "postgresql+psycopg://blog@127.0.0.1:1/blog"
    unreachable = create_app(blog_settings(nowhere, tmp_path, **settings))
    unreachable.instance_path = healthy.instance_path
    finds(unreachable, "non è raggiungibile")


def test_no_backup_or_an_old_one(healthy):
    folder = Path(healthy.config["BACKUP_DIR"])
    (newest,) = backups_in(folder)
    two_days_ago = time.time() - 2 * 24 * 60 * 60
    os.utime(newest, (two_days_ago, two_days_ago))
    finds(healthy, f"Il backup più recente in {folder} risale a 48 ore fa", "blog-backup.timer")
    newest.unlink()
    finds(healthy, f"Non c'è nessun backup in {folder}", "flask backup")
