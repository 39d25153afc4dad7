"""Privacy tools: what is stored about an email, anonymising, deleting, purging.

Anonymising follows WordPress's personal-data eraser: the name becomes
"Anonymous" in the site's language ("Anonimo"), the email, site, IP address
and user agent go, the text stays. Either way, the address's subscriptions,
every outbox row sent to it or about its comments (mail and webhooks) and
the moderators' digest entries about its comments go too; only an entry of
the suppression list stays, as a SHA-256 of the address, so that an address
that asked for no mail keeps getting none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from blog.core.database import rows_changed
from blog.core.i18n import lazy_gettext as _l
from blog.core.i18n import speaking
from blog.extensions import db
from blog.models import (
    Article,
    Comment,
    DigestEntry,
    MailComment,
    MailMessage,
    ModerationEvent,
    Moderator,
    ReceivedWebmention,
    Subscriber,
    Subscription,
    WebhookDelivery,
    utcnow,
)
from blog.moderation.workflow import Event, delete_comment, record_event
from blog.notify.subscriptions import is_suppressed, normalized
from blog.spam import bayes_store

#: The name an anonymised comment is shown under.
ANONYMOUS = _l("Anonymous")


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
        "subscription": _subscription_export(email),
        "mail": [
            {
                "subject": message.subject,
                "created_at": message.created_at.isoformat(timespec="seconds") + "Z",
                "sent_at": message.sent_at.isoformat(timespec="seconds") + "Z"
                if message.sent_at
                else None,
                "body": message.body,
            }
            for message in db.session.scalars(
                sa.select(MailMessage)
                .where(sa.func.lower(MailMessage.to_address) == normalized(email))
                .order_by(MailMessage.id)
            )
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


def _subscription_export(email: str) -> dict[str, Any] | None:
    subscriber = db.session.scalar(
        sa.select(Subscriber).where(Subscriber.email == normalized(email))
    )
    if subscriber is None:
        return {"suppressed": True} if is_suppressed(email) else None
    return {
        "created_at": subscriber.created_at.isoformat(timespec="seconds") + "Z",
        "confirmed_at": subscriber.confirmed_at.isoformat(timespec="seconds") + "Z"
        if subscriber.confirmed_at
        else None,
        "suppressed": is_suppressed(email),
        "subscriptions": [
            {
                "article_id": subscription.article_id,
                "comment_id": subscription.comment_id,
                "created_at": subscription.created_at.isoformat(timespec="seconds") + "Z",
            }
            for subscription in subscriber.subscriptions
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
    forget_mail(email, [comment.id for comment in comments])
    with speaking(None):  # readers see the name: the site's language, stored as it is now
        anonymous = str(ANONYMOUS)
    for comment in comments:
        bayes_store.forget(comment)
        if delete:
            delete_comment(comment)
            db.session.flush()
            continue
        comment.author = anonymous
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


def forget_mail(email: str, comment_ids: list[int]) -> int:
    """Delete the address's subscriptions, every outbox row and digest entry
    sent to it or about ``comment_ids`` (moderators' digests included), and
    what the filters noted of those comments. The caller commits."""
    address = normalized(email)
    gone = rows_changed(
        sa.delete(MailMessage).where(sa.func.lower(MailMessage.to_address) == address)
    )
    subscriber_ids = sa.select(Subscriber.id).where(Subscriber.email == address)
    gone += rows_changed(
        sa.delete(Subscription).where(Subscription.subscriber_id.in_(subscriber_ids))
    )
    gone += rows_changed(sa.delete(Subscriber).where(Subscriber.email == address))
    for start in range(0, len(comment_ids), 500):
        batch = comment_ids[start : start + 500]
        about = sa.select(MailComment.mail_message_id).where(MailComment.comment_id.in_(batch))
        gone += rows_changed(sa.delete(MailMessage).where(MailMessage.id.in_(about)))
        gone += rows_changed(sa.delete(MailMessage).where(MailMessage.comment_id.in_(batch)))
        gone += rows_changed(
            sa.delete(WebhookDelivery).where(WebhookDelivery.comment_id.in_(batch))
        )
        gone += rows_changed(sa.delete(DigestEntry).where(DigestEntry.comment_id.in_(batch)))
        gone += rows_changed(sa.delete(Subscription).where(Subscription.comment_id.in_(batch)))
        # The filters' notes may quote the name or the email's domain.
        db.session.execute(
            sa.update(ModerationEvent)
            .where(
                ModerationEvent.comment_id.in_(batch),
                ModerationEvent.action == Event.FILTER.value,
            )
            .values(note=None)
            .execution_options(synchronize_session=False)
        )
    return gone


def purge_unconfirmed(retention_days: int) -> int:
    """Delete addresses that never confirmed, or have nothing left to hear
    of, ``retention_days`` after they were first written; the caller commits.
    (An unsubscribed address keeps its suppression entry, a hash.)"""
    cutoff = utcnow() - timedelta(days=retention_days)
    has_confirmed = (
        sa.select(Subscription.id)
        .where(
            Subscription.subscriber_id == Subscriber.id,
            Subscription.confirmed_at.is_not(None),
        )
        .exists()
    )
    stale = sa.select(Subscriber.id).where(Subscriber.created_at < cutoff, ~has_confirmed)
    stale_ids = list(db.session.scalars(stale))
    rows_changed(sa.delete(Subscription).where(Subscription.subscriber_id.in_(stale_ids)))
    return rows_changed(sa.delete(Subscriber).where(Subscriber.id.in_(stale_ids)))


def purge_addresses(retention_days: int) -> int:
    """Clear IP addresses and user agents older than ``retention_days``.

    Returns how many comments were cleared. The caller commits.
    """
    cutoff = utcnow() - timedelta(days=retention_days)
    # Who sent a Webmention goes at the same age (blog/webmention/).
    rows_changed(
        sa.update(ReceivedWebmention)
        .where(
            ReceivedWebmention.created_at < cutoff,
            sa.or_(
                ReceivedWebmention.ip_address.is_not(None),
                ReceivedWebmention.ip_block.is_not(None),
            ),
        )
        .values(ip_address=None, ip_block=None)
    )
    return rows_changed(
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
    )
