"""Higher timeframes built from stored bars: the interval switch's ``1m`` ... ``1M``.

Names and what is built from what live here; the building itself is ``engine.resample``
(session-anchored, DST-correct, holidays and early closes from the session). Qt-free.

What is built from what (``derivable``, ``base_candidates``):

* intraday (``5m`` ... ``4h``) from a finer stored intraday series whose length divides it;
* ``1d`` from intraday, only when no daily series is stored;
* ``1w`` (ISO week, Monday to Sunday) and ``1M`` (calendar month) from daily bars, stored or
  built. The store and EODHD call the monthly timeframe ``1mo``; the switch calls it ``1M``.

Sessions (``services.sessions``): the exchange's stored calendar, else the engine's built-in
one. Intraday buckets lie on a grid anchored to the session open in the exchange's time zone
(US: 09:30 America/New_York), so a 1h bar spans 09:30-10:30 local in summer and winter alike;
an early close ends the day's last bucket; bars outside the regular session (pre/post market,
holidays) are left out of built bars. Daily bars are the exchange's local session days.

Stamps: every built bar carries the stamp a stored bar of its interval carries: intraday the
bucket's start; ``1d`` the session date at 00:00 UTC; ``1w`` and ``1M`` the date of the
bucket's *last* session at 00:00 UTC, as the stored weekly and monthly files date them
(``../shared/data/market/2006-week-001.txt``), so a built week equals a stored one bar for bar
and a weekly value is never dated before the session that completed it.

The last bucket may still be forming: ``BuiltBars.last_complete`` is False while the clock has
not reached its end (the session close of its last trading day). A chart shows the forming bar;
the engine must not treat it as a complete bar.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from drummond_desktop.core.utc import DAY
from engine.bars import Bars

if TYPE_CHECKING:
    from engine.resample import Session

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


def build(base: Bars, interval: str, session: Session | None = None, *,
          now: float) -> BuiltBars:
    """Build ``interval`` bars from ``base`` (whose ``timeframe`` names its interval) with
    ``engine.resample`` in ``session`` (default: the built-in session of ``base.symbol``);
    ``now`` (epoch seconds) decides whether the last bucket is complete. ``ValueError`` names
    both intervals when ``interval`` cannot be built from ``base``."""
    from engine.resample import resample

    source, target = canonical(base.timeframe), canonical(interval)
    if source not in base_candidates(target):
        raise ValueError(f"cannot build {interval} bars from {base.timeframe or 'unnamed'} "
                         f"bars (from {', '.join(base_candidates(target)) or 'nothing'})")
    if len(base) == 0:
        return BuiltBars(Bars.empty(symbol=base.symbol, timeframe=target), source, True)
    named = _renamed(base, store_name(source))
    out = resample(named, store_name(target), session=session, now=now)
    return BuiltBars(_renamed(out.bars, target), source, out.last_complete)


def _renamed(bars: Bars, timeframe: str) -> Bars:
    if bars.timeframe == timeframe:
        return bars
    return Bars(ts=bars.ts, open=bars.open, high=bars.high, low=bars.low, close=bars.close,
                volume=bars.volume, symbol=bars.symbol, timeframe=timeframe, _validated=True)
