"""Spam and abuse defenses, none of them a CAPTCHA.

Each screening check is a plain function of the submission that returns a
``Verdict`` (where the comment should go, and why) or None when it has no
objection. ``screen`` combines them: Spam beats pending beats the policy.
Nothing here refuses a comment outright; the refusals (flood, duplicate)
are the two lookups at the end, and they store nothing.
"""

from __future__ import annotations

import functools
import html
import ipaddress
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from itsdangerous import BadData

from blog.comments.values import Client, CommentText
from blog.core.signing import timed_serializer
from blog.core.trie import alternation
from blog.extensions import db
from blog.models import Article, Comment, CommentStatus, body_digest, utcnow
from blog.moderation import site_settings


@dataclass(frozen=True)
class Submission:
    """What the screening checks look at."""

    text: CommentText
    body_html: str
    client: Client
    honeypot: str
    seconds_to_submit: float

    @cached_property
    def haystack(self) -> str:
        """Every field as typed and as folded, and the text as readers see it:
        what the word lists are looked for in, built once per submission."""
        text, client = self.text, self.client
        others = "\n".join(
            (text.author, text.email, text.url, client.ip_address, client.user_agent)
        )
        return "\n".join(
            (
                others.casefold(),
                text.body.casefold(),
                fold(others),
                fold(visible_text(self.body_html)),
            )
        )


def stored_submission(comment: Comment) -> Submission:
    """What the word lists look at in a comment already stored (no traps: it
    is past them)."""
    return Submission(
        text=CommentText(comment.author, comment.email, comment.url, comment.body),
        body_html=comment.body_html,
        client=Client(comment.ip_address or "", comment.ip_block, comment.user_agent or ""),
        honeypot="",
        seconds_to_submit=math.inf,
    )


@dataclass(frozen=True)
class SpamSettings:
    """The thresholds and word lists in force for one submission."""

    min_seconds: float
    max_links: int
    moderation_keys: Sequence[str]
    disallowed_keys: Sequence[str]


@dataclass(frozen=True)
class Verdict:
    """Where a check sends the comment, and why (for the moderators)."""

    status: CommentStatus
    reason: str


def check_honeypot(submission: Submission, settings: SpamSettings) -> Verdict | None:
    """People never see the trap field; anything in it was typed by a bot."""
    if submission.honeypot.strip():
        return Verdict(CommentStatus.SPAM, "campo trappola compilato")
    return None


def check_time_trap(submission: Submission, settings: SpamSettings) -> Verdict | None:
    """Nobody reads an article and writes a comment in a couple of seconds."""
    if submission.seconds_to_submit < settings.min_seconds:
        return Verdict(CommentStatus.SPAM, f"inviato dopo {submission.seconds_to_submit:.0f} s")
    return None


_BLOCK_TAG = re.compile(r"</?(?:p|br|blockquote)\b[^>]*>", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^>]*>")


def _code_point_ranges(codes: list[int]) -> str:
    """A regex character class of ``codes``, written as ranges."""
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return (
        "["
        + "".join(
            re.escape(chr(low)) + (f"-{re.escape(chr(high))}" if high > low else "")
            for low, high in ranges
        )
        + "]+"
    )


#: Unicode's invisible format characters (category Cf: zero-width spaces,
#: joiners, direction marks, tags…), all in these planes.
_FORMAT_CHARACTERS = re.compile(
    _code_point_ranges(
        [
            code
            for code in (*range(0x10000), *range(0x10000, 0x20000), *range(0xE0000, 0xE0080))
            if unicodedata.category(chr(code)) == "Cf"
        ]
    )
)


def normalise(text: str) -> str:
    """Text spelled plainly: NFKC, no invisible format characters (zero-width
    spaces and the like); the case is kept."""
    # Format characters go first: NFKC can make a text 18 times longer.
    return unicodedata.normalize("NFKC", _FORMAT_CHARACTERS.sub("", text))


def fold(text: str) -> str:
    """Text as compared with the word lists: normalised, then case folded."""
    return normalise(text).casefold()


