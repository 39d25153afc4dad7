"""``flask init-db``: create or upgrade the database and load the shipped articles."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_migrate import upgrade

from blog.articles.seed import seed_articles
from blog.core.terminal import show_database


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database and load the shipped articles."""
    show_database()
    upgrade()
    added = seed_articles()
    if added:
        click.echo(f"Articoli aggiunti: {len(added)}")
    click.echo("Database pronto.")


COMMANDS = (init_db_command,)
