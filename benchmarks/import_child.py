"""One import or export of the imports benchmark, in a process of its own.

    python benchmarks/import_child.py import DATABASE_URL export.xml
    python benchmarks/import_child.py export DATABASE_URL export.xml

Prints one JSON line: what it did, the wall and CPU seconds of the import
or export alone, and the peak RSS of this whole process (VmHWM), which is
what a server would have to hold.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from blog import create_app  # noqa: E402
from blog.porting import export, wordpress  # noqa: E402
from blog.porting.importer import run_import  # noqa: E402


def peak_rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def main(kind: str, database_url: str, path: str) -> None:
    app = create_app(
        {"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": database_url, "SITE_URL": "http://x/"}
    )
    with app.app_context():
        wall, cpu = time.perf_counter(), time.process_time()
        if kind == "import":
            report = run_import(wordpress.READER, path)
            done = {"comments": report.comments_added, "articles": report.articles_added}
        else:
            with open(path, "wb") as target:
                done = {"articles": export.export_wxr(target, "Bench", "http://x/")}
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({**done, "seconds": wall, "cpu_seconds": cpu, "peak_rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
