"""Imports and export at the terminal: one command shape, one summary for every format."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from blog import messages
from blog.core.i18n import counted
from blog.core.i18n import lazy_gettext as _l
from blog.core.i18n import plural as _n
from blog.core.terminal import CliError, option, printable, show_database
from blog.extensions import db
from blog.porting import disqus, export, isso, wordpress
from blog.porting.importer import ImportFileError, Reader, run_import
from blog.porting.report import ImportReport

HOLD_HELP = _l("Hold for moderation the comments published at the source too.")
MORE_CASES = _n(
    "… and {count} more case like the ones above.",
    "… and {count} more cases like the ones above.",
)


def import_with_progress(reader: Reader, file: Path, hold: bool) -> None:
    """Import a file with a progress bar; print its summary.

    Each batch is committed as it is written: after an error, what was
    committed stays, and running the same import again finishes the job.
    """
    show_database()
    try:
        steps = reader.steps(file)
    except ImportFileError as error:
        raise CliError(str(error)) from error
    try:
        with click.progressbar(
            length=steps, label=_("Importing"), show_pos=True, file=sys.stderr
        ) as bar:
            report = run_import(reader, file, bar.update, hold=hold)
    except ImportFileError as error:
        db.session.rollback()
        raise CliError(f"{error} {messages.IMPORT_STOPPED}") from error
    print_report(report)


def print_report(report: ImportReport) -> None:
    """The summary every import prints: one table, then what was left out."""
    width = max(len(label) for label, _ in report.rows())
    click.echo("")
    for label, value in report.rows():
        click.echo(f"{label.ljust(width)}  {value.rjust(6)}")
    for title, reason in report.skipped_posts.listed:
        click.echo(
            _("Not published: “{title}” ({reason})").format(title=printable(title), reason=reason)
        )
    for title, given, slug in report.slugs_replaced.listed:
        replaced = _("Address replaced: “{title}” {given} → /{slug}/")
        click.echo(replaced.format(title=printable(title), given=printable(given), slug=slug))
    for author, site in report.urls_dropped.listed:
        dropped = _("Website removed: “{author}” {site}")
        click.echo(dropped.format(author=printable(author), site=printable(site)))
    for (link,) in report.threads_unmatched.listed:
        click.echo(_("No article for: {link}").format(link=printable(link)))
    if report.authors_added:
        click.echo(
            _(
                "The authors imported are staff accounts with the role Author, deactivated "
                "and with no password: they cannot sign in until an administrator gives "
                "them a password or invites them."
            )
        )
    for examples in (
        report.skipped_posts,
        report.slugs_replaced,
        report.urls_dropped,
        report.threads_unmatched,
    ):
        if examples.unlisted:
            click.echo(counted(examples.unlisted, MORE_CASES))


def import_command(name: str, reader: Reader, help_text: str) -> click.Command:
    """The command ``name`` that imports a file with ``reader``: every import
    takes the same argument and option and prints the same summary."""

    @click.command(name, help=help_text)
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @option("--pending", is_flag=True, help=HOLD_HELP)
    @with_appcontext
    def command(file: Path, pending: bool) -> None:
        import_with_progress(reader, file, hold=pending)

    return command


@click.command(
    "export-wxr", help=_l("Write every article and comment as a WordPress export (WXR 1.2).")
)
@click.argument("file", type=click.File("wb"))
@with_appcontext
def export_wxr_command(file) -> None:
    """Write every article and comment as a WordPress export (WXR 1.2)."""
    config = current_app.config
    count = export.export_wxr(file, config["SITE_NAME"], config["SITE_URL"])
    click.echo(_("Articles exported: {count}").format(count=count), err=True)


COMMANDS = (
    import_command(
        "import-wxr",
        wordpress.READER,
        _l(
            "Import posts and comments from a WordPress export (WXR 1.1/1.2).\n\n"
            "Running it again with the same file adds nothing; after an interruption it "
            "finishes the job."
        ),
    ),
    import_command(
        "import-disqus",
        disqus.READER,
        _l(
            "Import the comments of a Disqus export (XML) onto the matching articles.\n\n"
            "Running it again with the same file adds nothing."
        ),
    ),
    import_command(
        "import-isso",
        isso.READER,
        _l(
            "Import the comments of an Isso database (SQLite) onto the matching articles.\n\n"
            "Running it again with the same file adds nothing."
        ),
    ),
    export_wxr_command,
)
