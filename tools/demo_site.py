"""A demo blog on loopback for the audit and the screenshots.

The seed article with a discussion of fifteen comments (replies three deep,
authors with and without a site), three comments waiting in the queue, one
in spam, a moderator and a reader who asked for mail: every page kind has
something on it. gunicorn serves it on 127.0.0.1, started as the browser
tests start it (``tests/support/live_server.py``).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

import sqlalchemy as sa  # noqa: E402

from tests.support.live_server import app_env, gunicorn, init_database  # noqa: E402

SLUG = "jean-philippe-imparato-ha-visitato-il-cassino-plant-e-pomigliano-darco"
ARTICLE_URL = f"/{SLUG}/"
MODERATOR = "redazione"
PASSWORD = "una password lunga per la demo"  # nosec B105: a throwaway local demo
#: The secret the live server runs with (tests/support/live_server.py), to sign mail links.
SECRET_KEY = "live test secret"  # nosec B105

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


@contextmanager
def demo_site(workdir: Path) -> Iterator[DemoSite]:
    """Build the demo database in ``workdir`` and serve it on loopback."""
    database_url = f"sqlite:///{workdir / 'demo.sqlite3'}"
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
    mail_links = seed_discussion(database_url)
    with gunicorn(database_url, workers=2) as server:
        base = f"http://127.0.0.1:{server.port}"
        yield DemoSite(base=base, port=server.port, mail_links=mail_links)
