"""Forms, one per action, with WordPress's field names and limits."""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.form import SUBMIT_METHODS
from wtforms import (
    BooleanField,
    FloatField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import TextInput

from blog import messages
from blog.comments import find_reply_parent
from blog.http import parse_id
from blog.models import Article, Comment
from blog.moderation import Policy
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
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Line breaks: a one-line value (a name, an email, an address) holds none.
LINE_BREAKS = re.compile(r"[\n\r\x0b\x0c\x85\u2028\u2029]")


def no_control_characters(form: FlaskForm, field: StringField) -> None:
    """Refuse NUL and other control characters; newline and tab are text."""
    if isinstance(field.data, str) and CONTROL_CHARACTERS.search(field.data):
        raise ValidationError(messages.CONTROL_CHARACTERS)


def no_line_breaks(form: FlaskForm, field: StringField) -> None:
    """Refuse line breaks in a name, an email or an address.

    Such values are written into mail and headers, where a line break would
    start a line of the writer's choosing.
    """
    if isinstance(field.data, str) and LINE_BREAKS.search(field.data):
        raise ValidationError(messages.NOT_ONE_LINE)


#: Unicode's noncharacters (U+FDD0–U+FDEF, and the last two code points of
#: every plane) and lone surrogates: no text holds them, and XML refuses some.
_NONCHARACTERS = re.compile(
    "[\ud800-\udfff\ufdd0-\ufdef"
    + "".join(chr(plane + 0xFFFE) + chr(plane + 0xFFFF) for plane in range(0, 0x110000, 0x10000))
    + "]"
)


def no_noncharacters(form: FlaskForm, field: StringField) -> None:
    """Refuse Unicode noncharacters (U+FFFE…) and lone surrogates."""
    if isinstance(field.data, str) and _NONCHARACTERS.search(field.data):
        raise ValidationError(messages.NONCHARACTERS)


#: What a one-line field checks first: no control character, no line break,
#: no noncharacter.
ONE_LINE = [no_control_characters, no_line_breaks, no_noncharacters]


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


class TextForm(FlaskForm):
    """A form of text fields: an uploaded file or a JSON body is never a field's value.

    Flask-WTF reads files and JSON bodies into a form's data as well; no form
    here takes either, and a file or a number where text belongs would only
    reach the validators as something that is not a string.
    """

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            if formdata is None or hasattr(formdata, "getlist"):
                return formdata  # given by the caller: used as it is
            return request.form if request.method in SUBMIT_METHODS else None


def markup_not_too_complex(form: FlaskForm, field: TextAreaField) -> None:
    """Refuse markup the sanitizer would only show as text: too many tags,
    links or line breaks, or tags nested too deep."""
    if isinstance(field.data, str) and not comment_within_limits(field.data):
        raise ValidationError(
            messages.TOO_MUCH_MARKUP.format(limit=COMMENT_MARKUP_LIMIT, depth=COMMENT_NESTING_LIMIT)
        )


def form_status() -> int:
    """The status of a page showing a form: 422 when it shows a refused POST."""
    return 422 if request.method == "POST" else 200


def too_long(limit: int) -> Length:
    return Length(max=limit, message=messages.TOO_LONG.format(max=limit))


def comment_field() -> TextAreaField:
    return TextAreaField(
        "Commento",
        filters=[normalize_text],
        validators=[
            no_control_characters,
            no_noncharacters,
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
            *ONE_LINE,
            DataRequired(messages.AUTHOR_REQUIRED),
            too_long(AUTHOR_MAX),
        ],
    )


def email_field(label: str = "Email") -> StringField:
    """A reader's address, required: the comment form's and the follow form's."""
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


def url_field() -> StringField:
    return StringField(
        "Sito web",
        filters=[normalize_text, with_scheme],
        validators=[*ONE_LINE, Optional(), too_long(URL_MAX), http_url],
    )


class CommentForm(TextForm):
    """The "Lascia un commento" form under each article."""

    comment = comment_field()
    author = author_field()
    email = email_field()
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

    def __init__(self, *args: Any, article: Article | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The article the comment is for, and the comment it answers.
        self.article = article
        self.parent: Comment | None = None

    def validate_comment_parent(self, field: HiddenField) -> None:
        """A reply answers an approved comment of the same article."""
        raw = (field.data or "0").strip()
        if raw == "0":
            return
        parent_id = parse_id(raw)
        if parent_id is not None and self.article is not None:
            self.parent = find_reply_parent(self.article, parent_id)
        if self.parent is None:
            raise ValidationError(messages.PARENT_INVALID)


class OwnCommentForm(TextForm):
    """An author's change to the text of their own comment."""

    comment = comment_field()


class WithdrawForm(TextForm):
    """An author's "Ritira il commento" button: nothing but, for a moderator, the token."""


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


class ActionForm(TextForm):
    """A button that changes state: only the CSRF token and where to go back."""

    next = HiddenField()


class BulkActionForm(TextForm):
    """The same verbs as the buttons, applied to the ticked comments."""

    action = SelectField("Azione di gruppo", validators=[DataRequired(messages.BULK_NO_ACTION)])
    next = HiddenField()


class EditCommentForm(TextForm):
    """A moderator's edit of a comment's text, name and site."""

    comment = comment_field()
    author = author_field()
    url = url_field()
    next = HiddenField()


class ReplyForm(TextForm):
    """A moderator's reply, written from the queue."""

    comment = comment_field()
    next = HiddenField()


class UndoForm(TextForm):
    """ "Annulla": the audit entries of the changes to take back."""

    events = HiddenField(validators=[DataRequired(), Regexp(r"^\d{1,12}(,\d{1,12}){0,99}$")])
    next = HiddenField()

    @property
    def event_ids(self) -> list[int]:
        return [int(raw) for raw in (self.events.data or "").split(",") if raw]


class ChoiceField(RadioField):
    """Radio buttons whose wrong answer is refused in Italian."""

    def pre_validate(self, form: FlaskForm) -> None:
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(messages.CHOICE_INVALID) from None


class BlockForm(TextForm):
    """ "Blocca": which of a comment's sender's traits joins the disallowed words."""

    target = ChoiceField(
        "Cosa bloccare", validators=[InputRequired(messages.BLOCK_CHOOSE)], choices=[]
    )
    next = HiddenField()


class QueueFilterForm(TextForm):
    """The queue's search and article filter (a GET: no token, no state)."""

    class Meta(TextForm.Meta):
        csrf = False

    status = HiddenField()
    q = StringField("Cerca per testo, autore, email o IP", validators=[Length(max=200)])
    article = SelectField("Articolo", choices=[], validate_choice=False)


class DecimalCommaField(FloatField):
    """A decimal number, typed the Italian way ("0,95") or with a point."""

    # A text input: a number input refuses the comma Italians type.
    widget = TextInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = str(valuelist[0]).strip().replace(",", ".")
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            self.data = None
            raise ValueError(messages.NUMBER_INVALID)
        self.data = number

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else f"{self.data:g}".replace(".", ",")


class WholeNumberField(IntegerField):
    """A whole number, refused in Italian when it is not one."""

    widget = TextInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        try:
            self.data = int(str(valuelist[0]).strip())
        except ValueError:
            # ``data`` keeps its default (None): the field has no number.
            raise ValueError(messages.WHOLE_NUMBER_INVALID) from None


def score_field(label: str) -> DecimalCommaField:
    return DecimalCommaField(
        label,
        validators=[
            InputRequired(messages.NUMBER_INVALID),
            NumberRange(min=0.5, max=1, message=messages.SCORE_RANGE),
        ],
    )


class ModerationSettingsForm(TextForm):
    """The moderation policy and the learning filter's thresholds, chosen by moderators."""

    moderation = ChoiceField(
        "Quali commenti aspettano un moderatore",
        choices=[
            SelectChoice(Policy.ALL.value, "Tutti"),
            SelectChoice(
                Policy.FIRST_TIME.value,
                "Solo quelli di chi commenta per la prima volta: chi ha già un commento "
                "approvato con lo stesso nome e la stessa email viene pubblicato subito",
            ),
            SelectChoice(
                Policy.NONE.value,
                "Nessuno: i commenti si pubblicano subito e si moderano dopo",
            ),
        ],
        validators=[InputRequired(messages.CHOICE_INVALID)],
    )
    spam_score = score_field("Punteggio da cui un nuovo commento va nello spam")
    hold_score = score_field("Punteggio da cui un nuovo commento resta in attesa")
    min_training = WholeNumberField(
        "Decisioni di ciascun tipo (spam e non spam) prima che il filtro sposti i commenti",
        validators=[
            InputRequired(messages.WHOLE_NUMBER_INVALID),
            NumberRange(min=0, max=100_000, message=messages.TRAINING_RANGE),
        ],
    )

    def validate_hold_score(self, field: DecimalCommaField) -> None:
        """Holding starts at or below the score that sends to Spam."""
        spam = self.spam_score.data
        if field.data is not None and spam is not None and field.data > spam:
            raise ValidationError(messages.HOLD_ABOVE_SPAM)


class WordListsForm(TextForm):
    """The moderators' word lists, one word or phrase per line."""

    moderation_keys = TextAreaField(
        "Parole che trattengono un commento in attesa",
        validators=[no_control_characters, Length(max=20000)],
    )
    disallowed_keys = TextAreaField(
        "Parole che mandano un commento nello spam",
        validators=[no_control_characters, Length(max=20000)],
    )


class PrivacyForm(TextForm):
    """A person's data, by email: download it, anonymise it, or delete it."""

    email = StringField(
        "Email",
        filters=[normalize_text],
        validators=[
            *ONE_LINE,
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


class FollowForm(TextForm):
    """ "Segui la discussione": an address, for every approved comment of an article."""

    class Meta(TextForm.Meta):
        # A reader's POST, guarded like the comment form: by the cross-origin
        # check, a rate limit and double opt-in (the page is cached for all).
        csrf = False

    email = email_field("La tua email")


class FlagForm(TextForm):
    """ "Segnala": a reader's report of an approved comment; the button is all of it."""

    class Meta(TextForm.Meta):
        # A reader's POST from a page cached for everyone, guarded like the
        # comment form: by the cross-origin check and a rate limit.
        csrf = False


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
