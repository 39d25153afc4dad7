"""Reading other sites' pages: whether a page links to ours, what its
microformats2 ``h-entry`` says, where a page's Webmention endpoint is.

Plain functions of a page's HTML and address: no request, no database.
The page is parsed once by Beautiful Soup (Python's own ``html.parser``,
linear in the page's size), and mf2py (the reference microformats2
parser) reads the parsed tree.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import mf2py
from bs4 import BeautifulSoup

from blog.comments.sanitize import foreign_html_to_text
from blog.core.forms import COMMENT_MAX

#: The longest name and website address a comment keeps (Comment's columns).
AUTHOR_MAX = 245
AUTHOR_URL_MAX = 200


class Kind(enum.StrEnum):
    """What another site's page is to our article."""

    REPLY = "reply"
    LIKE = "like"
    MENTION = "mention"


@dataclass(frozen=True)
class Mention:
    """What a source page that links to our article says."""

    kind: Kind
    author: str
    #: The author's own page (http or https), or "".
    author_url: str
    #: The text, as the comment form would take it (HTML from elsewhere,
    #: turned into text; sanitized when it is stored, like any comment).
    text: str


def parse_page(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def links_to(page: BeautifulSoup, base_url: str, target: str) -> bool:
    """Tell whether an ``<a href>`` or ``<link href>`` of the page is ``target`` exactly."""
    for element in page.find_all(["a", "link"], href=True):
        href = element.get("href")
        if isinstance(href, str) and urljoin(base_url, href.strip()) == target:
            return True
    return False


def _urls(values: list[Any]) -> list[str]:
    """The addresses in a property: plain strings, or embedded h-cite/h-entry's url."""
    found = []
    for value in values:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            found += [
                url for url in value.get("properties", {}).get("url", []) if isinstance(url, str)
            ]
            if isinstance(value.get("value"), str):
                found.append(value["value"])
    return found


def _first_text(values: list[Any]) -> str:
    for value in values:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and isinstance(value.get("value"), str):
            return value["value"]
    return ""


def _entries(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every h-entry at the top level or one level into an h-feed, in order."""
    found = []
    for item in items:
        if "h-entry" in item.get("type", []):
            found.append(item)
        elif "h-feed" in item.get("type", []):
            found += [
                child for child in item.get("children", []) if "h-entry" in child.get("type", [])
            ]
    return found


def _web_address(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > AUTHOR_URL_MAX:
        return ""
    return url


def read_mention(page: BeautifulSoup, source: str, target: str) -> Mention:
    """What the page's h-entry says of ``target``: who, what, and whether a
    reply, a like or a mention. A page with no h-entry is a mention by its site."""
    parsed = mf2py.parse(doc=page, url=source, metaformats=False)
    entries = _entries(parsed.get("items", []))
    entry = next(
        (
            entry
            for entry in entries
            if target
            in _urls(entry["properties"].get("in-reply-to", []))
            + _urls(entry["properties"].get("like-of", []))
        ),
        entries[0] if entries else None,
    )
    host = urlsplit(source).hostname or source
    if entry is None:
        return Mention(Kind.MENTION, host[:AUTHOR_MAX], "", "")
    properties = entry["properties"]
    if target in _urls(properties.get("in-reply-to", [])):
        kind = Kind.REPLY
    elif target in _urls(properties.get("like-of", [])):
        kind = Kind.LIKE
    else:
        kind = Kind.MENTION
    author, author_url = host, ""
    for value in properties.get("author", [])[:1]:
        if isinstance(value, dict):
            card = value.get("properties", {})
            author = _first_text(card.get("name", [])) or _first_text([value]) or host
            author_url = _web_address(_first_text(card.get("url", [])))
        elif isinstance(value, str):
            if _web_address(value):
                author_url = value
            else:
                author = value or host
    content = properties.get("content", [])
    if content and isinstance(content[0], dict) and isinstance(content[0].get("html"), str):
        text = foreign_html_to_text(content[0]["html"][: COMMENT_MAX * 2])
    else:
        text = _first_text(content) or _first_text(properties.get("summary", []))
    return Mention(
        kind=kind,
        author=" ".join(author.split())[:AUTHOR_MAX] or host[:AUTHOR_MAX],
        author_url=author_url,
        text=text.strip()[:COMMENT_MAX],
    )


def endpoint_from_link_header(
    links: Mapping[str | None, Mapping[str, str]], base_url: str
) -> str | None:
    """The Webmention endpoint a ``Link`` header names (httpx's parsed links)."""
    for rel, link in links.items():
        if rel and "webmention" in rel.lower().split() and "url" in link:
            return urljoin(base_url, link["url"])
    return None


def endpoint_from_page(page: BeautifulSoup, base_url: str) -> str | None:
    """The first ``<link>`` or ``<a>`` with ``rel="webmention"`` and an href, resolved."""
    for element in page.find_all(["link", "a"], href=True):
        rel: Any = element.get("rel") or []
        rels = rel.split() if isinstance(rel, str) else list(rel)
        href = element.get("href")
        if "webmention" in [r.lower() for r in rels] and isinstance(href, str):
            return urljoin(base_url, href.strip())
    return None
