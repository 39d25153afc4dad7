"""Run Debian's nginx on loopback with the config docs/operations.md deploys.

The rendering of ``deploy/nginx/`` lives in ``benchmarks/nginx.py``, which
the benchmark runs too: one renderer, so the tests and the figures measure
the same config.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from subprocess import Popen

from benchmarks.nginx import render_plain, running


class Nginx:
    def __init__(self, process: Popen, port: int, work: Path) -> None:
        self.process = process
        self.port = port
        self.work = work

    @property
    def media(self) -> Path:
        """The folder the config serves ``/media/`` from."""
        return self.work / "media"

    def access_log(self) -> str:
        path = self.work / "access.log"
        return path.read_text() if path.exists() else ""


@contextmanager
def nginx(work: Path, upstream_port: int, port: int) -> Iterator[Nginx]:
    """Start nginx in the foreground in front of ``upstream_port``."""
    work.mkdir(parents=True, exist_ok=True)
    config = render_plain(work, upstream_port, port)
    with running(work, config, port) as process:
        yield Nginx(process, port, work)
