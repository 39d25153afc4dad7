"""Spam and abuse defenses, none of them a CAPTCHA.

Each screening check is a plain function of the submission that returns a
``Verdict`` (where the comment should go, and why) or None when it has no
objection. ``screen`` combines them: Spam beats pending beats the policy.
Nothing here refuses a comment outright; the refusals (flood, duplicate)
are the two lookups at the end, and they store nothing.

A verdict's reason is a lazy sentence: the comment's history stores it as
text in the language of the moment (the site's, for a reader), and the
mail that tells a moderator of the comment words it in theirs.
"""

from __future__ import annotations

import functools
import html
import ipaddress
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from itsdangerous import BadData

from blog import messages
from blog.comments.values import Client, CommentText
from blog.core.forms import COMMENT_MAX
from blog.core.i18n import counted, lazy
from blog.core.i18n import lazy_gettext as _l
from blog.core.i18n import plural as _n
from blog.core.signing import timed_serializer
from blog.core.trie import alternation
from blog.extensions import db
from blog.models import Article, Comment, CommentStatus, body_digest, utcnow
from blog.moderation import site_settings
from blog.spam.hosts import matching_host


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
    #: Sites whose comments go to Spam (blog/spam/hosts.py).
    blocked_hosts: Sequence[str] = ()


#: The reason of a comment held for its links.
LINKS_REASON = _n("{count} link", "{count} links")


@dataclass(frozen=True)
class Verdict:
    """Where a check sends the comment, and why (for the moderators)."""

    status: CommentStatus
    reason: str


def check_honeypot(submission: Submission, settings: SpamSettings) -> Verdict | None:
    """People never see the trap field; anything in it was typed by a bot."""
    if submission.honeypot.strip():
        return Verdict(CommentStatus.SPAM, _l("trap field filled in"))
    return None


def check_time_trap(submission: Submission, settings: SpamSettings) -> Verdict | None:
    """Nobody reads an article and writes a comment in a couple of seconds."""
    if submission.seconds_to_submit < settings.min_seconds:
        rule = messages.TIME_TRAP_REASON.format(seconds=f"{settings.min_seconds:g}")
        return Verdict(CommentStatus.SPAM, rule)
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


#: How much normalised text the filters read (the word lists, the learning
#: filter): the comment form's own limit, which it checks on the normalised
#: text too (blog/comments/forms.py).
NORMALISED_LIMIT = COMMENT_MAX
#: Text is normalised this much at a time, so that a text that grows under
#: NFKC (U+FDFA becomes 18 characters) stops being read at the limit.
_NORMALISED_PIECE = 4096


def normalise(text: str, limit: int = NORMALISED_LIMIT) -> str:
    """Text spelled plainly: NFKC, no invisible format characters (zero-width
    spaces and the like); the case is kept. At most ``limit`` characters."""
    # Format characters go first: they are what NFKC would keep, invisible.
    text = _FORMAT_CHARACTERS.sub("", text)
    if unicodedata.is_normalized("NFKC", text):
        return text[:limit]
    return "".join(_normalised_pieces(text, limit))[:limit]


def _normalised_pieces(text: str, limit: int) -> Iterator[str]:
    """NFKC of ``text`` a piece at a time, until ``limit`` characters are made.

    A piece ends after a space or a line break when there is one near its
    end: normalisation joins nothing across those, so the pieces read as
    the whole text normalised at once would.
    """
    start = made = 0
    while start < len(text) and made < limit:
        end = start + _NORMALISED_PIECE
        if end < len(text):
            cut = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
            if cut > start:
                end = cut + 1
            else:  # one long word: at least never part a letter from its accents
                while end < len(text) and unicodedata.combining(text[end]):
                    end += 1
        piece = unicodedata.normalize("NFKC", text[start:end])
        made += len(piece)
        yield piece
        start = end


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


def as_email(key: str) -> str | None:
    """A key written as one email address (``bot@spam.example``), folded, else None."""
    key = key.strip()
    local, at, domain = key.partition("@")
    if not (local and at and "." in domain) or "@" in domain:
        return None
    if any(char.isspace() for char in key):
        return None
    return fold(key)


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
def _email_keys(keys: tuple[str, ...]) -> dict[str, str]:
    """The keys of a list written as one email address, which match that
    email and nothing else, by their folded spelling."""
    return {email: key.strip() for key in keys if (email := as_email(key))}


