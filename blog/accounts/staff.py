"""Staff accounts as administrators manage them: invitations, roles,
deactivation, and the "Password dimenticata?" link.

Plain functions with no request inside; the caller commits. What must be
mailed is announced (``staff_invited``, ``password_reset_requested`` in
blog/signals.py) and blog/notify writes the mail.

* An invitation's link carries a random token; only a keyed digest of it is
  stored (``StaffInvite.token_digest``), so a copy of the database opens no
  account. It is used once (``accepted_at``, set by a guarded UPDATE, so two
  tabs racing make one account), expires after ``INVITE_LINK_HOURS``, and
  an administrator may revoke it.
* A password reset link needs no table: it is signed (itsdangerous) with the
  time, and names the account and a fingerprint of its password hash and
  session token. Setting the new password changes both, so the link stops
  working once used, and so does every older one.
"""

from __future__ import annotations

import enum
import hmac
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadData

from blog import messages, signals
from blog.core.database import rows_changed
from blog.core.signing import keyed_digest, timed_serializer
from blog.extensions import db
from blog.models import Moderator, ModeratorSession, Role, StaffInvite, new_session_token, utcnow

INVITE_PURPOSE = b"blog staff invitation v1"
RESET_PURPOSE = b"blog password reset v1"
RESET_SALT = "staff-password-reset"


class StaffError(Exception):
    """A change the rules refuse; ``message`` says why, in the site's language."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


# Invitations


def invite_digest(token: str) -> str:
    """The keyed digest an invitation's token is stored as."""
    return keyed_digest(current_app.config["SECRET_KEY"], INVITE_PURPOSE, token.encode()).hex()


def normalized_email(email: str) -> str:
    return email.strip().casefold()


def invite(email: str, role: Role, invited_by: Moderator | None) -> tuple[StaffInvite, str]:
    """Make an invitation for ``email`` and announce it (its mail carries the token).

    A pending invitation to the same address is revoked: only the newest
    link works. Returns the invitation and its token, which is stored
    nowhere.
    """
    now = utcnow()
    address = email.strip()
    for pending in pending_invites(address):
        pending.revoked_at = now
    token = secrets.token_urlsafe(32)
    record = StaffInvite(
        email=address,
        role=role,
        token_digest=invite_digest(token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + timedelta(hours=current_app.config["INVITE_LINK_HOURS"]),
    )
    db.session.add(record)
    db.session.flush()
    signals.staff_invited.send(None, invite=record, token=token)
    return record, token


def pending_invites(email: str | None = None) -> list[StaffInvite]:
    """The invitations still waiting (not used, revoked or expired), newest first."""
    query = sa.select(StaffInvite).where(
        StaffInvite.accepted_at.is_(None),
        StaffInvite.revoked_at.is_(None),
        StaffInvite.expires_at > utcnow(),
    )
    if email is not None:
        query = query.where(sa.func.lower(StaffInvite.email) == normalized_email(email))
    return list(db.session.scalars(query.order_by(StaffInvite.created_at.desc())))


class InviteState(enum.StrEnum):
    VALID = "valid"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"


def find_invite(token: str) -> tuple[StaffInvite | None, InviteState]:
    """The invitation a link names, and whether it can still be used."""
    if not token or len(token) > 100:
        return None, InviteState.UNKNOWN
    record = db.session.scalar(
        sa.select(StaffInvite).where(StaffInvite.token_digest == invite_digest(token))
    )
    if record is None:
        return None, InviteState.UNKNOWN
    if record.accepted_at is not None:
        return record, InviteState.USED
    if record.revoked_at is not None:
        return record, InviteState.REVOKED
    if record.expires_at <= utcnow():
        return record, InviteState.EXPIRED
    return record, InviteState.VALID


def username_taken(username: str) -> bool:
    return (
        db.session.scalar(
            sa.select(Moderator.id).where(sa.func.lower(Moderator.username) == username.casefold())
        )
        is not None
    )


def email_taken(email: str) -> bool:
    """An active account already has this address."""
    return (
        db.session.scalar(
            sa.select(Moderator.id).where(
                sa.func.lower(Moderator.email) == normalized_email(email),
                Moderator.active.is_(True),
            )
        )
        is not None
    )


def accept_invite(
    record: StaffInvite, username: str, display_name: str, password: str
) -> Moderator | None:
    """Make the account an invitation offers; None when it can no longer be used.

    The invitation is claimed by one UPDATE that checks it is still valid,
    so a link sent twice at once makes one account.
    """
    now = utcnow()
    claimed = rows_changed(
        sa.update(StaffInvite)
        .where(
            StaffInvite.id == record.id,
            StaffInvite.accepted_at.is_(None),
            StaffInvite.revoked_at.is_(None),
            StaffInvite.expires_at > now,
        )
        .values(accepted_at=now)
    )
    if claimed != 1:
        return None
    account = Moderator(
        username=username,
        display_name=display_name,
        email=record.email,
        role=Role(record.role),
    )
    account.set_password(password)
    db.session.add(account)
    db.session.flush()
    db.session.execute(
        sa.update(StaffInvite).where(StaffInvite.id == record.id).values(moderator_id=account.id)
    )
    return account


def revoke_invite(record: StaffInvite) -> bool:
    """Retire an invitation that was not used yet; False if it already was."""
    if record.accepted_at is not None or record.revoked_at is not None:
        return False
    record.revoked_at = utcnow()
    return True


# Roles and deactivation


def active_administrators() -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(Moderator.id)).where(
                Moderator.role == Role.ADMINISTRATOR, Moderator.active.is_(True)
            )
        )
        or 0
    )


