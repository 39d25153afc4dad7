"""Verifying a received Webmention, later, in the delivery loop.

The source is fetched through the guard (blog/core/fetch.py). It must link
to the target; its h-entry (blog/webmention/microformats.py) says who wrote
what. A reply or a mention becomes a comment through the very door
readers' comments go through (``submit``: sanitizer, word lists, learning
filter, moderation policy, queue, mail, webhooks), marked with where it
came from; a like is kept as one. Sent again, it is verified again: new
text is screened again as an author's edit is; a source that answers 410
Gone, or no longer links to the target, takes its comment off the page
(to the bin, with its history). A source that cannot be reached now is
tried again later (the outbox's backoff); one the guard refuses is not.
"""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa
from flask import current_app

from blog.comments.own import OWN_STATUSES, announce_edit, status_after_edit
from blog.comments.sanitize import comment_to_html
from blog.comments.submit import (
    Accepted,
    CommentSettings,
    Draft,
    Origin,
    screen_draft,
    submit,
)
from blog.comments.values import Client, CommentText
from blog.core.database import write_transaction
from blog.core.fetch import Fetched, FetchError, FetchRefused, FetchSettings, fetch
from blog.extensions import db
from blog.models import Article, Comment, CommentStatus, ReceivedWebmention, utcnow
from blog.moderation.workflow import Action, Event, apply_action, record_event
from blog.notify.outbox import Outbox
from blog.reader.comment_settings import comment_settings
from blog.spam import bayes, bayes_store
from blog.webmention.microformats import Kind, Mention, links_to, parse_page, read_mention

#: What a comment that came by Webmention is marked with.
ORIGIN = "webmention"


class TryLater(Exception):
    """The source answered with an error worth trying again (5xx, 429)."""


def verify(row: sa.Row[Any]) -> None:
    """Fetch the source of a received Webmention and act on what it says."""
    settings = FetchSettings.from_config(current_app.config)
    try:
        fetched = fetch(row.source, settings, headers={"Accept": "text/html"})
    except FetchRefused as error:
        _withdraw(row.comment_id)
        return _conclude(row.id, f"refused: {error}")
    if fetched.status == 410:
        _withdraw(row.comment_id)
        return _conclude(row.id, "gone (410)")
    if fetched.status == 429 or fetched.status >= 500:
        raise TryLater(f"the source answered {fetched.status}")
    if fetched.status != 200:
        return _conclude(row.id, f"the source answered {fetched.status}", comment_id=row.comment_id)
    _read(row, fetched)


def _read(row: sa.Row[Any], fetched: Fetched) -> None:
    """Act on a source page that answered: a comment, a like, or nothing."""
    page = parse_page(fetched.text)
    if not links_to(page, fetched.url, row.target):
        _withdraw(row.comment_id)
        return _conclude(row.id, "no link to the target")
    article = db.session.get(Article, row.article_id)
    if article is None or not article.is_public:
        return _conclude(row.id, "the article is not public", comment_id=row.comment_id)
    mention = read_mention(page, fetched.url, row.target)
    if mention.kind is Kind.LIKE:
        _withdraw(row.comment_id)
        _count_like(article)
        return _conclude(row.id, "like", mention=mention)
    comment = db.session.get(Comment, row.comment_id) if row.comment_id else None
    draft = _draft(row, mention)
    config = comment_settings()
    if comment is not None:
        result = _update(comment, draft, config)
        return _conclude(row.id, result, mention=mention, comment_id=comment.id)
    if not article.comments_open:
        return _conclude(row.id, "comments are closed")
    outcome = submit(article, draft, config)
    if isinstance(outcome, Accepted):
        return _conclude(
            row.id, outcome.status.value, mention=mention, comment_id=outcome.comment_id
        )
    return _conclude(row.id, outcome.name.lower(), mention=mention)


