"""The learning spam filter: token probabilities, taught by moderators' decisions.

In the tradition of Bogofilter and SpamBayes (Gary Robinson's "A Statistical
Approach to the Spam Problem", 2003):

* a comment becomes a set of tokens: the words of its visible text, the words
  of its name, and the hosts of its email, its site and its links, each kind
  with its own prefix (``host:example.com`` is not the word
  ``example.com``);
* each token's spam probability ``f(w)`` is Robinson's: the share of spam
  among the messages it was seen in, pulled towards ``x`` by a strength
  ``s`` while it has been seen only a few times;
* the most significant tokens (farthest from 0.5) are combined by Fisher's
  chi-square method into one score between 0 (ham) and 1 (spam).

Those parts are pure functions. The counts live in the database (one row a
token, plus one row of totals), so every worker and host shares one filter,
and training is written in the transaction of the moderator's decision.
"""

from __future__ import annotations

import functools
import heapq
import html
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any, cast
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from blog import messages
from blog.core.database import insert_or_add
from blog.extensions import db
from blog.models import Comment, CommentStatus, SpamLabel, SpamToken
from blog.spam.rules import Verdict, fold, normalise, visible_text

#: The row that holds the totals: messages trained as spam (its spam count)
#: and as ham (its ham count). Bogofilter's name; never a token, since
#: tokens are case-folded.
TOTALS = ".MSG_COUNT"
#: The unique tokens one message contributes, first seen first: what bounds
#: the work (and the database rows) a stranger's comment can cause.
MAX_TOKENS = 500
#: Shorter words carry little (SpamBayes skips them too).
MIN_WORD_LENGTH = 3
#: A longer "word" (base64, a hash, a run of letters) becomes one token that
#: says how long it was, as SpamBayes does.
MAX_WORD_LENGTH = 24
#: Hosts are cut to this length (a domain name may have 253 characters).
MAX_HOST_LENGTH = 100
#: How many of the tokens that weighed most a comment keeps, for the queue.
SHOWN_CLUES = 5

# Linear: one character class, then a run of another. No nesting.
_WORD = re.compile(r"[\w$€£][\w$€£'’.-]*")
_WORD_TRAILER = "'’.-"
# Sanitized HTML: a "<" in text is always "&lt;", so this finds real tags,
# and an attribute value never holds a bare '"'.
_LINK_HREF = re.compile(r'<a\s[^>]*?href="([^"]*)"')


# Tokens


@dataclass(frozen=True)
class Message:
    """What the filter reads of a comment (or of a mail used to train it)."""

    text: str
    name: str = ""
    email: str = ""
    site: str = ""
    links: Sequence[str] = ()


def comment_message(author: str, email: str, url: str, body_html: str) -> Message:
    """A comment as the filter reads it: the text readers see, and its links."""
    links = [html.unescape(href) for href in _LINK_HREF.findall(body_html)]
    return Message(text=visible_text(body_html), name=author, email=email, site=url, links=links)


def _raw_words(text: str) -> Iterator[str]:
    """The words of normalised text, case kept; short ones and numbers left out."""
    for match in _WORD.finditer(text):
        word = match.group().rstrip(_WORD_TRAILER)
        if len(word) >= MIN_WORD_LENGTH and not word.isdigit():
            yield word


def _word_token(word: str) -> str:
    """A folded word as a token; an overlong one as its first letter and length."""
    if len(word) > MAX_WORD_LENGTH:
        return f"skip:{word[0]} {len(word) // 10 * 10}"
    return word


def words(text: str) -> Iterator[str]:
    """The words of a text as tokens: normalised, case folded, bounded."""
    for word in _raw_words(normalise(text)):
        yield _word_token(word.casefold())


def text_tokens(text: str) -> Iterator[str]:
    """The tokens of a comment's text: its words; ``caps:`` and the word for one
    written in capitals; and every two neighbouring words as one token.

    Capitals and word pairs are what lifted the benchmark's recall most
    (benchmarks/spam_filter.py): "FREE" says more than "free", and
    "business proposal" more than either word.
    """
    previous = ""
    for raw in _raw_words(normalise(text)):
        word = _word_token(raw.casefold())
        yield word
        if word.startswith("skip:"):
            previous = ""
            continue
        if raw.isupper():
            yield f"caps:{word}"
        if previous:
            yield f"{previous} {word}"
        previous = word


