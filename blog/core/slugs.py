"""Article addresses: what a slug may hold, and which ones the site keeps.

An article lives at ``/<slug>/``. A slug is lowercase ASCII letters, digits
and hyphens, and never the first segment of another of the app's own
addresses (``feed``, ``moderation``, ``static``…): an article there would
be shadowed by that page, or shadow it.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

from werkzeug.routing import Map

SLUG_MAX = 200  # Article.slug's column
SLUG = re.compile(rf"[a-z0-9][a-z0-9-]{{0,{SLUG_MAX - 1}}}")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
#: Apostrophes join the words they stand between ("l'Alfa" is one word to an
#: Italian reader: ``lalfa``, not ``l-alfa``), typographic ones included.
_APOSTROPHES = re.compile("['\u2018\u2019\u02bc\u0060\u00b4\u2032]")
#: Letters that Unicode does not decompose into a base letter and an accent.
_LETTERS = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
     "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH"}
)  # fmt: skip


def reserved_slugs(url_map: Map) -> frozenset[str]:
    """The first path segments the app's own routes spell out."""
    reserved = set()
    for rule in url_map.iter_rules():
        first = rule.rule.lstrip("/").split("/", 1)[0]
        if first and "<" not in first:
            reserved.add(first.lower())
    return frozenset(reserved)


def is_valid_slug(slug: str, reserved: frozenset[str]) -> bool:
    """Tell whether ``slug`` can be an article's address."""
    return SLUG.fullmatch(slug) is not None and slug not in reserved


def slugify(text: str) -> str:
    """Make a slug of a title or a foreign slug: "Perché %C3%A8 Così" -> "perche-e-cosi",
    "Perché l'Alfa" -> "perche-lalfa"."""
    folded = _APOSTROPHES.sub("", unquote(text)).translate(_LETTERS)
    decomposed = unicodedata.normalize("NFKD", folded)
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return _NOT_SLUG.sub("-", ascii_text).strip("-")[:SLUG_MAX].rstrip("-")


def safe_slug(slug: str, title: str, reserved: frozenset[str], fallback: str = "") -> str | None:
    """The slug itself if valid, else one made from it, the title or ``fallback``.

    None when none of them makes a valid slug.
    """
    for candidate in (slug, slugify(slug), slugify(title), fallback):
        if is_valid_slug(candidate, reserved):
            return candidate
    return None