def visible_text(body_html: str) -> str:
    """What readers see of sanitized HTML: tags gone, entities decoded."""
    return html.unescape(_ANY_TAG.sub("", _BLOCK_TAG.sub(" ", body_html)))


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def as_network(key: str) -> IPNetwork | None:
    """A key written as a network (``203.0.113.0/24``, ``2001:db8::/64``), else None."""
    if "/" not in key:
        return None
    try:
        return ipaddress.ip_network(key.strip(), strict=False)
    except ValueError:
        return None


def plain_text(body_html: str) -> str:
    """Sanitized HTML as one line of plain text: a quote in the queue."""
    return " ".join(visible_text(body_html).split())


@functools.lru_cache(maxsize=16)
def _network_keys(keys: tuple[str, ...]) -> tuple[tuple[IPNetwork, str], ...]:
    """The keys of a list written as networks, which match addresses inside them."""
    return tuple((network, key.strip()) for key in keys if (network := as_network(key)))


def _network_holding(address: str, keys: Sequence[str]) -> str | None:
    """The network key ``address`` lies in, if any (IPv4 written as IPv6 counts as IPv4)."""
    networks = _network_keys(tuple(keys))
    if not networks:
        return None
    try:
        parsed = ipaddress.ip_address(address.strip().split("%")[0])
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return next((key for network, key in networks if parsed in network), None)


@functools.lru_cache(maxsize=16)
def _key_finder(keys: tuple[str, ...]) -> tuple[re.Pattern[str], dict[str, str]] | None:
    """One pattern for a whole word list (a trie: one pass whatever its length),
    and the key each spelling it finds stands for. Network keys are left to
    :func:`_network_holding`."""
    spellings: dict[str, str] = {}
    for key in keys:
        if as_network(key):
            continue
        key = key.strip()
        for spelling in (key.casefold(), fold(key)):
            if spelling:
                spellings.setdefault(spelling, key)
    if not spellings:
        return None
    return re.compile(alternation(spellings)), spellings


def matching_key(submission: Submission, keys: Sequence[str]) -> str | None:
    """A key found in the raw fields or in the text as readers see it, or a
    network key holding the sender's address."""
    if not keys:
        return None
    if network := _network_holding(submission.client.ip_address, keys):
        return network
    finder = _key_finder(tuple(keys))
    if finder is None:
        return None
    pattern, spellings = finder
    found = pattern.search(submission.haystack)
    return spellings[found.group()] if found else None


def check_disallowed_keys(submission: Submission, settings: SpamSettings) -> Verdict | None:
    """A word from the disallowed list anywhere sends the comment to Spam."""
    key = matching_key(submission, settings.disallowed_keys)
    return Verdict(CommentStatus.SPAM, f"parola vietata «{key}»") if key else None


def check_moderation_keys(submission: Submission, settings: SpamSettings) -> Verdict | None:
    """A word from the moderation list anywhere holds the comment for review."""
    key = matching_key(submission, settings.moderation_keys)
    return Verdict(CommentStatus.PENDING, f"parola da moderare «{key}»") if key else None


_LINK = re.compile(r"<a\s", re.IGNORECASE)


def count_links(body_html: str) -> int:
    """Count the links in sanitized HTML (typed ones and bare URLs alike)."""
    return len(_LINK.findall(body_html))


def check_links(submission: Submission, settings: SpamSettings) -> Verdict | None:
    """Many links are the mark of link spam: hold the comment for review."""
    links = count_links(submission.body_html)
    if settings.max_links and links >= settings.max_links:
        return Verdict(CommentStatus.PENDING, f"{links} link")
    return None


CHECKS: tuple[Callable[[Submission, SpamSettings], Verdict | None], ...] = (
    check_honeypot,
    check_time_trap,
    check_disallowed_keys,
    check_moderation_keys,
    check_links,
)


def screen(submission: Submission, settings: SpamSettings) -> list[Verdict]:
    """Run every check; return the verdicts of those that objected."""
    return [verdict for check in CHECKS if (verdict := check(submission, settings))]


