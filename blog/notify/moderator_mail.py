"""Moderators' mail: what they hear, when, and the signed links it carries.

* Each moderator chooses, on their profile page, which comments they hear
  of (``MailEvents``: none, those waiting, or every new comment, including
  those published without moderation) and how often (``MailFrequency``: at
  once, or an hourly or daily digest, made when due by the delivery loop,
  blog/notify/delivery.py, and sent at once). Comments the filters sent to
  Spam are never mailed. Each mail says why a comment was held, and quotes
  at most the first 500 characters of it. It is written in the language
  the moderator chose on their profile, else in the site's.
* Mail about a waiting comment carries one-click links (Approve, Spam,
  Trash; in Italian Approva, Spam, Cestina) that are signed, bound to the
  comment, the action, the moderator and the comment's status version,
  valid for ``MAIL_LINK_MAX_AGE``; one use of any of them uses them all,
  and a change of status since the mail was written retires them. A link
  opens a confirmation page; only that page's POST acts.

Readers' mail (subscriptions, double opt-in) is in blog/notify/subscriptions.py.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadData

from blog import messages
from blog.accounts.roles import Capability, roles_that
from blog.core.i18n import available_languages, counted, speaking
from blog.core.i18n import lazy_pgettext as _lp
from blog.core.i18n import plural as _n
from blog.core.links import comment_link
from blog.core.signing import timed_serializer as _serializer
from blog.core.urls import external_url
from blog.extensions import db
from blog.models import (
    Comment,
    CommentStatus,
    DigestEntry,
    MailComment,
    MailMessage,
    Moderator,
    UsedLink,
    utcnow,
)
from blog.notify import outbox
from blog.notify.mail import compose, quote

ACTION_SALT = "mail-moderation-link"
#: The actions a moderator's mail offers, named as the queue's buttons are.
MAIL_ACTIONS = {
    "approve": _lp("button", "Approve"),
    "spam": _lp("button", "Spam"),
    "trash": _lp("button", "Trash"),
}
#: The subject of a digest.
DIGEST_SUBJECT = _n("Digest: {count} comment", "Digest: {count} comments")


class MailEvents(enum.StrEnum):
    """Which new comments a moderator is mailed about."""

    NEVER = "never"
    PENDING = "pending"
    ALL = "all"


class MailFrequency(enum.StrEnum):
    """When: at once, or gathered in a digest."""

    IMMEDIATE = "immediate"
    HOURLY = "hourly"
    DAILY = "daily"


#: How long a digest gathers comments.
DIGEST_PERIODS = {MailFrequency.HOURLY: timedelta(hours=1), MailFrequency.DAILY: timedelta(days=1)}


# Links


@dataclass(frozen=True)
class MailAction:
    """What a moderator's link stands for, as it was mailed."""

    comment_id: int
    action: str
    moderator_id: int
    #: The comment's ``status_version`` when the mail was written: with the
    #: comment and the moderator, it names the mail the link came in.
    status_version: int
    #: When the comment was written (microseconds): SQLite may give a deleted
    #: comment's id to the next one, and a link must never act on that one.
    written: int


def created_microseconds(comment: Comment) -> int:
    """The comment's creation time, as a whole number of microseconds."""
    moment = comment.created_at
    return (
        moment.toordinal() * 86400 + moment.hour * 3600 + moment.minute * 60 + moment.second
    ) * 1_000_000 + moment.microsecond


def action_token(comment: Comment, action: str, moderator: Moderator | sa.Row) -> str:
    """A link for one moderator to do one action to one comment, as it stands now."""
    return _serializer(ACTION_SALT).dumps(
        {
            "c": comment.id,
            "a": action,
            "m": moderator.id,
            "v": comment.status_version,
            "w": created_microseconds(comment),
        }
    )


def read_action_token(token: str) -> MailAction | None:
    """What a link stands for; None if forged, altered or expired."""
    try:
        data = _serializer(ACTION_SALT).loads(
            token, max_age=current_app.config["MAIL_LINK_MAX_AGE"]
        )
    except BadData:
        return None
    if not isinstance(data, dict) or data.get("a") not in MAIL_ACTIONS:
        return None
    numbers = data.get("c"), data.get("m"), data.get("v"), data.get("w")
    if not all(isinstance(number, int) for number in numbers):
        return None
    return MailAction(data["c"], data["a"], data["m"], data["v"], data["w"])


