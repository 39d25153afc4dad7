"""The moderation queue in Debian's chromium: a layout for triage, on a desktop and
a phone, and the keyboard shortcuts; a reader's "Segnala" without JavaScript."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.helpers import ARTICLE_URL, test_database_url
from tests.support.browser import chromium
from tests.support.live_server import PROJECT, app_env, gunicorn, init_database, wipe_database

PASSWORD = "una password molto lunga"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0"
#: Ten comments as readers write them: a line or two each.
TEXTS = [
    "Ottima notizia per gli stabilimenti italiani: speriamo che gli investimenti arrivino.",
    "Ho lavorato a Pomigliano per vent'anni e non ricordo una visita così attenta ai reparti.",
    "Sarebbe interessante sapere quanti nuovi modelli verranno prodotti in Italia nei prossimi "
    "tre anni, e con quali volumi, perché finora i numeri annunciati sono stati pochi.",
    "Compra pillole a poco prezzo su pills.example, spedizione gratuita in tutta Italia!",
    "Articolo chiaro e ben scritto. Grazie.",
    "Mi chiedo se l'elettrico reggerà il mercato italiano, dove le colonnine sono ancora poche "
    "fuori dalle grandi città e i prezzi delle auto restano alti per molte famiglie.",
    "Imparato ha fatto bene a parlare con gli operai davanti ai giornalisti.",
    "Qualcuno sa se la Stelvio nuova sarà costruita a Cassino o altrove?",
    "Finalmente buone notizie dal sud. Speriamo che durino.",
    "Le promesse le abbiamo già sentite tante volte; vedremo i fatti tra un anno, quando "
    "usciranno i numeri della produzione e delle assunzioni.",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict]:
    """gunicorn on a fresh database with a moderator, and an app to seed it."""
    database_url = test_database_url(tmp_path_factory.mktemp("queue"))
    wipe_database(database_url)
    init_database(database_url)
    subprocess.run(
        [sys.executable, "-m", "flask", "create-moderator", "anna"],
        cwd=PROJECT,
        env=app_env(database_url),
        input=f"{PASSWORD}\n",
        text=True,
        check=True,
        capture_output=True,
        timeout=60,
    )
    from blog import create_app

    seeder = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url})
    with gunicorn(database_url, workers=1) as server:
        yield {"base": f"http://127.0.0.1:{server.port}", "app": seeder}
    with seeder.app_context():
        from blog.extensions import db

        db.engine.dispose()
    wipe_database(database_url)


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def seed(site, status: str = "pending", texts=TEXTS) -> list[int]:
    """Only these comments, newest last, as readers would have sent them."""
    from blog.comments.submit import NewComment, store_comment
    from blog.comments.values import Client, CommentText
    from blog.extensions import db
    from blog.models import Article, Comment, CommentStatus, ModerationEvent

    with site["app"].app_context():
        db.session.execute(sa.delete(ModerationEvent))
        db.session.execute(sa.delete(Comment))
        article = db.session.scalar(sa.select(Article))
        ids = []
        for number, text in enumerate(texts):
            comment = store_comment(
                article,
                NewComment(
                    text=CommentText(
                        author=f"Lettore {number}",
                        email=f"lettore{number}@example.it",
                        url="https://sito.example/" if number % 3 == 0 else "",
                        body=text,
                    ),
                    client=Client(f"203.0.113.{number}", f"203.0.113.{number}/32", BROWSER),
                ),
                CommentStatus(status),
            )
            ids.append(comment.id)
        db.session.commit()
        return ids


def statuses(site, ids: list[int]) -> list[str]:
    from blog.extensions import db
    from blog.models import Comment

    with site["app"].app_context():
        db.session.expire_all()
        found = {c.id: c.status.value for c in db.session.scalars(sa.select(Comment))}
        db.session.remove()
    return [found.get(comment_id, "deleted") for comment_id in ids]


def moderator_page(browser, site, **context):
    page = browser.new_context(base_url=site["base"], **context).new_page()
    page.goto("/moderation/login")
    page.fill("#username", "anna")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("#loginform button[type=submit]")
    page.goto("/moderation/")  # past the greeting
    return page


def box(page, selector: str) -> dict:
    """An element's box in page coordinates (not the viewport's)."""
    return page.evaluate(
        """s => { const r = document.querySelector(s).getBoundingClientRect();
                  return {top: r.top + scrollY, bottom: r.bottom + scrollY, width: r.width}; }""",
        selector,
    )


def test_ten_comments_fit_in_two_desktop_screens(browser, site):
    ids = seed(site)
    page = moderator_page(browser, site, viewport={"width": 1280, "height": 800})
    assert page.locator(".queue-entry").count() == 10
    last = box(page, f"#entry-{ids[0]}")  # the oldest is shown last
    assert last["bottom"] <= 2 * 800, last
    first = box(page, f"#entry-{ids[-1]} .entry-body")
    assert first["bottom"] <= 800, "the newest comment's text is on the first screen"


def test_a_phone_shows_a_comments_text_on_the_first_screen(browser, site):
    ids = seed(site)
    page = moderator_page(
        browser,
        site,
        viewport={"width": 390, "height": 844},
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
    )
    assert page.evaluate("scrollY") == 0
    body = page.locator(f"#entry-{ids[-1]} .entry-body")
    assert body.inner_text() == TEXTS[-1]
    shown = box(page, f"#entry-{ids[-1]} .entry-body")
    assert 0 < shown["top"] and shown["bottom"] <= 844, shown
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "nothing overflows"
    assert not page.locator(".shortcuts-hint").is_visible(), "no keys to press on a phone"


def focused_entry(page) -> str:
    return page.evaluate("document.activeElement.closest('.queue-entry')?.id || ''")


def test_keyboard_shortcuts_move_act_and_undo(browser, site):
    ids = seed(site, texts=TEXTS[:4])
    newest_first = [f"entry-{i}" for i in reversed(ids)]
    page = moderator_page(browser, site, viewport={"width": 1280, "height": 800})
    assert page.locator(".shortcuts-hint").is_visible()
    page.keyboard.press("j")
    assert focused_entry(page) == newest_first[0]
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert focused_entry(page) == newest_first[1]

    with page.expect_navigation():
        page.keyboard.press("a")
    assert statuses(site, ids) == ["pending", "pending", "approved", "pending"]
    assert "1 commento approvato." in page.inner_text(".flashes")
    # Back where it was: the comment that followed has the focus.
    assert focused_entry(page) == newest_first[2]

    with page.expect_navigation():
        page.keyboard.press("s")
    assert statuses(site, ids) == ["pending", "spam", "approved", "pending"]
    with page.expect_navigation():
        page.keyboard.press("u")
    assert statuses(site, ids) == ["pending", "pending", "approved", "pending"]
    assert "Annullato: 1 commento è tornato com'era." in page.inner_text(".flashes")

    page.keyboard.press("j")
    target = focused_entry(page)
    with page.expect_navigation():
        page.keyboard.press("d")
    assert "trash" in statuses(site, ids)
    assert statuses(site, [int(target.removeprefix("entry-"))]) == ["trash"]


def test_shortcuts_leave_typing_alone(browser, site):
    ids = seed(site, texts=TEXTS[:2])
    page = moderator_page(browser, site, viewport={"width": 1280, "height": 800})
    page.click("#q")
    page.keyboard.type("jads")
    assert page.input_value("#q") == "jads"
    page.keyboard.press("j")  # still in the search box
    assert focused_entry(page) == ""
    assert statuses(site, ids) == ["pending", "pending"]


def test_select_all_ticks_every_box_in_place(browser, site):
    seed(site, texts=TEXTS[:3])
    page = moderator_page(browser, site, viewport={"width": 1280, "height": 800})
    url = page.url
    page.click("#select-all")
    assert page.url == url, "no page load with JavaScript"
    assert page.locator('input[name="comment_ids"]:checked').count() == 3
    assert page.inner_text("#select-all") == "Deseleziona tutti"
    page.click("#select-all")
    assert page.locator('input[name="comment_ids"]:checked').count() == 0


def test_a_reader_reports_a_comment_without_javascript(browser, site):
    from blog.extensions import db
    from blog.models import Comment

    (comment_id,) = seed(site, status="approved", texts=["Un commento da segnalare"])
    page = browser.new_context(base_url=site["base"], java_script_enabled=False).new_page()
    page.goto(ARTICLE_URL)
    # "Segnala" opens, in place, an optional reason and the button that sends it.
    page.click(f"#comment-{comment_id} .comment-flag summary")
    page.fill(f"#flag-reason-{comment_id}", "Un link ingannevole")
    with page.expect_navigation():
        page.click(f"#comment-{comment_id} .comment-flag button")
    assert "I moderatori rileggeranno il commento." in page.inner_text("main")
    assert page.context.cookies() == [], "reporting sets no cookie"
    with site["app"].app_context():
        assert db.session.get(Comment, comment_id).flag_count == 1
        db.session.remove()


# After an action, the notice and its "Annulla" are where the moderator's eyes are.

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
SCREENS = {"phone": PHONE, "desktop": DESKTOP}


def press(page, selector: str, screen: str) -> None:
    """Tap on a phone (it has no keys), click on a desktop; wait for the next page."""
    target = page.locator(selector)
    with page.expect_navigation():
        target.tap() if screen == "phone" else target.click()


def assert_in_view(page, selector: str) -> None:
    """Wholly inside the window, and nothing drawn over its middle."""
    seen = page.evaluate(
        """s => { const e = document.querySelector(s); const r = e.getBoundingClientRect();
                  const x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2;
                  const hit = document.elementFromPoint(x, y);
                  return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,
                          height: innerHeight, width: innerWidth,
                          reachable: hit !== null && (hit === e || e.contains(hit))}; }""",
        selector,
    )
    assert 0 <= seen["top"] and seen["bottom"] <= seen["height"], (selector, seen)
    assert 0 <= seen["left"] and seen["right"] <= seen["width"], (selector, seen)
    assert seen["reachable"], (selector, seen)


def assert_notice_in_view(page, said: str) -> None:
    notice = page.locator(".flashes")
    assert said in notice.inner_text()
    assert notice.get_attribute("role") == "status"
    assert notice.get_attribute("aria-live") == "polite"
    assert_in_view(page, ".flashes .flash")
    assert_in_view(page, "#undo-form button")


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_after_trashing_a_comment_the_notice_and_annulla_are_in_view(browser, site, screen):
    ids = seed(site)
    newest_first = list(reversed(ids))
    page = moderator_page(browser, site, **SCREENS[screen])
    press(page, f"#entry-{newest_first[1]} button.action-trash", screen)
    assert statuses(site, [newest_first[1]]) == ["trash"]
    assert page.url.endswith(f"#entry-{newest_first[2]}"), "back at the comment that followed"
    assert page.evaluate("scrollY") > 0, "the page came back further down"
    assert_in_view(page, f"#entry-{newest_first[2]} .entry-title")
    assert_notice_in_view(page, "1 commento spostato nel cestino.")
    press(page, "#undo-form button", screen)
    assert statuses(site, [newest_first[1]]) == ["pending"]
    assert "Annullato: 1 commento è tornato com'era." in page.inner_text(".flashes")
    assert_in_view(page, ".flashes .flash")


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_after_a_bulk_action_the_notice_and_annulla_are_in_view(browser, site, screen):
    ids = seed(site)
    page = moderator_page(browser, site, **SCREENS[screen])
    for comment_id in ids[:3]:
        box = page.locator(f"#select-{comment_id}")
        box.tap() if screen == "phone" else box.check()
    page.select_option("#bulk-action", "spam")
    press(page, "#bulk-form button[type=submit]", screen)
    assert statuses(site, ids[:4]) == ["spam", "spam", "spam", "pending"]
    assert_notice_in_view(page, "3 commenti segnati come spam.")
    press(page, "#undo-form button", screen)
    assert statuses(site, ids[:3]) == ["pending"] * 3


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_after_blocca_the_notice_and_annulla_are_in_view(browser, site, screen):
    ids = seed(site)
    newest_first = list(reversed(ids))
    target = newest_first[1]
    page = moderator_page(browser, site, **SCREENS[screen])
    summary = page.locator(f"#entry-{target} details.entry-block summary")
    summary.tap() if screen == "phone" else summary.click()
    choice = page.locator(f"#entry-{target} details.entry-block input[value=email]")
    choice.tap() if screen == "phone" else choice.check()
    press(page, f"#entry-{target} button.action-block", screen)
    # The confirmation page says how many comments the block moves; then back.
    press(page, "#confirm-form button.action-block", screen)
    assert statuses(site, [target]) == ["spam"]
    assert page.evaluate("scrollY") > 0, "the page came back further down"
    assert_notice_in_view(page, "aggiunto alle parole vietate.")
    press(page, "#undo-form button", screen)
    assert statuses(site, [target]) == ["pending"]
    assert "non è più bloccato." in page.inner_text(".flashes")


def test_the_bulk_action_menu_is_not_clipped_on_a_phone(browser, site):
    seed(site, texts=TEXTS[:2])
    page = moderator_page(browser, site, **PHONE)
    menu = page.evaluate(
        """() => { const s = document.getElementById("bulk-action");
                   const probe = document.createElement("span");
                   const style = getComputedStyle(s);
                   probe.style.font = style.font;
                   probe.style.whiteSpace = "pre";
                   probe.textContent = s.options[s.selectedIndex].text;
                   document.body.appendChild(probe);
                   const text = probe.getBoundingClientRect().width;
                   probe.remove();
                   const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
                   return {text, room: s.clientWidth - padding,
                           scrollWidth: s.scrollWidth, clientWidth: s.clientWidth}; }"""
    )
    assert menu["scrollWidth"] <= menu["clientWidth"], menu
    # The words and the arrow both fit: "Azioni di gruppo", never "Azior".
    assert menu["text"] + 16 <= menu["room"], menu
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