def decide(policy_status: CommentStatus, verdicts: Sequence[Verdict]) -> CommentStatus:
    """Spam beats pending, pending beats what the moderation policy chose."""
    statuses = {verdict.status for verdict in verdicts}
    if CommentStatus.SPAM in statuses:
        return CommentStatus.SPAM
    if CommentStatus.PENDING in statuses:
        return CommentStatus.PENDING
    return policy_status


# The time trap's signed timestamp, as django-contrib-comments does it.

FORM_TIME_SALT = "comment-form-time"


def sign_form_time(secret_key: str, article_id: int) -> str:
    """A token saying "this form for this article was served now"."""
    return timed_serializer(FORM_TIME_SALT, secret_key).dumps(article_id)


def form_age(secret_key: str, token: str | None, article_id: int, max_age: int) -> float | None:
    """Seconds since the form was served; None if tampered, foreign or too old."""
    try:
        signed_for, signed_at = timed_serializer(FORM_TIME_SALT, secret_key).loads(
            token or "", max_age=max_age, return_timestamp=True
        )
    except BadData:
        return None
    if signed_for != article_id:
        return None
    return max(0.0, (datetime.now(UTC) - signed_at).total_seconds())


# Refusals: these look at what is already stored.


def is_flood(ip_block: str | None, email: str, seconds: float) -> bool:
    """Tell whether this address block or email commented less than ``seconds`` ago."""
    if seconds <= 0:
        return False
    since = utcnow() - timedelta(seconds=seconds)
    same_sender = Comment.email == email
    if ip_block:
        same_sender = sa.or_(same_sender, Comment.ip_block == ip_block)
    recent = db.session.scalar(
        sa.select(Comment.id).where(Comment.created_at > since, same_sender).limit(1)
    )
    return recent is not None


# Built once, like the other statements of the comment form's path. WordPress's
# rule: the same article, the same parent, the same name and email, the same
# text (the email only when one was given). The parent is compared as an
# expression (0 for none) so that SQLite finds the text by its digest's
# index: given ``parent_id IS ?``, it walked the parent's index instead,
# every top-level comment of the blog for a new thread.
_SAME_TEXT_BY_NAME = (
    sa.select(Comment.id)
    .where(
        Comment.article_id == sa.bindparam("article_id"),
        Comment.body_digest == sa.bindparam("digest"),
        Comment.body == sa.bindparam("body"),
        Comment.status != CommentStatus.TRASH,
        sa.func.coalesce(Comment.parent_id, 0)
        == sa.func.coalesce(sa.bindparam("parent_id", type_=sa.Integer), 0),
        Comment.author == sa.bindparam("author"),
    )
    .limit(1)
)
_SAME_TEXT = _SAME_TEXT_BY_NAME.where(Comment.email == sa.bindparam("email"))


def is_duplicate(
    article: Article, parent_id: int | None, author: str, email: str, body: str
) -> bool:
    """Tell whether this person already wrote this text in the same place.

    As WordPress: a duplicate has the same article, the same parent, the same
    name and (when given) the same email, and the same text; a second
    "Grazie!" from someone else with the same name is not one.
    """
    existing = (
        db.session.connection()
        .execute(
            _SAME_TEXT if email else _SAME_TEXT_BY_NAME,
            {
                "article_id": article.id,
                "parent_id": parent_id,
                "digest": body_digest(body),
                "body": body,
                "email": email,
                "author": author,
            },
        )
        .first()
    )
    return existing is not None


# Word lists: the config gives the defaults, moderators can override them.

WORD_LIST_KEYS = ("COMMENT_MODERATION_KEYS", "COMMENT_DISALLOWED_KEYS")


def word_lists(settings: Mapping[str, Any]) -> dict[str, list[str]]:
    """The word lists in ``settings`` (``site_settings.in_force``: saved by
    moderators if they did, else the config's)."""
    return {key: list(settings.get(key) or []) for key in WORD_LIST_KEYS}


def save_word_list(key: str, words: Iterable[str]) -> list[str]:
    """Store a word list edited by moderators; it overrides the config."""
    if key not in WORD_LIST_KEYS:
        raise KeyError(key)
    cleaned = sorted({word.strip() for word in words if word.strip()}, key=str.casefold)
    site_settings.save(key, cleaned)
    return cleaned