def host_of(address: str) -> str:
    """The host of a URL (or of a bare domain), folded; empty if it has none."""
    if "//" not in address:
        address = "//" + address
    try:
        host = urlsplit(address.strip()).hostname or ""
    except ValueError:
        return ""
    return fold(host).strip(".")[:MAX_HOST_LENGTH]


def host_tokens(prefix: str, address: str) -> Iterator[str]:
    """``prefix:host``, and ``prefix:`` its last two labels when it has more."""
    host = host_of(address)
    if not host:
        return
    yield f"{prefix}:{host}"
    labels = host.split(".")
    if len(labels) > 2:
        yield f"{prefix}:{'.'.join(labels[-2:])}"


def tokens(message: Message, limit: int = MAX_TOKENS) -> list[str]:
    """The unique tokens of a message, at most ``limit``, in the order first seen.

    Linear in the message's length: one pass of a pattern without nested
    repetition, stopped once ``limit`` tokens are found.
    """
    found: dict[str, None] = {}
    names = (f"name:{word}" for word in words(message.name))
    hosts = chain(
        host_tokens("email", message.email.rpartition("@")[2]) if "@" in message.email else (),
        host_tokens("site", message.site) if message.site else (),
        chain.from_iterable(host_tokens("host", link) for link in message.links),
    )
    for token in chain(names, hosts, text_tokens(message.text)):
        found[token] = None
        if len(found) >= limit:
            break
    return list(found)


# The arithmetic


@dataclass(frozen=True)
class FilterSettings:
    """The filter's thresholds and tuning, from the configuration."""

    #: At or above this score a comment goes to Spam…
    spam_score: float
    #: …and at or above this one it waits in pending, whatever the policy.
    hold_score: float
    #: Until it has been trained on this many spam and this many ham
    #: messages, the filter only scores.
    min_training: int
    #: Robinson's s: how much weight the prior ``unknown`` has, in messages.
    strength: float
    #: Robinson's x: the probability of a token never seen before.
    unknown: float
    #: Tokens whose probability is nearer 0.5 than this are left out.
    min_deviation: float
    #: At most this many tokens, the most significant, are combined.
    max_clues: int

    def acts_after(self, spam_messages: int, ham_messages: int) -> bool:
        """Whether that much training is enough for the filter to move comments."""
        return min(spam_messages, ham_messages) >= self.min_training

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FilterSettings:
        """Read the ``SPAM_*`` settings; refuse values the arithmetic cannot use."""
        settings = cls(
            spam_score=float(config["SPAM_SCORE_SPAM"]),
            hold_score=float(config["SPAM_SCORE_HOLD"]),
            min_training=int(config["SPAM_MIN_TRAINING"]),
            strength=float(config["SPAM_PRIOR_STRENGTH"]),
            unknown=float(config["SPAM_UNKNOWN_PROBABILITY"]),
            min_deviation=float(config["SPAM_MIN_DEVIATION"]),
            max_clues=int(config["SPAM_MAX_CLUES"]),
        )
        if not (settings.strength > 0 and 0 < settings.unknown < 1 and settings.max_clues > 0):
            raise ValueError(
                "SPAM_PRIOR_STRENGTH must be > 0, SPAM_UNKNOWN_PROBABILITY between 0 and 1 "
                "(excluded), SPAM_MAX_CLUES > 0"
            )
        return settings


def token_probability(
    spam: int, ham: int, spam_messages: int, ham_messages: int, strength: float, unknown: float
) -> float:
    """Robinson's f(w) of a token seen in ``spam`` spam and ``ham`` ham messages.

    p(w) = (b/nspam) / (b/nspam + g/nham), the token's spam share with both
    kinds weighed alike however many of each were trained; then
    f(w) = (s·x + n·p(w)) / (s + n), with n = b + g, so a token seen once
    says little and one seen a hundred times says almost all of p(w).
    """
    # Counts above the totals (a reset of the totals, a clamped untraining)
    # would make a share above 1.
    spam, ham = min(spam, spam_messages), min(ham, ham_messages)
    seen = spam + ham
    if not seen:
        return unknown
    spam_share = spam / spam_messages if spam else 0.0
    ham_share = ham / ham_messages if ham else 0.0
    probability = spam_share / (spam_share + ham_share)
    return (strength * unknown + seen * probability) / (strength + seen)


