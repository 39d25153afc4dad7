"""``/admin/menu/``: administrators choose the pages and categories of the
header's menu and their order (a position number each; no script needed).

The menu itself is blog/articles/menu.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response as BaseResponse

from blog import messages
from blog.accounts.roles import Capability, require
from blog.articles.menu import CATEGORY, MAX_ITEMS, PAGE, MenuItem, chosen_items, save_menu
from blog.core.forms import ActionForm
from blog.extensions import db
from blog.models import Article, ArticleKind, Term, TermKind

bp = Blueprint("menu", __name__, url_prefix="/admin/menu")

#: The largest position number accepted.
POSITION_MAX = 999


@bp.before_request
@login_required
@require(Capability.MANAGE_SITE)
def require_administrator() -> None:
    """The menu is the site's: administrators order it."""


class MenuForm(ActionForm):
    """ "Salva menu": the entries and their positions are read from the form's rows."""


@dataclass
class Row:
    """One page or category the menu may show, as its form row shows it."""

    item: MenuItem
    label: str
    #: "Bozza", "Programmato", "Pubblicato", or "" for a category.
    state: str
    shown: bool
    position: str
    error: str = ""


def candidates() -> list[tuple[MenuItem, str, str]]:
    """Every page not in the bin, then every category: (item, label, state)."""
    pages = db.session.scalars(
        sa.select(Article)
        .where(Article.kind == ArticleKind.PAGE.value, Article.trashed_at.is_(None))
        .order_by(Article.title)
    )
    categories = db.session.scalars(
        sa.select(Term).where(Term.kind == TermKind.CATEGORY.value).order_by(Term.name)
    )
    rows = []
    for page in pages:
        if page.status == "draft":
            state = str(messages.MENU_STATE_DRAFT)
        elif page.is_scheduled:
            state = str(messages.MENU_STATE_SCHEDULED)
        else:
            state = ""
        rows.append((MenuItem(PAGE, page.id), page.title, state))
    rows += [(MenuItem(CATEGORY, term.id), term.name, "") for term in categories]
    return rows


def saved_rows() -> list[Row]:
    """The rows as the menu is saved: its entries first, in order, then the rest."""
    chosen = chosen_items()
    order = {item: number for number, item in enumerate(chosen, start=1)}
    rows = [
        Row(item, label, state, item in order, str(order.get(item, "")))
        for item, label, state in candidates()
    ]
    return sorted(rows, key=lambda row: (row.item not in order, order.get(row.item, 0)))


def read_position(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) <= POSITION_MAX else None


def typed_rows() -> list[Row]:
    """The rows as the administrator typed them, each checked."""
    rows = []
    for item, label, state in candidates():
        shown = request.form.get(f"shown-{item.key}") == "1"
        typed = request.form.get(f"position-{item.key}", "")[:10]
        row = Row(item, label, state, shown, typed)
        if shown and typed.strip() and read_position(typed) is None:
            row.error = str(messages.MENU_POSITION_INVALID.format(max=POSITION_MAX))
        rows.append(row)
    return rows


def render_menu_page(
    form: MenuForm, rows: list[Row], status: int = 200, notice: str | None = None
) -> tuple[str, int]:
    """The menu's page; after a refused save, what was typed and why."""
    return (
        render_template(
            "articles/menu.html", form=form, rows=rows, max_items=MAX_ITEMS, notice=notice
        ),
        status,
    )


@bp.get("/")
def edit_menu() -> tuple[str, int]:
    """The pages and categories, those in the menu first, in its order."""
    return render_menu_page(MenuForm(), saved_rows())


@bp.post("/")
def save() -> BaseResponse | tuple[str, int]:
    """Keep the entries ticked, ordered by their position (ties: as listed)."""
    form = MenuForm()
    rows = typed_rows()
    if not form.validate():
        return render_menu_page(form, rows, 400, str(messages.CSRF_EXPIRED))
    if any(row.error for row in rows):
        return render_menu_page(form, rows, 422, str(messages.MENU_NOT_SAVED))
    shown = [row for row in rows if row.shown]
    if len(shown) > MAX_ITEMS:
        return render_menu_page(form, rows, 422, str(messages.MENU_TOO_LONG.format(max=MAX_ITEMS)))
    listed = sorted(
        enumerate(shown),
        key=lambda pair: (read_position(pair[1].position) or POSITION_MAX + 1, pair[0]),
    )
    save_menu(row.item for _, row in listed)
    flash(str(messages.MENU_SAVED), "success")
    return redirect(url_for("menu.edit_menu"), 303)
