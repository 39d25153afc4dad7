"""Receiving Webmentions: the endpoint advertised, the cheap checks, the
verification later (reply, like, mention, update, 410, no link), the
limits, and nothing fetched where the guard says no."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from blog.core import fetch as guard
from blog.extensions import db
from blog.models import Article, Comment, CommentStatus, ReceivedWebmention
from blog.webmention.receiving import Mentioned, queue
from tests.helpers import ARTICLE_URL, SLUG, fresh_blog, soup
from tests.support.web_server import Site
from tests.webmention.conftest import wordpress_reply

TARGET = f"http://127.0.0.1:5000/{SLUG}/"
ENDPOINT = "http://127.0.0.1:5000/webmention"


def received(app: Flask) -> list[ReceivedWebmention]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(ReceivedWebmention).order_by("id")))
        db.session.expunge_all()
        return rows


def comments(app: Flask) -> list[Comment]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(Comment).order_by(Comment.id)))
        db.session.expunge_all()
        return found


def send(client: FlaskClient, source: str, target: str = TARGET) -> Any:
    return client.post("/webmention", data={"source": source, "target": target})


# The endpoint, advertised


def test_article_pages_name_the_endpoint_in_a_header_and_in_their_head(
    client: FlaskClient, app: Flask
) -> None:
    first = client.get(ARTICLE_URL)
    assert f'<{ENDPOINT}>; rel="webmention"' in first.headers.getlist("Link")
    link = soup(first).find("link", rel="webmention")
    assert link is not None and link["href"] == ENDPOINT
    # The next view comes from the page server's copy: the header with it.
    server = app.extensions["page_server"]
    hits_before = server.hits
    again = client.get(ARTICLE_URL)
    assert server.hits == hits_before + 1
    assert f'<{ENDPOINT}>; rel="webmention"' in again.headers.getlist("Link")


def test_everything_is_off_until_the_setting_turns_it_on(
    app_config: dict[str, Any], site: Site
) -> None:
    source = wordpress_reply(site, "/risposta", TARGET)
    with fresh_blog(app_config, WEBMENTION_ENABLED=False) as off:
        client = off.test_client()
        page = client.get(ARTICLE_URL)
        assert "webmention" not in str(page.headers.getlist("Link"))
        assert soup(page).find("link", rel="webmention") is None
        assert send(client, source).status_code == 404
        assert received(off) == []
    assert site.received == []


# The cheap checks, at once


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({}, "Servono sia source sia target."),
        ({"source": "https://altro.example/post"}, "Servono sia source sia target."),
        ({"source": TARGET, "target": TARGET}, "Source e target sono lo stesso indirizzo."),
        (
            {"source": "ftp://altro.example/x", "target": TARGET},
            "deve essere un indirizzo http o https",
        ),
        (
            {"source": "javascript:alert(1)", "target": TARGET},
            "deve essere un indirizzo http o https",
        ),
        ({"source": "https://[::1", "target": TARGET}, "non è un indirizzo valido"),
        ({"source": "https://altro.example/" + "a" * 1000, "target": TARGET}, "troppo lungo"),
        (
            {"source": "https://altro.example/p", "target": "https://evil.example/x/"},
            "non è un articolo",
        ),
        (
            {"source": "https://altro.example/p", "target": "http://127.0.0.1:5000/"},
            "non è un articolo",
        ),
        (
            {"source": "https://altro.example/p", "target": "http://127.0.0.1:5000/non-esiste/"},
            "non è un articolo",
        ),
        (
            {"source": "https://altro.example/p", "target": TARGET + "?x=1"},
            "non è un articolo",
        ),
    ],
)
def test_a_webmention_that_cannot_be_right_is_refused_at_once(
    client: FlaskClient, app: Flask, fields: dict[str, str], says: str
) -> None:
    response = client.post("/webmention", data=fields)
    assert response.status_code == 400
    assert says in response.get_data(as_text=True)
    assert received(app) == []


def test_a_get_changes_nothing(client: FlaskClient, app: Flask) -> None:
    response = client.get(
        f"/webmention?source=https://altro.example/p&target={TARGET}", follow_redirects=True
    )
    assert response.status_code in (404, 405)
    assert received(app) == []


# Verified later


def test_a_wordpress_reply_becomes_a_comment_marked_with_its_origin(
    client: FlaskClient, app: Flask, site: Site
) -> None:
    source = wordpress_reply(site, "/2026/12/01/cassino/", TARGET)
    response = send(client, source)
    assert response.status_code == 202
    [row] = received(app)
    assert (row.kind, row.result, row.sent_at is not None) == ("reply", "pending", True)
    [comment] = comments(app)
    assert comment.status == CommentStatus.PENDING  # the policy holds it, as any comment
    assert (comment.author, comment.url, comment.email) == (
        "Marco Bianchi",
        site.url("/author/marco/"),
        "",
    )
    assert (comment.origin, comment.origin_url) == ("webmention", source)
    assert "la Panda resta lì almeno fino al 2030" in comment.body_html
    assert row.comment_id == comment.id
    # The source was fetched once, by the blog, naming itself.
    [fetched] = [r for r in site.received if r.path == "/2026/12/01/cassino/"]
    assert fetched.headers["user-agent"].startswith("Il blog (+http://127.0.0.1:5000")


def test_hostile_html_from_the_source_is_sanitized(
    client: FlaskClient, app: Flask, site: Site
) -> None:
    site.serve(
        "/ostile",
        f"""<div class="h-entry"><a class="u-in-reply-to" href="{TARGET}">re</a>
        <p class="p-author h-card"><a class="u-url p-name" href="javascript:alert(1)">X
        <script>alert(2)</script></a></p>
        <div class="e-content"><p onclick="alert(3)">Ciao
        <img src="http://127.0.0.1/track.png"><a href="javascript:alert(4)">qui</a>
        <script>alert(5)</script><iframe src="//evil"></iframe></p></div></div>""",
    )
    assert send(client, site.url("/ostile")).status_code == 202
    [comment] = comments(app)
    html = comment.body_html
    for bad in ("<script", "onclick", "<img", "javascript:", "<iframe", "alert(5)"):
        assert bad not in html
    assert "Ciao" in html
    assert comment.url == ""  # a javascript: author address is no address


def test_a_like_is_counted_as_a_like_and_is_no_comment(
    client: FlaskClient, app: Flask, site: Site
) -> None:
    site.serve(
        "/mi-piace",
        f"""<div class="h-entry"><span class="p-author h-card"><a class="u-url p-name"
        href="{site.url("/")}">Giulia</a></span> ha apprezzato
        <a class="u-like-of" href="{TARGET}">questo articolo</a></div>""",
    )
    assert send(client, site.url("/mi-piace")).status_code == 202
    [row] = received(app)
    assert (row.kind, row.author, row.comment_id) == ("like", "Giulia", None)
    assert comments(app) == []
    page = client.get(ARTICLE_URL)
    assert "Giulia" in soup(page).find(class_="webmention-likes").get_text()


def test_a_page_with_no_link_to_the_target_becomes_nothing(
    client: FlaskClient, app: Flask, site: Site
) -> None:
    site.serve("/nessun-link", f"<p>Parlo di <a href='{TARGET}x'>altro</a>.</p>")
    assert send(client, site.url("/nessun-link")).status_code == 202
    [row] = received(app)
    assert row.result == "no link to the target"
    assert comments(app) == []


def test_a_mention_without_microformats_is_a_mention_by_its_site(
    client: FlaskClient, app: Flask, site: Site
) -> None:
    site.serve("/citazione", f"<p>Leggete <a href='{TARGET}'>questo</a>.</p>")
    assert send(client, site.url("/citazione")).status_code == 202
    [row] = received(app)
    assert row.kind == "mention"
    [comment] = comments(app)
    assert comment.author == "127.0.0.1"
    assert site.url("/citazione") in comment.body_html


def test_sent_again_it_is_verified_again_changed_text_screened_again(
    client: FlaskClient, app: Flask, site: Site
) -> None:
    source = wordpress_reply(site, "/r", TARGET)
    send(client, source)
    [comment] = comments(app)
    with app.app_context():
        stored = db.session.get(Comment, comment.id)
        stored.status = CommentStatus.APPROVED
        db.session.commit()
    html = site.pages["/r"].body.replace("fino al 2030", "fino al 2031")
    site.serve("/r", html)
    assert send(client, source).status_code == 202
    [row] = received(app)
    [changed] = comments(app)
    assert changed.id == comment.id
    assert "fino al 2031" in changed.body_html
    # New text no moderator has read waits again (the policy is "all").
    assert changed.status == CommentStatus.PENDING
    assert row.result == "updated (pending)"


def test_a_source_gone_or_no_longer_linking_takes_its_comment_off_the_page(
    client: FlaskClient, app: Flask, site: Site
) -> None:
    for answer in ("gone", "unlinked"):
        source = wordpress_reply(site, f"/{answer}", TARGET)
        # Two replies, two texts (the same text twice is a duplicate).
        site.pages[f"/{answer}"].body = site.pages[f"/{answer}"].body.replace("2030", answer)
        send(client, source)
    assert [c.status for c in comments(app)] == [CommentStatus.PENDING] * 2
    site.serve("/gone", "", status=410)
    site.serve("/unlinked", "<p>Ho cambiato idea.</p>")
    for answer in ("gone", "unlinked"):
        assert send(client, site.url(f"/{answer}")).status_code == 202
    assert [c.status for c in comments(app)] == [CommentStatus.TRASH, CommentStatus.TRASH]
    assert [r.result for r in received(app)] == ["gone (410)", "no link to the target"]


def test_a_source_that_fails_now_is_tried_again_later(
    client: FlaskClient, app: Flask, site: Site
) -> None:
    site.serve("/guasto", "errore", status=503)
    send(client, site.url("/guasto"))
    [row] = received(app)
    assert row.sent_at is None and row.attempts == 1
    assert "503" in row.last_error
    assert comments(app) == []


def test_a_source_the_guard_refuses_is_never_fetched(
    app_config: dict[str, Any], site: Site
) -> None:
    source = wordpress_reply(site, "/interno", TARGET)
    with fresh_blog(app_config, FETCH_ALLOW_LOOPBACK=False) as blog:
        assert send(blog.test_client(), source).status_code == 202
        [row] = received(blog)
        assert row.result.startswith("refused: 127.0.0.1")
        assert row.sent_at is not None  # not retried
        assert comments(blog) == []
    assert site.received == []


def test_webmentions_are_limited_per_source_site_and_per_client(
    app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each source resolves to an address the guard refuses: nothing leaves.
    monkeypatch.setattr(guard, "resolve", lambda host, port: [ipaddress.ip_address("10.0.0.1")])
    with fresh_blog(
        app_config,
        RATELIMIT_ENABLED=True,
        WEBMENTION_SOURCE_RATE_LIMIT="2 per hour",
        WEBMENTION_RATE_LIMIT="4 per hour",
    ) as blog:
        client = blog.test_client()

        def from_client(address: str, host: str, n: int) -> int:
            return client.post(
                "/webmention",
                data={"source": f"https://{host}.example/{n}", "target": TARGET},
                environ_base={"REMOTE_ADDR": address},
            ).status_code

        # One site, from three addresses: its third is refused.
        by_site = [from_client(f"203.0.113.{n}", "uno", n) for n in (1, 2, 3)]
        assert by_site == [202, 202, 429]
        # One address, four sites: its fifth is refused, another address is not.
        by_client = [from_client("198.51.100.9", host, 1) for host in ("a", "b", "c", "d", "e")]
        assert by_client == [202, 202, 202, 202, 429]
        assert from_client("198.51.100.10", "f", 1) == 202
        assert len(received(blog)) == 7


def test_a_name_alone_never_lets_a_webmention_skip_the_queue(
    app_config: dict[str, Any], site: Site
) -> None:
    """Under "first_time", an approved Webmention signed "Marco Bianchi" does not
    approve the next page another site signs with the same name: there is no email."""
    first = wordpress_reply(site, "/primo", TARGET)
    with fresh_blog(app_config, COMMENT_MODERATION="first_time") as blog:
        client = blog.test_client()
        send(client, first)
        with blog.app_context():
            stored = db.session.scalar(sa.select(Comment))
            stored.status = CommentStatus.APPROVED
            db.session.commit()
        site.serve(
            "/impostore",
            f"""<div class="h-entry"><a class="u-in-reply-to" href="{TARGET}">re</a>
            <span class="p-author h-card">Marco Bianchi</span>
            <p class="e-content">Comprate orologi scontati.</p></div>""",
        )
        send(client, site.url("/impostore"))
        statuses = [c.status for c in comments(blog)]
    assert statuses == [CommentStatus.APPROVED, CommentStatus.PENDING]


def test_flask_send_mail_verifies_what_waits(app: Flask, site: Site, runner: Any) -> None:
    """A Webmention still waiting (its worker stopped, say) is verified by the
    command cron runs, with the mail."""
    source = wordpress_reply(site, "/attesa", TARGET)
    with app.app_context():
        article = db.session.scalar(sa.select(Article).where(Article.slug == SLUG))
        queue(Mentioned(source, TARGET, "127.0.0.1", article), "192.0.2.7", "192.0.2.7/32")
        db.session.commit()
    assert comments(app) == []
    result = runner.invoke(args=["send-mail"])
    assert "Webmention verificate: 1; non riuscite (da riprovare): 0" in result.output
    [comment] = comments(app)
    assert comment.origin_url == source
