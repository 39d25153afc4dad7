"""From an invitation to a reader's comment, in Debian's chromium, on a phone
and a desktop: an administrator invites an author by mail; the author
chooses a password, writes an article with a heading, a link, a list and a
tag, previews it and schedules it a few seconds ahead; readers see it only
from that time (the index, its tag page, the feeds, the sitemap), and one
leaves a comment on it."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.helpers import test_database_url
from tests.support.browser import chromium
from tests.support.live_server import PROJECT, app_env, gunicorn, init_database, wipe_database
from tests.support.mail_server import SmtpServer, body_of

PASSWORD = "una password molto lunga"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
#: How far ahead the article is scheduled: room for the checks made before.
AHEAD = timedelta(seconds=20)
BODY = """Un articolo scritto nel browser.

## Le novità

Il comunicato è sul [sito del gruppo](https://example.org/comunicato).

- Cassino
- Pomigliano d'Arco
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict]:
    """gunicorn mailing through a real SMTP server, with the first account
    of a new install (an administrator)."""
    database_url = test_database_url(tmp_path_factory.mktemp("publishing"))
    wipe_database(database_url)
    init_database(database_url)
    made = subprocess.run(
        [sys.executable, "-m", "flask", "create-moderator", "amministratrice"],
        cwd=PROJECT,
        env=app_env(database_url),
        input=f"{PASSWORD}\n",
        text=True,
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert "administrator" in made.stdout.lower() or "amministratore" in made.stdout.lower()
    from blog import create_app
    from blog.extensions import db

    reader = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url})
    with (
        SmtpServer() as inbox,
        gunicorn(
            database_url,
            workers=2,
            env={"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(inbox.port)},
        ) as server,
    ):
        yield {"base": f"http://127.0.0.1:{server.port}", "app": reader, "inbox": inbox}
    with reader.app_context():
        db.engine.dispose()
    wipe_database(database_url)


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def fetch(site: dict, path: str) -> tuple[int, str]:
    """What a reader with no cookie gets."""
    try:
        with urllib.request.urlopen(site["base"] + path, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def invite(browser, site, email: str, context: dict) -> str:
    """The administrator invites ``email`` as an author; the link mailed."""
    page = browser.new_context(base_url=site["base"], **context).new_page()
    page.goto("/moderation/login")
    page.fill("#username", "amministratrice")
    page.fill("#password", PASSWORD)
    page.click("#loginform button[type=submit]")
    page.goto("/admin/staff/")
    fits(page, context["viewport"]["width"])
    page.fill("#invite-form input[name=email]", email)
    page.select_option("#invite-form select[name=role]", "author")
    page.click("#invite-form button[type=submit]")
    expect(page.locator("main")).to_contain_text(email)
    deadline = time.monotonic() + 30
    while not site["inbox"].to(email):
        assert time.monotonic() < deadline, "the invitation was not mailed"
        time.sleep(0.1)
    (message,) = site["inbox"].to(email)
    page.context.close()
    return re.search(r"http://\S+/admin/invite/\S+", body_of(message)).group(0)


@pytest.mark.parametrize("context", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_an_invited_author_schedules_an_article_readers_see_from_its_time(browser, site, context):
    width = context["viewport"]["width"]
    link = invite(browser, site, f"autrice{width}@example.it", context)

    # The author accepts, choosing a username and a password.
    author = browser.new_context(**context).new_page()
    author.goto(link)
    fits(author, width)
    author.fill("#inviteform input[name=username]", f"autrice{width}")
    author.fill("#inviteform input[name=display_name]", f"Autrice {width}")
    author.fill("#inviteform input[name=password]", PASSWORD)
    author.fill("#inviteform input[name=password_again]", PASSWORD)
    author.click("#inviteform button[type=submit]")
    author.goto(site["base"] + "/admin/articles/new")

    title = f"Pubblicato da solo a {width} px"
    tag = f"Stabilimenti {width}"
    author.fill("#title", title)
    author.fill("#body", BODY)
    author.fill("#tags", tag)
    fits(author, width)

    # "Anteprima": the heading, the link and the list as readers will see them.
    with author.context.expect_page() as opened:
        author.click("#preview-button")
    preview = opened.value
    preview.wait_for_load_state()
    content = preview.locator(".post-content")
    expect(content.locator("h2")).to_have_text("Le novità")
    expect(content.locator("a[href='https://example.org/comunicato']")).to_have_text(
        "sito del gruppo"
    )
    expect(content.locator("li")).to_have_count(2)
    preview.close()

    # "Programma", a few seconds ahead, in the site's time zone.
    due = datetime.now(ZoneInfo("Europe/Rome")) + AHEAD
    author.fill("#publish_date", due.strftime("%Y-%m-%d"))
    author.fill("#publish_time", due.strftime("%H:%M:%S"))
    expect(author.locator("#publish-button")).to_have_text("Programma")
    author.click("#publish-button")
    author.wait_for_url("**/edit")
    with site["app"].app_context():
        from blog.extensions import db
        from blog.models import Article

        slug = db.session.scalar(sa.select(Article.slug).where(Article.title == title))
        db.session.remove()
    assert slug
    tag_slug = re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-")

    # Before its time: nowhere a reader looks.
    status, _ = fetch(site, f"/{slug}/")
    assert status == 404
    for path in ("/", f"/tag/{tag_slug}/", "/feed/", "/sitemap.xml"):
        status, text = fetch(site, path)
        assert title not in text, path
        assert slug not in text, path
    assert datetime.now(ZoneInfo("Europe/Rome")) < due, "checked too late to tell"

    # From its time, with no request in between: everywhere.
    time.sleep(max(0.0, (due - datetime.now(ZoneInfo("Europe/Rome"))).total_seconds()) + 1.5)
    status, text = fetch(site, f"/{slug}/")
    assert status == 200
    assert title in text
    for path in ("/", f"/tag/{tag_slug}/", "/feed/", "/sitemap.xml"):
        status, text = fetch(site, path)
        assert status == 200, path
        assert slug in text, path

    # A reader finds it on the index and leaves a comment.
    reader = browser.new_context(base_url=site["base"], **context).new_page()
    reader.goto("/")
    reader.click(f"text={title}")
    expect(reader.locator("h1")).to_have_text(title)
    fits(reader, width)
    reader.fill("#author", "Lettrice")
    reader.fill("#email", "lettrice@example.it")
    reader.fill("#comment", "Finalmente una bella notizia per Cassino e Pomigliano.")
    reader.click("#submit")
    expect(reader.locator("body")).to_contain_text("moderazione")
    with site["app"].app_context():
        from blog.models import Comment

        stored = db.session.scalars(
            sa.select(Comment.body).join(Article).where(Article.slug == slug)
        ).all()
        db.session.remove()
    assert stored == ["Finalmente una bella notizia per Cassino e Pomigliano."]
