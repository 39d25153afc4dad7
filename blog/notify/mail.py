"""Composing mail: every message the blog writes goes through :func:`compose`.

``compose`` puts the site's name before the subject (``[SITE_NAME] …``),
renders the body from its template in ``templates/email/``, ends mail to
readers with the unsubscribe footer, and adds the message to the mail
outbox (blog/notify/outbox.py), stored by the caller's commit; it leaves
after that commit (blog/notify/delivery.py), by SMTP
(blog/notify/smtp.py). What moderators' mail, readers' mail and webhooks
share is here too: how much of a comment they quote, and a stranger's name
written on one line.
"""

from __future__ import annotations

import re
from email.utils import make_msgid

from flask import current_app

from blog.extensions import db
from blog.models import MailMessage
from blog.notify import outbox

#: The end of every mail to a reader: why they get it, and how to stop it.
FOOTER = "email/_footer.txt"
#: How much of a comment a message quotes.
QUOTE_LIMIT = 500


def compose(
    to_address: str,
    subject: str,
    template: str,
    *,
    comment_id: int | None = None,
    unsubscribe_url: str | None = None,
    **context: object,
) -> MailMessage:
    """Write one mail into the outbox; the caller's commit stores it.

    ``subject`` is what follows the site's name; ``template`` (in
    ``templates/email/``) gets ``context`` and ``site``. With an
    ``unsubscribe_url`` (mail to readers) the body ends with the footer
    and the message carries ``List-Unsubscribe``.
    """
    site = current_app.config["SITE_NAME"]
    body = render(template, site=site, **context)
    if unsubscribe_url:
        body += "\n" + render(FOOTER, unsubscribe_url=unsubscribe_url)
    domain = current_app.config["MAIL_FROM"].rpartition("@")[2] or None
    message = MailMessage(
        to_address=to_address,
        subject=f"[{site}] {subject}"[:300],
        body=body + "\n",
        message_id=make_msgid(domain=domain),
        unsubscribe_url=unsubscribe_url,
        comment_id=comment_id,
    )
    db.session.add(message)
    outbox.queued()
    return message


def render(template: str, **context: object) -> str:
    """A template of ``templates/email/``, as plain text.

    Rendered by the Jinja environment alone: mail is written in requests,
    in commands and in tests, and needs none of a page's context.
    """
    return current_app.jinja_env.get_template(template).render(**context)


def quote(text: str) -> str:
    """At most the first ``QUOTE_LIMIT`` characters of a comment, cut at a word."""
    if len(text) <= QUOTE_LIMIT:
        return text
    return text[:QUOTE_LIMIT].rsplit(" ", 1)[0].rstrip() + " […]"


_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(value: str | None) -> str:
    """A value on one line: what the form refuses may still come from an import."""
    return _LINE_BREAKS.sub(" ", value or "").strip()
