"""Pages behind the links in mail: moderating one comment, confirming a
subscription, unsubscribing.

A GET only shows what the link would do; the POST of that page does it
(mail scanners follow links). The links carry their own authority, signed
and bound to the comment, the action, the moderator and the comment's
status version, so they work without logging in. One use of a mail's
links uses them all (the use is recorded by what the link says, not by
its text); a link for a comment whose status changed since the mail was
written does nothing; and a moderator deactivated since the mail was sent
can no longer use theirs.
"""

from __future__ import annotations

from flask import Blueprint, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from blog import messages
from blog.accounts.roles import Capability, can
from blog.core.forms import ActionForm
from blog.extensions import csrf, db
from blog.models import Comment, Moderator
from blog.moderation.workflow import TRANSITIONS, Action, TransitionError, apply_action
from blog.notify import subscriptions
from blog.notify.moderator_mail import (
    MAIL_ACTIONS,
    created_microseconds,
    link_used,
    mark_link_used,
    read_action_token,
)

bp = Blueprint("mail_links", __name__, url_prefix="/email")


def page(template_vars: dict, status: int = 200) -> tuple[str, int]:
    return render_template("mail_links/link.html", **template_vars), status


@bp.route("/moderazione/<token>", methods=["GET", "POST"])
def confirm_action(token: str) -> tuple[str, int]:
    """A moderator's one-click link: confirm, then act once."""
    link = read_action_token(token)
    moderator = db.session.get(Moderator, link.moderator_id) if link else None
    if (
        link is None
        or moderator is None
        or not moderator.active
        or not can(Capability.MODERATE_COMMENTS, moderator)
    ):
        return page({"title": messages.LINK_INVALID_TITLE, "message": messages.LINK_INVALID}, 400)
    comment = db.session.get(Comment, link.comment_id)
    if comment is None or created_microseconds(comment) != link.written:
        # Gone, or its id given to a newer comment: the mail was not about that one.
        return page({"title": messages.LINK_DONE_TITLE, "message": messages.LINK_COMMENT_GONE})
    label = MAIL_ACTIONS[link.action]
    if link_used(link):
        return page({"title": messages.LINK_DONE_TITLE, "message": messages.LINK_ALREADY_USED})
    if comment.status_version != link.status_version:
        return page(
            {
                "title": messages.LINK_NOT_ALLOWED_TITLE,
                "message": messages.LINK_STATUS_CHANGED,
                "comment": comment,
            },
            409,
        )
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            raise CSRFError(messages.CSRF_EXPIRED)
        if comment.status == TRANSITIONS[Action(link.action)][1]:
            message = messages.LINK_ALREADY_IN_STATE
        else:
            try:
                apply_action(comment, Action(link.action), moderator)
            except TransitionError:
                db.session.rollback()
                return page(
                    {
                        "title": messages.LINK_NOT_ALLOWED_TITLE,
                        "message": messages.LINK_NOT_ALLOWED,
                        "comment": comment,
                    },
                    409,
                )
            message = messages.LINK_DONE[link.action]
        mark_link_used(link)
        db.session.commit()
        return page({"title": messages.LINK_DONE_TITLE, "message": message, "comment": comment})
    return page(
        {
            "title": _("%(action)s: confirm", action=label),
            "comment": comment,
            "form": form,
            "button": label,
        }
    )


@bp.route("/disiscrivi/<token>", methods=["GET", "POST"])
# RFC 8058: mail providers POST "List-Unsubscribe=One-Click" here, with no
# page and no CSRF token; the signed link is the authority, and it only
# ever stops mail.
@csrf.exempt
def unsubscribe(token: str) -> tuple[str, int]:
    """Stop all mail to a subscriber: at once by POST, after a question by GET."""
    subscriber = subscriptions.read_unsubscribe_token(token)
    if subscriber is None:
        return page({"title": messages.LINK_INVALID_TITLE, "message": messages.LINK_INVALID}, 400)
    if request.method == "POST":
        subscriptions.unsubscribe(subscriber)
        db.session.commit()
        return page(
            {
                "title": messages.UNSUBSCRIBED_TITLE,
                "message": messages.UNSUBSCRIBED,
                "form": ActionForm(),
                "action": url_for("mail_links.ask_again", token=token),
                "button": messages.SUBSCRIBE_AGAIN,
            }
        )
    return page(
        {
            "title": messages.UNSUBSCRIBE_TITLE,
            "message": messages.UNSUBSCRIBE_QUESTION,
            "form": ActionForm(),
            "button": _("Send me no more messages"),
        }
    )


@bp.post("/disiscrivi/<token>/di-nuovo")
def ask_again(token: str) -> tuple[str, int]:
    """Subscribe again after unsubscribing: a confirmation is mailed to the
    address, and only its link lifts the suppression."""
    subscriber = subscriptions.read_unsubscribe_token(token)
    if subscriber is None:
        return page({"title": messages.LINK_INVALID_TITLE, "message": messages.LINK_INVALID}, 400)
    if not ActionForm().validate_on_submit():
        raise CSRFError(messages.CSRF_EXPIRED)
    subscriptions.ask_again(subscriber)
    db.session.commit()
    return page({"title": messages.CONFIRMATION_SENT_TITLE, "message": messages.CONFIRMATION_SENT})


@bp.route("/conferma/<token>", methods=["GET", "POST"])
def confirm_subscription(token: str) -> tuple[str, int] | Response:
    """Double opt-in: the GET asks, the POST confirms what the mail listed
    and marks this browser as the address's (a signed cookie)."""
    found = subscriptions.read_confirm_token(token)
    if found is None:
        return page({"title": messages.LINK_INVALID_TITLE, "message": messages.LINK_INVALID}, 400)
    subscriber, up_to = found
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            raise CSRFError(messages.CSRF_EXPIRED)
        subscriptions.confirm(subscriber, up_to)
        db.session.commit()
        response = make_response(
            page({"title": messages.SUBSCRIBED_TITLE, "message": messages.SUBSCRIBED})
        )
        subscriptions.remember_browser(response, subscriber)
        return response
    return page(
        {
            "title": messages.CONFIRM_SUBSCRIPTION_TITLE,
            "message": messages.CONFIRM_SUBSCRIPTION_QUESTION,
            "form": form,
            "button": _("Confirm"),
        }
    )
