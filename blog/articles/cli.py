"""``flask init-db``: create or upgrade the database and load the shipped articles;
``flask article import`` and ``export``: articles in Markdown files."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_migrate import upgrade

from blog.articles import files, search_index
from blog.articles.seed import seed_articles
from blog.core.i18n import lazy_gettext as _l
from blog.core.terminal import CliError, option, printable, show_database
from blog.extensions import db
from blog.models import Moderator


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


@click.group("article", help=_l("Articles in Markdown files: import and export."))
def article_group() -> None:
    """Articles in Markdown files: import and export."""


@article_group.command(
    "import",
    help=_l(
        "Import articles from Markdown files with front matter.\n\n"
        "An article is known by its address: importing the same file again changes "
        "nothing, a changed file updates the article. A file that cannot be imported is "
        "named with the reason, and the others still go in."
    ),
)
@click.argument(
    "paths",
    metavar="FILE.md...",
    nargs=-1,
    required=True,
    type=click.Path(path_type=Path),
)
@option("--author", help=_l("Username of the author of files that name none."))
@with_appcontext
def import_articles_command(paths: tuple[Path, ...], author: str | None) -> None:
    """Import articles from Markdown files with front matter."""
    show_database()
    default_author = None
    if author is not None:
        default_author = db.session.scalar(sa.select(Moderator).where(Moderator.username == author))
        if default_author is None:
            raise CliError(str(files.UNKNOWN_AUTHOR.format(username=author)))
    counts = dict.fromkeys(files.Outcome, 0)
    failed = 0
    for path in paths:
        name = printable(str(path))
        try:
            outcome, article = files.import_file(path, default_author)
        except files.FileRefused as error:
            db.session.rollback()
            failed += 1
            click.echo(_("{file}: not imported: {reason}").format(file=name, reason=error))
            continue
        counts[outcome] += 1
        said = {
            files.Outcome.ADDED: _("{file}: added ({state}), /{slug}/"),
            files.Outcome.UPDATED: _("{file}: updated ({state}), /{slug}/"),
            files.Outcome.UNCHANGED: _("{file}: unchanged, /{slug}/"),
        }[outcome]
        click.echo(said.format(file=name, state=files.state_of(article), slug=article.slug))
    click.echo(
        _(
            "Added: {added}, updated: {updated}, unchanged: {unchanged}, not imported: {failed}."
        ).format(
            added=counts[files.Outcome.ADDED],
            updated=counts[files.Outcome.UPDATED],
            unchanged=counts[files.Outcome.UNCHANGED],
            failed=failed,
        )
    )
    if failed:
        raise SystemExit(1)


@article_group.command(
    "export",
    help=_l(
        "Write every article outside the bin as a Markdown file with front matter, "
        "one per article, into DIR (default: the current folder)."
    ),
)
@click.argument(
    "folder",
    metavar="[DIR]",
    required=False,
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
)
@with_appcontext
def export_articles_command(folder: Path) -> None:
    """Write every article outside the bin as a Markdown file, one per article."""
    show_database()
    count = 0
    for _article, path in files.export_articles(folder):
        count += 1
        click.echo(printable(str(path)))
    click.echo(_("Articles exported: {count}").format(count=count), err=True)


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


COMMANDS = (init_db_command, article_group, search_reindex_command)
