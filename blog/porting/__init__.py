"""Moving in and out: one import runner for WordPress, Disqus and Isso, and the WordPress export."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from blog.porting import cli

    for command in cli.COMMANDS:
        app.cli.add_command(command)
