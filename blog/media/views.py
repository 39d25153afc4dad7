"""The media page (``/admin/media/``): the uploaded images, uploading, deleting;
and the editor's JSON: upload an image and get the ``<figure>`` to place.

For staff who write articles (``Capability.WRITE_ARTICLES``). An author
deletes only the images they uploaded; editors and administrators, any.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import RequestEntityTooLarge

from blog import messages
from blog.accounts.roles import Capability, require
from blog.core.forms import form_status
from blog.core.http import larger_body, page_number
from blog.extensions import db
from blog.media import storage
from blog.media.figures import render_image
from blog.media.forms import DeleteForm, PlaceForm, UploadAndPlaceForm, UploadForm
from blog.media.images import ImageRefused
from blog.media.uploads import can_delete, delete_image, megabytes, upload_image
from blog.models import MediaFile

bp = Blueprint("media", __name__, url_prefix="/admin/media")

PER_PAGE = 40
#: Room for the form's other fields and the multipart framing around the file.
FORM_ALLOWANCE = 64 * 1024


def upload_body_limit(config: Mapping[str, Any]) -> int:
    """The largest upload request: one file of ``MEDIA_MAX_BYTES`` and its form."""
    return int(config["MEDIA_MAX_BYTES"]) + FORM_ALLOWANCE


@bp.before_request
@login_required
@require(Capability.WRITE_ARTICLES)
def require_writer() -> None:
    """Every page here is for signed-in staff who write articles."""


def folder() -> Path:
    return storage.media_folder(current_app.config, current_app.instance_path)


def too_large_message() -> str:
    return messages.MEDIA_TOO_BIG.format(limit=megabytes(current_app.config["MEDIA_MAX_BYTES"]))


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    """A body over the limit: said in words, as JSON to the editor, else on the page."""
    message = too_large_message()
    if request.endpoint == "media.place_upload":
        return jsonify(error=message, errors={"file": [message]}), 413
    return library_page(UploadForm(formdata=None), error=message, status=413)


def library_page(form: UploadForm, error: str | None = None, status: int = 200) -> Any:
    """The media page: the upload form, then the images, newest first."""
    query = (
        sa.select(MediaFile)
        .options(joinedload(MediaFile.uploaded_by))
        .order_by(MediaFile.id.desc())
    )
    pagination = db.paginate(
        query, page=page_number(request.args.get("page")), per_page=PER_PAGE, error_out=False
    )
    return (
        render_template(
            "media/library.html",
            form=form,
            error=error,
            pagination=pagination,
            # Only its token is shown: never read from this request's body.
            delete_form=DeleteForm(formdata=None),
            can_delete=can_delete,
            snippet=snippet,
            max_megabytes=megabytes(current_app.config["MEDIA_MAX_BYTES"]),
            noindex=True,
        ),
        status,
    )


def snippet(media: MediaFile) -> str:
    """What an author pastes in an article's text to place ``media`` (the
    editor's "Aggiungi immagine" without its script)."""
    return str(render_image(media, media.alt))


@bp.get("/")
def library() -> ResponseReturnValue:
    """List the uploaded images, with the upload form."""
    return library_page(UploadForm())


@bp.post("/")
@larger_body(upload_body_limit)
def upload() -> ResponseReturnValue:
    """Upload one image from the media page."""
    form = UploadForm()
    if not form.validate_on_submit():
        return library_page(form, status=form_status())
    try:
        media = upload_image(
            form.file.data.stream,
            form.file.data.filename,
            current_user,
            current_app.config,
            folder(),
            alt=form.alt.data or "",
        )
    except ImageRefused as refused:
        form.file.errors = [refused.message]
        return library_page(form, status=422)
    flash(messages.MEDIA_UPLOADED.format(name=media.original_name), "success")
    return redirect(url_for("media.library"), 303)


@bp.post("/<int:media_id>/delete")
def delete(media_id: int) -> ResponseReturnValue:
    """Delete one image and its files, if it is the user's to delete."""
    media = db.get_or_404(MediaFile, media_id)
    if not can_delete(media):
        abort(403)
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    name = media.original_name
    delete_image(media, folder())
    flash(messages.MEDIA_DELETED.format(name=name), "success")
    return redirect(url_for("media.library"), 303)


def form_errors(form: Any) -> ResponseReturnValue:
    """A refused placement as JSON: every field's errors, and the first one in words."""
    errors = {name: [str(error) for error in errs] for name, errs in form.errors.items()}
    first = next(iter(errors.values()))[0]
    return jsonify(error=first, errors=errors), 422


def placed(media: MediaFile, form: PlaceForm, status: int = 200) -> ResponseReturnValue:
    """The figure to place in the article, and what the editor may want to know of it."""
    html = render_image(media, form.alt.data, form.caption.data or "")
    return (
        jsonify(
            id=media.id,
            html=str(html),
            width=media.width,
            height=media.height,
            alt=form.alt.data,
        ),
        status,
    )


@bp.post("/place")
@larger_body(upload_body_limit)
def place_upload() -> ResponseReturnValue:
    """The editor's "Aggiungi immagine": upload an image, get its ``<figure>`` (JSON).

    The alternative text is required: an image placed in an article is
    described for those who cannot see it.
    """
    form = UploadAndPlaceForm()
    if not form.validate_on_submit():
        return form_errors(form)
    try:
        media = upload_image(
            form.file.data.stream,
            form.file.data.filename,
            current_user,
            current_app.config,
            folder(),
            alt=form.alt.data,
        )
    except ImageRefused as refused:
        return jsonify(error=refused.message, errors={"file": [refused.message]}), 422
    return placed(media, form, 201)


@bp.get("/<int:media_id>/figure")
def figure(media_id: int) -> ResponseReturnValue:
    """The ``<figure>`` of an uploaded image (JSON), for ``?alt=…&caption=…``."""
    media = db.get_or_404(MediaFile, media_id)
    form = PlaceForm(formdata=request.args, meta={"csrf": False})
    if not form.validate():
        return form_errors(form)
    return placed(media, form)