def _draft(row: sa.Row[Any], mention: Mention) -> Draft:
    text = mention.text or row.source
    return Draft(
        text=CommentText(mention.author, "", mention.author_url, text),
        parent_id=None,
        notify=False,
        honeypot="",
        form_time=None,
        client=Client(row.ip_address or "", row.ip_block, "Webmention"),
        origin=Origin(ORIGIN, row.source),
    )


def _update(comment: Comment, draft: Draft, settings: CommentSettings) -> str:
    """The source changed: its new text, screened again as an author's edit is."""
    text = draft.text
    if (comment.author, comment.url, comment.body) == (text.author, text.url, text.body):
        return f"unchanged ({comment.status.value})"
    body_html = comment_to_html(text.body)
    verdicts, scored = screen_draft(draft, body_html, math.inf, settings)
    with write_transaction(db.session):
        db.session.refresh(comment)
        if comment.status not in OWN_STATUSES:
            db.session.rollback()
            return f"not changed: {comment.status.value}"
        previous = comment.status
        status = status_after_edit(previous, verdicts, settings.moderation, draft)
        bayes_store.forget(comment)
        comment.author = text.author
        comment.url = text.url
        comment.body = text.body
        comment.body_html = body_html
        comment.spam_score = scored.score if scored else None
        comment.spam_clues = bayes.clues_json(scored) if scored else None
        comment.edited_at = utcnow()
        comment.status = status
        comment.status_version = Comment.status_version + 1
        reasons = [verdict.reason for verdict in verdicts]
        note = "; ".join(map(str, reasons))[:200] or None
        record_event(comment, Event.SELF_EDIT, None, previous, status, note=note)
        announce_edit(comment, previous, status, reasons)
        db.session.commit()
    return f"updated ({status.value})"


def _withdraw(comment_id: int | None) -> None:
    """Take the comment a source no longer stands behind off the page, to the bin."""
    if comment_id is None:
        return
    with write_transaction(db.session):
        comment = db.session.get(Comment, comment_id)
        if comment is None or comment.status not in (
            CommentStatus.PENDING,
            CommentStatus.APPROVED,
        ):
            db.session.rollback()
            return
        apply_action(comment, Action.TRASH, event=Event.WITHDRAW)
        db.session.commit()


def _count_like(article: Article) -> None:
    """A new like shows on the article's next view, whichever copy served it."""
    db.session.execute(
        sa.update(Article)
        .where(Article.id == article.id)
        .values(comment_version=Article.comment_version + 1)
    )
    db.session.commit()


def _conclude(
    row_id: int, result: str, *, mention: Mention | None = None, comment_id: int | None = None
) -> None:
    """Write what this verification found on the Webmention's row."""
    values: dict[str, Any] = {
        "result": result[:200],
        "verified_at": utcnow(),
        "comment_id": comment_id,
        "kind": mention.kind.value if mention else None,
    }
    if mention is not None:
        values |= {"author": mention.author, "author_url": mention.author_url or None}
    db.session.execute(
        sa.update(ReceivedWebmention)
        .where(ReceivedWebmention.id == row_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def article_likes(article_id: int) -> list[ReceivedWebmention]:
    """The likes other sites sent an article, oldest first."""
    return list(
        db.session.scalars(
            sa.select(ReceivedWebmention)
            .where(ReceivedWebmention.article_id == article_id, ReceivedWebmention.kind == "like")
            .order_by(ReceivedWebmention.id)
        )
    )


RECEIVED_OUTBOX = Outbox(
    name="webmentions received",
    model=ReceivedWebmention,
    columns=(
        ReceivedWebmention.source,
        ReceivedWebmention.target,
        ReceivedWebmention.article_id,
        ReceivedWebmention.comment_id,
        ReceivedWebmention.ip_address,
        ReceivedWebmention.ip_block,
    ),
    send=verify,
    failures=(FetchError, TryLater),
    switch="WEBMENTION_ENABLED",
)
