"""Staff forms: logging in, one's own profile, invitations, roles, new passwords."""

from __future__ import annotations

from typing import Any

from flask import current_app
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from blog import messages
from blog.core.forms import (
    AUTHOR_MAX,
    EMAIL_MAX,
    ONE_LINE,
    TextForm,
    normalize_text,
    too_long,
    url_field,
)
from blog.core.i18n import available_languages, language_name
from blog.core.i18n import lazy_gettext as _l
from blog.core.i18n import lazy_pgettext as _lp

# WordPress's column sizes (wp_comments), which its form enforces too.


class LoginForm(TextForm):
    """The moderators' login."""

    username = StringField(
        _l("Username"),
        filters=[normalize_text],
        validators=[
            *ONE_LINE,
            DataRequired(messages.USERNAME_REQUIRED),
            Length(max=80),
        ],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(messages.PASSWORD_REQUIRED), Length(max=1024)]
    )
    remember = BooleanField(_l("Remember me on this device"))
    next = HiddenField()


class ProfileForm(TextForm):
    """A moderator's own name and site, the address notifications go to, and which and when."""

    display_name = StringField(
        _l("Display name"),
        filters=[normalize_text],
        validators=[
            *ONE_LINE,
            DataRequired(messages.AUTHOR_REQUIRED),
            too_long(AUTHOR_MAX),
        ],
    )
    url = url_field()
    email = StringField(
        _l("Email for notifications"),
        filters=[normalize_text],
        validators=[
            *ONE_LINE,
            Optional(),
            too_long(EMAIL_MAX),
            Email(messages.EMAIL_INVALID),
        ],
    )
    mail_events = RadioField(
        _l("Which comments to receive by email"),
        choices=[
            SelectChoice("never", _lp("comments by email", "None")),
            SelectChoice("pending", _l("Only those awaiting moderation")),
            SelectChoice("all", _l("All new comments, even those published without moderation")),
        ],
        default="pending",
    )
    mail_frequency = RadioField(
        _l("When"),
        choices=[
            SelectChoice("immediate", _l("At once, one message per comment")),
            SelectChoice("hourly", _l("An hourly digest")),
            SelectChoice("daily", _l("A daily digest")),
        ],
        default="immediate",
    )
    language = RadioField(_l("Language of your screens and of the mail sent to you"), default="")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        site = current_app.config["SITE_LANGUAGE"]
        self.language.choices = [
            SelectChoice("", _l("The site's (%(name)s)", name=language_name(site))),
            *(SelectChoice(code, language_name(code)) for code in available_languages()),
        ]
        if self.language.data is None:
            self.language.data = ""


def role_choices() -> list[SelectChoice]:
    """The roles (``Role``'s values), by their names; no form reads the database's models."""
    return [SelectChoice(value, name) for value, name in messages.ROLE_NAMES.items()]


def email_field(label: Any) -> StringField:
    return StringField(
        label,
        filters=[normalize_text],
        validators=[
            *ONE_LINE,
            DataRequired(messages.EMAIL_REQUIRED),
            too_long(EMAIL_MAX),
            Email(messages.EMAIL_INVALID),
        ],
    )


class InviteForm(TextForm):
    """An administrator invites someone by mail, with the role they will have."""

    email = email_field(_l("Email"))
    role = SelectField(_l("Role"), choices=role_choices, default="author")


class RoleForm(TextForm):
    """An administrator gives an account another role."""

    role = SelectField(_l("Role"), choices=role_choices)


class NewPasswordForm(TextForm):
    """A new password, typed twice."""

    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(messages.PASSWORD_REQUIRED), Length(max=1024)],
    )
    password_again = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(messages.PASSWORD_REQUIRED),
            EqualTo("password", messages.PASSWORDS_DIFFER),
        ],
    )

    def validate_password(self, field: PasswordField) -> None:
        minimum = current_app.config["MODERATOR_PASSWORD_MIN_LENGTH"]
        if len(field.data or "") < minimum:
            raise ValidationError(messages.PASSWORD_TOO_SHORT.format(min=minimum))


class AcceptInviteForm(NewPasswordForm):
    """The invited person chooses their username, name and password."""

    username = StringField(
        _l("Username"),
        filters=[normalize_text],
        validators=[
            *ONE_LINE,
            DataRequired(messages.USERNAME_REQUIRED),
            Length(max=80),
            Regexp(r"^[\w.-]+\Z", message=messages.USERNAME_INVALID),
        ],
    )
    display_name = StringField(
        _l("Display name"),
        filters=[normalize_text],
        validators=[*ONE_LINE, DataRequired(messages.AUTHOR_REQUIRED), too_long(AUTHOR_MAX)],
    )


class ResetRequestForm(TextForm):
    """ "Password dimenticata?": the address the link goes to."""

    email = email_field(_l("Email"))
