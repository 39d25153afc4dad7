"""Dates as Italian readers expect them."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from blog.messages import MONTHS


def localize(moment: datetime, timezone: str) -> datetime:
    """Turn a stored naive-UTC datetime into local time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(timezone))


def italian_date(moment: datetime, timezone: str) -> str:
    """Format as "25 novembre 2026"."""
    local = localize(moment, timezone)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}"


def italian_datetime(moment: datetime, timezone: str) -> str:
    """Format as "25 novembre 2026 alle 15:10"."""
    local = localize(moment, timezone)
    return f"{italian_date(moment, timezone)} alle {local:%H:%M}"


def iso_datetime(moment: datetime) -> str:
    """Format for ``<time datetime=...>``, in UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
