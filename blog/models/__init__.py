"""Database models, one module per area; every model is importable from here."""

from __future__ import annotations

from blog.models.accounts import (
    Moderator,
    ModeratorSession,
    Role,
    StaffInvite,
    new_session_id,
    new_session_token,
)
from blog.models.articles import (
    Article,
    ArticleKind,
    ArticleRedirect,
    ArticleRevision,
    ArticleStatus,
    BodyFormat,
    Term,
    TermKind,
    article_term,
)
from blog.models.clock import utcnow
from blog.models.comments import (
    Comment,
    CommentFlag,
    CommentLike,
    CommentStatus,
    ModerationEvent,
    SpamLabel,
    body_digest,
)
from blog.models.media import MediaFile
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
from blog.models.webmention import ReceivedWebmention, SentWebmention

__all__ = [
    "ReceivedWebmention",
    "SentWebmention",
    "Article",
    "ArticleKind",
    "ArticleRedirect",
    "ArticleRevision",
    "ArticleStatus",
    "BodyFormat",
    "Role",
    "StaffInvite",
    "Term",
    "TermKind",
    "article_term",
    "Comment",
    "CommentFlag",
    "CommentLike",
    "CommentStatus",
    "DigestEntry",
    "MailComment",
    "MailMessage",
    "MediaFile",
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
