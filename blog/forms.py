"""Forms, one per action, with WordPress's field names and limits."""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from blog import messages
from blog.sanitize import COMMENT_MARKUP_LIMIT, COMMENT_NESTING_LIMIT, comment_within_limits

# WordPress's column sizes (wp_comments), which its form enforces too.
AUTHOR_MAX = 245
EMAIL_MAX = 100
URL_MAX = 200
COMMENT_MAX = 65525

# Characters that print nothing: a name made only of them is no name.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})


def normalize_text(value: Any) -> Any:
    """NFC-normalize and trim submitted text; leave other values alone."""
    if not isinstance(value, str):
        return value
    return unicodedata.normalize("NFC", value).strip()


def visible_or_empty(value: Any) -> Any:
    """Return "" for a value made only of invisible characters."""
    if isinstance(value, str) and all(
        unicodedata.category(char) in _INVISIBLE_CATEGORIES for char in value
    ):
        return ""
    return value


def with_scheme(value: Any) -> Any:
    """Read "example.com" as "http://example.com", as WordPress does."""
    if isinstance(value, str) and value and "://" not in value and ":" not in value:
        return "http://" + value
    return value


#: Unicode's control characters (category Cc) but newline, return and tab.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def no_control_characters(form: FlaskForm, field: StringField) -> None:
    """Refuse NUL and other control characters; newline and tab are text."""
    if isinstance(field.data, str) and _CONTROL_CHARACTERS.search(field.data):
        raise ValidationError(messages.CONTROL_CHARACTERS)


def http_url(form: FlaskForm, field: StringField) -> None:
    """Accept only absolute http(s) URLs with a host."""
    if not field.data:
        return
    try:
        parts = urlsplit(field.data)
        hostname = parts.hostname
    except ValueError:  # e.g. a malformed [IPv6] host
        raise ValidationError(messages.URL_INVALID) from None
    if (
        parts.scheme.lower() not in {"http", "https"}
        or not hostname
        or any(char.isspace() or not char.isprintable() for char in field.data)
    ):
        raise ValidationError(messages.URL_INVALID)


def markup_not_too_complex(form: FlaskForm, field: TextAreaField) -> None:
    """Refuse markup the sanitizer would only show as text: too many tags,
    links or line breaks, or tags nested too deep."""
    if isinstance(field.data, str) and not comment_within_limits(field.data):
        raise ValidationError(
            messages.TOO_MUCH_MARKUP.format(limit=COMMENT_MARKUP_LIMIT, depth=COMMENT_NESTING_LIMIT)
        )


def too_long(limit: int) -> Length:
    return Length(max=limit, message=messages.TOO_LONG.format(max=limit))


def comment_field() -> TextAreaField:
    return TextAreaField(
        "Commento",
        filters=[normalize_text],
        validators=[
            no_control_characters,
            DataRequired(messages.COMMENT_REQUIRED),
            too_long(COMMENT_MAX),
            markup_not_too_complex,
        ],
    )


def author_field() -> StringField:
    return StringField(
        "Nome",
        filters=[normalize_text, visible_or_empty],
        validators=[
            no_control_characters,
            DataRequired(messages.AUTHOR_REQUIRED),
            too_long(AUTHOR_MAX),
        ],
    )


def url_field() -> StringField:
    return StringField(
        "Sito web",
        filters=[normalize_text, with_scheme],
        validators=[no_control_characters, Optional(), too_long(URL_MAX), http_url],
    )


class CommentForm(FlaskForm):
    """The "Lascia un commento" form under each article."""

    comment = comment_field()
    author = author_field()
    email = StringField(
        "Email",
        filters=[normalize_text],
        validators=[
            no_control_characters,
            DataRequired(messages.EMAIL_REQUIRED),
            too_long(EMAIL_MAX),
            Email(messages.EMAIL_INVALID),
        ],
    )
    url = url_field()
    remember = BooleanField(
        "Salva il mio nome, email e sito web in questo browser per la prossima volta che commento.",
        name="wp-comment-cookies-consent",
    )
    notify = BooleanField(
        "Avvisami quando il mio commento viene approvato e quando qualcuno risponde",
        name="comment-notify",
    )
    comment_parent = HiddenField(default="0")
    # Spam traps: a field people never see, and when the form was served.
    homepage = StringField("Non compilare questo campo", filters=[normalize_text])
    form_time = HiddenField()

    def parent_id(self) -> int | None:
        """Return the id of the comment replied to, None for a new thread."""
        raw = (self.comment_parent.data or "0").strip()
        if not raw.isdigit():
            raise ValidationError(messages.PARENT_INVALID)
        return int(raw) or None


class LoginForm(FlaskForm):
    """The moderators' login."""

    username = StringField(
        "Nome utente",
        filters=[normalize_text],
        validators=[
            no_control_characters,
            DataRequired(messages.USERNAME_REQUIRED),
            Length(max=80),
        ],
    )
    password = PasswordField(
        "Password", validators=[DataRequired(messages.PASSWORD_REQUIRED), Length(max=1024)]
    )
    remember = BooleanField("Ricordami su questo dispositivo")
    next = HiddenField()


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token and where to go back."""

    next = HiddenField()


class BulkActionForm(FlaskForm):
    """The same verbs as the buttons, applied to the ticked comments."""

    action = SelectField("Azione di gruppo", validators=[DataRequired(messages.BULK_NO_ACTION)])
    next = HiddenField()


class EditCommentForm(FlaskForm):
    """A moderator's edit of a comment's text, name and site."""

    comment = comment_field()
    author = author_field()
    url = url_field()
    next = HiddenField()


class ReplyForm(FlaskForm):
    """A moderator's reply, written from the queue."""

    comment = comment_field()
    next = HiddenField()


class WordListsForm(FlaskForm):
    """The moderators' word lists, one word or phrase per line."""

    moderation_keys = TextAreaField(
        "Parole che trattengono un commento in attesa",
        validators=[no_control_characters, Length(max=20000)],
    )
    disallowed_keys = TextAreaField(
        "Parole che mandano un commento nello spam",
        validators=[no_control_characters, Length(max=20000)],
    )


class PrivacyForm(FlaskForm):
    """A person's data, by email: download it, anonymise it, or delete it."""

    email = StringField(
        "Email",
        filters=[normalize_text],
        validators=[
            DataRequired(messages.PRIVACY_EMAIL_INVALID),
            too_long(EMAIL_MAX),
            Email(messages.PRIVACY_EMAIL_INVALID),
        ],
    )
    action = RadioField(
        "Azione",
        choices=[
            SelectChoice("export", "Scarica i dati"),
            SelectChoice("anonymise", "Anonimizza"),
            SelectChoice("delete", "Elimina"),
        ],
        default="export",
    )
    confirm = BooleanField("Confermo: l'operazione non si può annullare")


class ProfileForm(FlaskForm):
    """A moderator's own name and the address notifications go to."""

    display_name = StringField(
        "Nome mostrato",
        filters=[normalize_text],
        validators=[
            no_control_characters,
            DataRequired(messages.AUTHOR_REQUIRED),
            too_long(AUTHOR_MAX),
        ],
    )
    email = StringField(
        "Email per le notifiche",
        filters=[normalize_text],
        validators=[
            no_control_characters,
            Optional(),
            too_long(EMAIL_MAX),
            Email(messages.EMAIL_INVALID),
        ],
    )
