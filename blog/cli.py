"""Command-line tools: ``flask init-db`` and friends."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_migrate import upgrade

from blog.seed import seed_articles


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database and load the shipped articles."""
    upgrade()
    added = seed_articles()
    if added:
        click.echo(f"Articoli aggiunti: {len(added)}")
    click.echo("Database pronto.")


def register(app: Flask) -> None:
    """Attach the commands to the app's ``flask`` CLI."""
    app.cli.add_command(init_db_command)
