"""Moderators' accounts and their login sessions."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from blog.extensions import Model
from blog.models.clock import utcnow


class Role(enum.StrEnum):
    """What a member of staff may do, as WordPress's roles (blog/accounts/roles.py)."""

    #: Everything, including staff accounts and the site's settings.
    ADMINISTRATOR = "administrator"
    #: Every article and every comment.
    EDITOR = "editor"
    #: Writes and publishes their own articles.
    AUTHOR = "author"
    #: Comments only.
    MODERATOR = "moderator"


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class Moderator(UserMixin, Model):
    """A member of staff: what they may do is their ``role``.

    The class keeps the name of the first staff the blog had, comment
    moderators; today it is every account that can sign in.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(245))
    email: Mapped[str | None] = mapped_column(sa.String(100))
    # Their site, filled in for them when they comment from an article page.
    url: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True)
    role: Mapped[Role] = mapped_column(
        sa.String(16), default=Role.MODERATOR, server_default=Role.MODERATOR.value
    )
    # Shown on their author page.
    bio: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # Part of the login session's identity: changing it (new password,
    # deactivation) ends every session opened before.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    #: The language of their screens and of the mail sent to them; None: the site's.
    language: Mapped[str | None] = mapped_column(sa.String(16))
    # What mail they want: MailEvents and MailFrequency (blog/notify/moderator_mail.py).
    mail_events: Mapped[str] = mapped_column(
        sa.String(16), default="pending", server_default="pending"
    )
    mail_frequency: Mapped[str] = mapped_column(
        sa.String(16), default="immediate", server_default="immediate"
    )
    digest_sent_at: Mapped[datetime | None] = mapped_column()

    sessions: Mapped[list[ModeratorSession]] = relationship(
        back_populates="moderator", cascade="all, delete-orphan", passive_deletes=True
    )

    #: The login session of this request, set at login and by the user loader.
    #: Not mapped, so declared by a type comment, which Declarative ignores.
    current_session = None  # type: ModeratorSession | None

    @property
    def is_active(self) -> bool:  # Flask-Login's name for it
        return self.active

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember cookie.

        The account's token (a new password ends every session) and the
        login session's record (logout, expiry) are both checked by the
        user loader.
        """
        session_id = self.current_session.id if self.current_session else ""
        return f"{self.id}:{self.session_token}:{session_id}"

    def set_password(self, password: str) -> None:
        """Store a hash of ``password`` (``PASSWORD_HASH_METHOD``, scrypt by
        default) and end all open sessions."""
        self.password_hash = generate_password_hash(
            password, method=current_app.config["PASSWORD_HASH_METHOD"]
        )
        self.session_token = new_session_token()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<Moderator {self.username!r}>"


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


class ModeratorSession(Model):
    """One device's login: logging out ends it, and only it."""

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True, default=new_session_id)
    moderator_id: Mapped[int] = mapped_column(
        sa.ForeignKey("moderator.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Checked at every request, whatever the cookie's own expiry says; and
    # what ``flask purge`` deletes by.
    expires_at: Mapped[datetime] = mapped_column(index=True)

    moderator: Mapped[Moderator] = relationship(back_populates="sessions")

    @classmethod
    def start(cls, moderator: Moderator, seconds: float) -> ModeratorSession:
        """Open a session lasting ``seconds`` and make it the moderator's current one."""
        now = utcnow()
        record = cls(
            moderator=moderator, created_at=now, expires_at=now + timedelta(seconds=seconds)
        )
        moderator.current_session = record
        return record


class StaffInvite(Model):
    """An administrator's invitation: a single-use link, mailed, that expires.

    Only a keyed digest of the link's token is kept, so a copy of the
    database opens no account. Accepting it makes the account (the new
    person chooses their password) and sets ``accepted_at``.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(100))
    role: Mapped[Role] = mapped_column(sa.String(16))
    token_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("moderator.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    accepted_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    moderator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("moderator.id", ondelete="SET NULL")
    )

    invited_by: Mapped[Moderator | None] = relationship(foreign_keys=[invited_by_id])
