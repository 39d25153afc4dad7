"""Lists of public articles, a page at a time: the index, a category, a tag,
an author. Each page costs three queries whatever its length: the count,
the page's articles with their authors, their categories and tags."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, request, url_for

from blog.core.http import page_number
from blog.extensions import db
from blog.models import Article, ArticleKind


def listed(now: datetime | None = None) -> sa.ColumnElement[bool]:
    """What the lists, feeds and sitemap show: public articles (not pages)."""
    return sa.and_(Article.public(now), Article.kind == ArticleKind.POST)


@dataclass(frozen=True)
class Listing:
    """One page of a list of articles."""

    articles: Sequence[Article]
    page: int
    pages: int
    endpoint: str
    values: dict[str, Any] = field(default_factory=dict)

    def url_for(self, page: int) -> str:
        """The address of another page of the same list (the first has no ``?page=``)."""
        return url_for(self.endpoint, page=page if page > 1 else None, **self.values)


def list_articles(
    where: sa.ColumnElement[bool], endpoint: str, *, empty_is_404: bool = False, **values: Any
) -> Listing:
    """The page of public articles matching ``where`` that ``?page=`` asks for.

    A page past the last answers 404, as WordPress's do; an empty list
    has one page, which says so, unless ``empty_is_404``.
    """
    per_page = int(current_app.config["ARTICLES_PER_PAGE"])
    page = page_number(request.args.get("page"))
    condition = sa.and_(listed(), where)
    total = db.session.scalar(sa.select(sa.func.count(Article.id)).where(condition)) or 0
    pages = max(1, math.ceil(total / per_page))
    if page > pages or (empty_is_404 and not total):
        abort(404)
    articles = db.session.scalars(
        sa.select(Article)
        .where(condition)
        .options(
            sa.orm.joinedload(Article.author),
            sa.orm.joinedload(Article.featured_image),
            sa.orm.selectinload(Article.terms),
        )
        .order_by(Article.published_at.desc(), Article.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Listing(articles, page, pages, endpoint, values)
