"""A demo blog on loopback for the audit and the screenshots.

The seed article with a discussion of fifteen comments (replies three deep,
authors with and without a site), three comments waiting in the queue, one
in spam, a moderator and a reader who asked for mail, and a second article
written in Markdown by the moderator with two photographs uploaded through
the media use case (drawn by Pillow when the demo is built), one at the top
and one further down, each a figure with its alternative text and caption:
every page kind has something on it. gunicorn serves it on 127.0.0.1, started as the browser
tests start it (``tests/support/live_server.py``), in any language the blog
speaks (``SITE_LANGUAGE``): the words around the content change, the
article and the comments, which are content, stay Italian. The database
is built once; each language is served from a copy of it.
"""

from __future__ import annotations

import shutil
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
IMAGES_SLUG = "una-mattina-al-museo-di-arese"
IMAGES_URL = f"/{IMAGES_SLUG}/"
#: A search whose results name both articles.
SEARCH_URL = "/cerca/?q=Arese"
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

#: The article with images: (alt text, caption) of each photograph, then its text.
PHOTOS = [
    (
        "Colline verdi sotto un cielo azzurro, con il sole basso a destra",
        "Le colline dietro lo stabilimento, di prima mattina.",
    ),
    (
        "Un prato giallo al tramonto e una fila di colline scure",
        "La stessa strada al ritorno, verso sera.",
    ),
]
IMAGES_PARAGRAPHS = [
    "Il Museo Storico Alfa Romeo di Arese apre alle nove, ma la coda comincia prima: "
    "famiglie, club di appassionati, qualche ex dipendente venuto a rivedere le auto "
    "che ha montato.",
    "Il percorso sale su tre piani, dal *Tempo della Leggenda* alla *Bellezza* fino "
    "alla *Velocità*. Ogni piano ha il suo ritmo: prima le vetture dei pionieri, poi "
    "le berline che hanno fatto il marchio, infine le auto da corsa.",
    "## Le sale",
    "La sala dedicata alla 33 Stradale è la più affollata. Accanto, un pannello "
    "racconta come la Giulia del 1962 fu progettata nella galleria del vento, cosa "
    "rara per una berlina di allora.",
    "Chi ha tempo può prenotare la visita al centro di documentazione, dove si "
    "conservano i disegni originali, le fotografie di fabbrica e i registri di "
    "produzione di Arese e di Pomigliano.",
    "## Il ritorno",
    "Usciti dal museo, la strada verso Milano attraversa quello che resta dell'area "
    "industriale: capannoni rinnovati, un centro commerciale, qualche ciminiera "
    "conservata come memoria.",
]


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


def photograph(width: int, height: int, evening: bool) -> bytes:
    """A JPEG landscape drawn by Pillow: a sky, two hills, the sun."""
    import io

    from PIL import Image, ImageDraw

    top, bottom = ((250, 170, 90), (120, 60, 90)) if evening else ((70, 140, 220), (190, 220, 245))
    sky = Image.linear_gradient("L").resize((width, height))
    image = Image.composite(
        Image.new("RGB", sky.size, bottom), Image.new("RGB", sky.size, top), sky
    )
    draw = ImageDraw.Draw(image)
    sun = (int(width * 0.75), int(height * (0.45 if evening else 0.25)), int(height * 0.09))
    draw.ellipse(
        (sun[0] - sun[2], sun[1] - sun[2], sun[0] + sun[2], sun[1] + sun[2]),
        fill=(255, 220, 150) if evening else (255, 245, 200),
    )
    far, near = ((80, 50, 70), (200, 170, 60)) if evening else ((60, 120, 80), (90, 160, 70))
    for colour, level in ((far, 0.55), (near, 0.72)):
        points = [(0, height)]
        for step in range(0, 11):
            x = width * step / 10
            wave = ((step * 37) % 11 - 5) / 100
            points.append((x, height * (level + wave)))
        points.append((width, height))
        draw.polygon(points, fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def seed_images_article(database_url: str, media_dir: Path) -> None:
    """The moderator's Markdown article with two photographs, uploaded and placed."""
    import io

    from blog import create_app
    from blog.articles.authoring import ArticleDraft, publish
    from blog.extensions import db
    from blog.media.figures import render_image
    from blog.media.uploads import upload_image
    from blog.models import Moderator

    app = create_app(
        {
            "SECRET_KEY": SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MEDIA_DIR": str(media_dir),
        }
    )
    with app.app_context():
        moderator = db.session.scalars(sa.select(Moderator)).one()
        figures = []
        for number, (alt, caption) in enumerate(PHOTOS):
            media = upload_image(
                io.BytesIO(photograph(1600, 1000, evening=number == 1)),
                f"arese-{number + 1}.jpg",
                moderator,
                app.config,
                media_dir,
                alt=alt,
            )
            figures.append(str(render_image(media, alt, caption)))
        body = "\n\n".join([figures[0], *IMAGES_PARAGRAPHS[:5], figures[1], *IMAGES_PARAGRAPHS[5:]])
        draft = ArticleDraft(
            title="Una mattina al museo di Arese",
            slug=IMAGES_SLUG,
            standfirst="Tre piani di storia dell'Alfa Romeo, e la strada che ci porta.",
            body_source=body,
            categories=("Visite",),
            tags=("Arese", "musei"),
        )
        publish(None, draft, moderator, at=datetime(2021, 3, 6, 10, 30))
        db.engine.dispose()


def build_database(path: Path) -> dict[str, str]:
    """Create the demo's SQLite database at ``path`` and its images in
    ``path``'s folder's ``media/``; return the mail links' paths."""
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
    links = seed_discussion(database_url)
    seed_images_article(database_url, media_folder(path))
    return links


def media_folder(database: Path) -> Path:
    """Where the demo's images are, beside its database."""
    return database.parent / "media"


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
        shutil.rmtree(media_folder(self.database), ignore_errors=True)
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
                gunicorn(
                    f"sqlite:///{copy}",
                    workers=2,
                    env={
                        "SITE_LANGUAGE": language,
                        "FLASK_MEDIA_DIR": str(media_folder(self.database)),
                    },
                )
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
