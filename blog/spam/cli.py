"""The learning filter at the terminal: train, stats, reset."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from blog import messages
from blog.core.i18n import decimal
from blog.core.i18n import lazy_gettext as _l
from blog.core.terminal import confirm_or_stop, option, printable, show_database
from blog.extensions import db
from blog.models import SpamLabel
from blog.spam import bayes, bayes_store, corpus


@click.command(
    "spam-train",
    help=_l(
        "Teach the learning filter from mail: an mbox, a maildir, a folder or a file.\n\n"
        "A file that is not a mail is read as plain text; HTML mail as its text."
    ),
)
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@option("--spam", "label", flag_value="spam", help=_l("The messages are spam."))
@option("--ham", "label", flag_value="ham", help=_l("The messages are not spam."))
@with_appcontext
def spam_train_command(path: Path, label: str | None) -> None:
    """Teach the learning filter from mail: an mbox, a maildir, a folder or a file.

    A file that is not a mail is read as plain text; HTML mail as its text.
    """
    show_database()
    if label is None:
        # Worded now: Click shows it once the app context is gone.
        raise click.UsageError(str(messages.SPAM_TRAIN_LABEL_REQUIRED))
    reading = corpus.Reading(path)
    trained = bayes_store.train(reading, SpamLabel(label))
    db.session.commit()
    spam, ham = bayes_store.totals()
    click.echo(
        messages.SPAM_TRAINED.format(count=trained, kind=messages.SPAM_KINDS[label])
        + " "
        + messages.SPAM_TOTALS.format(spam=spam, ham=ham)
    )
    if reading.skipped:
        click.echo(messages.counted(reading.skipped, messages.SPAM_SKIPPED))


@click.command(
    "spam-stats",
    help=_l("Print what the learning filter has learned: totals and the telling tokens."),
)
@option("--top", default=20, show_default=True, help=_l("How many terms per list."))
@with_appcontext
def spam_stats_command(top: int) -> None:
    """Print what the learning filter has learned: totals and the telling tokens."""
    settings = bayes.FilterSettings.from_config(current_app.config)
    learned = bayes_store.stats(settings, top=max(top, 0))
    click.echo(messages.SPAM_TOTALS.format(spam=learned.spam_messages, ham=learned.ham_messages))
    click.echo(messages.SPAM_TOKENS_KNOWN.format(count=learned.tokens))
    acting = settings.acts_after(learned.spam_messages, learned.ham_messages)
    status = messages.SPAM_ACTING if acting else messages.SPAM_ONLY_SCORING
    click.echo(status.format(min=settings.min_training))
    for title, rows in (
        (messages.SPAM_TOP_SPAM, learned.spammiest),
        (messages.SPAM_TOP_HAM, learned.hammiest),
    ):
        if not rows:
            continue
        click.echo("")
        click.echo(title)
        for row in rows:
            click.echo(
                f"  {decimal(row.probability, 3)}  {printable(row.token, 60)}  "
                + messages.SPAM_TERM_COUNTS.format(spam=row.spam, ham=row.ham)
            )


@click.command("spam-reset", help=_l("Make the learning filter forget everything it has learned."))
@option("--yes", is_flag=True, help=_l("Do not ask for confirmation."))
@with_appcontext
def spam_reset_command(yes: bool) -> None:
    """Make the learning filter forget everything it has learned."""
    show_database()
    spam, ham = bayes_store.totals()
    if not yes:
        confirm_or_stop(messages.SPAM_RESET_CONFIRM.format(spam=spam, ham=ham))
    forgotten = bayes_store.reset()
    db.session.commit()
    click.echo(messages.SPAM_RESET_DONE.format(count=forgotten))


COMMANDS = (
    spam_train_command,
    spam_stats_command,
    spam_reset_command,
)
