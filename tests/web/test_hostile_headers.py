"""A stranger's headers are input: the ``Host`` never reaches a link we write."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
import sqlalchemy as sa

from blog import create_app
from blog.extensions import db
from blog.models import Comment, CommentStatus, MailMessage
from tests.helpers import (
    ARTICLE_URL,
    POST_URL,
    SLUG,
    VALID_COMMENT,
    add_comment,
    add_moderator,
    form_fields,
    soup,
)

SITE = "https://blog.example.it"
EVIL = "evil.example"
PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_config(app_config):
    return {
        **app_config,
        "SITE_URL": SITE,
        "TRUSTED_HOSTS": ["www.blog.example.it"],
        "PREFERRED_URL_SCHEME": "https",
    }


def post_comment(client, host: str, **fields):
    base = f"https://{host}"
    data = form_fields(soup(client.get(ARTICLE_URL, base_url=base)))
    data.update(VALID_COMMENT, **fields)
    return client.post(POST_URL, data=data, base_url=base)


@pytest.mark.parametrize(
    "path",
    ["/", ARTICLE_URL, f"{ARTICLE_URL}?cpage=1", "/feed/", "/comments/feed/", "/moderation/login"],
)
def test_a_request_for_another_host_gets_a_400_page(client, path):
    response = client.get(path, headers={"Host": EVIL})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "non risponde all&#39;indirizzo richiesto" in page
    assert EVIL not in page


def test_the_page_server_refuses_another_host_even_with_the_page_cached(client):
    assert client.get(ARTICLE_URL, base_url=SITE).status_code == 200
    assert client.get(ARTICLE_URL, base_url=SITE).status_code == 200  # from memory
    response = client.get(ARTICLE_URL, headers={"Host": EVIL})
    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers


def test_sites_host_and_the_configured_extras_are_served(client):
    assert client.get(ARTICLE_URL, base_url=SITE).status_code == 200
    assert client.get(ARTICLE_URL, base_url="https://www.blog.example.it").status_code == 200


def test_a_comment_sent_to_another_host_is_refused_and_mails_nobody(app, client):
    with app.app_context():
        add_moderator(email="anna@example.it")
    client.get(ARTICLE_URL, base_url=SITE)
    response = client.post(POST_URL, data=VALID_COMMENT, headers={"Host": EVIL})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(MailMessage.id))) == 0


def test_mail_links_come_from_site_url_whatever_host_the_comment_used(app, client):
    with app.app_context():
        add_moderator(email="anna@example.it")
    response = post_comment(client, "www.blog.example.it")
    assert response.status_code == 303
    with app.app_context():
        (message,) = db.session.scalars(sa.select(MailMessage)).all()
    links = [word for word in message.body.split() if "://" in word]
    assert len(links) >= 4  # three one-click links and the queue
    assert all(link.startswith(SITE + "/") for link in links), links


def test_author_mail_and_its_unsubscribe_link_come_from_site_url(app, client):
    with app.app_context():
        add_moderator(email="anna@example.it")
    post_comment(client, "www.blog.example.it", **{"comment-notify": "y"})
    with app.app_context():
        comment = db.session.scalar(sa.select(Comment))
        from blog.models import Moderator, Subscriber
        from blog.moderation.workflow import Action, apply_action
        from blog.notify import subscriptions

        subscriptions.confirm(db.session.scalar(sa.select(Subscriber)), up_to=2**31 - 1)
        apply_action(comment, Action.APPROVE, db.session.scalar(sa.select(Moderator)))
        db.session.commit()
        mails = list(db.session.scalars(sa.select(MailMessage)))
    confirmation = next(m.body for m in mails if "Conferma" in m.subject)
    author_mail = next(m for m in mails if "approvato" in m.body)
    for body, count in ((confirmation, 1), (author_mail.body, 2)):
        links = [word for word in body.split() if "://" in word]
        assert len(links) == count
        assert all(link.startswith(SITE + "/") for link in links), links
    assert author_mail.unsubscribe_url.startswith(SITE + "/")


@pytest.mark.parametrize("feed", ["/feed/", "/comments/feed/", f"/{SLUG}/feed/"])
def test_feed_ids_and_links_come_from_site_url(app, client, feed):
    with app.app_context():
        add_comment(CommentStatus.APPROVED)
    body = client.get(feed, base_url="https://www.blog.example.it").get_data()
    parsed = feedparser.parse(body)
    urls = [parsed.feed.id, parsed.feed.link, *(link.href for link in parsed.feed.links)]
    for entry in parsed.entries:
        urls += [entry.id, entry.link]
    assert parsed.entries
    assert all(url.startswith(SITE + "/") for url in urls), urls


def test_a_site_url_that_is_no_url_stops_the_app(app_config):
    with pytest.raises(RuntimeError, match="SITE_URL"):
        create_app({**app_config, "SITE_URL": "javascript:alert(1)"})


def test_without_site_url_only_loopback_names_are_served(app_config):
    config = {key: value for key, value in app_config.items() if key != "SITE_URL"}
    app = create_app({**config, "TRUSTED_HOSTS": []})
    client = app.test_client()
    assert client.get("/healthz", base_url="http://127.0.0.1:5000").status_code in {200, 503}
    assert client.get("/healthz", headers={"Host": EVIL}).status_code == 400


def test_gunicorn_refuses_to_start_without_site_url(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "TEST_"))}
    env.pop("SITE_URL", None)
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}", SECRET_KEY="x")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    result = subprocess.run(
        [str(gunicorn), "--config", "gunicorn.conf.py", "--workers", "1", "--bind",
         "127.0.0.1:0", "app:app"],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "SITE_URL non è impostato" in result.stdout + result.stderr
