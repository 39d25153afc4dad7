""" "Blocca": a sender's email or address block added to the disallowed words,
or its site to the blocked sites, and the pending comments it now matches
moved to Spam; "Annulla" takes the whole block back."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from blog import signals
from blog.extensions import db
from blog.models import Comment, CommentStatus, ModerationEvent, Moderator
from blog.moderation.undo import UndoRefused, latest_status_event_ids, undo
from blog.moderation.workflow import BATCH, Event, lesson_name, record_event, set_status
from blog.spam import hosts
from blog.spam.rules import (
    as_email,
    matching_key,
    save_word_list,
    stored_submission,
    word_lists,
)

#: The word list "Blocca" adds an email or an address block to.
DISALLOWED_KEYS = "COMMENT_DISALLOWED_KEYS"


class BlockTarget(enum.StrEnum):
    """What of a comment "Blocca" blocks."""

    EMAIL = "email"
    ADDRESS = "ip"
    #: The comment site's host (without a leading ``www.``)…
    HOST = "host"
    #: …or every site of the domain its owner registered, when that differs.
    DOMAIN = "domain"


#: The targets that go to the blocked sites rather than the disallowed words.
SITE_TARGETS = frozenset({BlockTarget.HOST, BlockTarget.DOMAIN})


def block_values(comment: Comment) -> dict[BlockTarget, str]:
    """What "Blocca" can offer for this comment: only what it has.

    A site is offered even when it cannot be blocked (``www.mozilla``):
    choosing it says why (:func:`plan_block`).
    """
    values: dict[BlockTarget, str] = {}
    email = comment.email.strip()
    if as_email(email):
        values[BlockTarget.EMAIL] = email
    if comment.ip_block:
        values[BlockTarget.ADDRESS] = comment.ip_block
    host = hosts.site_host(comment.url) if comment.url else ""
    if host:
        values[BlockTarget.HOST] = host
        domain = hosts.registrable_domain(host)
        if domain and domain != host:
            values[BlockTarget.DOMAIN] = domain
    return values


@dataclass(frozen=True)
class Block:
    """One block before it is made: what it adds, to which list."""

    target: BlockTarget
    value: str

    @property
    def is_site(self) -> bool:
        return self.target in SITE_TARGETS

    @property
    def list_key(self) -> str:
        return hosts.BLOCKED_HOSTS_KEY if self.is_site else DISALLOWED_KEYS

    def matches(self, comment: Comment) -> bool:
        """Whether the block catches ``comment``: a site only by the
        comment's site and links, an email only by its email, an address
        block only by its address."""
        if self.is_site:
            return hosts.matching_host(comment.url, comment.body_html, (self.value,)) is not None
        return matching_key(stored_submission(comment), (self.value,)) is not None


def plan_block(comment: Comment, target: BlockTarget) -> Block:
    """The block of the comment's ``target``. Raises KeyError when the comment
    has no such value, hosts.HostRefused when its site cannot be blocked."""
    value = block_values(comment)[target]
    if target in SITE_TARGETS:
        value = hosts.blockable_host(value)
    return Block(target, value)


def listed(settings: Mapping[str, Any], key: str) -> list[str]:
    """The list ``key`` in force (a word list or the blocked sites)."""
    if key == hosts.BLOCKED_HOSTS_KEY:
        return hosts.blocked_hosts(settings)
    return word_lists(settings)[key]


def _store(key: str, values: Sequence[str]) -> None:
    if key == hosts.BLOCKED_HOSTS_KEY:
        hosts.store_blocked_hosts(values)
    else:
        save_word_list(key, values)


def pending_matching(plan: Block) -> Iterator[Comment]:
    """The pending comments the block catches, a batch at a time."""
    pending_ids = db.session.scalars(
        sa.select(Comment.id).where(Comment.status == CommentStatus.PENDING).order_by(Comment.id)
    ).all()
    for start in range(0, len(pending_ids), BATCH):
        batch = db.session.scalars(
            sa.select(Comment).where(
                Comment.id.in_(pending_ids[start : start + BATCH]),
                Comment.status == CommentStatus.PENDING,
            )
        ).all()
        yield from (candidate for candidate in batch if plan.matches(candidate))


@dataclass(frozen=True)
class Blocked:
    """What "Blocca" did: the value, whether it was new on its list, and the
    audit entries of the comments it moved (what "Annulla" takes back)."""

    word: str
    added: bool
    event_ids: tuple[int, ...]

    @property
    def moved(self) -> int:
        return len(self.event_ids)


def block(plan: Block, moderator: Moderator, settings: Mapping[str, Any], note: str) -> Blocked:
    """Add the block's value to its list (as in ``settings``, the lists in
    force) and move every pending comment it now catches to Spam.

    An address block is stored as a network (``203.0.113.9/32``): it matches
    the addresses inside it, never a longer one that starts the same. The
    comments moved teach the filter nothing, not even when "Svuota spam"
    deletes them later: the moderator judged one sender, not each text.
    ``note`` goes in each moved comment's history. The caller commits.
    """
    current = listed(settings, plan.list_key)
    added = plan.value not in current
    _store(plan.list_key, [*current, plan.value])
    events: list[ModerationEvent] = []
    for candidate in pending_matching(plan):
        set_status(candidate, CommentStatus.SPAM)
        events.append(
            record_event(
                candidate,
                Event.BLOCK,
                moderator,
                CommentStatus.PENDING,
                CommentStatus.SPAM,
                note=note[:200],
                lesson_before=lesson_name(candidate.spam_trained),
            )
        )
        signals.comment_status_changed.send(
            None,
            comment=candidate,
            comment_id=candidate.id,
            previous=CommentStatus.PENDING,
            status=CommentStatus.SPAM,
        )
    db.session.flush()
    return Blocked(plan.value, added, tuple(event.id for event in events))


def undo_block(
    plan: Block, event_range: range, moderator: Moderator, settings: Mapping[str, Any]
) -> tuple[int, int]:
    """ "Annulla" after "Blocca": every comment the block moved goes back to
    where it was (each audited as an undo), and the value leaves its list
    (``plan.value`` is empty when it was there before the block).

    ``event_range`` spans the block's audit entries (a block may move more
    comments than a list of ids could carry): only this moderator's block
    entries in it are taken back, and only from a comment nothing has moved
    since. Returns how many comments went back and how many were left as
    they are. The caller commits.
    """
    events = db.session.scalars(
        sa.select(ModerationEvent)
        .where(
            ModerationEvent.id.between(event_range.start, event_range.stop - 1),
            ModerationEvent.action == Event.BLOCK.value,
            ModerationEvent.moderator_id == moderator.id,
        )
        .options(joinedload(ModerationEvent.comment))
        .order_by(ModerationEvent.id)
    ).all()
    done = 0
    for event in events:
        try:
            undo(event, moderator)
        except UndoRefused:
            continue
        done += 1
    if plan.value:
        current = listed(settings, plan.list_key)
        _store(plan.list_key, [value for value in current if value != plan.value])
    return done, len(events) - done


def moved_by_block(comment_ids: Sequence[int]) -> set[int]:
    """Those of these comments whose last change of status was a block's
    move: emptying Spam teaches the filter nothing of them."""
    if not comment_ids:
        return set()
    latest = latest_status_event_ids(comment_ids)
    return set(
        db.session.scalars(
            sa.select(ModerationEvent.comment_id).where(
                ModerationEvent.id.in_(latest), ModerationEvent.action == Event.BLOCK.value
            )
        )
    )
