"""The tokens of mail links stay out of the logs: gunicorn's access log and the app's.

A moderator's link acts without a login until it is used, so its token is
a credential; whoever reads the logs must not be able to use it.
"""

from __future__ import annotations

import logging
import runpy
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from blog.extensions import db
from blog.models import Moderator
from blog.notify import subscriptions
from blog.notify.moderator_mail import action_token
from tests.helpers import add_comment, add_moderator
from tests.support.live_server import PROJECT

#: Shaped like a real one (payload, timestamp, signature), but invented.
TOKEN = "eyJjIjoxLCJhIjoiYXBwcm92ZSJ9.Z0ABCD.q1w2e3r4t5y6u7i8o9p0-_aSdFgH"

LINK_PATHS = {
    "moderation link": f"/email/moderazione/{TOKEN}",
    "unsubscribe link": f"/email/disiscrivi/{TOKEN}",
    "with a query": f"/email/moderazione/{TOKEN}?utm_source=mail",
    "encoded slashes": f"/email%2Fmoderazione%2F{TOKEN}",
    "staff invitation": f"/admin/invite/{TOKEN}",
    "password reset": f"/moderation/reset-password/{TOKEN}",
}

#: Every atom that can show the path, besides the project's own format.
EVERY_PATH_ATOM = '"%(r)s" %(U)s %(f)s %({referer}i)s %({raw_uri}e)s %({path_info}e)s'


def gunicorn_logger(tmp_path, access_log_format: str | None = None):
    """The logger gunicorn builds from the project's gunicorn.conf.py."""
    settings = runpy.run_path(str(PROJECT / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("logger_class", settings.get("logger_class", "gunicorn.glogging.Logger"))
    cfg.set("access_log_format", access_log_format or settings["access_log_format"])
    cfg.set("accesslog", str(tmp_path / "access.log"))
    return cfg.logger_class(cfg)


def access_line(tmp_path, path: str, access_log_format: str | None = None) -> str:
    """What gunicorn writes for one GET of ``path`` (a browser with a referer)."""
    logger = gunicorn_logger(tmp_path, access_log_format)
    referer = f"https://blog.example.it{path}"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path.split("?")[0],
        "QUERY_STRING": path.partition("?")[2],
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": referer,
    }
    request = SimpleNamespace(headers=[("REFERER", referer)])
    response = SimpleNamespace(status="200 OK", sent=1234, headers=[("X-Request-ID", "abc123")])
    logger.access(response, request, environ, timedelta(milliseconds=7))
    return (tmp_path / "access.log").read_text()


@pytest.mark.parametrize("path", LINK_PATHS.values(), ids=LINK_PATHS.keys())
@pytest.mark.parametrize("log_format", [None, EVERY_PATH_ATOM], ids=["project", "every-path-atom"])
def test_gunicorn_access_log_leaves_out_mail_link_tokens(tmp_path, path, log_format):
    line = access_line(tmp_path, path, log_format)
    assert TOKEN not in line
    assert "[token]" in line


def test_gunicorn_access_log_keeps_other_paths_whole(tmp_path):
    line = access_line(tmp_path, "/un-articolo/?replytocom=7")
    assert '"GET /un-articolo/?replytocom=7 HTTP/1.1" 200 1234' in line
    assert '"abc123"' in line


@pytest.mark.parametrize("page", ["moderation", "unsubscribe"])
def test_an_error_on_a_link_page_is_logged_without_the_token(
    app, client, caplog, monkeypatch, page
):
    with app.app_context():
        comment = add_comment(comment="Un commento")
        moderator = db.session.get(Moderator, add_moderator("anna").id)
        if page == "moderation":
            path = f"/email/moderazione/{action_token(comment, 'approve', moderator)}"
        else:
            subscriber = subscriptions.subscribe("maria@example.it", comment.article)
            path = f"/email/disiscrivi/{subscriptions.unsubscribe_token(subscriber)}"
        db.session.commit()

    def broken(token: str) -> None:
        raise RuntimeError("guasto di prova")

    monkeypatch.setattr("blog.notify.mail_links.read_action_token", broken)
    monkeypatch.setattr("blog.notify.mail_links.subscriptions.read_unsubscribe_token", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    token = path.rsplit("/", 1)[1]
    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        assert client.get(path).status_code == 500
    assert "Unhandled error on GET /email/" in caplog.text
    assert "[token]" in caplog.text
    assert token not in caplog.text


@pytest.mark.parametrize("path", list(LINK_PATHS.values()), ids=list(LINK_PATHS))
def test_gunicorn_error_log_leaves_out_mail_link_tokens(tmp_path, path):
    """gunicorn logs a request it could not handle (a worker timeout, an error
    outside Flask) with its URI: the token is cut out there too."""
    cfg_logger = gunicorn_logger(tmp_path)
    error_file = tmp_path / "error.log"
    handler = logging.FileHandler(error_file)
    cfg_logger.error_log.addHandler(handler)
    try:
        cfg_logger.exception("Error handling request %s %s", "GET", path)
    finally:
        cfg_logger.error_log.removeHandler(handler)
        handler.close()
    written = error_file.read_text()
    assert "Error handling request GET /" + path.lstrip("/")[:5] in written
    assert TOKEN not in written and "[token]" in written
