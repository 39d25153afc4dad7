"""Readers' mail: double opt-in subscriptions, the suppression list, and
what subscribers hear.

* Ticking "Avvisami…" under a comment, or "Segui la discussione" under an
  article, records a subscription. An address that has never confirmed
  gets one mail, "Conferma l'iscrizione", with a signed link (and at most
  one a day, whatever strangers type in the form); nothing else is mailed
  to it until that link's page is confirmed. A confirmed address stays
  confirmed for its later comments.
* Every mail to a reader carries an unsubscribe link that names the
  subscriber by id (never the address) and works at once by POST (RFC
  8058's one-click, which mail providers send) or from its page. An
  address that unsubscribed goes on the suppression list (kept as a
  SHA-256, never the address) and is mailed nothing, not even a
  confirmation, until it subscribes again through that same page.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from blog import signals
from blog.extensions import db
from blog.links import comment_link
from blog.mail import enqueue
from blog.models import (
    Article,
    Comment,
    CommentStatus,
    Subscriber,
    Subscription,
    Suppression,
    utcnow,
)
from blog.urls import external_url

CONFIRM_SALT = "mail-confirm-subscription"
UNSUBSCRIBE_SALT = "mail-unsubscribe-subscriber"
#: How often an unconfirmed address may be sent a confirmation.
CONFIRMATION_INTERVAL = timedelta(hours=24)


def normalized(email: str | None) -> str:
    return (email or "").strip().lower()


def suppression_digest(email: str) -> str:
    """What the suppression list keeps of an address."""
    return hashlib.sha256(normalized(email).encode()).hexdigest()


def is_suppressed(email: str) -> bool:
    return db.session.get(Suppression, suppression_digest(email)) is not None


# Tokens


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def confirm_token(subscriber: Subscriber) -> str:
    return _serializer(CONFIRM_SALT).dumps({"s": subscriber.id})


def unsubscribe_token(subscriber: Subscriber) -> str:
    """A subscriber's link to stop mail: it names the subscriber, never the address."""
    return _serializer(UNSUBSCRIBE_SALT).dumps({"s": subscriber.id})


def _read(token: str, salt: str, max_age: int | None) -> Subscriber | None:
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        return None
    return db.session.get(Subscriber, data["s"])


def read_confirm_token(token: str) -> Subscriber | None:
    return _read(token, CONFIRM_SALT, current_app.config["MAIL_LINK_MAX_AGE"])


def read_unsubscribe_token(token: str) -> Subscriber | None:
    """Unsubscribe links never expire: a mail read a year later must still stop the next."""
    return _read(token, UNSUBSCRIBE_SALT, None)


def unsubscribe_url(subscriber: Subscriber) -> str:
    return external_url("mail_links.unsubscribe", token=unsubscribe_token(subscriber))


# Subscribing


def subscribe(email: str, article: Article, *, comment_id: int | None = None) -> Subscriber | None:
    """Record that ``email`` wants mail about replies to a comment of ``article``
    (``comment_id``) or, without one, about every comment of ``article``.

    Sends the confirmation when the address has not confirmed yet. Returns
    None, and stores nothing, for an address on the suppression list. The
    caller commits.
    """
    address = normalized(email)
    if not address or is_suppressed(address):
        return None
    subscriber = subscriber_for(address)
    article_id = article.id if comment_id is None else None
    exists = db.session.scalar(
        sa.select(Subscription.id).where(
            Subscription.subscriber_id == subscriber.id,
            Subscription.article_id.is_(None)
            if article_id is None
            else Subscription.article_id == article_id,
            Subscription.comment_id.is_(None)
            if comment_id is None
            else Subscription.comment_id == comment_id,
        )
    )
    if exists is None:
        db.session.add(
            Subscription(subscriber_id=subscriber.id, article_id=article_id, comment_id=comment_id)
        )
    if subscriber.confirmed_at is None:
        send_confirmation(subscriber, article)
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


def send_confirmation(subscriber: Subscriber, article: Article) -> bool:
    """Mail the confirmation link, unless one went out less than a day ago."""
    now = utcnow()
    sent = subscriber.confirmation_sent_at
    if sent is not None and now - sent < CONFIRMATION_INTERVAL:
        return False
    subscriber.confirmation_sent_at = now
    site = current_app.config["SITE_NAME"]
    body = current_app.jinja_env.get_template("email/confirm_subscription.txt").render(
        article=article,
        confirm_url=external_url(
            "mail_links.confirm_subscription", token=confirm_token(subscriber)
        ),
        site=site,
    )
    enqueue(subscriber.email, f"[{site}] Conferma l'iscrizione", body + "\n")
    return True


