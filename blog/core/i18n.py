"""Which language the blog speaks, and the words it speaks in it.

Source strings are English, as in WordPress, Django and Isso; each other
language is a gettext catalog in ``blog/translations/<code>/`` (Flask-Babel,
with Babel's CLDR data for dates, numbers and plurals). Adding one needs no
code: ``docs/translating.md``.

Who hears which language:

- readers, readers' mail and the ``flask`` commands: ``SITE_LANGUAGE``. Public
  pages never look at ``Accept-Language``, so every anonymous reader gets the
  same bytes and shared caches keep working;
- a signed-in member of staff: the language chosen on their profile (the
  site's by default), on every page and in the mail sent to them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, cast

from babel import Locale, numbers
from babel.core import get_global
from babel.support import Translations
from flask import Flask, current_app, has_app_context, has_request_context
from flask_babel import (
    Babel,
    LazyString,
    force_locale,
    format_date,
    format_decimal,
    format_time,
    get_locale,
    get_translations,
    gettext,
    pgettext,
)
from flask_login import current_user
from markupsafe import escape

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
#: The language the source strings are written in.
SOURCE_LANGUAGE = "en"

babel = Babel()


def default_language() -> str:
    """The language of text used with no app: ``SITE_LANGUAGE`` from the
    environment (``flask --help``), else the default's."""
    from blog.config import DEFAULTS

    return os.environ.get("SITE_LANGUAGE") or DEFAULTS["SITE_LANGUAGE"]


def default_translations() -> Translations:
    """The catalog for text used with no app (:func:`default_language`)."""
    return _catalog(default_language())


@cache
def _catalog(language: str) -> Translations:
    return cast(Translations, Translations.load(str(TRANSLATIONS), [language]))


def _translate(context: str | None, source: str, values: dict[str, Any]) -> str:
    if has_app_context():
        text = pgettext(context, source) if context else gettext(source)
    else:  # a script or test with no app: the default site language
        catalog = default_translations()
        text = catalog.pgettext(context, source) if context else catalog.gettext(source)
    return text % values if values else text


class LazyText(LazyString):
    """Flask-Babel's lazy string, escaped like any text when a template shows it.

    Flask-Babel's own marks itself as markup (``__html__`` returns it as it
    is); a sentence is text, and an apostrophe in it is escaped as before.
    """

    def __html__(self) -> str:
        return escape(str(self))


def lazy_gettext(source: str, **values: Any) -> str:
    """A sentence translated when it is used, in the language of that moment.

    For text defined at import time (``blog/messages.py``, form labels). It
    behaves as the ``str`` it becomes in every use the code makes of it;
    ``str()`` it before storing it (in a session, a database, JSON).
    """
    return cast(str, LazyText(_translate, None, source, values))


def lazy_pgettext(context: str, source: str) -> str:
    """``lazy_gettext`` for a word whose translation depends on where it stands."""
    return cast(str, LazyText(_translate, context, source, {}))


def plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark a sentence with its plural, ``{count}`` in both, for ``counted``."""
    return (singular, plural)


def counted(count: int, forms: tuple[str, str]) -> str:
    """The form of ``forms`` for ``count`` in today's language (CLDR's plural
    rules, through the catalog), with ``{count}`` filled in."""
    chosen = get_translations().ngettext(forms[0], forms[1], count)
    return chosen.format(count=count)


def lazy(function: Any, *args: Any, **kwargs: Any) -> str:
    """Text worked out when it is used, for sentences composed at import time."""
    return cast(str, LazyText(function, *args, **kwargs))


@cache
def available_languages() -> tuple[str, ...]:
    """The source language and every language with a compiled catalog."""
    found = sorted(
        path.parent.parent.name for path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.mo")
    )
    return (SOURCE_LANGUAGE, *found)


def language_name(code: str) -> str:
    """A language's own name for itself ("italiano", "English")."""
    return Locale.parse(code).get_display_name(code) or code


def select_locale() -> str:
    """Staff hear the language of their profile; everyone else the site's."""
    if has_request_context():
        user = current_user
        chosen = getattr(user, "language", None) if user.is_authenticated else None
        if chosen in available_languages():
            return cast(str, chosen)
    return cast(str, current_app.config["SITE_LANGUAGE"])


def select_timezone() -> str:
    return cast(str, current_app.config["TIMEZONE"])


@contextmanager
def speaking(language: str | None) -> Iterator[None]:
    """Compose something (a mail) in ``language``, or the site's when None."""
    with force_locale(language or current_app.config["SITE_LANGUAGE"]):
        yield


def long_date(moment: datetime) -> str:
    """A date as readers write it: "25 novembre 2026", "November 25, 2026"."""
    return format_date(moment, format="long")


def long_datetime(moment: datetime) -> str:
    """A date and time: "25 novembre 2026 alle 15:10"."""
    return gettext(
        "%(date)s at %(time)s", date=long_date(moment), time=format_time(moment, "short")
    )


def decimal(value: float, digits: int = 2) -> str:
    """A number with the language's decimal mark: "0,95" in Italian, "0.95" in English.

    Rounded as Python rounds the float (0.165 is 0.17), before Babel, which
    would round its decimal text half to even (0.16). With no app (a script,
    a test) in the default language, as sentences are.
    """
    pattern = "0." + "0" * digits if digits else "0"
    if not has_app_context():
        return numbers.format_decimal(round(value, digits), pattern, locale=default_language())
    return format_decimal(round(value, digits), format=pattern)


def language_tag(code: str) -> str:
    """A language as HTML and Atom name it (BCP 47): "it", "en", "pt-BR"."""
    locale = Locale.parse(code)
    return "-".join(part for part in (locale.language, locale.script, locale.territory) if part)


def current_locale() -> Locale:
    """The language of what is being written now (staff's own, or the site's)."""
    return get_locale() or Locale.parse(current_app.config["SITE_LANGUAGE"])


def page_language() -> str:
    """The page's ``<html lang>``: the language it is being written in."""
    return language_tag(str(current_locale()))


def open_graph_locale() -> str:
    """The page's language as Open Graph names it, with a territory: "it_IT", "en_US".

    A language with none of its own takes CLDR's likeliest ("it" is spoken
    in Italy, "en" in the United States).
    """
    locale = current_locale()
    if not locale.territory:
        likely = get_global("likely_subtags").get(locale.language)
        locale = Locale.parse(likely) if likely else locale
    return "_".join(part for part in (locale.language, locale.territory) if part)


def check_language(config: dict[str, Any]) -> None:
    """Refuse to start in a language the blog has no catalog for."""
    language = config["SITE_LANGUAGE"]
    if language not in available_languages():
        raise RuntimeError(
            f"SITE_LANGUAGE={language!r}: no catalog in blog/translations/; "
            f"available: {', '.join(available_languages())}"
        )


def init_app(app: Flask) -> None:
    check_language(app.config)
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["SITE_LANGUAGE"]
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["TIMEZONE"]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.add_template_filter(long_date, "long_date")
    app.add_template_filter(long_datetime, "long_datetime")
    app.add_template_filter(decimal, "decimal")
    # Whitespace in {% trans %} blocks collapsed at run time as `make i18n`
    # collapses it when extracting (babel.cfg: trimmed = true).
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.globals["available_languages"] = available_languages
    app.jinja_env.globals["language_name"] = language_name
    app.jinja_env.globals["page_language"] = page_language
    app.jinja_env.globals["open_graph_locale"] = open_graph_locale
