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

All of it is pure arithmetic on tokens and counts. The counts themselves,
and training, are in ``blog/spam/bayes_store.py``.
"""

from __future__ import annotations

import heapq
import html
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any
from urllib.parse import urlsplit

from blog import messages
from blog.core.i18n import decimal, lazy
from blog.models import CommentStatus
from blog.spam.rules import Verdict, fold, normalise, visible_text

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
    """The history's note: the score and the words that weighed most, worded
    (and the score written: "0,970", "0.970") when it is used."""
    words = ", ".join(token for token, _ in result.clues[:3])
    return lazy(_filter_note, result.score, words)


def _filter_note(score: float, words: str) -> str:
    return messages.FILTER_REASON.format(score=decimal(score, 3), words=words)


def clues_json(result: Classification) -> str:
    """The tokens that weighed most, as a comment stores them."""
    return json.dumps(result.shown_clues, ensure_ascii=False)[:300]