def chi2_survival(chi2: float, dof: int) -> float:
    """P(X ≥ chi2) for X chi-square distributed with an even ``dof``.

    The series e^(-m) Σ m^i / i! for i < dof/2, m = chi2/2, summed term by
    term in logarithms so that no term underflows before the sum is made.
    """
    if dof <= 0 or dof % 2:
        raise ValueError("dof must be even and positive")
    half = chi2 / 2.0
    if half <= 0:
        return 1.0
    log_half = math.log(half)
    log_term = -half
    total = math.exp(log_term)
    for index in range(1, dof // 2):
        log_term += log_half - math.log(index)
        total += math.exp(log_term)
    return min(total, 1.0)


def combine(probabilities: Sequence[float]) -> float:
    """Fisher's combination of token probabilities, as Robinson and SpamBayes do.

    H = C⁻¹(−2 ln Π f(w), 2n) and S = C⁻¹(−2 ln Π (1 − f(w)), 2n), with C⁻¹
    the chi-square survival function; the indicator is (1 + H − S) / 2:
    near 1 when the tokens say spam, near 0 when they say ham, and near 0.5
    when they disagree (or say nothing).
    """
    if not probabilities:
        return 0.5
    dof = 2 * len(probabilities)
    # Sums of logarithms: a product of 150 probabilities would underflow.
    hamminess = chi2_survival(-2.0 * math.fsum(math.log(p) for p in probabilities), dof)
    spamminess = chi2_survival(-2.0 * math.fsum(math.log1p(-p) for p in probabilities), dof)
    return (1.0 + hamminess - spamminess) / 2.0


@dataclass(frozen=True)
class Classification:
    """A message's score, the tokens that made it, and how trained the filter was."""

    score: float
    #: (token, f(w)) of the tokens combined, the most significant first.
    clues: tuple[tuple[str, float], ...]
    spam_messages: int
    ham_messages: int

    @property
    def shown_clues(self) -> list[tuple[str, float]]:
        """The tokens that weighed most, with their probabilities, for people."""
        return [(token, round(probability, 2)) for token, probability in self.clues[:SHOWN_CLUES]]


def classify(
    message_tokens: Iterable[str],
    counts: Mapping[str, tuple[int, int]],
    spam_messages: int,
    ham_messages: int,
    settings: FilterSettings,
) -> Classification:
    """Score tokens with their (spam, ham) counts: the most significant, combined."""
    significant = []
    # A token never seen has probability x: usually too near 0.5 to count.
    unseen_count = abs(settings.unknown - 0.5) >= settings.min_deviation
    for token in message_tokens:
        seen = counts.get(token)
        if seen is None and not unseen_count:
            continue
        spam, ham = seen or (0, 0)
        probability = token_probability(
            spam, ham, spam_messages, ham_messages, settings.strength, settings.unknown
        )
        deviation = abs(probability - 0.5)
        if deviation >= settings.min_deviation:
            significant.append((deviation, token, probability))
    # Strongest first; equal ones by token, so that the choice is repeatable.
    clues = heapq.nsmallest(settings.max_clues, significant, key=lambda c: (-c[0], c[1]))
    return Classification(
        score=combine([probability for _, _, probability in clues]),
        clues=tuple((token, probability) for _, token, probability in clues),
        spam_messages=spam_messages,
        ham_messages=ham_messages,
    )


def verdict(result: Classification, settings: FilterSettings) -> Verdict | None:
    """Spam or pending by the thresholds, once trained enough; else no objection."""
    if not settings.acts_after(result.spam_messages, result.ham_messages):
        return None
    if result.score >= settings.spam_score:
        status = CommentStatus.SPAM
    elif result.score >= settings.hold_score:
        status = CommentStatus.PENDING
    else:
        return None
    return Verdict(status, reason(result))


def reason(result: Classification) -> str:
    """The history's note: the score and the words that weighed most."""
    return messages.FILTER_REASON.format(
        score=decimal_comma(result.score, 3),
        words=", ".join(token for token, _ in result.clues[:3]),
    )


def decimal_comma(number: float, digits: int = 2) -> str:
    """A number as Italian writes it: 0,97."""
    return f"{number:.{digits}f}".replace(".", ",")


# The counts, in the database

_COUNTS_SELECT = "SELECT token, spam_count, ham_count FROM spam_token WHERE token IN "
#: The driver's placeholder, by DB-API paramstyle (SQLite's, psycopg's).
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


@functools.lru_cache(maxsize=64)
def _counts_query(paramstyle: str, size: int) -> str:
    """SELECT the counts of ``size`` tokens, as the driver takes it.

    Written for the driver because SQLAlchemy's expanding IN cost twice the
    query itself for a long message (benchmarks/spam_filter.py). Only
    placeholders are put into the text; the tokens are parameters.
    """
    marks = ", ".join([_PLACEHOLDERS[paramstyle]] * size)
    return _COUNTS_SELECT + f"({marks})"  # nosec B608: placeholders only


def score(message: Message, settings: FilterSettings) -> Classification:
    """Classify a message with the shared counts: one query, for its own tokens."""
    message_tokens = tokens(message)
    connection = db.session.connection()
    names = (*message_tokens, TOTALS)
    rows = connection.exec_driver_sql(
        _counts_query(connection.dialect.paramstyle, len(names)), names
    ).all()
    counts = {token: (spam, ham) for token, spam, ham in rows}
    spam_messages, ham_messages = counts.pop(TOTALS, (0, 0))
    return classify(message_tokens, counts, spam_messages, ham_messages, settings)


def clues_json(result: Classification) -> str:
    """The tokens that weighed most, as a comment stores them."""
    return json.dumps(result.shown_clues, ensure_ascii=False)[:300]


_token_table = cast(sa.Table, SpamToken.__table__)
#: A token's counts, which training adds to.
COUNTERS = ("spam_count", "ham_count")


def add_counts(counts: Mapping[str, int], label: SpamLabel) -> None:
    """Add to the ``label`` counts of tokens (``TOTALS`` among them), creating rows.

    One upsert (:func:`~blog.core.database.insert_or_add`), in token order, so
    that two transactions on PostgreSQL lock shared rows in the same order and
    never deadlock.
    """
    spam = label is SpamLabel.SPAM
    rows = [
        {"token": token, "spam_count": count if spam else 0, "ham_count": 0 if spam else count}
        for token, count in sorted(counts.items())
    ]
    if not rows:
        return
    insert_or_add(db.session.connection(), _token_table.c.token, COUNTERS, rows)


def subtract_one(message_tokens: Sequence[str], label: SpamLabel) -> None:
    """Take one message of ``label`` back from its tokens' counts (never below 0)."""
    column = _token_table.c.spam_count if label is SpamLabel.SPAM else _token_table.c.ham_count
    names = sorted({*message_tokens, TOTALS})
    connection = db.session.connection()
    connection.execute(
        sa.update(_token_table)
        .where(_token_table.c.token.in_(names))
        .values({column: sa.case((column > 1, column - 1), else_=0)})
    )
    connection.execute(
        sa.delete(_token_table).where(
            _token_table.c.token.in_(names),
            _token_table.c.spam_count == 0,
            _token_table.c.ham_count == 0,
        )
    )


def one_message(message_tokens: Iterable[str]) -> Counter[str]:
    """The counts one message adds: each token once, and one message in the totals."""
    counts = Counter(dict.fromkeys(message_tokens, 1))
    counts[TOTALS] = 1
    return counts


def comment_tokens(comment: Comment) -> list[str]:
    """The tokens of a stored comment, as it reads now."""
    return tokens(comment_message(comment.author, comment.email, comment.url, comment.body_html))


def learn(comment: Comment, label: SpamLabel | None) -> bool:
    """Make the filter count ``comment`` as ``label`` (None: not at all).

    A comment trained as spam and now called ham is taken back from the spam
    counts before it is added to the ham ones: it is never counted twice.
    The comment's ``spam_trained`` is changed only if it still holds what
    this session read (a moderator deciding at the same moment, on another
    worker, has trained it already). The caller commits, with its decision.
    Returns whether the counts changed.
    """
    previous = comment.spam_trained
    if previous is label:
        return False
    same_as_read = (
        Comment.spam_trained.is_(None) if previous is None else Comment.spam_trained == previous
    )
    claimed = cast(
        sa.CursorResult[Any],
        db.session.execute(
            sa.update(Comment)
            .where(Comment.id == comment.id, same_as_read)
            .values(spam_trained=label)
            .execution_options(synchronize_session="fetch")
        ),
    )
    if claimed.rowcount != 1:
        db.session.refresh(comment, ["spam_trained"])
        return False
    message_tokens = comment_tokens(comment)
    if previous is not None:
        subtract_one(message_tokens, previous)
    if label is not None:
        add_counts(one_message(message_tokens), label)
    return True


def learn_all(comments: Sequence[Comment], label: SpamLabel) -> int:
    """Teach many comments as ``label`` at once ("Svuota spam"); returns how many
    lessons changed. The caller commits, with its decision.

    Those never taught are claimed with one conditional ``UPDATE`` and their
    tokens added with one upsert; the few taught otherwise go through
    :func:`learn`, which takes their earlier lesson back first.
    """
    changed = sum(
        learn(comment, label)
        for comment in comments
        if comment.spam_trained is not None and comment.spam_trained is not label
    )
    untaught = {comment.id: comment for comment in comments if comment.spam_trained is None}
    if not untaught:
        return changed
    table = cast(sa.Table, Comment.__table__)
    claimed = (
        db.session.connection()
        .execute(
            sa.update(table)
            .where(table.c.id.in_(list(untaught)), table.c.spam_trained.is_(None))
            .values(spam_trained=label.value)
            .returning(table.c.id)
        )
        .scalars()
        .all()
    )
    counts: Counter[str] = Counter()
    for comment_id in claimed:
        comment = untaught[comment_id]
        set_committed_value(comment, "spam_trained", label)
        counts.update(dict.fromkeys(comment_tokens(comment), 1))
    if claimed:
        counts[TOTALS] = len(claimed)
        add_counts(counts, label)
    return changed + len(claimed)


def forget(comment: Comment) -> bool:
    """Take ``comment`` out of the counts, if it was trained; the caller commits."""
    return learn(comment, None)


def train(messages_: Iterable[Message], label: SpamLabel) -> int:
    """Train on many messages at once (``flask spam-train``); returns how many.

    The counts are summed in memory, then added with one upsert.
    """
    counts: Counter[str] = Counter()
    trained = 0
    for message in messages_:
        counts.update(dict.fromkeys(tokens(message), 1))
        trained += 1
    counts[TOTALS] = trained
    if trained:
        add_counts(counts, label)
    return trained


# What it has learned


@dataclass(frozen=True)
class TokenStat:
    token: str
    probability: float
    spam: int
    ham: int


@dataclass(frozen=True)
class Stats:
    spam_messages: int
    ham_messages: int
    tokens: int
    spammiest: list[TokenStat]
    hammiest: list[TokenStat]


def totals() -> tuple[int, int]:
    """Messages trained as spam and as ham."""
    row = db.session.execute(
        sa.select(SpamToken.spam_count, SpamToken.ham_count).where(SpamToken.token == TOTALS)
    ).first()
    return (row[0], row[1]) if row else (0, 0)


def stats(settings: FilterSettings, top: int = 20) -> Stats:
    """The totals and the most spammy and most hammy tokens (read in one pass)."""
    spam_messages, ham_messages = totals()
    rows = db.session.execute(
        sa.select(SpamToken.token, SpamToken.spam_count, SpamToken.ham_count).where(
            SpamToken.token != TOTALS
        )
    )
    found = [
        TokenStat(
            token,
            token_probability(
                spam, ham, spam_messages, ham_messages, settings.strength, settings.unknown
            ),
            spam,
            ham,
        )
        for token, spam, ham in rows
    ]
    return Stats(
        spam_messages=spam_messages,
        ham_messages=ham_messages,
        tokens=len(found),
        spammiest=heapq.nlargest(top, found, key=lambda t: (t.probability, t.spam, t.token)),
        hammiest=heapq.nsmallest(top, found, key=lambda t: (t.probability, -t.ham, t.token)),
    )


def reset() -> int:
    """Forget everything learned; returns how many tokens were known. The caller commits."""
    known = db.session.scalar(
        sa.select(sa.func.count()).select_from(SpamToken).where(SpamToken.token != TOTALS)
    )
    db.session.execute(sa.delete(SpamToken))
    db.session.execute(
        sa.update(Comment)
        .where(Comment.spam_trained.is_not(None))
        .values(spam_trained=None)
        .execution_options(synchronize_session="fetch")
    )
    return known or 0
