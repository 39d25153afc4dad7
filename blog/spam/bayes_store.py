"""The learning filter's counts in the database: scoring with them, training, untraining.

One row a token (its spam and ham counts), plus one row of totals, so every
worker and host shares one filter; training is written in the transaction
of the moderator's decision. The arithmetic is in ``blog/spam/bayes.py``.
"""

from __future__ import annotations

import functools
import heapq
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from blog.core.database import insert_or_add
from blog.extensions import db
from blog.models import Comment, SpamLabel, SpamToken
from blog.spam.bayes import (
    Classification,
    FilterSettings,
    Message,
    classify,
    comment_message,
    token_probability,
    tokens,
)

#: The row that holds the totals: messages trained as spam (its spam count)
#: and as ham (its ham count). Bogofilter's name; never a token, since
#: tokens are case-folded.
TOTALS = ".MSG_COUNT"

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
    return _COUNTS_SELECT + f"({marks})"  # placeholders only


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
