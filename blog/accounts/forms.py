"""Staff forms: logging in, one's own profile."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    Optional,
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

# WordPress's column sizes (wp_comments), which its form enforces too.


class LoginForm(TextForm):
    """The moderators' login."""

    username = StringField(
        "Nome utente",
        filters=[normalize_text],
        validators=[
            *ONE_LINE,
            DataRequired(messages.USERNAME_REQUIRED),
            Length(max=80),
        ],
    )
    password = PasswordField(
        "Password", validators=[DataRequired(messages.PASSWORD_REQUIRED), Length(max=1024)]
    )
    remember = BooleanField("Ricordami su questo dispositivo")
    next = HiddenField()


class ProfileForm(TextForm):
    """A moderator's own name and site, the address notifications go to, and which and when."""

    display_name = StringField(
        "Nome mostrato",
        filters=[normalize_text],
        validators=[
            *ONE_LINE,
            DataRequired(messages.AUTHOR_REQUIRED),
            too_long(AUTHOR_MAX),
        ],
    )
    url = url_field()
    email = StringField(
        "Email per le notifiche",
        filters=[normalize_text],
        validators=[
            *ONE_LINE,
            Optional(),
            too_long(EMAIL_MAX),
            Email(messages.EMAIL_INVALID),
        ],
    )
    mail_events = RadioField(
        "Quali commenti ricevere per email",
        choices=[
            SelectChoice("never", "Nessuno"),
            SelectChoice("pending", "Solo quelli in attesa di moderazione"),
            SelectChoice(
                "all", "Tutti i nuovi commenti, anche quelli pubblicati senza moderazione"
            ),
        ],
        default="pending",
    )
    mail_frequency = RadioField(
        "Quando",
        choices=[
            SelectChoice("immediate", "Subito, un messaggio per commento"),
            SelectChoice("hourly", "Riepilogo ogni ora"),
            SelectChoice("daily", "Riepilogo giornaliero"),
        ],
        default="immediate",
    )
