"""Database models, one module per area; every model is importable from here."""

from __future__ import annotations

from blog.models.accounts import Moderator, ModeratorSession, new_session_id, new_session_token
from blog.models.clock import utcnow
from blog.models.comments import (
    Article,
    Comment,
    CommentFlag,
    CommentLike,
    CommentStatus,
    ModerationEvent,
    SpamLabel,
    body_digest,
)
from blog.models.notify import (
    DigestEntry,
    MailComment,
    MailMessage,
    OutboxItem,
    Subscriber,
    Subscription,
    Suppression,
    UsedLink,
    WebhookDelivery,
)
from blog.models.spam import SiteSetting, SpamToken

__all__ = [
    "Article",
    "Comment",
    "CommentFlag",
    "CommentLike",
    "CommentStatus",
    "DigestEntry",
    "MailComment",
    "MailMessage",
    "ModerationEvent",
    "Moderator",
    "ModeratorSession",
    "OutboxItem",
    "SiteSetting",
    "SpamLabel",
    "SpamToken",
    "Subscriber",
    "Subscription",
    "Suppression",
    "UsedLink",
    "WebhookDelivery",
    "body_digest",
    "new_session_id",
    "new_session_token",
    "utcnow",
]
