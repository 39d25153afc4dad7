"""Readers' mail: double opt-in subscriptions, the suppression list, and
what subscribers hear.

* Ticking "Avvisami…" under a comment, or "Segui la discussione" under an
  article, records a subscription, which is mailed nothing until it is
  confirmed. The address gets one mail, "Conferma l'iscrizione", listing
  what was asked, with a signed link (at most one such mail a day,
  whatever strangers type in the forms); its page's button confirms the
  subscriptions the mail listed, never one asked for after it was sent.
  "Avvisami…" on a later comment needs no new confirmation only from the
  browser that confirmed the address (a signed cookie it got with that
  click, naming the subscriber); from any other browser the address is
  asked again, and hears nothing of that comment until it answers.
  Following a discussion always asks.
* Every mail to a reader carries an unsubscribe link that names the
  subscriber (by id and a random key, never the address) and works at
  once by POST (RFC 8058's one-click, which mail providers send) or from
  its page. An address that unsubscribed goes on the suppression list
  (kept as a SHA-256, never the address) and is mailed nothing, not even a
  confirmation, until its owner asks again from that page: then one
  confirmation is mailed, and only its link lifts the suppression.
* Readers' mail is written in the site's language (``SITE_LANGUAGE``),
  whoever's request sends it: a moderator who reads English approving a
  comment on an Italian site still has its author told in Italian.
"""

from __future__ import annotations

import hashlib
from collections.abc import Set
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from itsdangerous import BadData
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from blog.core.database import rows_changed
from blog.core.i18n import speaking
from blog.core.links import comment_link
from blog.core.signing import timed_serializer as _serializer
from blog.core.urls import external_url
from blog.extensions import db
from blog.models import (
    Article,
    Comment,
    CommentStatus,
    Subscriber,
    Subscription,
    Suppression,
    utcnow,
)
from blog.notify.mail import compose, quote

CONFIRM_SALT = "mail-confirm-subscription"
UNSUBSCRIBE_SALT = "mail-unsubscribe-subscriber"
BROWSER_SALT = "mail-confirmed-browser"
#: The cookie of a browser that confirmed addresses: their subscribers, signed.
BROWSER_COOKIE = "mail_confirmed"
#: How long a browser that confirmed an address is trusted for it.
BROWSER_COOKIE_AGE = timedelta(days=365)
#: How many addresses one browser's cookie remembers (the latest confirmed).
BROWSER_COOKIE_ADDRESSES = 5
#: How often an address may be sent a confirmation.
CONFIRMATION_INTERVAL = timedelta(hours=24)
#: The longest address stored (the comment form's limit).
ADDRESS_MAX = 100


def normalized(email: str | None) -> str:
    return (email or "").strip().lower()


def suppression_digest(email: str) -> str:
    """What the suppression list keeps of an address."""
    return hashlib.sha256(normalized(email).encode()).hexdigest()


def is_suppressed(email: str) -> bool:
    return db.session.get(Suppression, suppression_digest(email)) is not None


# Tokens


def confirm_token(subscriber: Subscriber, up_to: int) -> str:
    """A link confirming the subscriber's subscriptions up to id ``up_to``."""
    return _serializer(CONFIRM_SALT).dumps({"s": subscriber.id, "k": subscriber.key, "u": up_to})


def unsubscribe_token(subscriber: Subscriber) -> str:
    """A subscriber's link to stop mail: it names the subscriber, never the address."""
    return _serializer(UNSUBSCRIBE_SALT).dumps({"s": subscriber.id, "k": subscriber.key})


def _read(token: str, salt: str, max_age: int | None) -> tuple[Subscriber, dict] | None:
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        return None
    subscriber = db.session.get(Subscriber, data["s"])
    if subscriber is None or subscriber.key != data.get("k"):
        return None  # gone, or its id given to someone else since
    return subscriber, data


def read_confirm_token(token: str) -> tuple[Subscriber, int] | None:
    """The subscriber a confirmation link names, and its last subscription id."""
    found = _read(token, CONFIRM_SALT, current_app.config["MAIL_LINK_MAX_AGE"])
    if found is None or not isinstance(found[1].get("u"), int):
        return None
    return found[0], found[1]["u"]


def read_unsubscribe_token(token: str) -> Subscriber | None:
    """Unsubscribe links never expire: a mail read a year later must still stop the next."""
    found = _read(token, UNSUBSCRIBE_SALT, None)
    return found[0] if found else None


def unsubscribe_url(subscriber: Subscriber) -> str:
    return external_url("mail_links.unsubscribe", token=unsubscribe_token(subscriber))


# The browser that confirmed

#: A subscriber as a browser's cookie names it: its id, and a digest of its
#: key (SQLite may give a deleted subscriber's id to a new address).
BrowserMark = tuple[int, str]


def browser_mark(subscriber: Subscriber) -> BrowserMark:
    return subscriber.id, hashlib.sha256(subscriber.key.encode()).hexdigest()[:16]


