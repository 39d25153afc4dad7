"""The site menu: the pages (and categories) administrators put in the
header, in their order.

Stored as one site setting (``SITE_MENU``, blog/moderation/site_settings.py):
what was chosen (``items``: each a page's or a category's id) and the links
made of them (``links``: label, address, and from when a scheduled page
shows). The links are kept ready so that no page spends a query on them:
the article page reads them with its own row, every other page once per
request. They are made again when the menu is saved and when a page in it
changes (its title, its address, the bin), through the article signals.
Every save renews every article's version, so that every cached copy of
every page shows the new menu on its next view.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from blog.core.dates import iso_datetime
from blog.extensions import db
from blog.models import Article, ArticleKind, ArticleStatus, Term, TermKind, utcnow
from blog.moderation import site_settings

#: What a menu entry may name.
PAGE = "page"
CATEGORY = "category"
KINDS = (PAGE, CATEGORY)
#: More entries than a header can show is a mistake, not a menu.
MAX_ITEMS = 30


@dataclass(frozen=True)
class MenuItem:
    """One entry chosen for the menu: a page or a category, by id."""

    kind: str
    id: int

    @property
    def key(self) -> str:
        """The entry's name in the menu's form: ``page-3``, ``category-7``."""
        return f"{self.kind}-{self.id}"


@dataclass(frozen=True)
class MenuLink:
    """A link of the header's menu, as readers see it."""

    label: str
    kind: str
    slug: str
    #: A scheduled page's time (naive UTC): the link shows from then on.
    shows_from: datetime | None = None


def saved_menu() -> Mapping[str, Any]:
    """The menu as stored: ``{"items": [...], "links": [...]}`` (empty if never saved)."""
    return site_settings.page_setting(site_settings.MENU_KEY) or {}


def chosen_items(menu: Mapping[str, Any] | None = None) -> list[MenuItem]:
    """The entries chosen, in their order."""
    menu = saved_menu() if menu is None else menu
    return [
        MenuItem(item["kind"], int(item["id"]))
        for item in menu.get("items", [])
        if item.get("kind") in KINDS
    ]


def shown_links(
    menu: Mapping[str, Any] | None = None, now: datetime | None = None
) -> list[MenuLink]:
    """The links the header shows now, in their order."""
    menu = saved_menu() if menu is None else menu
    now = now or utcnow()
    links = []
    for link in menu.get("links", []):
        shows_from = (
            datetime.fromisoformat(link["from"].replace("Z", "+00:00")).replace(tzinfo=None)
            if link.get("from")
            else None
        )
        if shows_from is None or shows_from <= now:
            links.append(MenuLink(link["label"], link["kind"], link["slug"], shows_from))
    return links


def links_for(items: Sequence[MenuItem]) -> list[dict[str, Any]]:
    """The links of ``items`` as stored: a page readers cannot reach (a
    draft, one in the bin) and a category gone have none."""
    page_ids = [item.id for item in items if item.kind == PAGE]
    category_ids = [item.id for item in items if item.kind == CATEGORY]
    pages = {
        page.id: page
        for page in db.session.scalars(
            sa.select(Article).where(
                Article.id.in_(page_ids),
                Article.kind == ArticleKind.PAGE.value,
                Article.status == ArticleStatus.PUBLISH.value,
                Article.trashed_at.is_(None),
            )
        )
    }
    categories = {
        term.id: term
        for term in db.session.scalars(
            sa.select(Term).where(Term.id.in_(category_ids), Term.kind == TermKind.CATEGORY.value)
        )
    }
    links: list[dict[str, Any]] = []
    for item in items:
        if item.kind == PAGE and item.id in pages:
            page = pages[item.id]
            scheduled = page.published_at > utcnow()
            links.append(
                {
                    "label": page.title,
                    "kind": PAGE,
                    "slug": page.slug,
                    "from": iso_datetime(page.published_at) if scheduled else None,
                }
            )
        elif item.kind == CATEGORY and item.id in categories:
            term = categories[item.id]
            links.append({"label": term.name, "kind": CATEGORY, "slug": term.slug, "from": None})
    return links


def save_menu(items: Iterable[MenuItem]) -> None:
    """Keep ``items`` as the menu, in this order, its links made now. Commits."""
    chosen = list(dict.fromkeys(items))[:MAX_ITEMS]
    value = {
        "items": [{"kind": item.kind, "id": item.id} for item in chosen],
        "links": links_for(chosen),
    }
    site_settings.save_menu(value)
    db.session.commit()


def page_changed(_sender: object, article: Article) -> None:
    """A page was published, changed or binned: its menu link made again, if it has one."""
    if article.kind != ArticleKind.PAGE:
        return
    items = chosen_items(site_settings.saved_menu_now())
    if MenuItem(PAGE, article.id) in items:
        save_menu(items)
