"""Readers' forms: the comment form with WordPress's names and limits, editing and
withdrawing one's own comment, following a discussion, reporting a comment."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Optional,
    ValidationError,
)

from blog import messages
from blog.comments.flags import REASON_MAX
from blog.comments.sanitize import (
    COMMENT_MARKUP_LIMIT,
    COMMENT_NESTING_LIMIT,
    comment_within_limits,
)
from blog.core.forms import (
    COMMENT_MAX,
    ONE_LINE,
    TextForm,
    author_field,
    email_field,
    no_control_characters,
    no_noncharacters,
    normalize_text,
    too_long,
    url_field,
    visible_or_empty,
)
from blog.core.http import parse_id
from blog.core.i18n import lazy_gettext as _l
from blog.spam.rules import normalise

# WordPress's column sizes (wp_comments), which its form enforces too.


def markup_not_too_complex(form: FlaskForm, field: TextAreaField) -> None:
    """Refuse markup the sanitizer would only show as text: too many tags,
    links or line breaks, or tags nested too deep."""
    if isinstance(field.data, str) and not comment_within_limits(field.data):
        raise ValidationError(
            messages.TOO_MUCH_MARKUP.format(limit=COMMENT_MARKUP_LIMIT, depth=COMMENT_NESTING_LIMIT)
        )


def normalised_not_too_long(form: FlaskForm, field: TextAreaField) -> None:
    """Refuse a text longer than the limit once normalised as the filters read
    it: a character may become 18 under NFKC (U+FDFA), and every filter's
    work grows with it. The limit's own message: it is the same limit."""
    text = field.data
    # A text too long as typed already has the message.
    if isinstance(text, str) and len(text) <= COMMENT_MAX < len(normalise(text, COMMENT_MAX + 1)):
        raise ValidationError(messages.TOO_LONG.format(max=COMMENT_MAX))


def comment_field() -> TextAreaField:
    return TextAreaField(
        _l("Comment"),
        filters=[normalize_text],
        validators=[
            no_control_characters,
            no_noncharacters,
            DataRequired(messages.COMMENT_REQUIRED),
            too_long(COMMENT_MAX),
            normalised_not_too_long,
            markup_not_too_complex,
        ],
    )


class CommentForm(TextForm):
    """The "Lascia un commento" form under each article."""

    comment = comment_field()
    author = author_field()
    email = email_field()
    url = url_field()
    remember = BooleanField(
        _l("Save my name, email, and website in this browser for the next time I comment."),
        name="wp-comment-cookies-consent",
    )
    notify = BooleanField(
        _l("Notify me when my comment is approved and when someone replies"),
        name="comment-notify",
    )
    comment_parent = HiddenField(default="0")
    # Spam traps: a field people never see, and when the form was served.
    homepage = StringField(_l("Leave this field empty"), filters=[normalize_text])
    form_time = HiddenField()

    def validate_comment_parent(self, field: HiddenField) -> None:
        """A reply names the comment it answers by its id ("0": none).

        Whether that is an approved comment of the article is the view's
        question to the database (blog/reader/actions.py), not the form's.
        """
        raw = (field.data or "0").strip()
        if raw != "0" and parse_id(raw) is None:
            raise ValidationError(messages.PARENT_INVALID)


class StaffCommentForm(CommentForm):
    """A signed-in moderator's comment: as WordPress's form for a logged-in
    user, it asks only for the text. Their name, email and site come from
    their account (``blog/reader/rendering.py``), whatever the request says."""

    author = StringField()
    email = StringField()
    url = StringField()


class OwnCommentForm(TextForm):
    """An author's change to the text of their own comment."""

    comment = comment_field()
    # The time trap's: when this edit form was served (signed for the comment).
    form_time = HiddenField()


class WithdrawForm(TextForm):
    """An author's "Ritira il commento" button: nothing but, for a moderator, the token."""


class FollowForm(TextForm):
    """ "Segui la discussione": an address, for every approved comment of an article."""

    class Meta(TextForm.Meta):
        # A reader's POST, guarded like the comment form: by the cross-origin
        # check, a rate limit and double opt-in (the page is cached for all).
        csrf = False

    email = email_field(_l("Your email"))


class FlagForm(TextForm):
    """ "Segnala": a reader's report of an approved comment, with an optional
    reason: one line, plain text, escaped wherever it is shown."""

    class Meta(TextForm.Meta):
        # A reader's POST from a page cached for everyone, guarded like the
        # comment form: by the cross-origin check and a rate limit.
        csrf = False

    reason = StringField(
        _l("Why? (optional)"),
        filters=[normalize_text, visible_or_empty],
        validators=[*ONE_LINE, Optional(), too_long(REASON_MAX)],
    )
