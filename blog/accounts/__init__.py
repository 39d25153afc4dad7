"""Staff accounts: login, sessions, profiles, and their ``flask`` commands."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from blog.accounts import auth, cli

    app.register_blueprint(auth.bp)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
