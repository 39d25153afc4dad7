"""Running the blog for years: backups and restoring, ``flask check``."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from blog.ops import cli

    for command in cli.COMMANDS:
        app.cli.add_command(command)
