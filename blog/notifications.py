"""What mail is sent, to whom, and the signed links it carries.

* A comment lands in pending: every active moderator with an email gets
  it, with one-click links (Approva, Spam, Cestina) that are signed, bound
  to the comment, the action, the moderator and the comment's status
  version, valid for ``MAIL_LINK_MAX_AGE``; one use of any of them uses
  them all, and a change of status since the mail was written retires
  them. A link opens a confirmation page; only that page's POST acts.
* An author who ticked the box gets mail when a moderator approves their
  comment and when an approved reply to it appears; each such mail carries
  a signed unsubscribe link, which names the comment (the email is looked
  up when it is used, and never travels in the link).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from blog import signals
from blog.extensions import db
from blog.mail import enqueue
from blog.models import Comment, CommentStatus, Moderator, UsedLink
from blog.urls import external_url

ACTION_SALT = "mail-moderation-link"
UNSUBSCRIBE_SALT = "mail-unsubscribe-link"
#: The actions a moderator's mail offers, with their Italian names.
MAIL_ACTIONS = {"approve": "Approva", "spam": "Spam", "trash": "Cestina"}


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


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


def written_stamp(comment: Comment) -> int:
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
            "w": written_stamp(comment),
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


def unsubscribe_token(comment: Comment) -> str:
    """An author's link to stop mail; it names the comment, never the email."""
    return _serializer(UNSUBSCRIBE_SALT).dumps({"c": comment.id})


def read_unsubscribe_token(token: str) -> int | None:
    """The comment an unsubscribe link was sent for; None if forged or altered."""
    try:
        data = _serializer(UNSUBSCRIBE_SALT).loads(token)
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        return None
    return data["c"]


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


def comment_link(comment: Comment) -> str:
    return external_url("reader.article", slug=comment.article.slug) + f"#comment-{comment.id}"


_MODERATORS_TO_MAIL = (
    sa.select(Moderator.id, Moderator.email)
    .where(Moderator.active.is_(True), Moderator.email.is_not(None), Moderator.email != "")
    .order_by(Moderator.id)
)


def notify_moderators(comment_id: int) -> int:
    """Mail each active moderator with an email about a pending comment."""
    moderators = db.session.connection().execute(_MODERATORS_TO_MAIL).all()
    if not moderators:
        return 0
    comment = db.session.get_one(Comment, comment_id)
    subject = f"[{current_app.config['SITE_NAME']}] Commento in attesa: «{comment.article.title}»"
    for moderator in moderators:
        enqueue(moderator.email, subject, _moderator_message(comment, moderator))
    return len(moderators)


def _moderator_message(comment: Comment, moderator: Moderator | sa.Row) -> str:
    links = [
        (
            label,
            external_url(
                "mail_links.confirm_action", token=action_token(comment, action, moderator)
            ),
        )
        for action, label in MAIL_ACTIONS.items()
    ]
    return mail_body(
        "email/moderator_pending.txt",
        comment=comment,
        links=links,
        queue_url=external_url("moderation.queue"),
    )


def mail_body(template: str, **context: object) -> str:
    """A mail's plain-text body, from its template (``templates/email/``).

    Rendered by the Jinja environment alone: mail is written in requests,
    in commands and in tests, and needs none of a page's context.
    """
    return current_app.jinja_env.get_template(template).render(**context) + "\n"


_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(value: str | None) -> str:
    """A value on one line: what the form refuses may still come from an import."""
    return _LINE_BREAKS.sub(" ", value or "").strip()


def _unsubscribe_url(comment: Comment) -> str:
    return external_url("mail_links.confirm_unsubscribe", token=unsubscribe_token(comment))


def notify_author_approved(comment: Comment) -> bool:
    """Tell an author who asked that their comment is now published."""
    if not comment.notify or not comment.email:
        return False
    body = mail_body(
        "email/author_approved.txt",
        comment=comment,
        link=comment_link(comment),
        unsubscribe_url=_unsubscribe_url(comment),
    )
    site = current_app.config["SITE_NAME"]
    enqueue(comment.email, f"[{site}] Il tuo commento è stato approvato", body)
    return True


def notify_parent_author(reply: Comment) -> bool:
    """Tell the author of the comment replied to, when they asked."""
    if reply.status != CommentStatus.APPROVED or reply.parent_id is None:
        return False
    parent = db.session.get(Comment, reply.parent_id)
    if parent is None or not parent.notify or not parent.email:
        return False
    if parent.email.lower() == (reply.email or "").lower():
        return False  # nobody needs mail about their own reply
    body = mail_body(
        "email/parent_reply.txt",
        parent=parent,
        reply=reply,
        link=comment_link(reply),
        unsubscribe_url=_unsubscribe_url(parent),
    )
    site = current_app.config["SITE_NAME"]
    enqueue(parent.email, f"[{site}] Nuova risposta al tuo commento", body)
    return True


def comment_stored(
    sender: object, *, comment_id: int, status: CommentStatus, parent_id: int | None
) -> None:
    """A new comment was stored: mail whoever should hear of it."""
    if status == CommentStatus.PENDING:
        notify_moderators(comment_id)
    elif status == CommentStatus.APPROVED and parent_id is not None:
        notify_parent_author(db.session.get_one(Comment, comment_id))


def comment_approved(sender: object, *, comment: Comment) -> None:
    """A moderator approved a comment that was not approved before."""
    notify_author_approved(comment)
    notify_parent_author(comment)


def register(app: Flask) -> None:
    """Mail whoever should hear of what the domain announces."""
    signals.comment_stored.connect(comment_stored)
    signals.comment_approved.connect(comment_approved)
    app.add_template_filter(one_line, "one_line")
