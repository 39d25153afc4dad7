"""Articles: their life (authoring.py), the editor (views.py), the shipped
ones, and the database they live in."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from blog.articles import cli, views

    app.register_blueprint(views.bp)

    for command in cli.COMMANDS:
        app.cli.add_command(command)
