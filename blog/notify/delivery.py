"""The one delivery loop: what leaves the site, and in what order.

:func:`deliver_due` is the only place that decides the order, and it is
the same wherever it runs:

1. make what fell due: the moderators' digests whose hour or day is over
   (blog/notify/moderator_mail.py), committed;
2. send every outbox: received Webmentions verified
   (blog/webmention/verifying.py), mail (blog/notify/smtp.py), webhooks
   (blog/notify/webhooks.py), Webmentions sent
   (blog/webmention/sending.py), each row claimed, sent and its outcome
   written in short transactions of their own (blog/notify/outbox.py).

Making comes first, so that a digest that fell due leaves in the round
that made it. It runs after a request that put something in an outbox
(``outbox.queued``): in the background sender (``MAIL_BACKGROUND``, so
that no reader waits for an SMTP server), else in the request's teardown;
and in ``flask send-mail``, from cron, for retries on a quiet blog. A step
that fails in a way no retry explains is logged and rolled back, and the
other steps still run: nothing about delivery can fail a request.

The background sender is one thread per process at most: a request that
finds it running only asks it for one more round, so a burst of comments
and a slow receiver never pile up threads. Each send has its deadline
(blog/notify/smtp.py, blog/notify/webhooks.py), so a round ends.

What runs under the write lock
------------------------------

The domain announces a change (blog/signals.py) inside the transaction
that makes it, and the receivers wired in blog/notify/__init__.py run
there, before its commit, so that a change and what is said about it are
kept or lost together. On SQLite that transaction holds the database's one
write lock: a comment's POST takes it as the comment is inserted (``BEGIN
IMMEDIATE`` in ``write_transaction``), a moderator's action with the
request's first query (every POST begins ``IMMEDIATE``). Under it the
receivers:

* ``moderator_mail.comment_stored``: read the moderators who want to hear
  of the comment; for each one mailed at once, sign the action links, read
  the comment's history (why the filters held it) and, when it is
  published, its page, then render ``moderator_comment.txt`` and add the
  message; for each one on a digest, add a ``DigestEntry`` (the digest is
  rendered later, in this loop, outside any request's transaction);
* ``subscriptions.comment_stored``: for a comment whose author ticked
  "Avvisami…", record the subscription (a savepoint) and, unless the
  browser posting confirmed the address, claim and render the
  confirmation; for a published comment, and
  ``subscriptions.comment_approved`` for an approved one, read
  the confirmed subscribers of the comment, of its parent and of the
  article and the comment's page (once), then render one mail per address;
* ``webhooks.comment_stored`` and ``comment_status_changed``: read the
  comment's page and write one JSON body per URL.

So mail bodies are rendered under the lock, one per address, and the time
it is held grows with the followers of an article; no network is touched
there (SMTP and HTTP happen in this loop, after the commit). The bodies
stay rendered there because the outbox row is the finished message, what
a retry sends again and what the privacy export shows: rendering later
would need a second transaction after the commit (a comment kept and its
mail lost if the worker stops in between) or rows that store what to
render instead of the body. docs/mail.md gives the measured cost.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from flask import Flask, current_app, g

from blog.extensions import db
from blog.notify import moderator_mail, outbox, smtp, webhooks
from blog.webmention import sending, verifying

log = logging.getLogger(__name__)

#: Every outbox, in the order they are sent: received Webmentions first,
#: so that the mail and webhooks about the comments they become leave in
#: the same round.
OUTBOXES = (
    verifying.RECEIVED_OUTBOX,
    smtp.MAIL_OUTBOX,
    webhooks.WEBHOOK_OUTBOX,
    sending.SENT_OUTBOX,
)
#: Where an app keeps its background sender.
SENDER_KEY = "outbox_sender"


@dataclass
class Round:
    """What one run of the loop did."""

    digests: int = 0
    #: Each outbox's name: (sent, failed and to be retried).
    sent: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: A step raised something no retry explains (logged).
    broken: bool = False

    @property
    def failed(self) -> bool:
        return self.broken or any(failed for _, failed in self.sent.values())


def deliver_due(limit: int = 50) -> Round:
    """Make the digests that fell due, then send what is due in every outbox.

    Logs, never raises: each step runs whatever the one before did.
    """
    done = Round()
    try:
        done.digests = moderator_mail.queue_due_digests()
        db.session.commit()
    except Exception:  # never let delivery take a worker down
        _broken(done, "digests")
    for box in OUTBOXES:
        if box.switch and not current_app.config[box.switch]:
            continue
        try:
            done.sent[box.name] = outbox.send_due(box, limit)
        except Exception:
            _broken(done, box.name)
    return done


def _broken(done: Round, step: str) -> None:
    log.exception("delivery failed: %s", step)
    db.session.rollback()
    done.broken = True


class BackgroundSender:
    """The one thread of a process that runs the loop after requests.

    :meth:`wake` starts it, or, when it is running, asks it for one more
    round once the current one ends (what a request queued may have
    arrived too late for it). It stops when a round ends with no request
    for another.
    """

    THREAD_NAME = "outbox-delivery"

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._another_round = False
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Have the loop run soon, starting the thread only if none runs."""
        with self._lock:
            self._another_round = True
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._run, name=self.THREAD_NAME, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while self._take_round():
            with self.app.app_context():
                try:
                    deliver_due()
                finally:
                    db.session.remove()

    def _take_round(self) -> bool:
        """Take the request for a round, or stop: one decision under the
        lock, so that a wake-up never goes to a thread that is leaving."""
        with self._lock:
            if not self._another_round:
                self._thread = None
                return False
            self._another_round = False
            return True


def deliver_in_background(app: Flask) -> None:
    """Run the loop without holding up the request that queued something."""
    app.extensions[SENDER_KEY].wake()


def deliver_after_request(app: Flask, error: BaseException | None) -> None:
    """Once a request that queued something has committed, run the loop."""
    if error is not None or not g.pop(outbox.QUEUED_KEY, False):
        return
    if app.config["MAIL_BACKGROUND"]:
        deliver_in_background(app)
        return
    try:
        db.session.rollback()  # whatever the view left uncommitted is not ours to send
    except Exception:
        log.exception("rollback before delivery failed")
        return
    deliver_due()
