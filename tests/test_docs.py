"""The README and docs/: every setting documented, a short front door, no broken link."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from blog.config import DEFAULTS, load_config

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "blog" / "config.py").exists())
DOCS = ROOT / "docs"
README_MAX_LINES = 250

#: Pages written on another branch, linked before they arrive. A link to one
#: passes while the file is absent; once it exists it is checked like any
#: other. Empty this set when those branches are merged.
NOT_YET_MERGED: set[Path] = set()

FENCE = re.compile(r"^(`{3,}|~{3,}).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
SCHEME = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")


def markdown_pages() -> list[Path]:
    """The README and every page in docs/."""
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def without_code(text: str) -> str:
    """The text with fenced blocks and code spans blanked out."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading (github-slugger's rules)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading's anchor in a markdown page, repeated titles numbered."""
    seen: dict[str, int] = {}
    found = set()
    for match in HEADING.finditer(FENCE.sub("", page.read_text(encoding="utf-8"))):
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(page: Path) -> list[str]:
    """The relative links of a page whose file, or heading, does not exist."""
    broken = []
    for target in LINK.findall(without_code(page.read_text(encoding="utf-8"))):
        if SCHEME.match(target):
            continue
        path_part, _, anchor = target.partition("#")
        linked = (page.parent / path_part).resolve() if path_part else page
        if linked in NOT_YET_MERGED and not linked.exists():
            continue
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no such heading")
    return broken


def test_every_configuration_key_is_documented(tmp_path):
    """Each default, and each key load_config sets, is named in docs/configuration.md."""
    app = Flask("docs_check", instance_path=str(tmp_path))
    flask_defaults = dict(app.config)
    load_config(app, {})
    set_by_load_config = {
        key for key, value in app.config.items() if flask_defaults.get(key, object()) != value
    }
    documented = (DOCS / "configuration.md").read_text(encoding="utf-8")
    keys = set(DEFAULTS) | set_by_load_config
    assert {"SECRET_KEY", "SQLALCHEMY_DATABASE_URI"} <= keys
    assert sorted(key for key in keys if f"`{key}`" not in documented) == []


def test_the_readme_is_a_short_front_door():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES


@pytest.mark.parametrize("page", markdown_pages(), ids=lambda page: page.name)
def test_every_relative_link_lands(page):
    assert broken_links(page) == []


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Quick start (development)", "quick-start-development"),
        ("`make audit`: Lighthouse", "make-audit-lighthouse"),
        ("A moderator's day", "a-moderators-day"),
        ("Readers: subscriptions with double opt-in", "readers-subscriptions-with-double-opt-in"),
        ("The `Host` header", "the-host-header"),
        ("Akismet, if you want it", "akismet-if-you-want-it"),
        ("SESSION_COOKIE_SECURE", "session_cookie_secure"),
    ],
)
def test_anchors_follow_githubs_rules(heading, anchor):
    assert slug(heading) == anchor


def test_a_broken_link_is_found(tmp_path):
    """The link check itself: a missing file and a missing heading are reported."""
    (tmp_path / "other.md").write_text("# Present\n\n```sh\n# not a heading\n```\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md#present) [file](missing.md) [heading](other.md#not-a-heading)\n"
        "`[in code](nowhere.md)` [web](https://example.com/x.md)\n"
    )
    assert broken_links(page) == [
        "missing.md: no such file",
        "other.md#not-a-heading: no such heading",
    ]
