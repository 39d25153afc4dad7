"""Personal data: what is kept about a person, its export, its erasure, its retention."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from blog.privacy import cli

    for command in cli.COMMANDS:
        app.cli.add_command(command)
