"""``flask init-db``: create or upgrade the database and load the shipped articles."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_migrate import upgrade

from blog.articles.seed import seed_articles
from blog.core.i18n import lazy_gettext as _l
from blog.core.terminal import show_database


@click.command("init-db", help=_l("Create or upgrade the database and load the shipped articles."))
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database and load the shipped articles."""
    show_database()
    upgrade()
    added = seed_articles()
    if added:
        click.echo(_("Articles added: {count}").format(count=len(added)))
    click.echo(_("Database ready."))


COMMANDS = (init_db_command,)
