"""Webhooks: a signed JSON POST to each of ``WEBHOOK_URLS`` for every new
comment and every change of status, so that a chat bot (Telegram, Slack,
Matrix) can be plugged in.

Deliveries go through the outbox (blog/notify/outbox.py), as mail does: written
in the transaction of the change, sent after the commit, retried with the
same growing delays. Each POST carries ``X-Blog-Signature: sha256=<hex>``,
the HMAC-SHA256 of the exact body with ``WEBHOOK_SECRET``, and
``X-Blog-Event``. The body names the comment and links to it; it holds no
email or IP address. New comments the filters put in Spam are not sent
(a spam wave must not become a webhook wave); moderators' changes are.

``WEBHOOK_TIMEOUT`` is a deadline for the whole POST, not for each read:
a receiver that answers one byte a second is cut off when it passes, the
delivery retried later. httpx has no such total, only per-operation
timeouts, so the POST runs on asyncio under ``asyncio.timeout``, which
cancels it wherever it waits.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import ssl
from typing import Any

import httpx
import sqlalchemy as sa
from flask import current_app

from blog.core.links import comment_link
from blog.extensions import db
from blog.models import Comment, CommentStatus, WebhookDelivery, utcnow
from blog.notify import outbox
from blog.notify.mail import quote

SIGNATURE_HEADER = "X-Blog-Signature"
EVENT_HEADER = "X-Blog-Event"


class WebhookRefused(Exception):
    """The receiver answered with something other than 2xx."""


def signature(secret: str, body: bytes) -> str:
    """What the receiver recomputes: ``sha256=`` and the HMAC of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _comment_data(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "article": {"slug": comment.article.slug, "title": comment.article.title},
        "author": comment.author,
        "status": comment.status.value,
        "parent_id": comment.parent_id,
        "created_at": comment.created_at.isoformat(timespec="seconds") + "Z",
        "text": quote(comment.body),
        "url": comment_link(comment),
    }


def enqueue(event: str, payload: dict[str, Any], comment_id: int | None) -> int:
    """Queue ``event`` for every configured URL; the caller commits."""
    urls = current_app.config["WEBHOOK_URLS"]
    if not urls:
        return 0
    body = json.dumps(
        {"event": event, "sent_at": utcnow().isoformat(timespec="seconds") + "Z", **payload},
        ensure_ascii=False,
        sort_keys=True,
    )
    for url in urls:
        db.session.add(WebhookDelivery(url=url, event=event, body=body, comment_id=comment_id))
    outbox.queued()
    return len(urls)


def comment_stored(sender: object, *, comment_id: int, status: CommentStatus, **_: object) -> None:
    if not current_app.config["WEBHOOK_URLS"] or status == CommentStatus.SPAM:
        return  # what the filters put in Spam is not news, as in mail
    comment = db.session.get_one(Comment, comment_id)
    enqueue("comment.created", {"comment": _comment_data(comment)}, comment_id)


def comment_edited(
    sender: object, *, comment_id: int, status: CommentStatus, previous: CommentStatus, **_: object
) -> None:
    """An author changed their comment: news, as a new comment is (Spam is not)."""
    if not current_app.config["WEBHOOK_URLS"] or status == CommentStatus.SPAM:
        return
    comment = db.session.get_one(Comment, comment_id)
    payload = {"comment": _comment_data(comment), "previous_status": previous.value}
    enqueue("comment.edited", payload, comment_id)


def comment_status_changed(
    sender: object,
    *,
    comment: Comment | None,
    comment_id: int,
    previous: CommentStatus,
    status: CommentStatus | None,
) -> None:
    if not current_app.config["WEBHOOK_URLS"]:
        return
    payload: dict[str, Any] = {
        "previous_status": previous.value,
        "status": status.value if status else "deleted",
    }
    if comment is not None:
        payload["comment"] = _comment_data(comment)
    else:
        payload["comment"] = {"id": comment_id}
    enqueue("comment.status_changed", payload, comment_id if comment is not None else None)


def post(row: sa.Row[Any]) -> None:
    """POST one delivery, signed, within ``WEBHOOK_TIMEOUT`` in all; anything
    but a 2xx answer is a failure."""
    config = current_app.config
    body = row.body.encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "blog-webhooks/1",
        SIGNATURE_HEADER: signature(config["WEBHOOK_SECRET"], body),
        EVENT_HEADER: row.event,
    }
    seconds = config["WEBHOOK_TIMEOUT"]
    try:
        status = asyncio.run(_post_within(row.url, body, headers, seconds))
    except TimeoutError:
        raise TimeoutError(f"no answer within {seconds} s (WEBHOOK_TIMEOUT)") from None
    if not 200 <= status < 300:
        raise WebhookRefused(f"HTTP {status}")


async def _post_within(url: str, body: bytes, headers: dict[str, str], seconds: float) -> int:
    """The status of the receiver's answer, all of it (connecting, sending,
    the status line and headers) within ``seconds``; its body is not read.

    A redirect is a failure (httpx follows none unless asked): the signed
    body goes to the configured URL or nowhere, and the blog makes no
    request anywhere a receiver points. Certificates are checked against
    the system's store, as the standard library does.
    """
    async with (
        asyncio.timeout(seconds),
        httpx.AsyncClient(timeout=seconds, verify=ssl.create_default_context()) as client,
        client.stream("POST", url, content=body, headers=headers) as response,
    ):
        return response.status_code


#: The webhook outbox.
WEBHOOK_OUTBOX = outbox.Outbox(
    name="webhooks",
    model=WebhookDelivery,
    columns=(WebhookDelivery.url, WebhookDelivery.event, WebhookDelivery.body),
    send=post,
    # TimeoutError, the deadline, is an OSError.
    failures=(OSError, httpx.HTTPError, WebhookRefused),
)
