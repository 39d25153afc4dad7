"""``flask backup``, ``flask restore FILE`` and ``flask check`` at the terminal."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import format_decimal
from flask_babel import gettext as _

from blog.core.terminal import CliError, show_database
from blog.ops import backup, check, databases, restore


def tool_error(error: databases.DatabaseCopyError) -> CliError:
    """pg_dump or pg_restore missing or failing, said so."""
    if isinstance(error, databases.ToolMissing):
        return CliError(
            _(
                "%(tool)s for PostgreSQL %(major)s or newer was not found: install "
                "postgresql-client-%(major)s, or set POSTGRES_BIN_DIR to its folder.",
                tool=error.tool,
                major=error.major,
            )
        )
    return CliError(_("Copying the database failed: %(error)s", error=str(error)))


@click.command("backup")
@with_appcontext
def backup_command() -> None:
    """Write a backup of the database and the uploaded files into BACKUP_DIR."""
    show_database()
    try:
        written = backup.write_backup(current_app)
    except databases.DatabaseCopyError as error:
        raise tool_error(error) from error
    megabytes = format_decimal(written.size / 1_000_000, format="0.0")
    click.echo(_("Backup written: %(file)s (%(size)s MB)", file=str(written.path), size=megabytes))
    for path in written.removed:
        click.echo(_("Old backup removed: %(file)s", file=str(path)))


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that is not empty.")
@click.option("--any-key", is_flag=True, help="Accept a backup sealed with another secret key.")
@with_appcontext
def restore_command(file: Path, force: bool, any_key: bool) -> None:
    """Restore a backup written by flask backup into an empty database."""
    show_database()
    app = current_app
    try:
        done = restore.restore(app, file, force=force, any_key=any_key)
    except restore.RestoreRefused as error:
        raise CliError(str(error)) from error
    except databases.DatabaseCopyError as error:
        raise tool_error(error) from error
    click.echo(_("Restored the backup of %(when)s.", when=done.created_at))
    if done.schema_before != done.schema_after:
        click.echo(
            _(
                "Schema upgraded from %(before)s to %(after)s.",
                before=str(done.schema_before),
                after=str(done.schema_after),
            )
        )


@click.command("check")
@with_appcontext
def check_command() -> None:
    """Say what is wrong with this configuration; exit 1 if anything is."""
    found = check.findings(current_app)
    for finding in found:
        click.echo(finding)
    if found:
        sys.exit(1)
    click.echo(_("All is well."))


COMMANDS = (backup_command, restore_command, check_command)
