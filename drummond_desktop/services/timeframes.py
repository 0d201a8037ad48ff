"""Higher timeframes built from stored bars: the interval switch's ``1m`` ... ``1M``.

A stopgap until the engine's resampling replaces it (ARCHITECTURE.md §3): Qt-free, pure numpy,
vectorised (``np.maximum.reduceat`` and friends; no Python loop per bar or per bucket).

What is built from what (``derivable``, ``base_candidates``):

* intraday (``5m`` ... ``4h``) from a finer stored intraday series whose length divides it;
* ``1d`` from intraday, only when no daily series is stored;
* ``1w`` (ISO week, Monday to Sunday) and ``1M`` (calendar month) from daily bars, stored or
  built. The store and EODHD call the monthly timeframe ``1mo``; the switch calls it ``1M``.

Buckets. Intraday buckets lie on a grid anchored to the session open in the exchange's time
zone (US: 09:30 America/New_York, daylight saving through ``zoneinfo``), so a 1h bar spans
09:30-10:30 local in summer and winter alike; days are the exchange's local calendar days.
With no known time zone the grid is anchored to 00:00 UTC.

Aggregation: first open, max high, min low, last close, summed volume.

Stamps: every built bar carries the stamp a stored bar of its interval carries.

* intraday: the bucket's start on the grid (the bar-start stamps EODHD's intraday bars carry);
* ``1d``: the session date at 00:00 UTC (``engine/bars.py``);
* ``1w`` and ``1M``: the date of the bucket's *last* daily bar, at 00:00 UTC. That is how the
  stored weekly and monthly files stamp them (``../shared/data/market/2006-week-001.txt`` dates
  its weeks on Fridays, ``2006-month-001.txt`` its months on their last session), so a built
  week equals a stored one bar for bar, and a weekly value is never dated before the session
  that completed it.

The last bucket may still be forming: ``BuiltBars.last_complete`` is False while the clock has
not passed its end (every earlier bucket is complete: a later base bar exists after its end). A
chart shows the forming bar; the engine must not treat it as a complete bar.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from drummond_desktop.core.utc import DAY
from engine.bars import Bars

I64 = npt.NDArray[np.int64]

INTERVALS = ("1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w", "1M")
INTRADAY_SECONDS = {"1m": 60, "5m": 300, "15m": 900, "30m": 1_800, "1h": 3_600, "4h": 14_400}
DEMO_INTERVALS = {"1d": ("1d", "1w", "1M"), "1m": ("1m", "5m", "15m", "30m", "1h", "1d")}
_STORE_NAMES = {"1M": "1mo"}  # what the store and EODHD call an interval, where it differs
_ALIASES = {"1mo": "1M"}
_NAME = re.compile(r"^([1-9][0-9]{0,3})(m|h|d|w|M|mo)$")
_UNIT_SECONDS = {"m": 60, "h": 3_600, "d": DAY, "w": 7 * DAY, "M": 31 * DAY, "mo": 31 * DAY}


# ------------------------------------------------------------------------------------ names


def canonical(interval: str) -> str:
    """The switch's name of ``interval`` (``1mo`` -> ``1M``; others unchanged)."""
    return _ALIASES.get(interval, interval)


def store_name(interval: str) -> str:
    """The store's name of ``interval`` (``1M`` -> ``1mo``; others unchanged)."""
    return _STORE_NAMES.get(canonical(interval), canonical(interval))


def interval_order(interval: str) -> tuple[int, str]:
    """Sort key: by nominal length (``1m`` < ``5m`` < ``1h`` < ``1d`` < ``1w`` < ``1M``); a
    name that is not a count and a unit sorts last."""
    m = _NAME.match(interval)
    if m is None:
        return (1 << 62, interval)
    return (int(m.group(1)) * _UNIT_SECONDS[m.group(2)], interval)


