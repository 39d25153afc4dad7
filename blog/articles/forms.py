"""The editor's forms: the article, and the buttons of the list and the revisions."""

from __future__ import annotations

from datetime import date, datetime, time

from wtforms import BooleanField, DateField, StringField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Optional, Regexp

from blog import messages
from blog.articles.authoring import TITLE_MAX, ArticleDraft
from blog.articles.terms import split_names
from blog.core.forms import (
    ONE_LINE,
    ActionForm,
    TextForm,
    no_control_characters,
    no_noncharacters,
    normalize_text,
    too_long,
)
from blog.core.i18n import lazy_gettext as _l
from blog.core.slugs import SLUG_MAX

#: What the summary ("Riassunto") may hold: a paragraph or two.
STANDFIRST_MAX = 1000
#: What an article's Markdown may hold (about 40 pages of text).
BODY_MAX = 200_000
#: The comma-separated categories or tags.
TERMS_MAX = 1000

MULTILINE = [no_control_characters, no_noncharacters]


class ArticleForm(TextForm):
    """An article as the author edits it. The buttons are read from ``action``."""

    title = StringField(
        _l("Title"),
        filters=[normalize_text],
        validators=[InputRequired(messages.TITLE_REQUIRED), too_long(TITLE_MAX), *ONE_LINE],
    )
    slug = StringField(
        _l("Address"),
        filters=[normalize_text],
        validators=[Optional(), too_long(SLUG_MAX), *ONE_LINE],
    )
    standfirst = TextAreaField(
        _l("Summary"),
        filters=[normalize_text],
        validators=[Optional(), too_long(STANDFIRST_MAX), *MULTILINE],
    )
    body = TextAreaField(_l("Text"), validators=[Optional(), too_long(BODY_MAX), *MULTILINE])
    categories = StringField(
        _l("Categories"),
        filters=[normalize_text],
        validators=[Optional(), too_long(TERMS_MAX), *ONE_LINE],
    )
    tags = StringField(
        _l("Tags"),
        filters=[normalize_text],
        validators=[Optional(), too_long(TERMS_MAX), *ONE_LINE],
    )
    comments_open = BooleanField(_l("Allow comments"), default=True)
    #: A ``MediaFile`` id, or empty for none (radio buttons of the uploads).
    featured_image = StringField(
        _l("Featured image"),
        validators=[Optional(), Regexp(r"^[0-9]{1,12}$", message=messages.FEATURED_IMAGE_GONE)],
    )
    publish_date = DateField(
        _l("Date"), validators=[Optional()], format="%Y-%m-%d", render_kw={"type": "date"}
    )
    # Minutes, or seconds too (a browser sends them when step is under 60).
    publish_time = TimeField(
        _l("Time"),
        validators=[Optional()],
        format=["%H:%M", "%H:%M:%S"],
        render_kw={"type": "time", "step": "1"},
    )

    def draft(self) -> ArticleDraft:
        """What the author typed, for blog/articles/authoring.py."""
        return ArticleDraft(
            title=self.title.data or "",
            slug=self.slug.data or "",
            standfirst=self.standfirst.data or "",
            body_source=(self.body.data or "").replace("\r\n", "\n"),
            categories=split_names(self.categories.data or ""),
            tags=split_names(self.tags.data or ""),
            comments_open=bool(self.comments_open.data),
            featured_image_id=self.featured_image_id(),
        )

    def featured_image_id(self) -> int | None:
        """The featured image chosen, or None."""
        raw = self.featured_image.data or ""
        return int(raw) if raw.isascii() and raw.isdigit() else None

    def local_moment(self, today: date) -> datetime | None:
        """The date and time typed (in ``TIMEZONE``), or None when neither was.

        A date without a time means its midnight; a time without a date, ``today``'s.
        """
        day: date | None = self.publish_date.data
        at: time | None = self.publish_time.data
        if day is None and at is None:
            return None
        return datetime.combine(day or today, at or time(0, 0))


class RevisionRestoreForm(ActionForm):
    """ "Ripristina questa revisione"."""


class ArticleActionForm(ActionForm):
    """ "Sposta nel cestino", "Ripristina"."""
