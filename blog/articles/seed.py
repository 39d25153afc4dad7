"""The articles the blog ships with, loaded from ``blog/articles/content/articles.json``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup

from blog.extensions import db
from blog.models import Article

CONTENT_FILE = Path(__file__).parent / "content" / "articles.json"


def render_blocks(blocks: list[dict[str, str]]) -> str:
    """Turn the structured body (paragraphs and subheadings) into HTML.

    The original page's two photographs are not shipped, and their captions
    were only the photographs' names ("Jean-Philippe Imparato Cassino
    Pomigliano"), not text: they are left out rather than set as a caption
    with no picture.
    """
    html: list[Markup] = []
    for block in blocks:
        ((kind, text),) = block.items()
        if kind == "p":
            html.append(Markup("<p>{}</p>").format(text))
        elif kind == "h2":
            html.append(Markup("<h2>{}</h2>").format(text))
        else:
            raise ValueError(f"unknown block {kind!r} in {CONTENT_FILE.name}")
    return "\n".join(str(part) for part in html)


def load_content(path: Path = CONTENT_FILE) -> list[dict[str, Any]]:
    """Read the shipped articles."""
    return json.loads(path.read_text(encoding="utf-8"))["articles"]


def seed_articles(path: Path = CONTENT_FILE) -> list[str]:
    """Add the shipped articles that are missing; return the slugs added."""
    added = []
    for entry in load_content(path):
        exists = db.session.scalar(sa.select(Article.id).where(Article.slug == entry["slug"]))
        if exists:
            continue
        published = datetime.fromisoformat(entry["published"]).astimezone(UTC)
        db.session.add(
            Article(
                slug=entry["slug"],
                title=entry["title"],
                standfirst=entry.get("standfirst", ""),
                body_html=render_blocks(entry["body"]),
                published_at=published.replace(tzinfo=None),
                comments_open=entry.get("comments_open", True),
            )
        )
        added.append(entry["slug"])
    db.session.commit()
    return added
