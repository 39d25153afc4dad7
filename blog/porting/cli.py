"""Imports and export at the terminal: one runner, one summary for every format."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from blog import messages
from blog.core.terminal import CliError, printable, show_database
from blog.extensions import db
from blog.porting import disqus, importer, isso, wordpress

HOLD_HELP = "Metti in attesa di moderazione anche i commenti pubblicati all'origine."


def run_import(
    label: str, length: int, run: Callable[[Callable[[int], None]], importer.ImportReport]
) -> None:
    """Run an import with a progress bar of ``length`` steps; print its summary.

    Each batch is committed as it is written: after an error, what was
    committed stays, and running the same import again finishes the job.
    """
    try:
        with click.progressbar(length=length, label=label, show_pos=True, file=sys.stderr) as bar:
            report = run(bar.update)
    except importer.ImportFileError as error:
        db.session.rollback()
        raise CliError(f"{error} {messages.IMPORT_STOPPED}") from error
    print_report(report)


def print_report(report: importer.ImportReport) -> None:
    """The summary every import prints: one table, then what was left out."""
    width = max(len(label) for label, _ in report.rows())
    click.echo("")
    for label, value in report.rows():
        click.echo(f"{label.ljust(width)}  {value.rjust(6)}")
    for title, reason in report.skipped_posts.listed:
        click.echo(f"Non pubblicato: «{printable(title)}» ({reason})")
    for title, given, slug in report.slugs_replaced.listed:
        click.echo(f"Indirizzo sostituito: «{printable(title)}» {printable(given)} → /{slug}/")
    for author, site in report.urls_dropped.listed:
        click.echo(f"Sito web tolto: «{printable(author)}» {printable(site)}")
    for (link,) in report.threads_unmatched.listed:
        click.echo(f"Nessun articolo per: {printable(link)}")
    for examples in (
        report.skipped_posts,
        report.slugs_replaced,
        report.urls_dropped,
        report.threads_unmatched,
    ):
        if examples.unlisted:
            click.echo(f"… e altri {examples.unlisted} casi come i precedenti.")


@click.command("import-wxr")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--pending", is_flag=True, help=HOLD_HELP)
@with_appcontext
def import_wxr_command(file: Path, pending: bool) -> None:
    """Import posts and comments from a WordPress export (WXR 1.1/1.2).

    Running it again with the same file adds nothing; after an interruption
    it finishes the job.
    """
    show_database()
    run_import(
        "Importazione",
        file.stat().st_size,
        lambda progress: wordpress.import_wxr(file, progress, hold=pending),
    )


@click.command("import-disqus")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--pending", is_flag=True, help=HOLD_HELP)
@with_appcontext
def import_disqus_command(file: Path, pending: bool) -> None:
    """Import the comments of a Disqus export (XML) onto the matching articles.

    Running it again with the same file adds nothing.
    """
    show_database()
    run_import(
        "Importazione",
        file.stat().st_size,
        lambda progress: disqus.import_disqus(file, progress, hold=pending),
    )


@click.command("import-isso")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--pending", is_flag=True, help=HOLD_HELP)
@with_appcontext
def import_isso_command(file: Path, pending: bool) -> None:
    """Import the comments of an Isso database (SQLite) onto the matching articles.

    Running it again with the same file adds nothing.
    """
    show_database()
    try:
        count = isso.comment_count(file)
    except importer.ImportFileError as error:
        raise CliError(str(error)) from error
    run_import(
        "Importazione",
        count,
        lambda progress: isso.import_isso(file, progress, hold=pending),
    )


@click.command("export-wxr")
@click.argument("file", type=click.File("wb"))
@with_appcontext
def export_wxr_command(file) -> None:
    """Write every article and comment as a WordPress export (WXR 1.2)."""
    config = current_app.config
    count = wordpress.export_wxr(file, config["SITE_NAME"], config["SITE_URL"])
    click.echo(f"Articoli esportati: {count}", err=True)


COMMANDS = (
    import_wxr_command,
    import_disqus_command,
    import_isso_command,
    export_wxr_command,
)
