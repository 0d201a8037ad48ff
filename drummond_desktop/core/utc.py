"""UTC calendar arithmetic shared by the store, the feeds and the services: epoch seconds of a
UTC day's start and back. Pure integer maths (no time zones), so every layer agrees bit for bit."""

from __future__ import annotations

from datetime import date, timedelta

DAY = 86_400
EPOCH_DATE = date(1970, 1, 1)


def day_start(day: date) -> int:
    """Epoch seconds of 00:00 UTC on ``day``."""
    return (day - EPOCH_DATE).days * DAY


def utc_day(ts: int) -> date:
    """The UTC calendar day holding epoch second ``ts``."""
    return EPOCH_DATE + timedelta(days=int(ts) // DAY)