def link_digest(link: MailAction) -> str:
    """What a used link is remembered by: the mail it came in, not its text.

    One signature has more than one spelling that itsdangerous accepts, so
    the text of a token cannot tell a new link from a replayed one; and
    using any link of a mail uses them all.
    """
    key = f"moderation:{link.comment_id}:{link.written}:{link.moderator_id}:{link.status_version}"
    return hashlib.sha256(key.encode()).hexdigest()


def link_used(link: MailAction) -> bool:
    return db.session.get(UsedLink, link_digest(link)) is not None


def mark_link_used(link: MailAction) -> None:
    db.session.add(UsedLink(digest=link_digest(link)))


# Messages


# Built once: it runs for every new comment, under SQLite's write lock.
_MODERATORS_WANTING = (
    sa.select(Moderator)
    .where(
        Moderator.active.is_(True),
        Moderator.email.is_not(None),
        Moderator.email != "",
        Moderator.mail_events.in_(sa.bindparam("wanted", expanding=True)),
        # Comment mail is for those who may moderate (an author hears nothing).
        Moderator.role.in_(roles_that(Capability.MODERATE_COMMENTS)),
    )
    .order_by(Moderator.id)
)


def _moderators_to_mail(status: CommentStatus) -> list[Moderator]:
    """The active moderators with an address who want to hear of a new ``status`` comment."""
    wanted = [MailEvents.ALL.value]
    if status == CommentStatus.PENDING:
        wanted.append(MailEvents.PENDING.value)
    return list(db.session.scalars(_MODERATORS_WANTING, {"wanted": wanted}))


class News(enum.StrEnum):
    """What a moderator's mail about one comment tells."""

    NEW = "new"
    #: Its author changed its text: news again, as a new comment.
    EDITED = "edited"
    #: A reader reported it; it stays published.
    REPORTED = "reported"


def notify_moderators(
    comment_id: int, reasons: tuple[str, ...] = (), *, news: News = News.NEW
) -> int:
    """Mail (or keep for a digest) a comment that is news, for each moderator who wants it.

    Returns how many moderators will hear of it. Spam is never mailed.
    """
    comment = db.session.get_one(Comment, comment_id)
    if comment.status not in (CommentStatus.PENDING, CommentStatus.APPROVED):
        return 0
    moderators = _moderators_to_mail(comment.status)
    for moderator in moderators:
        if moderator.mail_frequency == MailFrequency.IMMEDIATE:
            with speaking(language_of(moderator)):
                _mail_one(comment, moderator, reasons, news)
        else:
            db.session.add(DigestEntry(moderator_id=moderator.id, comment_id=comment.id))
            outbox.queued()  # the delivery loop makes the digests that are due
    return len(moderators)


def language_of(moderator: Moderator) -> str | None:
    """The language a moderator's mail is written in: theirs, or the site's
    (None) when they chose none or the blog no longer has its catalog."""
    return moderator.language if moderator.language in available_languages() else None


def _subject(comment: Comment, news: News) -> str:
    title = comment.article.title
    pending = comment.status == CommentStatus.PENDING
    if news is News.REPORTED:
        return _("Comment reported: “%(title)s”", title=title)
    if news is News.EDITED and pending:
        return _("Comment edited, awaiting moderation: “%(title)s”", title=title)
    if news is News.EDITED:
        return _("Comment edited and published without moderation: “%(title)s”", title=title)
    if pending:
        return _("Comment awaiting moderation: “%(title)s”", title=title)
    return _("New comment published: “%(title)s”", title=title)


def _mail_one(comment: Comment, moderator: Moderator, reasons: tuple[str, ...], news: News) -> None:
    pending = comment.status == CommentStatus.PENDING
    actions = MAIL_ACTIONS if pending else {k: v for k, v in MAIL_ACTIONS.items() if k != "approve"}
    links = [
        (
            label,
            external_url(
                "mail_links.confirm_action", token=action_token(comment, action, moderator)
            ),
        )
        for action, label in actions.items()
    ]
    reported = news is News.REPORTED
    compose(
        moderator.email or "",
        _subject(comment, news),
        "email/moderator_comment.txt",
        comment_id=comment.id,
        comment=comment,
        pending=pending,
        edited=news is News.EDITED,
        reported=reported,
        reasons=reasons if reasons or news is not News.NEW else filter_reasons(comment),
        quote=quote(comment.body),
        links=links,
        link=comment_link(comment) if not pending else None,
        queue_url=external_url("moderation.queue", status="reported")
        if reported
        else external_url("moderation.queue"),
    )


