"""Form building blocks every area shares.

Text fields with WordPress's limits and checks, the action form, decimal and
whole-number fields.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import cache
from typing import Any, cast
from urllib.parse import urlsplit

from babel.support import Translations
from flask import current_app, has_request_context, request
from flask_babel import format_decimal, get_locale
from flask_wtf import FlaskForm
from flask_wtf.form import SUBMIT_METHODS
from wtforms import (
    FloatField,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
)
from wtforms.i18n import messages_path
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    Optional,
    ValidationError,
)
from wtforms.widgets import TextInput

from blog import messages
from blog.core.i18n import lazy
from blog.core.i18n import lazy_gettext as _l

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

        def get_translations(self, form: Any) -> Any:
            """WTForms' own words in the request's language, as Flask-WTF's,
            read from their catalog once a process rather than once a request."""
            if (
                not has_request_context()
                or "babel" not in current_app.extensions
                or not current_app.config.get("WTF_I18N_ENABLED", True)
            ):
                return super().get_translations(form)
            return wtforms_translations(str(get_locale()))


@cache
def wtforms_translations(language: str) -> Translations:
    """WTForms' catalog of its own messages (field labels, validators) in ``language``."""
    return cast(Translations, Translations.load(messages_path(), [language], domain="wtforms"))


def form_status() -> int:
    """The status of a page showing a form: 422 when it shows a refused POST."""
    return 422 if request.method == "POST" else 200


def too_long(limit: int) -> Length:
    """At most ``limit`` characters, said in the language of the moment it is said."""
    return Length(max=limit, message=lazy(lambda: messages.TOO_LONG.format(max=limit)))


def author_field() -> StringField:
    return StringField(
        _l("Name"),
        filters=[normalize_text, visible_or_empty],
        validators=[
            *ONE_LINE,
            DataRequired(messages.AUTHOR_REQUIRED),
            too_long(AUTHOR_MAX),
        ],
    )


def email_field(label: str = _l("Email")) -> StringField:
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
        _l("Website"),
        filters=[normalize_text, with_scheme],
        validators=[*ONE_LINE, Optional(), too_long(URL_MAX), http_url],
    )


class ActionForm(TextForm):
    """A button that changes state: only the CSRF token and where to go back."""

    next = HiddenField()


class ChoiceField(RadioField):
    """Radio buttons whose wrong answer is refused in the reader's language."""

    def pre_validate(self, form: FlaskForm) -> None:
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(messages.CHOICE_INVALID) from None


class DecimalCommaField(FloatField):
    """A decimal number, typed with a comma ("0,95", as Italians write it) or a point,
    and shown with the decimal mark of the language ("0,95", "0.95")."""

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
        # As many decimals as it has, up to six: "0,95", "1".
        return "" if self.data is None else format_decimal(self.data, format="0.######")


class WholeNumberField(IntegerField):
    """A whole number, refused in the reader's language when it is not one."""

    widget = TextInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        try:
            self.data = int(str(valuelist[0]).strip())
        except ValueError:
            # ``data`` keeps its default (None): the field has no number.
            raise ValueError(messages.WHOLE_NUMBER_INVALID) from None