def derivable(stored: Iterable[str]) -> tuple[str, ...]:
    """``stored`` plus every interval that can be built from it, ordered ``1m`` ... ``1M``."""
    have = {canonical(s) for s in stored}
    intraday = [s for s in have if s in INTRADAY_SECONDS]
    for target, seconds in INTRADAY_SECONDS.items():
        if any(seconds > INTRADAY_SECONDS[b] and seconds % INTRADAY_SECONDS[b] == 0
               for b in intraday):
            have.add(target)
    if intraday:
        have.add("1d")
    if "1d" in have:
        have.update(("1w", "1M"))
    return tuple(sorted(have, key=interval_order))


def base_candidates(interval: str) -> tuple[str, ...]:
    """What ``interval`` can be built from, in the order to try (finest intraday first)."""
    target = canonical(interval)
    if target in INTRADAY_SECONDS:
        size = INTRADAY_SECONDS[target]
        return tuple(b for b, s in INTRADAY_SECONDS.items() if s < size and size % s == 0)
    if target == "1d":
        return tuple(b for b in INTRADAY_SECONDS if b != "4h")
    if target in ("1w", "1M"):
        return ("1d",)
    return ()


# --------------------------------------------------------------------------------- sessions


@dataclass(frozen=True)
class SessionAnchor:
    """Where intraday buckets start: ``open_local`` in the IANA ``timezone`` (empty: UTC)."""

    timezone: str = ""
    open_local: time = time(0, 0)

    def __post_init__(self) -> None:
        if self.timezone:
            try:
                ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {self.timezone!r} (an IANA name such "
                                 "as America/New_York is expected)") from None

    @property
    def open_seconds(self) -> int:
        t = self.open_local
        return t.hour * 3_600 + t.minute * 60 + t.second


UTC_ANCHOR = SessionAnchor()


def utc_offsets(ts: I64, timezone: str) -> I64:
    """The zone's UTC offset in seconds at each (sorted) ``ts``: one zoneinfo call per
    calendar day touched, bisection to the second on the rare day the offset changes."""
    n = ts.shape[0]
    if not timezone or n == 0:
        return np.zeros(n, dtype=np.int64)
    zone = ZoneInfo(timezone)
    days = np.floor_divide(ts, DAY)
    firsts = np.concatenate(([0], np.flatnonzero(np.diff(days)) + 1))
    which = np.cumsum(np.r_[0, np.diff(days) != 0])  # the day index of each bar
    starts = days[firsts] * DAY
    before = np.array([_offset(zone, int(t)) for t in starts], dtype=np.int64)
    after = np.array([_offset(zone, int(t) + DAY - 1) for t in starts], dtype=np.int64)
    switch = np.full(starts.shape[0], np.iinfo(np.int64).max, dtype=np.int64)
    for k in np.flatnonzero(before != after):  # about two days a year
        switch[k] = _transition(zone, int(starts[k]), int(before[k]))
    offsets: I64 = np.where(ts < switch[which], before[which], after[which])
    return offsets


def _offset(zone: ZoneInfo, t: int) -> int:
    off = datetime.fromtimestamp(t, zone).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def _transition(zone: ZoneInfo, day_start: int, before: int) -> int:
    """The first second of the day ``[day_start, day_start + DAY)`` with a new offset."""
    lo, hi = day_start, day_start + DAY - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if _offset(zone, mid) == before:
            lo = mid + 1
        else:
            hi = mid
    return lo


# ---------------------------------------------------------------------------------- building


@dataclass(frozen=True, eq=False)
class BuiltBars:
    """Bars of ``bars.timeframe`` built from ``base`` bars. When ``last_complete`` is False the
    last bar is still forming: charts show it, the engine must not treat it as complete."""

    bars: Bars
    base: str
    last_complete: bool

    @property
    def interval(self) -> str:
        return self.bars.timeframe


