"""The moderation queue's forms.

Bulk actions, edit, reply, undo, block, filters, settings, word lists, privacy.
"""

from __future__ import annotations

from wtforms import (
    BooleanField,
    HiddenField,
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

from blog import messages
from blog.comments.forms import comment_field
from blog.comments.thread import MAX_THREAD_DEPTH
from blog.core.forms import (
    EMAIL_MAX,
    ONE_LINE,
    ChoiceField,
    DecimalCommaField,
    TextForm,
    WholeNumberField,
    author_field,
    no_control_characters,
    normalize_text,
    too_long,
    url_field,
)
from blog.core.i18n import lazy_gettext as _l
from blog.core.i18n import lazy_pgettext as _lp
from blog.moderation.blocking import BlockTarget
from blog.moderation.workflow import Policy
from blog.spam.hosts import HostRefused, blockable_host

# WordPress's column sizes (wp_comments), which its form enforces too.


class BulkActionForm(TextForm):
    """The same verbs as the buttons, applied to the ticked comments."""

    action = SelectField(_l("Bulk action"), validators=[DataRequired(messages.BULK_NO_ACTION)])
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


class BlockForm(TextForm):
    """ "Blocca": which of a comment's sender's traits joins the disallowed words."""

    target = ChoiceField(
        _l("What to block"), validators=[InputRequired(messages.BLOCK_CHOOSE)], choices=[]
    )
    next = HiddenField()


class BlockUndoForm(TextForm):
    """ "Annulla" after "Blocca": the range of its audit entries, and the value
    it added (empty: the value was listed before the block)."""

    target = HiddenField(
        validators=[InputRequired(), Regexp(rf"^(?:{'|'.join(t.value for t in BlockTarget)})$")]
    )
    value = HiddenField(validators=[no_control_characters, Length(max=300)])
    events = HiddenField(validators=[Optional(), Regexp(r"^\d{1,12}-\d{1,12}$")])
    next = HiddenField()

    @property
    def event_range(self) -> range:
        first, _, last = (self.events.data or "").partition("-")
        return range(int(first), int(last) + 1) if last else range(0)


class QueueFilterForm(TextForm):
    """The queue's search and article filter (a GET: no token, no state)."""

    class Meta(TextForm.Meta):
        csrf = False

    status = HiddenField()
    q = StringField(_l("Search by text, author, email or IP"), validators=[Length(max=200)])
    article = SelectField(_l("Article"), choices=[], validate_choice=False)


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
        _l("Which comments wait for a moderator"),
        choices=[
            SelectChoice(Policy.ALL.value, _lp("comments that wait", "All")),
            SelectChoice(
                Policy.FIRST_TIME.value,
                _l(
                    "Only those of people commenting for the first time: someone who already "
                    "has an approved comment with the same name and email is published at once"
                ),
            ),
            SelectChoice(
                Policy.NONE.value,
                _l("None: comments are published at once and moderated afterwards"),
            ),
        ],
        validators=[InputRequired(messages.CHOICE_INVALID)],
    )
    spam_score = score_field(_l("Score from which a new comment goes to spam"))
    hold_score = score_field(_l("Score from which a new comment is held for moderation"))
    min_training = WholeNumberField(
        _l("Decisions of each kind (spam and not spam) before the filter moves comments"),
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


def whole_number_field(label: str, low: int, high: int, message: str) -> WholeNumberField:
    return WholeNumberField(
        label,
        validators=[
            InputRequired(messages.WHOLE_NUMBER_INVALID),
            NumberRange(min=low, max=high, message=message),
        ],
    )


class DiscussionSettingsForm(TextForm):
    """How an article's discussion looks: thread depth, threads per page,
    the page it opens on, when it closes (as WordPress's "Discussione")."""

    thread_depth = whole_number_field(
        _l("Levels of nested replies (1 to 10)"), 1, MAX_THREAD_DEPTH, messages.DEPTH_RANGE
    )
    per_page = whole_number_field(
        _l("Top-level comments per page, with their replies"), 1, 1000, messages.PER_PAGE_RANGE
    )
    default_page = ChoiceField(
        _l("Where an article's discussion opens"),
        choices=[
            # The values of COMMENT_DEFAULT_PAGE (blog/config.py checks them too).
            SelectChoice(
                "newest",
                _l("At the newest comments: the last page, the newest first"),
            ),
            SelectChoice(
                "oldest",
                _l("At the oldest comments: the first page, the oldest first"),
            ),
        ],
        validators=[InputRequired(messages.CHOICE_INVALID)],
    )
    close_days = whole_number_field(
        _l("Days after which comments close (0: never)"), 0, 36500, messages.CLOSE_DAYS_RANGE
    )


class WordListsForm(TextForm):
    """The moderators' word lists, one word or phrase per line."""

    moderation_keys = TextAreaField(
        _l("Words that hold a comment for moderation"),
        validators=[no_control_characters, Length(max=20000)],
    )
    disallowed_keys = TextAreaField(
        _l("Words that send a comment to spam"),
        validators=[no_control_characters, Length(max=20000)],
    )


class BlockedHostsForm(TextForm):
    """The blocked sites, one host per line."""

    blocked_hosts = TextAreaField(
        _l("Sites whose comments go to spam"), validators=[no_control_characters, Length(max=20000)]
    )

    def validate_blocked_hosts(self, field: TextAreaField) -> None:
        """Every line a host that can be blocked; the first that cannot says why."""
        for line in (field.data or "").splitlines():
            if line.strip():
                try:
                    blockable_host(line)
                except HostRefused as refused:
                    raise ValidationError(refused.message) from None


class PrivacyForm(TextForm):
    """A person's data, by email: download it, anonymise it, or delete it."""

    email = StringField(
        _l("Email"),
        filters=[normalize_text],
        validators=[
            *ONE_LINE,
            DataRequired(messages.PRIVACY_EMAIL_INVALID),
            too_long(EMAIL_MAX),
            Email(messages.PRIVACY_EMAIL_INVALID),
        ],
    )
    action = RadioField(
        _l("Action"),
        choices=[
            SelectChoice("export", _l("Download the data")),
            SelectChoice("anonymise", _l("Anonymise")),
            SelectChoice("delete", _lp("personal data", "Delete")),
        ],
        default="export",
    )
    confirm = BooleanField(_l("I confirm: this cannot be undone"))
