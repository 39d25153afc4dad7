"""Dates in the configured time zone, for ``<time datetime>`` and for people.

Dates for people are written by Babel in the language of the moment
(``blog/core/i18n.py``): "25 novembre 2026 alle 15:10", "November 25, 2026 at
3:10 PM".
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def localize(moment: datetime, timezone: str) -> datetime:
    """Turn a stored naive-UTC datetime into local time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(timezone))


def iso_datetime(moment: datetime) -> str:
    """Format for ``<time datetime=...>``, in UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
