"""Mail to staff about their account: an invitation, a password reset link.

Receivers of ``staff_invited`` and ``password_reset_requested``
(blog/signals.py), wired in ``blog/notify/__init__.py``. The link's token
travels only in the mail; its address comes from ``SITE_URL``.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from blog import messages
from blog.core.i18n import speaking
from blog.core.urls import external_url
from blog.models import Moderator, StaffInvite
from blog.notify.mail import compose
from blog.notify.moderator_mail import language_of


def staff_invited(sender: object, *, invite: StaffInvite, token: str, **rest: object) -> None:
    """Mail the invitation, in the site's language."""
    with speaking(None):
        compose(
            invite.email,
            _("Invitation to join the staff"),
            "email/staff_invite.txt",
            role=str(messages.ROLE_NAMES[invite.role]),
            invited_by=invite.invited_by.display_name if invite.invited_by else None,
            hours=current_app.config["INVITE_LINK_HOURS"],
            link=external_url("staff.accept_invite", token=token),
        )


def password_reset_requested(
    sender: object, *, moderator: Moderator, token: str, **rest: object
) -> None:
    """Mail the reset link, in the account's language."""
    with speaking(language_of(moderator)):
        compose(
            moderator.email or "",
            _("Choose a new password"),
            "email/password_reset.txt",
            username=moderator.username,
            minutes=current_app.config["PASSWORD_RESET_MINUTES"],
            link=external_url("auth.reset_password", token=token),
        )
