"""The time as the database stores it."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Return the current time as a naive UTC datetime, the form stored."""
    return datetime.now(UTC).replace(tzinfo=None)
