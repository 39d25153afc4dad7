"""The media page's forms: one per action."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Optional

from blog import messages
from blog.core.forms import ONE_LINE, ActionForm, normalize_text, too_long
from blog.core.i18n import lazy_gettext as _l

ALT_MAX = 500
CAPTION_MAX = 1000


class UploadForm(FlaskForm):
    """ "Carica": an image and, if the author likes, the text that describes it."""

    file = FileField(_l("Image"), validators=[FileRequired(messages.MEDIA_NO_FILE)])
    alt = StringField(
        _l("Alternative text"),
        filters=[normalize_text],
        validators=[Optional(), too_long(ALT_MAX), *ONE_LINE],
    )


class PlaceForm(FlaskForm):
    """An image placed in an article: its description is required, a caption is not."""

    alt = StringField(
        _l("Alternative text"),
        filters=[normalize_text],
        validators=[DataRequired(messages.MEDIA_ALT_REQUIRED), too_long(ALT_MAX), *ONE_LINE],
    )
    caption = StringField(
        _l("Caption"),
        filters=[normalize_text],
        validators=[Optional(), too_long(CAPTION_MAX), *ONE_LINE],
    )


class UploadAndPlaceForm(PlaceForm):
    """The editor's "Aggiungi immagine": upload and place in one request."""

    file = FileField(_l("Image"), validators=[FileRequired(messages.MEDIA_NO_FILE)])


class DeleteForm(ActionForm):
    """ "Elimina definitivamente" for one image."""
