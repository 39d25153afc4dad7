"""``/healthz``, request ids in logs and pages, and database restarts."""

from __future__ import annotations

import logging
import os
import subprocess

import pytest

from blog import create_app
from tests.helpers import ARTICLE_URL, soup, text_of


def test_healthz_answers_200_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\n"
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_answers_503_when_the_database_does_not(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'missing' / 'dir' / 'db.sqlite3'}",
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert "unavailable" in response.get_data(as_text=True)


def test_every_response_carries_a_request_id(client):
    first = client.get("/").headers["X-Request-ID"]
    second = client.get("/").headers["X-Request-ID"]
    assert len(first) == 32 and first != second
    echoed = client.get("/", headers={"X-Request-ID": "proxy-abc-12345"})
    assert echoed.headers["X-Request-ID"] == "proxy-abc-12345"
    forged = client.get("/", headers={"X-Request-ID": "<script>"})
    assert forged.headers["X-Request-ID"] != "<script>"


def test_errors_are_logged_with_the_request_id_shown_to_the_reader(app, client, caplog):
    @app.get("/guasto-di-prova")
    def broken():
        raise RuntimeError("dettaglio interno")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        response = client.get("/guasto-di-prova")
    request_id = response.headers["X-Request-ID"]
    assert response.status_code == 500
    page = text_of(soup(response))
    assert request_id in page and "dettaglio interno" not in page
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.request_id == request_id
    assert "dettaglio interno" in str(record.exc_info[1])


def test_500_rolls_the_session_back(app, client):
    from blog.extensions import db
    from blog.models import Article

    @app.get("/scrittura-fallita")
    def half_write():
        article = db.session.get(Article, 1)
        article.title = "Titolo mai salvato"
        db.session.flush()
        raise RuntimeError("a metà")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.get("/scrittura-fallita").status_code == 500
    assert "Titolo mai salvato" not in client.get(ARTICLE_URL).get_data(as_text=True)


@pytest.mark.serial  # a restart cuts every other test's connections
@pytest.mark.skipif(
    not os.environ.get("TEST_PG_RESTART"), reason="needs the PostgreSQL cluster of .ci/run"
)
def test_database_restart_between_two_requests(client):
    assert client.get(ARTICLE_URL).status_code == 200
    subprocess.run(os.environ["TEST_PG_RESTART"], shell=True, check=True, timeout=60)
    response = client.get(ARTICLE_URL)
    assert response.status_code == 200
    assert client.get("/healthz").status_code == 200