@functools.lru_cache(maxsize=16)
def _key_finder(keys: tuple[str, ...]) -> tuple[re.Pattern[str], dict[str, str]] | None:
    """One pattern for a whole word list (a trie: one pass whatever its length),
    and the key each spelling it finds stands for. Network keys are left to
    :func:`_network_holding`, email keys to :func:`_email_keys`."""
    spellings: dict[str, str] = {}
    for key in keys:
        if as_network(key) or as_email(key):
            continue
        key = key.strip()
        for spelling in (key.casefold(), fold(key)):
            if spelling:
                spellings.setdefault(spelling, key)
    if not spellings:
        return None
    return re.compile(alternation(spellings)), spellings


def matching_key(submission: Submission, keys: Sequence[str]) -> str | None:
    """A key found in the raw fields or in the text as readers see it, a
    network key holding the sender's address, or an email key that is the
    sender's email.

    An email key is never looked for in the other fields: one address
    inside another (``o@gmail.com`` in ``mario@gmail.com``), in a text or
    in a browser's name is someone else.
    """
    if not keys:
        return None
    if network := _network_holding(submission.client.ip_address, keys):
        return network
    if email := _email_keys(tuple(keys)).get(fold(submission.text.email.strip())):
        return email
    finder = _key_finder(tuple(keys))
    if finder is None:
        return None
    pattern, spellings = finder
    found = pattern.search(submission.haystack)
    return spellings[found.group()] if found else None


def check_disallowed_keys(submission: Submission, settings: SpamSettings) -> Verdict | None:
    """A word from the disallowed list anywhere sends the comment to Spam."""
    key = matching_key(submission, settings.disallowed_keys)
    return Verdict(CommentStatus.SPAM, _l("disallowed word “%(key)s”", key=key)) if key else None


def check_moderation_keys(submission: Submission, settings: SpamSettings) -> Verdict | None:
    """A word from the moderation list anywhere holds the comment for review."""
    key = matching_key(submission, settings.moderation_keys)
    if not key:
        return None
    return Verdict(CommentStatus.PENDING, _l("moderation word “%(key)s”", key=key))


def check_blocked_hosts(submission: Submission, settings: SpamSettings) -> Verdict | None:
    """A site or link on a blocked host sends the comment to Spam."""
    host = matching_host(submission.text.url, submission.body_html, settings.blocked_hosts)
    return (
        Verdict(CommentStatus.SPAM, messages.BLOCKED_HOST_NOTE.format(host=host)) if host else None
    )


_LINK = re.compile(r"<a\s", re.IGNORECASE)


def count_links(body_html: str) -> int:
    """Count the links in sanitized HTML (typed ones and bare URLs alike)."""
    return len(_LINK.findall(body_html))


def check_links(submission: Submission, settings: SpamSettings) -> Verdict | None:
    """Many links are the mark of link spam: hold the comment for review."""
    links = count_links(submission.body_html)
    if settings.max_links and links >= settings.max_links:
        return Verdict(CommentStatus.PENDING, lazy(counted, links, LINKS_REASON))
    return None


CHECKS: tuple[Callable[[Submission, SpamSettings], Verdict | None], ...] = (
    check_honeypot,
    check_time_trap,
    check_disallowed_keys,
    check_blocked_hosts,
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
    return _signed_age(FORM_TIME_SALT, secret_key, token, article_id, max_age)


#: An author's edit form has a time of its own, signed for the comment: the
#: time trap measures the edit, never the comment's age.
EDIT_FORM_TIME_SALT = "comment-edit-form-time"


def sign_edit_time(secret_key: str, comment_id: int) -> str:
    """A token saying "the edit form of this comment was served now"."""
    return timed_serializer(EDIT_FORM_TIME_SALT, secret_key).dumps(comment_id)


def edit_form_age(
    secret_key: str, token: str | None, comment_id: int, max_age: int
) -> float | None:
    """Seconds since the edit form was served; None if tampered, foreign or too old."""
    return _signed_age(EDIT_FORM_TIME_SALT, secret_key, token, comment_id, max_age)


def _signed_age(
    salt: str, secret_key: str, token: str | None, signed_for: int, max_age: int
) -> float | None:
    try:
        value, signed_at = timed_serializer(salt, secret_key).loads(
            token or "", max_age=max_age, return_timestamp=True
        )
    except BadData:
        return None
    if value != signed_for:
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
