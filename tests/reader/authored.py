"""Authored articles stored directly, as the editor would leave them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from blog.articles.terms import terms_named
from blog.extensions import db
from blog.models import Article, ArticleStatus, Moderator, Role, TermKind, utcnow
from tests.helpers import add_moderator


def add_staff(username: str, role: Role, **fields: Any) -> Moderator:
    """A member of staff with ``role``, password as ``add_moderator``'s."""
    fields.setdefault("display_name", username.capitalize())
    account = add_moderator(username=username, **fields)
    account.role = role
    db.session.commit()
    return account


def add_article(
    slug: str,
    *,
    title: str | None = None,
    status: ArticleStatus = ArticleStatus.PUBLISH,
    published_at: datetime | None = None,
    age: timedelta = timedelta(hours=1),
    author: Moderator | None = None,
    categories: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    trashed: bool = False,
    **fields: Any,
) -> Article:
    """Store an article: public an hour ago unless told otherwise."""
    article = Article(
        slug=slug,
        title=title or slug.replace("-", " ").capitalize(),
        standfirst=fields.pop("standfirst", f"Il riassunto di {slug}."),
        body_html=fields.pop("body_html", f"<p>Il testo di {slug}.</p>"),
        status=status,
        published_at=published_at or utcnow() - age,
        author_id=author.id if author else None,
        trashed_at=utcnow() if trashed else None,
        **fields,
    )
    article.terms = [
        *terms_named(TermKind.CATEGORY, categories),
        *terms_named(TermKind.TAG, tags),
    ]
    db.session.add(article)
    db.session.commit()
    return article