def is_last_administrator(account: Moderator) -> bool:
    """``account`` is the only active administrator left."""
    return account.active and account.role == Role.ADMINISTRATOR and active_administrators() <= 1


def change_role(account: Moderator, role: Role) -> None:
    """Give ``account`` a new role; never take the last administrator's away."""
    if role != Role.ADMINISTRATOR and is_last_administrator(account):
        raise StaffError(messages.LAST_ADMINISTRATOR)
    account.role = role


def end_sessions(account: Moderator) -> None:
    """End every login of ``account``: its token changes and its session rows go."""
    account.session_token = new_session_token()
    rows_changed(sa.delete(ModeratorSession).where(ModeratorSession.moderator_id == account.id))


def deactivate(account: Moderator) -> None:
    """Stop ``account`` from signing in and end its sessions; never the last administrator."""
    if is_last_administrator(account):
        raise StaffError(messages.LAST_ADMINISTRATOR)
    account.active = False
    end_sessions(account)


def reactivate(account: Moderator) -> None:
    account.active = True


# Password reset


def reset_fingerprint(account: Moderator) -> str:
    material = f"{account.id}|{account.password_hash}|{account.session_token}".encode()
    return keyed_digest(current_app.config["SECRET_KEY"], RESET_PURPOSE, material).hex()[:32]


def reset_token(account: Moderator) -> str:
    """A signed link token for ``account``, valid until its password or sessions change."""
    return str(
        timed_serializer(RESET_SALT).dumps({"id": account.id, "f": reset_fingerprint(account)})
    )


def read_reset_token(token: str, now: datetime | None = None) -> Moderator | None:
    """The active account a reset link is for; None if it expired, was used or is forged."""
    max_age = current_app.config["PASSWORD_RESET_MINUTES"] * 60
    try:
        payload = timed_serializer(RESET_SALT).loads(token[:500], max_age=max_age)
    except BadData:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), int):
        return None
    account = db.session.get(Moderator, payload["id"])
    if account is None or not account.active:
        return None
    if not hmac.compare_digest(str(payload.get("f", "")), reset_fingerprint(account)):
        return None
    return account


def request_password_reset(email: str) -> int:
    """Announce a reset link for each active account with this address.

    Returns how many; the caller says the same words whatever it is.
    """
    accounts = db.session.scalars(
        sa.select(Moderator).where(
            sa.func.lower(Moderator.email) == normalized_email(email),
            Moderator.active.is_(True),
        )
    ).all()
    for account in accounts:
        signals.password_reset_requested.send(None, moderator=account, token=reset_token(account))
    return len(accounts)


def reset_password(account: Moderator, password: str) -> None:
    """Set a new password from a reset link: every session of the account ends."""
    account.set_password(password)
    end_sessions(account)
