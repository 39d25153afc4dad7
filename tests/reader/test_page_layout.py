"""The pages as a reader sees them, at a phone's width and a laptop's, in chromium.

The demo discussion (tools/demo_site.py: fifteen comments, replies three
deep) on the article page, and the comment form sent empty: nothing scrolls
sideways, nothing looks like an image that failed to load, the first
comment's text shows as soon as the comment does, and the discussion stays
compact. axe-core checks the contrast of the dark scheme too, in each
language the blog speaks (the same pages with English words around the
Italian content).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reader.test_browser_flows import require_axe, serious_violations
from tests.support.browser import chromium
from tools.demo_site import ARTICLE_URL, DISCUSSION, MODERATOR, PASSWORD, DemoSite, DemoSites

WIDTHS = {"phone": (390, 844), "desktop": (1280, 800)}
#: The demo discussion at 390 px: about 2,000 px today, 3,300 before the
#: stylesheet was tightened (15 longer comments took about 4,000).
DISCUSSION_MAX_PX = 2_400

#: Elements that look like an image with nothing in it: a painted or boxed
#: block at least 40 px each way with no text and nothing inside it that
#: draws (an image, a control), or an <img> that did not load.
EMPTY_LOOKING = """() => {
  const drawn = 'img,svg,video,canvas,iframe,object,input,textarea,select,button';
  const pageBackground = getComputedStyle(document.body).backgroundColor;
  const found = [];
  const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className
       ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (el.tagName === 'IMG') {
      if (!(el.complete && el.naturalWidth > 0)) found.push(describe(el) + ' (not loaded)');
      continue;
    }
    if (box.width < 40 || box.height < 40 || el.matches(drawn)) continue;
    const background = style.backgroundColor;
    const painted = style.backgroundImage !== 'none'
      || (background !== 'rgba(0, 0, 0, 0)' && background !== pageBackground);
    const boxed = ['Top', 'Right', 'Bottom', 'Left'].every(side =>
      parseFloat(style[`border${side}Width`]) > 0 && style[`border${side}Style`] !== 'none');
    if (!painted && !boxed) continue;
    if (el.innerText.trim() || el.querySelector(drawn)) continue;
    found.push(describe(el) + ` (${Math.round(box.width)}×${Math.round(box.height)})`);
  }
  return found;
}"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[DemoSites]:
    with DemoSites(tmp_path_factory.mktemp("layout")) as sites:
        yield sites


@pytest.fixture(scope="module")
def site(demo) -> DemoSite:
    """The demo in the blog's default language."""
    return demo.site()


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def open_page(browser, site: DemoSite, width: str, scheme: str = "light", bypass_csp=False):
    columns, rows = WIDTHS[width]
    context = browser.new_context(
        base_url=site.base,
        viewport={"width": columns, "height": rows},
        color_scheme=scheme,
        bypass_csp=bypass_csp,
    )
    return context.new_page()


def load(page, where: str) -> None:
    if where in ("login", "queue"):
        page.goto("/moderation/login")
        if where == "queue":
            page.fill("#username", MODERATOR)
            page.fill("#password", PASSWORD)
            with page.expect_navigation():
                page.click("#loginform button[type=submit]")
            assert page.locator(".queue-entry").count() > 0
        return
    page.goto(ARTICLE_URL)
    if where == "form-errors":
        with page.expect_navigation():
            page.click("#submit")
        assert page.locator("#form-notice").count() == 1


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("where", ["article", "form-errors"])
def test_nothing_scrolls_sideways_or_looks_like_a_missing_image(browser, site, width, where):
    page = open_page(browser, site, width)
    load(page, where)
    overflow = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert overflow[0] <= overflow[1], f"the page is {overflow[0]} px wide in {overflow[1]}"
    assert page.evaluate(EMPTY_LOOKING) == []
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_first_comment_shows_its_text_with_its_name(browser, site, width):
    page = open_page(browser, site, width)
    load(page, "article")
    page.locator(".comment").first.evaluate(
        "el => el.scrollIntoView({block: 'start', behavior: 'instant'})"
    )
    first = page.locator(".comment").first
    text = first.locator(".comment-content").first
    # Whichever comes first in the order the page opens on (newest, by default).
    assert any(text.inner_text().startswith(body[:30]) for _, _, body, *_ in DISCUSSION)
    box = text.bounding_box()
    viewport = page.viewport_size
    line = float(text.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)"))
    # The text starts on screen, and its first two lines (or all of it) fit.
    assert 0 <= box["y"] and box["y"] + min(box["height"], 2 * line) <= viewport["height"]
    meta = first.locator(".comment-meta").first.bounding_box()
    assert meta["height"] < viewport["height"] / 8, "the name and date take a line or two"
    page.context.close()


def test_the_discussion_is_compact_on_a_phone(browser, site):
    page = open_page(browser, site, "phone")
    load(page, "article")
    assert page.locator(".comment").count() == len(DISCUSSION)
    height = page.evaluate("document.querySelector('.comment-list').offsetHeight")
    assert height <= DISCUSSION_MAX_PX, f"{len(DISCUSSION)} comments take {height} px"
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_privacy_note_is_one_line_with_a_link(browser, site, width):
    """Above the buttons, one line that leads to the privacy page: not eight."""
    page = open_page(browser, site, width)
    load(page, "article")
    note = page.locator("#privacy-note")
    line = float(note.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)"))
    assert note.bounding_box()["height"] < 1.5 * line, note.inner_text()
    assert note.locator("a").get_attribute("href") == "/privacy/"
    page.context.close()


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("where", ["article", "form-errors", "login", "queue"])
def test_dark_scheme_has_no_serious_violations(browser, demo, where, language):
    require_axe()
    # axe is injected as a script tag, which the page's own CSP rightly forbids.
    page = open_page(browser, demo.site(language), "phone", scheme="dark", bypass_csp=True)
    load(page, where)
    assert page.evaluate("document.documentElement.lang") == language
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 255, 255)", "the dark scheme applies"
    assert serious_violations(page) == []
    page.context.close()