def build(base: Bars, interval: str, session: SessionAnchor = UTC_ANCHOR, *,
          now: float) -> BuiltBars:
    """Build ``interval`` bars from ``base`` (whose ``timeframe`` names its interval); ``now``
    (epoch seconds) decides whether the last bucket is complete. ``ValueError`` names both
    intervals when ``interval`` cannot be built from ``base``."""
    source, target = canonical(base.timeframe), canonical(interval)
    if source not in base_candidates(target):
        raise ValueError(f"cannot build {interval} bars from {base.timeframe or 'unnamed'} "
                         f"bars (from {', '.join(base_candidates(target)) or 'nothing'})")
    if len(base) == 0:
        return BuiltBars(Bars.empty(symbol=base.symbol, timeframe=target), source, True)
    if target in INTRADAY_SECONDS:
        groups, stamps, end = _intraday_groups(base.ts, INTRADAY_SECONDS[target], session)
    elif target == "1d":
        groups, stamps, end = _day_groups(base.ts, session.timezone)
    else:
        groups, stamps, end = _calendar_groups(base.ts, target, session.timezone)
    bars = _aggregate(base, groups, stamps, target)
    return BuiltBars(bars, source, now >= end)


def _run_starts(ids: I64) -> I64:
    """Index of the first bar of each run of equal bucket ids."""
    return np.concatenate(([0], np.flatnonzero(np.diff(ids)) + 1)).astype(np.int64)


def _intraday_groups(ts: I64, width: int, session: SessionAnchor) -> tuple[I64, I64, float]:
    local = ts + utc_offsets(ts, session.timezone)
    elapsed = local - session.open_seconds
    # A running max folds the hour repeated when clocks go back into the bucket it interrupts,
    # so buckets stay in time order.
    ids = np.maximum.accumulate(np.floor_divide(elapsed, width))
    firsts = _run_starts(ids)
    grid = ts[firsts] - (elapsed[firsts] - ids[firsts] * width)
    # After a clock change the grid start may fall before the previous bucket's last bar:
    # stamp such a bucket at its first bar instead, so stamps stay unique and sorted.
    prev_last = np.r_[np.iinfo(np.int64).min, ts[firsts[1:] - 1]]
    stamps = np.where(grid > prev_last, grid, ts[firsts])
    return firsts, stamps, float(grid[-1] + width)


def _day_groups(ts: I64, timezone: str) -> tuple[I64, I64, float]:
    offsets = utc_offsets(ts, timezone)
    ids = np.maximum.accumulate(np.floor_divide(ts + offsets, DAY))
    firsts = _run_starts(ids)
    end = (int(ids[-1]) + 1) * DAY - int(offsets[-1])  # local midnight after the last session
    return firsts, ids[firsts] * DAY, float(end)


def _calendar_groups(ts: I64, target: str, timezone: str) -> tuple[I64, I64, float]:
    days = np.floor_divide(ts, DAY)
    if target == "1w":
        ids = days - (days + 3) % 7  # the ISO week's Monday (1970-01-01 was a Thursday)
        end_day = int(ids[-1]) + 7
    else:
        ids = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        end_day = int(np.datetime64(int(ids[-1]) + 1, "M").astype("datetime64[D]").astype(
            np.int64))
    firsts = _run_starts(ids)
    lasts = np.r_[firsts[1:], ts.shape[0]] - 1
    end = end_day * DAY
    end -= int(utc_offsets(np.array([end], dtype=np.int64), timezone)[0])
    return firsts, ts[lasts], float(end)


def _aggregate(base: Bars, firsts: I64, stamps: I64, timeframe: str) -> Bars:
    lasts = np.r_[firsts[1:], len(base)] - 1
    return Bars.from_arrays(stamps, base.open[firsts], np.maximum.reduceat(base.high, firsts),
                            np.minimum.reduceat(base.low, firsts), base.close[lasts],
                            np.add.reduceat(base.volume, firsts), symbol=base.symbol,
                            timeframe=timeframe)
