"""Categories and tags: found or made by name, as the editor, the Markdown
files and the WordPress import all name them."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from blog.core.slugs import SLUG, slugify
from blog.extensions import db
from blog.models import Term, TermKind

#: Term.name's column.
TERM_NAME_MAX = 200


def split_names(text: str) -> list[str]:
    """The names in a comma-separated field ("Motori, Alfa Romeo"), once each, in order."""
    return unique_names(text.split(","))


def unique_names(names: Iterable[str]) -> list[str]:
    """``names`` trimmed, without empties and without repeats (by address), in order."""
    seen: set[str] = set()
    kept = []
    for raw in names:
        name = " ".join(raw.split())[:TERM_NAME_MAX]
        slug = slugify(name)
        if not name or not slug or slug in seen:
            continue
        seen.add(slug)
        kept.append(name)
    return kept


def terms_named(kind: TermKind, names: Iterable[str]) -> list[Term]:
    """The terms of ``kind`` with these names, made when missing.

    A term is known by its address (``slugify`` of its name), so "Alfa
    Romeo" and "alfa romeo" are one tag. New terms are added to the session,
    not committed.
    """
    wanted = {slugify(name): name for name in unique_names(names)}
    return _found_or_made(kind, wanted)


def terms_slugged(kind: TermKind, named: Iterable[tuple[str, str]]) -> list[Term]:
    """The terms of ``kind`` for these (name, slug) pairs, made when missing.

    Another system's slug (WordPress's nicename) is kept when it is a valid
    address, so its links keep working; otherwise the name makes one. A pair
    of which neither makes an address is left out. New terms are added to
    the session, not committed.
    """
    wanted: dict[str, str] = {}
    for raw_name, raw_slug in named:
        name = " ".join(raw_name.split())[:TERM_NAME_MAX]
        slug = raw_slug.strip().lower()
        if not SLUG.fullmatch(slug):
            slug = slugify(name) or slugify(raw_slug)
        if slug:
            wanted.setdefault(slug, name or slug)
    return _found_or_made(kind, wanted)


def _found_or_made(kind: TermKind, wanted: dict[str, str]) -> list[Term]:
    """The terms of ``kind`` at these addresses, each made with its name when missing."""
    if not wanted:
        return []
    found = {
        term.slug: term
        for term in db.session.scalars(
            sa.select(Term).where(Term.kind == kind.value, Term.slug.in_(wanted))
        )
    }
    terms = []
    for slug, name in wanted.items():
        term = found.get(slug)
        if term is None:
            term = Term(kind=kind.value, name=name, slug=slug)
            db.session.add(term)
            found[slug] = term
        terms.append(term)
    return terms
