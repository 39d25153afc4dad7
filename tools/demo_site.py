"""A demo blog on loopback for the audit and the screenshots.

The seed article with a discussion of fifteen comments (replies three deep,
authors with and without a site), three comments waiting in the queue, one
in spam, a moderator and a reader who asked for mail: every page kind has
something on it. gunicorn serves it on 127.0.0.1, started as the browser
tests start it (``tests/support/live_server.py``), in any language the blog
speaks (``SITE_LANGUAGE``): the words around the content change, the
article and the comments, which are content, stay Italian. The database
is built once; each language is served from a copy of it.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

import sqlalchemy as sa  # noqa: E402

from blog.config import DEFAULTS  # noqa: E402
from tests.support.live_server import app_env, gunicorn, init_database  # noqa: E402

SLUG = "jean-philippe-imparato-ha-visitato-il-cassino-plant-e-pomigliano-darco"
ARTICLE_URL = f"/{SLUG}/"
MODERATOR = "redazione"
PASSWORD = "una password lunga per la demo"  # nosec B105: a throwaway local demo
#: The secret the live server runs with (tests/support/live_server.py), to sign mail links.
SECRET_KEY = "live test secret"  # nosec B105
#: The language the demo speaks unless told otherwise: the blog's default.
DEFAULT_LANGUAGE: str = DEFAULTS["SITE_LANGUAGE"]

# (author, site, text, index of the comment it answers, or None)
DISCUSSION: list[tuple[str, str, str, int | None]] = [
    (
        "Giulia Ferraro",
        "",
        "Finalmente un CEO che va a vedere le linee di persona. A Cassino se ne parla da giorni.",
        None,
    ),
    (
        "Marco",
        "https://marco.example.it",
        "Speriamo che dopo le visite arrivino anche i modelli: la Giulia e lo Stelvio "
        "da soli non bastano.",
        0,
    ),
    ("Giulia Ferraro", "", "Il Tonale a Pomigliano è già qualcosa, no?", 1),
    (
        "Marco",
        "https://marco.example.it",
        "Sì, ma serve una gamma intera. Vedremo a fine anno.",
        2,
    ),
    (
        "Paolo R.",
        "",
        "Ho lavorato vent'anni a Pomigliano. Quando un dirigente passa tra le linee "
        "la gente se ne accorge, e conta più di cento comunicati.",
        None,
    ),
    ("Francesca", "https://francesca.example.org", "Bella testimonianza, grazie Paolo.", 4),
    (
        "Alessandro Greco",
        "",
        "«Un marchio chiaramente azzoppato» mi sembra ingeneroso: i numeri del 2020 "
        "erano bassi per tutti.",
        None,
    ),
    (
        "Lucia",
        "",
        "Ingeneroso forse, ma le vendite in Europa dicono quello.",
        6,
    ),
    ("Alessandro Greco", "", "Vero, però il paragone con Peugeot regge fino a un certo punto.", 7),
    (
        "Stefano",
        "https://stefano.example.net",
        "Qualcuno sa se la visita alla concessionaria di San Giorgio a Liri era "
        "annunciata o a sorpresa?",
        None,
    ),
    ("Giulia Ferraro", "", "A sorpresa, l'ha raccontato il titolare su Facebook.", 9),
    ("Roberta", "", "Il museo di Arese merita comunque una visita, CEO o no.", None),
    ("Davide", "", "Concordo, ci sono stato a settembre: mezza giornata non basta.", 11),
    (
        "Chiara M.",
        "",
        "Articolo chiaro. Mi piacerebbe un seguito quando si saprà qualcosa sul piano industriale.",
        None,
    ),
    ("Redazione", "", "Grazie Chiara, lo seguiremo.", 13),
]

QUEUE: list[tuple[str, str, str]] = [
    ("Nicola", "", "Secondo me la Giulia è ancora la berlina più bella in circolazione."),
    ("Elena B.", "https://elena.example.it", "Qualcuno sa quando riapre il museo di Arese?"),
    ("Tommaso", "", "Articolo interessante, aspetto il seguito."),
]
SPAM = ("Offerte", "https://offerte.example.com", "Compra ricambi a metà prezzo, clicca qui!!!")


@dataclass
class DemoSite:
    """The running demo: its address, and the pages behind mail links."""

    base: str
    port: int
    language: str
    mail_links: dict[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base + path


def _flask(database_url: str, *args: str, input: str | None = None) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=PROJECT,
        env=app_env(database_url),
        input=input,
        text=True,
        check=True,
        capture_output=True,
        timeout=120,
    )


def seed_discussion(database_url: str) -> dict[str, str]:
    """Add the comments, the queue and a subscriber; return the mail links' paths."""
    from blog import create_app
    from blog.comments.submit import NewComment, store_comment
    from blog.comments.values import Client, CommentText
    from blog.extensions import db
    from blog.models import Article, Comment, CommentStatus, Moderator, Subscriber
    from blog.notify import moderator_mail, subscriptions

    app = create_app({"SECRET_KEY": SECRET_KEY, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        article = db.session.scalars(sa.select(Article).where(Article.slug == SLUG)).one()
        start = datetime(2021, 2, 4, 13, 5)
        stored: list[Comment] = []
        for number, (author, site, text, parent) in enumerate(DISCUSSION):
            new = NewComment(
                text=CommentText(
                    author, f"{author.split()[0].lower().strip('.')}@example.it", site, text
                ),
                parent_id=stored[parent].id if parent is not None else None,
                client=Client(ip_address="192.0.2.10", user_agent="demo"),
            )
            comment = store_comment(article, new, CommentStatus.APPROVED)
            comment.created_at = start + timedelta(minutes=47 * number)
            stored.append(comment)
        waiting = []
        for number, (author, site, text) in enumerate([*QUEUE, SPAM]):
            status = CommentStatus.SPAM if number == len(QUEUE) else CommentStatus.PENDING
            new = NewComment(
                text=CommentText(
                    author, f"{author.split()[0].lower().strip('.')}@example.it", site, text
                ),
                client=Client(ip_address="198.51.100.7", user_agent="Mozilla/5.0 (demo)"),
            )
            comment = store_comment(article, new, status)
            comment.created_at = start + timedelta(days=2, minutes=13 * number)
            waiting.append(comment)
        subscriber = Subscriber(email="lettore@example.it")
        db.session.add(subscriber)
        db.session.commit()
        moderator = db.session.scalars(sa.select(Moderator)).one()
        approve = moderator_mail.action_token(waiting[0], "approve", moderator)
        return {
            "moderation": f"/email/moderazione/{approve}",
            "confirm": f"/email/conferma/{subscriptions.confirm_token(subscriber, 0)}",
            "unsubscribe": f"/email/disiscrivi/{subscriptions.unsubscribe_token(subscriber)}",
            "invalid": "/email/moderazione/non-valido",
        }


def build_database(path: Path) -> dict[str, str]:
    """Create the demo's SQLite database at ``path``; return the mail links' paths."""
    database_url = f"sqlite:///{path}"
    init_database(database_url)
    _flask(
        database_url,
        "create-moderator",
        MODERATOR,
        "--display-name",
        "Redazione",
        "--email",
        "redazione@example.it",
        input=f"{PASSWORD}\n",
    )
    return seed_discussion(database_url)


class DemoSites:
    """The demo blog, built once, served in each language asked for.

    Each language has its own gunicorn (``SITE_LANGUAGE`` is the whole
    process's) on its own copy of the database, so that what one site's
    visitors change cannot show on another. Servers stop on leaving the
    ``with`` block.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.database = workdir / "demo.sqlite3"
        self.mail_links: dict[str, str] = {}
        self.sites: dict[str, DemoSite] = {}
        self.servers = ExitStack()

    def __enter__(self) -> DemoSites:
        for earlier in self.workdir.glob("demo*.sqlite3*"):  # a folder kept from a run before
            earlier.unlink()
        self.mail_links = build_database(self.database)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.servers.close()

    def site(self, language: str = DEFAULT_LANGUAGE) -> DemoSite:
        """The demo served in ``language``, started the first time it is asked for."""
        if language not in self.sites:
            copy = self.workdir / f"demo-{language}.sqlite3"
            with closing(sqlite3.connect(self.database)) as source:
                with closing(sqlite3.connect(copy)) as target:
                    source.backup(target)
            server = self.servers.enter_context(
                gunicorn(f"sqlite:///{copy}", workers=2, env={"SITE_LANGUAGE": language})
            )
            self.sites[language] = DemoSite(
                base=f"http://127.0.0.1:{server.port}",
                port=server.port,
                language=language,
                mail_links=self.mail_links,
            )
        return self.sites[language]


@contextmanager
def demo_site(workdir: Path, language: str = DEFAULT_LANGUAGE) -> Iterator[DemoSite]:
    """Build the demo database in ``workdir`` and serve it on loopback in ``language``."""
    with DemoSites(workdir) as demo:
        yield demo.site(language)
