"""Command-line tools: ``flask init-db``, moderator accounts, imports and export."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TextIO

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from blog import (
    auth,
    bayes,
    disqus,
    importing,
    isso,
    likes,
    mail,
    messages,
    moderation,
    notifications,
    outbox,
    privacy,
    spam_corpus,
    webhooks,
    wxr,
)
from blog.extensions import db
from blog.models import Moderator, SpamLabel, new_session_token
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


class CliError(click.ClickException):
    """A command's error, said in Italian: Click's own prefix is English ("Error:")."""

    def show(self, file: IO[Any] | None = None) -> None:
        message = messages.CLI_ERROR.format(message=self.format_message())
        click.echo(message, file=file, err=file is None)


def typing_at_a_terminal() -> bool:
    """Tell whether a person types the answers (rather than a pipe giving them)."""
    return sys.stdin.isatty()


def ask_password() -> str:
    """Ask for a new password twice, hidden; or read it piped on standard input.

    At a terminal, a password too short, or not typed the same twice, is
    asked for again. Piped, the first line is the password; a second line,
    when given, must repeat it.
    """
    minimum = current_app.config["MODERATOR_PASSWORD_MIN_LENGTH"]
    if not typing_at_a_terminal():
        lines = sys.stdin.read().splitlines()
        password = lines[0] if lines else ""
        if len(lines) > 1 and lines[1] != password:
            raise CliError(messages.PASSWORDS_DIFFER)
        if len(password) < minimum:
            raise CliError(messages.PASSWORD_TOO_SHORT.format(min=minimum))
        return password
    click.echo(messages.PASSWORD_RULES.format(min=minimum), err=True)
    while True:
        # An empty answer is an answer (too short), not a reason to ask silently again.
        password = click.prompt(
            messages.PASSWORD_PROMPT, hide_input=True, default="", show_default=False, err=True
        )
        if len(password) < minimum:
            click.echo(messages.PASSWORD_TOO_SHORT.format(min=minimum), err=True)
            continue
        again = click.prompt(
            messages.PASSWORD_AGAIN_PROMPT,
            hide_input=True,
            default="",
            show_default=False,
            err=True,
        )
        if again == password:
            return password
        click.echo(messages.PASSWORDS_DIFFER, err=True)


def confirm_or_stop(question: str) -> None:
    """Ask yes or no; stop the command, saying so in Italian, on no."""
    if not click.confirm(question, err=True):
        raise CliError(messages.CLI_CANCELLED)


def find_moderator(username: str) -> Moderator:
    moderator = db.session.scalar(sa.select(Moderator).where(Moderator.username == username))
    if moderator is None:
        raise CliError(f"Nessun moderatore con nome utente «{username}».")
    return moderator


@click.command("create-moderator")
@click.argument("username")
@click.option("--display-name", help="Nome mostrato sulle risposte (predefinito: USERNAME).")
@click.option("--email", help="Indirizzo per le notifiche.")
@with_appcontext
def create_moderator_command(username: str, display_name: str | None, email: str | None) -> None:
    """Create a moderator account; the password is asked for twice."""
    username = username.strip()
    if not username or len(username) > 80:
        raise CliError("Il nome utente deve avere da 1 a 80 caratteri.")
    if db.session.scalar(sa.select(Moderator.id).where(Moderator.username == username)):
        raise CliError(f"Il moderatore «{username}» esiste già.")
    moderator = Moderator(username=username, display_name=display_name or username, email=email)
    moderator.set_password(ask_password())
    db.session.add(moderator)
    db.session.commit()
    click.echo(f"Moderatore «{username}» creato.")


@click.command("moderators")
@with_appcontext
def list_moderators_command() -> None:
    """List the moderator accounts."""
    moderators = db.session.scalars(sa.select(Moderator).order_by(Moderator.username)).all()
    if not moderators:
        click.echo("Nessun moderatore. Creane uno con: flask create-moderator NOME")
        return
    row = "{:<20} {:<24} {:<28} {:<11} {}"
    click.echo(row.format("nome utente", "nome mostrato", "email", "stato", "ultimo accesso"))
    for moderator in moderators:
        last = moderator.last_login_at
        click.echo(
            row.format(
                moderator.username,
                moderator.display_name,
                moderator.email or "—",
                "attivo" if moderator.active else "disattivato",
                last.strftime("%Y-%m-%d %H:%M") if last else "mai",
            )
        )


@click.command("set-password")
@click.argument("username")
@with_appcontext
def set_password_command(username: str) -> None:
    """Set a moderator's password; their open sessions end."""
    moderator = find_moderator(username)
    moderator.set_password(ask_password())
    db.session.commit()
    click.echo(f"Password di «{username}» aggiornata.")


