"""``flask init-db``: create or upgrade the database and load the shipped articles."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_migrate import upgrade

from blog.articles import search_index
from blog.articles.seed import seed_articles
from blog.core.i18n import lazy_gettext as _l
from blog.core.terminal import show_database
from blog.extensions import db


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


@click.command(
    "search-reindex",
    help=_l("Index every article again for readers' search, in the site's language."),
)
@with_appcontext
def search_reindex_command() -> None:
    """Index every article again for readers' search (after changing SITE_LANGUAGE)."""
    show_database()
    with db.engine.begin() as connection:
        search_index.create_index(connection)
        count = search_index.reindex_all(connection)
    click.echo(_("Articles indexed for search: {count}").format(count=count))


COMMANDS = (init_db_command, search_reindex_command)