def confirmed_in_this_browser() -> frozenset[BrowserMark]:
    """The subscribers whose confirmation was clicked in the browser making
    this request (its signed cookie); none outside a request."""
    if not has_request_context():
        return frozenset()
    return frozenset(_browser_marks(request.cookies.get(BROWSER_COOKIE)))


def _browser_marks(cookie: str | None) -> list[BrowserMark]:
    if not cookie:
        return []
    max_age = int(BROWSER_COOKIE_AGE.total_seconds())
    try:
        entries = _serializer(BROWSER_SALT).loads(cookie, max_age=max_age)
    except BadData:
        return []
    if not isinstance(entries, list):
        return []
    return [
        (entry[0], entry[1])
        for entry in entries
        if isinstance(entry, list)
        and len(entry) == 2
        and isinstance(entry[0], int)
        and isinstance(entry[1], str)
    ]


def remember_browser(response: Response, subscriber: Subscriber) -> None:
    """Mark the browser that clicked a subscriber's confirmation: its later
    comments under that address need no new one. Set only then, when a
    reader asks for something, never on a page anyone merely reads."""
    mark = browser_mark(subscriber)
    known = _browser_marks(request.cookies.get(BROWSER_COOKIE))
    marks = [*(other for other in known if other != mark), mark][-BROWSER_COOKIE_ADDRESSES:]
    response.set_cookie(
        BROWSER_COOKIE,
        _serializer(BROWSER_SALT).dumps([list(entry) for entry in marks]),
        max_age=BROWSER_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )


# Subscribing


