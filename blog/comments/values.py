"""What every record of a new comment holds: its text, and the client that sent it.

The form's draft, the comment to store, what the spam checks look at and
what Akismet is sent each hold these two values, rather than copies of
their fields.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommentText:
    """What a comment says, and who signs it, as written (and validated)."""

    author: str
    email: str
    url: str
    body: str


@dataclass(frozen=True)
class Client:
    """Who sent a comment, as the server saw them: never shown to readers.

    A field is empty where it is not known.
    """

    ip_address: str = ""
    #: The address's block (blog/core/addresses.py), what flood control compares.
    ip_block: str | None = None
    user_agent: str = ""
