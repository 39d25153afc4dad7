"""Privacy tools: what is stored about an email, anonymising, deleting, purging.

Anonymising follows WordPress's personal-data eraser: the name becomes
"Anonimo", the email, site, IP address and user agent go, the text stays.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa

from blog import bayes
from blog.extensions import db
from blog.models import Article, Comment, Moderator, utcnow
from blog.moderation import Event, delete_comment, record_event

ANONYMOUS = "Anonimo"


def comments_of(email: str) -> list[Comment]:
    """Every comment stored with this email, whatever its status; oldest first."""
    address = email.strip().lower()
    if not address:
        return []
    return list(
        db.session.scalars(
            sa.select(Comment)
            .where(sa.func.lower(Comment.email) == address)
            .order_by(Comment.created_at, Comment.id)
        )
    )


def export(email: str) -> dict[str, Any]:
    """Every personal field stored for ``email``, ready for JSON."""
    comments = comments_of(email)
    articles = {
        article.id: article
        for article in db.session.scalars(
            sa.select(Article).where(Article.id.in_({c.article_id for c in comments}))
        )
    }
    moderators = db.session.scalars(
        sa.select(Moderator).where(sa.func.lower(Moderator.email) == email.strip().lower())
    ).all()
    return {
        "email": email.strip(),
        "exported_at": utcnow().isoformat(timespec="seconds") + "Z",
        "comments": [
            {
                "id": comment.id,
                "article": articles[comment.article_id].title,
                "article_slug": articles[comment.article_id].slug,
                "status": comment.status.value,
                "created_at": comment.created_at.isoformat(timespec="seconds") + "Z",
                "author": comment.author,
                "email": comment.email,
                "url": comment.url,
                "ip_address": comment.ip_address,
                "user_agent": comment.user_agent,
                "notify": comment.notify,
                "spam_score": comment.spam_score,
                "text": comment.body,
                "parent_id": comment.parent_id,
            }
            for comment in comments
        ],
        "moderator_accounts": [
            {
                "username": moderator.username,
                "display_name": moderator.display_name,
                "email": moderator.email,
                "active": moderator.active,
            }
            for moderator in moderators
        ],
    }


def as_json(exported: dict[str, Any]) -> str:
    """What :func:`export` gathered, as the JSON file a person is given."""
    return json.dumps(exported, ensure_ascii=False, indent=2) + "\n"


@dataclass(frozen=True)
class Erased:
    comments: int
    deleted: bool


def erase(email: str, *, delete: bool = False, moderator: Moderator | None = None) -> Erased:
    """Anonymise (or, with ``delete``, remove) every comment stored for ``email``.

    The caller commits. Pages that showed those comments are re-rendered.
    The learning filter forgets them too: its counts keep nothing of an
    erased name or address.
    """
    comments = comments_of(email)
    for comment in comments:
        bayes.forget(comment)
        if delete:
            delete_comment(comment)
            db.session.flush()
            continue
        comment.author = ANONYMOUS
        comment.email = ""
        comment.url = ""
        comment.ip_address = None
        comment.ip_block = None
        comment.user_agent = None
        comment.notify = False
        comment.spam_clues = None  # the tokens shown may be the name's or the address's
        comment.article.comment_version = Article.comment_version + 1
        record_event(comment, Event.ANONYMISE, moderator, None, None)
    return Erased(comments=len(comments), deleted=delete)


def purge_addresses(retention_days: int) -> int:
    """Clear IP addresses and user agents older than ``retention_days``.

    Returns how many comments were cleared. The caller commits.
    """
    cutoff = utcnow() - timedelta(days=retention_days)
    # A DELETE or UPDATE through the session returns a CursorResult, typed as Result.
    result = cast(
        sa.CursorResult[Any],
        db.session.execute(
            sa.update(Comment)
            .where(
                Comment.created_at < cutoff,
                sa.or_(
                    Comment.ip_address.is_not(None),
                    Comment.ip_block.is_not(None),
                    Comment.user_agent.is_not(None),
                ),
            )
            .values(ip_address=None, ip_block=None, user_agent=None)
            .execution_options(synchronize_session=False)
        ),
    )
    return result.rowcount or 0
