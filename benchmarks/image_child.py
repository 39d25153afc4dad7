"""One take-in of the images benchmark, in a process of its own.

    python benchmarks/image_child.py upload  photo.jpg MEDIA_DIR
    python benchmarks/image_child.py decode  photo.jpg

``upload`` runs the upload use case (``upload_image``: read, check, decode
whole, orient, sRGB, three widths in WebP and JPEG, written, one row in a
SQLite database); ``decode`` is Pillow's own ``Image.open(path).load()`` of
the same file, the floor. Both load the application first, as a worker has.
Prints one JSON line: the wall and CPU seconds of that step alone, the peak
RSS of the whole process (VmHWM: what a worker would hold) and how much of
it the step added.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from PIL import Image  # noqa: E402

from blog import create_app  # noqa: E402
from blog.extensions import db  # noqa: E402
from blog.media.uploads import upload_image  # noqa: E402


def rss_mb(field: str) -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+) kB", status).group(1)) / 1024


def main(kind: str, path: str, media_dir: str = "") -> None:
    with tempfile.TemporaryDirectory() as work:
        app = create_app(
            {
                "SECRET_KEY": "bench",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work}/bench.sqlite3",
                "MEDIA_DIR": media_dir or work,
                "MEDIA_MAX_BYTES": 64 * 1024 * 1024,
            }
        )
        with app.app_context():
            db.create_all()
            before = rss_mb("VmRSS")
            wall, cpu = time.perf_counter(), time.process_time()
            if kind == "upload":
                with open(path, "rb") as stream:
                    media = upload_image(
                        stream, Path(path).name, None, app.config, Path(media_dir), alt="Foto"
                    )
                done = {"sizes": media.sizes, "stored_bytes": media.bytes}
            else:
                with Image.open(path) as image:
                    image.load()
                    done = {"size": list(image.size)}
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            peak = rss_mb("VmHWM")
    print(
        json.dumps(
            {
                **done,
                "seconds": wall,
                "cpu_seconds": cpu,
                "peak_rss_mb": peak,
                "added_mb": peak - before,
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