def subscribe(
    email: str,
    article: Article,
    *,
    comment_id: int | None = None,
    confirmed_here: Set[BrowserMark] = frozenset(),
) -> Subscriber | None:
    """Record that ``email`` wants mail about replies to a comment of ``article``
    (``comment_id``) or, without one, about every comment of ``article``.

    ``confirmed_here`` names the subscribers whose confirmation was clicked
    in the browser asking (:func:`confirmed_in_this_browser`). Mails the
    confirmation when the subscription needs one. Returns None, and stores
    nothing, for an address on the suppression list. The caller commits.
    """
    address = normalized(email)
    if not address or len(address) > ADDRESS_MAX or is_suppressed(address):
        return None
    subscriber = subscriber_for(address)
    # Replies to one's own comment: trusted only from the browser that
    # confirmed the address; anyone can type an address into the form.
    trusted = (
        comment_id is not None
        and subscriber.confirmed_at is not None
        and browser_mark(subscriber) in confirmed_here
    )
    subscription = Subscription(
        subscriber_id=subscriber.id,
        article_id=article.id if comment_id is None else None,
        comment_id=comment_id,
        confirmed_at=utcnow() if trusted else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(subscription)
    except IntegrityError:
        pass  # asked before: the first request stands
    if not trusted:
        send_confirmation(subscriber)
    return subscriber


def subscriber_for(address: str) -> Subscriber:
    """The address's record, created if new; two requests creating it at once
    (PostgreSQL) do not fail: the second finds the first's."""
    query = sa.select(Subscriber).where(Subscriber.email == address)
    subscriber = db.session.scalar(query)
    if subscriber is not None:
        return subscriber
    try:
        with db.session.begin_nested():
            subscriber = Subscriber(email=address)
            db.session.add(subscriber)
    except IntegrityError:
        subscriber = db.session.scalars(query).one()
    return subscriber


def _claim_confirmation(subscriber: Subscriber) -> bool:
    """Take today's confirmation for the address, unless someone already did."""
    now = utcnow()
    claimed = rows_changed(
        sa.update(Subscriber)
        .where(
            Subscriber.id == subscriber.id,
            sa.or_(
                Subscriber.confirmation_sent_at.is_(None),
                Subscriber.confirmation_sent_at < now - CONFIRMATION_INTERVAL,
            ),
        )
        .values(confirmation_sent_at=now)
    )
    return bool(claimed)


def send_confirmation(subscriber: Subscriber) -> bool:
    """Mail one confirmation listing what is waiting for it, at most once a
    day, in the site's language whoever asked."""
    if not _claim_confirmation(subscriber):
        return False
    waiting = db.session.scalars(
        sa.select(Subscription)
        .where(Subscription.subscriber_id == subscriber.id, Subscription.confirmed_at.is_(None))
        .order_by(Subscription.id)
    ).all()
    up_to = max((subscription.id for subscription in waiting), default=0)
    with speaking(None):
        compose(
            subscriber.email,
            _("Confirm your subscription"),
            "email/confirm_subscription.txt",
            items=[_describe(subscription) for subscription in waiting],
            confirm_url=external_url(
                "mail_links.confirm_subscription", token=confirm_token(subscriber, up_to)
            ),
        )
    return True


def _describe(subscription: Subscription) -> str:
    """What a subscription is, in the words of the confirmation mail."""
    if subscription.comment_id is not None:
        comment = db.session.get(Comment, subscription.comment_id)
        title = comment.article.title if comment else ""
        return _("replies to your comment on “%(title)s”", title=title)
    article = db.session.get(Article, subscription.article_id)
    return _("new comments on “%(title)s”", title=article.title if article else "")


def confirm(subscriber: Subscriber, up_to: int) -> int:
    """The address's owner confirmed: what the mail listed flows, and the
    address is off the suppression list. Returns how many were confirmed."""
    now = utcnow()
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = now
    db.session.execute(
        sa.delete(Suppression)
        .where(Suppression.digest == suppression_digest(subscriber.email))
        .execution_options(synchronize_session=False)
    )
    return rows_changed(
        sa.update(Subscription)
        .where(
            Subscription.subscriber_id == subscriber.id,
            Subscription.id <= up_to,
            Subscription.confirmed_at.is_(None),
        )
        .values(confirmed_at=now)
    )


def unsubscribe(subscriber: Subscriber) -> None:
    """Stop every mail to the subscriber's address, and keep it stopped."""
    db.session.execute(
        sa.delete(Subscription)
        .where(Subscription.subscriber_id == subscriber.id)
        .execution_options(synchronize_session=False)
    )
    subscriber.confirmed_at = None
    digest = suppression_digest(subscriber.email)
    if db.session.get(Suppression, digest) is None:
        db.session.add(Suppression(digest=digest))


def ask_again(subscriber: Subscriber) -> bool:
    """The owner of an unsubscribed address wants mail again: mail them one
    confirmation (its link lifts the suppression), at most once a day."""
    return send_confirmation(subscriber)


# What subscribers hear


def _confirmed(*conditions: sa.ColumnElement[bool]) -> list[Subscriber]:
    return list(
        db.session.scalars(
            sa.select(Subscriber)
            .join(Subscription, Subscription.subscriber_id == Subscriber.id)
            .where(Subscription.confirmed_at.is_not(None), *conditions)
            .order_by(Subscriber.id)
            .distinct()
        )
    )


class _Mailer:
    """Mail about one comment: its link and quote worked out once for all."""

    def __init__(self, comment: Comment) -> None:
        self.comment = comment
        self.link = comment_link(comment)
        self.quote = quote(comment.body)
        self.mailed: set[str] = set()
        self.count = 0

    def send(self, subscriber: Subscriber, subject: str, template: str, **context: object) -> None:
        if subscriber.email in self.mailed:
            return
        compose(
            subscriber.email,
            subject,
            template,
            comment_id=self.comment.id,
            unsubscribe_url=unsubscribe_url(subscriber),
            comment=self.comment,
            link=self.link,
            quote=self.quote,
            **context,
        )
        self.mailed.add(subscriber.email)
        self.count += 1


def mail_readers(comment: Comment, *, approved_by_moderator: bool) -> int:
    """A comment became visible: tell its author (if a moderator approved it),
    the author of the comment it answers, and the discussion's followers.

    One mail per address, the most personal one; the comment's author is
    never told of their own comment. Written in the site's language, even
    when a moderator who reads another one approved the comment. Returns
    how many mails were queued.
    """
    if comment.status != CommentStatus.APPROVED:
        return 0
    with speaking(None):
        return _mail_readers(comment, approved_by_moderator)


def _mail_readers(comment: Comment, approved_by_moderator: bool) -> int:
    author = normalized(comment.email)
    mailer = _Mailer(comment)
    if approved_by_moderator and author:
        for subscriber in _confirmed(Subscription.comment_id == comment.id):
            mailer.send(
                subscriber, _("Your comment has been approved"), "email/author_approved.txt"
            )
    if author:
        mailer.mailed.add(author)
    if comment.parent_id is not None:
        parent = db.session.get(Comment, comment.parent_id)
        for subscriber in _confirmed(Subscription.comment_id == comment.parent_id):
            mailer.send(
                subscriber,
                _("New reply to your comment"),
                "email/parent_reply.txt",
                parent=parent,
            )
    title = comment.article.title
    for subscriber in _confirmed(Subscription.article_id == comment.article_id):
        mailer.send(
            subscriber, _("New comment on “%(title)s”", title=title), "email/new_comment.txt"
        )
    return mailer.count


# Signals


def comment_stored(sender: object, *, comment_id: int, status: CommentStatus, **_: object) -> None:
    """A new comment: record its author's wish for mail, and tell the subscribers."""
    if status == CommentStatus.SPAM:
        return  # no confirmation to an address a spammer typed
    comment = db.session.get_one(Comment, comment_id)
    if comment.notify and comment.email:
        subscribe(
            comment.email,
            comment.article,
            comment_id=comment.id,
            confirmed_here=confirmed_in_this_browser(),
        )
    if status == CommentStatus.APPROVED:
        mail_readers(comment, approved_by_moderator=False)


def comment_approved(sender: object, *, comment: Comment) -> None:
    mail_readers(comment, approved_by_moderator=True)