def confirm(subscriber: Subscriber) -> None:
    """The address's owner confirmed: mail may flow, and it is off the suppression list."""
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = utcnow()
    db.session.execute(
        sa.delete(Suppression)
        .where(Suppression.digest == suppression_digest(subscriber.email))
        .execution_options(synchronize_session=False)
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


# What subscribers hear


def _confirmed(*conditions: sa.ColumnElement[bool]) -> list[tuple[Subscriber, Subscription]]:
    rows = db.session.execute(
        sa.select(Subscriber, Subscription)
        .join(Subscription, Subscription.subscriber_id == Subscriber.id)
        .where(Subscriber.confirmed_at.is_not(None), *conditions)
        .order_by(Subscriber.id)
    ).all()
    return [(row[0], row[1]) for row in rows]


def _mail(
    subscriber: Subscriber, subject: str, template: str, comment: Comment, **context: object
) -> None:
    site = current_app.config["SITE_NAME"]
    link = unsubscribe_url(subscriber)
    body = current_app.jinja_env.get_template(template).render(
        comment=comment,
        link=comment_link(comment),
        unsubscribe_url=link,
        quote=quote(comment.body),
        **context,
    )
    enqueue(
        subscriber.email,
        f"[{site}] {subject}",
        body + "\n",
        comment_id=comment.id,
        unsubscribe_url=link,
    )


#: How much of a comment a mail quotes.
QUOTE_LIMIT = 500


def quote(text: str) -> str:
    """At most the first ``QUOTE_LIMIT`` characters of a comment, cut at a word."""
    if len(text) <= QUOTE_LIMIT:
        return text
    return text[:QUOTE_LIMIT].rsplit(" ", 1)[0].rstrip() + " […]"


def mail_readers(comment: Comment, *, approved_by_moderator: bool) -> int:
    """A comment became visible: tell its author (if a moderator approved it),
    the author of the comment it answers, and the discussion's followers.

    One mail per address, the most personal one; the comment's author is
    never told of their own comment. Returns how many mails were queued.
    """
    if comment.status != CommentStatus.APPROVED:
        return 0
    author = normalized(comment.email)
    mailed: set[str] = set()
    if approved_by_moderator and author:
        for subscriber, _ in _confirmed(Subscription.comment_id == comment.id):
            _mail(
                subscriber,
                "Il tuo commento è stato approvato",
                "email/author_approved.txt",
                comment,
            )
            mailed.add(subscriber.email)
    if author:
        mailed.add(author)
    if comment.parent_id is not None:
        parent = db.session.get(Comment, comment.parent_id)
        for subscriber, _ in _confirmed(Subscription.comment_id == comment.parent_id):
            if subscriber.email in mailed or parent is None:
                continue
            _mail(
                subscriber,
                "Nuova risposta al tuo commento",
                "email/parent_reply.txt",
                comment,
                parent=parent,
            )
            mailed.add(subscriber.email)
    for subscriber, _ in _confirmed(Subscription.article_id == comment.article_id):
        if subscriber.email in mailed:
            continue
        _mail(
            subscriber,
            f"Nuovo commento a «{comment.article.title}»",
            "email/new_comment.txt",
            comment,
        )
        mailed.add(subscriber.email)
    return len(mailed - {author})


# Signals


def comment_stored(sender: object, *, comment_id: int, status: CommentStatus, **_: object) -> None:
    """A new comment: record its author's wish for mail, and tell the subscribers."""
    if status == CommentStatus.SPAM:
        return  # no confirmation to an address a spammer typed
    comment = db.session.get_one(Comment, comment_id)
    if comment.notify and comment.email:
        subscribe(comment.email, comment.article, comment_id=comment.id)
    if status == CommentStatus.APPROVED:
        mail_readers(comment, approved_by_moderator=False)


def comment_approved(sender: object, *, comment: Comment) -> None:
    mail_readers(comment, approved_by_moderator=True)


def register(app: Flask) -> None:
    signals.comment_stored.connect(comment_stored)
    signals.comment_approved.connect(comment_approved)
