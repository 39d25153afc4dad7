"""The image files on disk: one folder, random names, each written whole or not at all."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from blog.media.images import ProcessedImage
from blog.models.media import EXTENSIONS

#: A stored file's name: the stem (``secrets.token_urlsafe(16)``: 128 random
#: bits), the width, the format. Nothing else is ever served from the folder.
FILE_NAME = re.compile(r"([A-Za-z0-9_-]{22})-([1-9][0-9]{0,4})\.(webp|jpg|png)")
#: Files are public: the web server (nginx's user) reads them.
FILE_MODE = 0o644
FOLDER_MODE = 0o755


def media_folder(config: Mapping[str, Any], instance_path: str) -> Path:
    """``MEDIA_DIR``, or the instance folder's ``media/``."""
    configured = config.get("MEDIA_DIR")
    return Path(configured) if configured else Path(instance_path) / "media"


def new_stem() -> str:
    return secrets.token_urlsafe(16)


def write_new_file(folder: Path, name: str, data: bytes) -> None:
    """Write ``data`` as ``folder/name``, whole, never over an existing file.

    Written aside, synced, then linked into place: a reader (nginx) never
    sees half a file, and a name already taken raises FileExistsError.
    """
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, FILE_MODE)
        os.link(temporary, folder / name)
    finally:
        os.unlink(temporary)


def store(processed: ProcessedImage, folder: Path) -> tuple[str, int]:
    """Write every size of ``processed`` under a new random stem; return it and the bytes."""
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        # Past the service's umask (0077): nginx's user reads the folder.
        os.chmod(folder, FOLDER_MODE)
    while True:
        stem = new_stem()
        written: list[str] = []
        try:
            for size in processed.sizes:
                for kind, data in size.files.items():
                    name = f"{stem}-{size.width}.{EXTENSIONS[kind]}"
                    write_new_file(folder, name, data)
                    written.append(name)
        except FileExistsError:  # 2**-128: try another stem rather than overwrite
            remove(written, folder)
            continue
        except BaseException:
            remove(written, folder)
            raise
        total = sum(len(data) for size in processed.sizes for data in size.files.values())
        return stem, total


def remove(names: Iterable[str], folder: Path) -> None:
    """Delete these files of the folder; a file already gone is no error."""
    for name in names:
        if FILE_NAME.fullmatch(name):
            (folder / name).unlink(missing_ok=True)
