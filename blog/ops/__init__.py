"""Running the blog for years: backups and restoring, ``flask check``, ``/metrics``."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from blog.ops import cli, metrics

    metrics.init_app(app)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
