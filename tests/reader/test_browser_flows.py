"""The three flows in Debian's chromium, by keyboard alone, and axe-core on the pages.

A reader comments (JavaScript on and off) and replies through "Rispondi";
a moderator logs in and approves from the queue and from a mail link. The
app runs under gunicorn with a real SMTP server on loopback. axe-core
checks the pages in Italian and in English (a second gunicorn with
SITE_LANGUAGE=en on the same database).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.helpers import ARTICLE_URL, test_database_url
from tests.support.browser import chromium
from tests.support.live_server import PROJECT, app_env, gunicorn, init_database, wipe_database
from tests.support.mail_server import SmtpServer, body_of

AXE = PROJECT / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "una password molto lunga"
MAX_TABS = 120


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict]:
    """gunicorn on a fresh database, an SMTP inbox, a moderator with an email."""
    database_url = test_database_url(tmp_path_factory.mktemp("flows"))
    wipe_database(database_url)
    init_database(database_url)
    subprocess.run(
        [sys.executable, "-m", "flask", "create-moderator", "anna", "--email", "anna@example.it"],
        cwd=PROJECT,
        env=app_env(database_url),
        input=f"{PASSWORD}\n",
        text=True,
        check=True,
        capture_output=True,
        timeout=60,
    )
    with SmtpServer() as inbox:
        mail = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(inbox.port)}
        with gunicorn(database_url, workers=2, env=mail) as server:
            engine = sa.create_engine(database_url)
            try:
                yield {
                    "base": f"http://127.0.0.1:{server.port}",
                    "inbox": inbox,
                    "db": engine,
                    "database_url": database_url,
                    "mail": mail,
                }
            finally:
                engine.dispose()
    wipe_database(database_url)


@pytest.fixture(scope="module")
def english_base(site) -> Iterator[str]:
    """The same blog in English: a second gunicorn, SITE_LANGUAGE=en, on its database."""
    env = {**site["mail"], "SITE_LANGUAGE": "en"}
    with gunicorn(site["database_url"], workers=1, env=env) as server:
        yield f"http://127.0.0.1:{server.port}"


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def new_page(browser, site, javascript: bool = True, bypass_csp: bool = False, base=None):
    """A page on the site (or on the server at ``base``), counting requests elsewhere."""
    base = base or site["base"]
    context = browser.new_context(
        base_url=base, java_script_enabled=javascript, bypass_csp=bypass_csp
    )
    page = context.new_page()
    outside = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(base) or request.url.startswith("data:")
            else outside.append(request.url)
        ),
    )
    page.outside_requests = outside
    return page


def tab_to(page, selector: str) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user would."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def comment_row(site, body: str):
    with site["db"].connect() as connection:
        return connection.execute(
            sa.text("SELECT id, status, parent_id FROM comment WHERE body = :b"), {"b": body}
        ).one_or_none()


def approved_comment(site, body: str) -> int:
    """An approved comment on the article, stored as the app stores them."""
    from blog import create_app
    from blog.comments.submit import NewComment, store_comment
    from blog.comments.values import CommentText
    from blog.extensions import db
    from blog.models import Article, CommentStatus

    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": str(site["db"].url)})
    with app.app_context():
        article = db.session.scalar(sa.select(Article))
        comment = store_comment(
            article,
            NewComment(CommentText(author="Lucia", email="lucia@example.it", url="", body=body)),
            CommentStatus.APPROVED,
        )
        db.session.commit()
        comment_id = comment.id
        db.engine.dispose()
    return comment_id


def fill_and_send(page, text: str, author: str) -> None:
    type_into(page, "#comment", text)
    type_into(page, "#author", author)
    type_into(page, "#email", f"{author.lower()}@example.it")
    tab_to(page, "#submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_reader_comments_by_keyboard(browser, site, javascript):
    page = new_page(browser, site, javascript)
    page.goto(ARTICLE_URL)
    text = f"Commento scritto con la tastiera ({'js' if javascript else 'senza js'})"
    fill_and_send(page, text, "Tastiera")
    pending = page.locator(".comment-awaiting-moderation")
    thanks = pending.inner_text().split("\n")[0]
    assert thanks == "Grazie! Il tuo commento è in attesa di moderazione."
    assert text in page.inner_text(".comment-list")
    row = comment_row(site, text)
    assert row is not None and row.status == "pending"
    assert page.outside_requests == []


def test_a_reader_previews_without_javascript(browser, site):
    page = new_page(browser, site, javascript=False)
    page.goto(ARTICLE_URL)
    text = "Anteprima <b>senza</b> JavaScript <script>alert(1)</script>"
    type_into(page, "#comment", text)
    type_into(page, "#author", "Anteprima")
    type_into(page, "#email", "anteprima@example.it")
    tab_to(page, "#preview")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    shown = page.inner_html("#comment-preview .comment-content")
    assert shown == "<p>Anteprima <b>senza</b> JavaScript</p>"
    assert page.input_value("#comment") == text
    assert comment_row(site, text) is None
    assert page.outside_requests == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_reader_replies_through_rispondi(browser, site, javascript):
    parent_id = approved_comment(site, f"Un commento a cui rispondere ({javascript})")
    page = new_page(browser, site, javascript)
    page.goto(ARTICLE_URL)
    tab_to(page, f"#comment-{parent_id} .comment-reply-link")
    if javascript:
        page.keyboard.press("Enter")
        # The form moves under the comment and takes the focus.
        assert page.evaluate("document.activeElement.id") == "comment"
        assert page.locator(f"#comment-{parent_id} #respond").count() == 1
    else:
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "replytocom" in page.url
    assert "Rispondi a Lucia" in page.inner_text("#reply-title")
    text = f"La mia risposta ({javascript})"
    fill_and_send(page, text, "Risponditore")
    row = comment_row(site, text)
    assert row is not None and row.parent_id == parent_id


@pytest.mark.parametrize("width", [390, 1280])
def test_a_reader_sees_the_notice_after_saving_their_edit(browser, site, width):
    """Back at their comment, far down the page: the notice is in view, and said."""
    screen = {"viewport": {"width": width, "height": 844 if width == 390 else 800}}
    page = browser.new_context(base_url=site["base"], **screen).new_page()
    page.goto(ARTICLE_URL)
    text = f"Un commento da correggere ({width})"
    page.fill("#comment", text)
    page.fill("#author", "Correttore")
    page.fill("#email", "correttore@example.it")
    with page.expect_navigation():
        page.click("#submit")
    comment_id = comment_row(site, text).id
    with page.expect_navigation():
        page.click(f"#comment-{comment_id} .comment-own-actions a")
    page.fill("#comment", text + ", corretto")
    with page.expect_navigation():
        page.click("#edit-own-form button[type=submit]")
    assert page.url.endswith(f"#comment-{comment_id}")
    assert page.evaluate("scrollY") > 800, "the comment is far below the top"
    notice = page.locator(".flashes")
    assert "Modifica salvata." in notice.inner_text()
    assert notice.get_attribute("role") == "status"
    assert notice.get_attribute("aria-live") == "polite"
    for selector in (".flashes .flash", f"#comment-{comment_id} .comment-content"):
        seen = page.evaluate(
            "s => { const r = document.querySelector(s).getBoundingClientRect();"
            " return {top: r.top, bottom: r.bottom, height: innerHeight}; }",
            selector,
        )
        assert 0 <= seen["top"] and seen["bottom"] <= seen["height"], (selector, seen)
    # Said to screen readers once the page has arrived, from a region of its own.
    page.wait_for_function(
        "() => [...document.querySelectorAll('[role=status]')]"
        ".some(e => !e.closest('#notice') && e.textContent.includes('Modifica salvata.'))"
    )


def test_errors_are_announced(browser, site):
    page = new_page(browser, site)
    page.goto(ARTICLE_URL)
    tab_to(page, "#submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "form-notice"
    assert page.get_attribute("#form-notice", "role") == "alert"
    for field in ("comment", "author", "email"):
        assert page.get_attribute(f"#{field}", "aria-invalid") == "true"
        described = page.get_attribute(f"#{field}", "aria-describedby").split()
        assert f"{field}-error" in described
        assert page.inner_text(f"#{field}-error").strip()


def log_in(page) -> None:
    page.goto("/moderation/login")
    type_into(page, "#username", "anna")
    type_into(page, "#password", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/moderation/" in page.url and "login" not in page.url


def post_as_reader(site, text: str) -> None:
    from tests.helpers import POST_URL
    from tests.support.live_server import Browser

    port = int(site["base"].rsplit(":", 1)[1])
    reader = Browser(port)
    fields = {
        **reader.form_tokens(ARTICLE_URL),
        "comment": text,
        "author": "Lettore",
        "email": "lettore@example.it",
        "url": "",
        "comment_parent": "0",
    }
    assert reader.post_form(POST_URL, fields)[0] == 303


def test_a_moderator_approves_from_the_queue_by_keyboard(browser, site):
    text = "Da approvare dalla coda"
    post_as_reader(site, text)
    comment_id = comment_row(site, text).id
    page = new_page(browser, site)
    log_in(page)
    tab_to(page, f"#entry-{comment_id} button.action-approve")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert comment_row(site, text).status == "approved"
    page.goto(ARTICLE_URL)
    assert text in page.inner_text(".comment-list")


def test_a_moderator_approves_from_a_mail_link(browser, site):
    text = "Da approvare dalla mail"
    inbox = site["inbox"]
    before = len(inbox.messages)
    post_as_reader(site, text)
    inbox.wait_for(before + 1)
    message = next(m for m in reversed(inbox.messages) if text in body_of(m))
    link = re.search(r"Approva: (\S+)", body_of(message)).group(1)
    page = new_page(browser, site)
    page.goto(link.replace("http://127.0.0.1", site["base"].rsplit(":", 1)[0]))
    assert comment_row(site, text).status == "pending", "opening the link changes nothing"
    tab_to(page, "#confirm-form button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Commento approvato." in page.inner_text("main")
    assert comment_row(site, text).status == "approved"


def require_axe() -> None:
    if AXE.exists():
        return
    if os.environ.get("CI"):
        pytest.fail("node_modules/axe-core is missing: make test runs npm ci")
    pytest.skip("axe-core is not installed (npm ci)")


def serious_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    assert len(result["passes"]) > 10, "axe ran its rules"
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("where", ["article", "form-errors", "login", "queue", "settings"])
def test_axe_finds_no_serious_violations(browser, site, where, language, request):
    require_axe()
    base = request.getfixturevalue("english_base") if language == "en" else site["base"]
    # axe is injected as a script tag, which the page's own CSP rightly forbids.
    page = new_page(browser, site, bypass_csp=True, base=base)
    if where == "article":
        approved_comment(site, f"Un commento perché la pagina ne abbia ({language})")
        page.goto(ARTICLE_URL)
    elif where == "form-errors":
        page.goto(ARTICLE_URL)
        with page.expect_navigation():
            page.click("#submit")
        assert page.locator("#form-notice").count() == 1
    elif where == "login":
        page.goto("/moderation/login")
    elif where == "settings":
        log_in(page)
        page.goto("/moderation/settings")
    else:
        post_as_reader(site, f"Un commento per la coda ({language})")  # no duplicate
        log_in(page)
    assert page.evaluate("document.documentElement.lang") == language
    assert serious_violations(page) == []
