"""Daily bars built for the alert tests: weekday sessions from Monday 2024-01-01, each bar
given by its close (and, where it matters, its high and low)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from drummond_desktop.core.utc import day_start
from engine import Bars

MONDAY = date(2024, 1, 1)


def weekdays(n: int, start: date = MONDAY) -> list[int]:
    """``n`` weekday sessions (00:00 UTC epoch seconds) from ``start``."""
    out: list[int] = []
    day = start
    while len(out) < n:
        if day.weekday() < 5:
            out.append(day_start(day))
        day += timedelta(days=1)
    return out


def bars(closes: Sequence[float], symbol: str = "AAA.US", *,
         highs: dict[int, float] | None = None, lows: dict[int, float] | None = None,
         spread: float = 0.5) -> Bars:
    """Bar i opens at the previous close and closes at ``closes[i]``; its high and low are
    ``spread`` beyond open and close unless ``highs``/``lows`` set them."""
    highs, lows = highs or {}, lows or {}
    opens = [closes[0], *closes[:-1]]
    pairs = list(enumerate(zip(opens, closes, strict=True)))
    hi = [highs.get(i, max(o, c) + spread) for i, (o, c) in pairs]
    lo = [lows.get(i, min(o, c) - spread) for i, (o, c) in pairs]
    return Bars.from_arrays(weekdays(len(closes)), opens, hi, lo, closes,
                            [1000.0] * len(closes), symbol=symbol, timeframe="1d")


def rising(n: int, start: float = 100.0, step: float = 1.0) -> list[float]:
    return [start + step * i for i in range(n)]