def filter_reasons(comment: Comment) -> tuple[str, ...]:
    """Why the filters held a comment, as its history says."""
    return tuple(
        event.note
        for event in comment.events
        if event.moderator_id is None and event.action == "filter" and event.note
    )


def queue_due_digests(now: datetime | None = None) -> int:
    """Queue for each moderator whose period is over the digest of what it gathered.

    A period (an hour, a day) runs from their last digest, or from the first
    comment waiting when there was none; a moderator back to "Subito" gets
    what was waiting at once.

    Returns how many digests were queued; the caller commits.
    """
    now = now or utcnow()
    made = 0
    waiting = db.session.scalars(
        sa.select(Moderator).where(Moderator.id.in_(sa.select(DigestEntry.moderator_id).distinct()))
    ).all()
    for moderator in waiting:
        entries = db.session.scalars(
            sa.select(DigestEntry)
            .where(DigestEntry.moderator_id == moderator.id)
            .order_by(DigestEntry.id)
        ).all()
        period = DIGEST_PERIODS.get(MailFrequency(moderator.mail_frequency))
        # A period runs from the last digest, or from the first comment waiting.
        start = moderator.digest_sent_at or entries[0].created_at
        if period is not None and now - start < period:
            continue
        comments = [
            comment
            for comment in (db.session.get(Comment, entry.comment_id) for entry in entries)
            if comment is not None and comment.status != CommentStatus.SPAM
        ]
        for entry in entries:
            db.session.delete(entry)
        moderator.digest_sent_at = now
        if not comments or not moderator.active or not moderator.email:
            continue
        with speaking(language_of(moderator)):
            message = _compose_digest(moderator.email, comments)
        db.session.flush()
        db.session.add_all(
            MailComment(mail_message_id=message.id, comment_id=comment.id) for comment in comments
        )
        made += 1
    return made


def _compose_digest(address: str, comments: list[Comment]) -> MailMessage:
    """One moderator's digest of ``comments``, in the language of the moment."""
    return compose(
        address,
        counted(len(comments), DIGEST_SUBJECT),
        "email/moderator_digest.txt",
        items=[
            (
                comment,
                filter_reasons(comment),
                quote(comment.body),
                comment_link(comment)
                if comment.status == CommentStatus.APPROVED
                else external_url("moderation.queue", status=comment.status.value),
            )
            for comment in comments
        ],
        queue_url=external_url("moderation.queue"),
    )


def comment_reported(
    sender: object,
    *,
    comment_id: int,
    count: int,
    reason: str | None,
    sent_back: bool,
    **_: object,
) -> None:
    """Readers reported a comment: moderators hear of it as their mail settings say.

    Sent back to pending, it is a waiting comment, with the reports as the
    reason. Still published, its first report since it was approved or
    kept is news for those who hear of every comment; later ones wait in
    the queue's "Segnalati", with their reasons.
    """
    if sent_back:
        notify_moderators(comment_id, (messages.counted(count, messages.FLAG_REASON),))
    elif count == 1:
        notify_moderators(comment_id, (reason,) if reason else (), news=News.REPORTED)


def comment_edited(
    sender: object,
    *,
    comment_id: int,
    status: CommentStatus,
    reasons: tuple[str, ...] = (),
    **_: object,
) -> None:
    """An author changed their comment: moderators hear of it as of a new one."""
    if status in (CommentStatus.PENDING, CommentStatus.APPROVED):
        notify_moderators(comment_id, reasons, news=News.EDITED)


def comment_stored(
    sender: object,
    *,
    comment_id: int,
    status: CommentStatus,
    parent_id: int | None,
    reasons: tuple[str, ...] = (),
) -> None:
    """A new comment was stored: tell the moderators who want to hear of it."""
    if status in (CommentStatus.PENDING, CommentStatus.APPROVED):
        notify_moderators(comment_id, reasons)
