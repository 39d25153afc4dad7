"""Uploaded images, as the site keeps them: re-encoded, in several widths.

The files live in ``MEDIA_DIR`` under names made of a random stem, the
width and the format (``<stem>-960.webp``); this row says which widths and
formats exist, and what the uploader called the file.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blog.extensions import Model
from blog.models.accounts import Moderator
from blog.models.clock import utcnow

#: The file extension of each stored format.
EXTENSIONS = {"webp": "webp", "jpeg": "jpg", "png": "png"}
#: The content type of each stored format.
MIME_TYPES = {"webp": "image/webp", "jpeg": "image/jpeg", "png": "image/png"}


class MediaFile(Model):
    """One uploaded image and the sizes made of it.

    ``sizes`` is a list, narrowest first, of ``{"width": 480, "height": 320}``;
    every width exists in WebP and in ``fallback`` (``jpeg`` or ``png``).
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    stem: Mapped[str] = mapped_column(sa.String(32), unique=True)
    # The uploader's file name, cleaned for display only: never a path.
    original_name: Mapped[str] = mapped_column(sa.String(200))
    # The content type of the fallback format (image/jpeg or image/png).
    mime: Mapped[str] = mapped_column(sa.String(32))
    fallback: Mapped[str] = mapped_column(sa.String(8))
    # The widest size's dimensions.
    width: Mapped[int]
    height: Mapped[int]
    sizes: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    # What the stored files take on disk, every size and format together.
    bytes: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("moderator.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The alternative text offered when the image is placed in an article.
    alt: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")

    uploaded_by: Mapped[Moderator | None] = relationship()

    def file_name(self, width: int, kind: str) -> str:
        """The stored file of one width in ``kind`` (``webp``, ``jpeg`` or ``png``)."""
        return f"{self.stem}-{width}.{EXTENSIONS[kind]}"

    def file_names(self) -> list[str]:
        """Every file stored for this image."""
        return [
            self.file_name(size["width"], kind)
            for size in self.sizes
            for kind in ("webp", self.fallback)
        ]

    @property
    def smallest(self) -> dict[str, Any]:
        return self.sizes[0]

    def __repr__(self) -> str:
        return f"<MediaFile {self.stem!r}>"
