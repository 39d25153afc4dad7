"""The upload use case: a file in, a stored image out; and taking one away.

No request here: a view, a command or a test hands in the bytes and who
sent them, and gets a :class:`MediaFile` or an :class:`ImageRefused` whose
message says why, in the site's language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from flask_babel import format_decimal
from flask_login import current_user

from blog import messages
from blog.accounts.roles import Capability, can
from blog.extensions import db
from blog.media import storage
from blog.media.images import ImageRefused, process_image
from blog.models import Article, MediaFile, Moderator
from blog.models.media import MIME_TYPES

#: Characters a displayed file name loses: controls, separators of paths.
_NOT_SHOWN = re.compile(r"[\x00-\x1f\x7f-\x9f/\\]+")
_SPACES = re.compile(r"\s+")
NAME_MAX = 200


def display_name(filename: str | None) -> str:
    """The uploader's file name as the media page shows it: its last part, one line, short."""
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[/\\]", name)[-1]
    name = _SPACES.sub(" ", _NOT_SHOWN.sub("", name)).strip()
    return name[:NAME_MAX] or "immagine"


def read_limited(stream: IO[bytes], max_bytes: int) -> bytes:
    """Read at most ``max_bytes`` from ``stream``; refuse a longer file, or an empty one."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageRefused(messages.MEDIA_TOO_BIG.format(limit=megabytes(max_bytes)))
    if not data:
        raise ImageRefused(str(messages.MEDIA_NO_FILE))
    return data


def megabytes(size: int) -> str:
    """A size in MB as the site's language writes it ("20", "0,5")."""
    return format_decimal(round(size / 1024 / 1024, 1))


def upload_image(
    stream: IO[bytes],
    filename: str | None,
    uploader: Moderator | None,
    config: Mapping[str, Any],
    folder: Path,
    alt: str = "",
) -> MediaFile:
    """Check, re-encode and store one uploaded image; return its row, committed."""
    data = read_limited(stream, int(config["MEDIA_MAX_BYTES"]))
    processed = process_image(data, int(config["MEDIA_MAX_PIXELS"]))
    del data
    stem, stored_bytes = storage.store(processed, folder)
    media = MediaFile(
        stem=stem,
        original_name=display_name(filename),
        mime=MIME_TYPES[processed.fallback],
        fallback=processed.fallback,
        width=processed.width,
        height=processed.height,
        sizes=[{"width": size.width, "height": size.height} for size in processed.sizes],
        bytes=stored_bytes,
        uploaded_by_id=uploader.id if uploader is not None else None,
        alt=alt.strip(),
    )
    try:
        db.session.add(media)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        storage.remove(media.file_names(), folder)
        raise
    return media


def can_delete(media: MediaFile, user: Any = None) -> bool:
    """Editors delete any image; an author only the images they uploaded."""
    user = current_user if user is None else user
    if can(Capability.EDIT_OTHERS_ARTICLES, user):
        return True
    return can(Capability.WRITE_ARTICLES, user) and media.uploaded_by_id == user.id


def delete_image(media: MediaFile, folder: Path) -> None:
    """Delete the row, then its files; the articles it featured lose it, as readers see."""
    names = media.file_names()
    # Said here rather than left to ON DELETE SET NULL: each such article
    # changes for readers, so its version moves on (cached pages renew).
    db.session.execute(
        sa.update(Article)
        .where(Article.featured_image_id == media.id)
        .values(featured_image_id=None, comment_version=Article.comment_version + 1)
    )
    db.session.delete(media)
    db.session.commit()
    storage.remove(names, folder)