@click.command("deactivate-moderator")
@click.argument("username")
@with_appcontext
def deactivate_moderator_command(username: str) -> None:
    """Deactivate a moderator; they are logged out at their next request."""
    moderator = find_moderator(username)
    moderator.active = False
    moderator.session_token = new_session_token()
    db.session.commit()
    click.echo(f"Moderatore «{username}» disattivato.")


@click.command("privacy-export")
@click.argument("email")
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Il file JSON da scrivere (predefinito: lo standard output).",
)
@with_appcontext
def privacy_export_command(email: str, output: TextIO) -> None:
    """Write a JSON of every comment and personal field stored for EMAIL."""
    data = privacy.export(email)
    output.write(privacy.as_json(data))
    click.echo(f"Commenti esportati per {email}: {len(data['comments'])}", err=True)


@click.command("privacy-erase")
@click.argument("email")
@click.option("--delete", is_flag=True, help="Elimina i commenti invece di anonimizzarli.")
@click.option("--yes", is_flag=True, help="Non chiedere conferma.")
@with_appcontext
def privacy_erase_command(email: str, delete: bool, yes: bool) -> None:
    """Anonymise (or delete) every comment stored for EMAIL, as WordPress does."""
    count = len(privacy.comments_of(email))
    if not count:
        click.echo(f"Nessun commento con l'email {email}.")
        return
    verb = "eliminare" if delete else "anonimizzare"
    if not yes:
        confirm_or_stop(f"{count} commenti di {email}: {verb}?")
    erased = privacy.erase(email, delete=delete)
    db.session.commit()
    done = "eliminati" if delete else "anonimizzati"
    click.echo(f"Commenti {done}: {erased.comments}")


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Delete what is past its time: Spam and Cestino comments (EMPTY_TRASH_DAYS),
    IP addresses, browsers and the likes' keyed hashes (COMMENT_IP_RETENTION_DAYS),
    mail and webhooks,
    unconfirmed addresses (MAIL_RETENTION_DAYS), expired logins."""
    days = current_app.config["COMMENT_IP_RETENTION_DAYS"]
    mail_days = current_app.config["MAIL_RETENTION_DAYS"]
    trash_days = current_app.config["EMPTY_TRASH_DAYS"]
    expired = moderation.delete_expired(trash_days)
    cleared = privacy.purge_addresses(days)
    likes_gone = likes.purge_likes(days)
    outbox_gone = outbox.purge(mail_days)
    unconfirmed = privacy.purge_unconfirmed(mail_days)
    sessions = auth.delete_expired_sessions()
    db.session.commit()
    if trash_days:
        click.echo(
            f"Commenti nello spam e nel cestino da più di {trash_days} giorni eliminati: {expired}"
        )
    click.echo(
        f"Indirizzi IP e browser cancellati da {cleared} commenti (più vecchi di {days} giorni)."
    )
    click.echo(
        f"Mi piace più vecchi di {days} giorni dimenticati (il conteggio resta): {likes_gone}"
    )
    click.echo(f"Email e webhook più vecchi di {mail_days} giorni eliminati: {outbox_gone}")
    click.echo(f"Indirizzi mai confermati eliminati: {unconfirmed}")
    click.echo(f"Sessioni dei moderatori scadute eliminate: {sessions}")


@click.command("send-mail")
@with_appcontext
def send_mail_command() -> None:
    """Send the mail, digests and webhooks whose time has come, retrying failed ones."""
    digests = notifications.send_digests()
    db.session.commit()
    sent, failed = mail.deliver_due()
    hooks_sent, hooks_failed = webhooks.deliver_due()
    click.echo(f"Riepiloghi per i moderatori: {digests}")
    click.echo(f"Messaggi inviati: {sent}; non riusciti (riproverò): {failed}")
    if current_app.config["WEBHOOK_URLS"]:
        click.echo(f"Webhook inviati: {hooks_sent}; non riusciti (riproverò): {hooks_failed}")
    if failed or hooks_failed:
        sys.exit(1)


HOLD_HELP = "Metti in attesa di moderazione anche i commenti pubblicati all'origine."


def run_import(
    label: str, length: int, importer: Callable[[Callable[[int], None]], importing.ImportReport]
) -> None:
    """Run an import with a progress bar of ``length`` steps; print its summary.

    Each batch is committed as it is written: after an error, what was
    committed stays, and running the same import again finishes the job.
    """
    try:
        with click.progressbar(length=length, label=label, show_pos=True, file=sys.stderr) as bar:
            report = importer(bar.update)
    except importing.ImportFileError as error:
        db.session.rollback()
        raise CliError(f"{error} {messages.IMPORT_STOPPED}") from error
    print_report(report)


def print_report(report: importing.ImportReport) -> None:
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
    run_import(
        "Importazione",
        file.stat().st_size,
        lambda progress: wxr.import_wxr(file, progress, hold=pending),
    )


@click.command("import-disqus")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--pending", is_flag=True, help=HOLD_HELP)
@with_appcontext
def import_disqus_command(file: Path, pending: bool) -> None:
    """Import the comments of a Disqus export (XML) onto the matching articles.

    Running it again with the same file adds nothing.
    """
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
    try:
        count = isso.comment_count(file)
    except importing.ImportFileError as error:
        raise CliError(str(error)) from error
    run_import(
        "Importazione",
        count,
        lambda progress: isso.import_isso(file, progress, hold=pending),
    )


def printable(text: str, limit: int = 120) -> str:
    """Text from a file, safe for a terminal: escapes instead of control codes."""
    shown = "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text[:limit])
    return shown + ("…" if len(text) > limit else "")


@click.command("export-wxr")
@click.argument("file", type=click.File("wb"))
@with_appcontext
def export_wxr_command(file) -> None:
    """Write every article and comment as a WordPress export (WXR 1.2)."""
    config = current_app.config
    count = wxr.export_wxr(file, config["SITE_NAME"], config["SITE_URL"])
    click.echo(f"Articoli esportati: {count}", err=True)


@click.command("spam-train")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--spam", "label", flag_value="spam", help="I messaggi sono spam.")
@click.option("--ham", "label", flag_value="ham", help="I messaggi non sono spam.")
@with_appcontext
def spam_train_command(path: Path, label: str | None) -> None:
    """Teach the learning filter from mail: an mbox, a maildir, a folder or a file.

    A file that is not a mail is read as plain text; HTML mail as its text.
    """
    if label is None:
        raise click.UsageError(messages.SPAM_TRAIN_LABEL_REQUIRED)
    trained = bayes.train(spam_corpus.messages_in(path), SpamLabel(label))
    db.session.commit()
    spam, ham = bayes.totals()
    click.echo(
        messages.SPAM_TRAINED.format(count=trained, kind=messages.SPAM_KINDS[label])
        + " "
        + messages.SPAM_TOTALS.format(spam=spam, ham=ham)
    )


@click.command("spam-stats")
@click.option("--top", default=20, show_default=True, help="Quanti termini per elenco.")
@with_appcontext
def spam_stats_command(top: int) -> None:
    """Print what the learning filter has learned: totals and the telling tokens."""
    settings = bayes.FilterSettings.from_config(current_app.config)
    learned = bayes.stats(settings, top=max(top, 0))
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
                f"  {bayes.decimal_comma(row.probability, 3)}  {printable(row.token, 60)}  "
                + messages.SPAM_TERM_COUNTS.format(spam=row.spam, ham=row.ham)
            )


@click.command("spam-reset")
@click.option("--yes", is_flag=True, help="Non chiedere conferma.")
@with_appcontext
def spam_reset_command(yes: bool) -> None:
    """Make the learning filter forget everything it has learned."""
    spam, ham = bayes.totals()
    if not yes:
        confirm_or_stop(messages.SPAM_RESET_CONFIRM.format(spam=spam, ham=ham))
    forgotten = bayes.reset()
    db.session.commit()
    click.echo(messages.SPAM_RESET_DONE.format(count=forgotten))


def register(app: Flask) -> None:
    """Attach the commands to the app's ``flask`` CLI."""
    for command in (
        init_db_command,
        create_moderator_command,
        list_moderators_command,
        set_password_command,
        deactivate_moderator_command,
        privacy_export_command,
        privacy_erase_command,
        purge_command,
        send_mail_command,
        import_wxr_command,
        import_disqus_command,
        import_isso_command,
        export_wxr_command,
        spam_train_command,
        spam_stats_command,
        spam_reset_command,
    ):
        app.cli.add_command(command)
