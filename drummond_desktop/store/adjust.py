"""Split- and dividend-adjusted series computed from raw bars and stored corporate actions.

The store keeps raw (unadjusted) OHLCV. EODHD's ``adjusted_close`` is recomputed by the vendor
each time a new split or dividend arrives (the whole past changes), so an adjusted history
assembled from incremental syncs would be corrupt; the adjusted series is computed here instead,
on demand, from the raw bars and the stored actions. Pure numpy: no database, no I/O.

Backward adjustment (the latest bar stays as traded; history is rescaled):

* **split** ``numerator/denominator`` (ratio ``r``; 4-for-1 is ``r = 4``) effective on its
  ex-date ``E``: every bar before ``E`` has open/high/low/close divided by ``r`` and volume
  multiplied by ``r``.
* **dividend** of raw amount ``D`` with ex-date ``E``: every bar before ``E`` has its prices
  multiplied by ``1 - D / C`` where ``C`` is the raw close of the last bar before ``E`` (the
  CRSP method EODHD uses). ``D`` is ``unadjusted_value`` (the amount paid at the time, in the
  same units as the raw close); when that is missing it is rebuilt as ``value`` times the ratios
  of the splits after ``E``, since ``value`` is expressed in today's shares. Volume is unchanged.
  A dividend without a bar before it, or with ``D <= 0`` or ``D >= C``, changes nothing.

"Before ``E``" means ``ts`` earlier than ``E`` at 00:00 UTC: daily bars carry their session
date at 00:00 UTC; intraday bars of exchanges whose session opens before 00:00 UTC (Sydney,
Auckland in their summer) would need the exchange's day boundary instead - not handled yet.
Factors of several actions multiply.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from drummond_desktop.core.utc import day_start
from engine.bars import Bars

F64 = npt.NDArray[np.float64]
AdjustMode = Literal["none", "splits", "all"]
ADJUST_MODES: tuple[AdjustMode, ...] = ("none", "splits", "all")


@dataclass(frozen=True)
class Split:
    """``numerator`` new shares for ``denominator`` old ones, effective on ``date``
    (EODHD ``"4.000000/1.000000"`` is ``Split(date, 4.0, 1.0)``)."""

    date: dt.date
    numerator: float
    denominator: float

    def __post_init__(self) -> None:
        if not (self.numerator > 0 and self.denominator > 0):
            raise ValueError(f"split on {self.date}: ratio {self.numerator}/{self.denominator} "
                             "must be positive")

    @property
    def ratio(self) -> float:
        return self.numerator / self.denominator


@dataclass(frozen=True)
class Dividend:
    """A cash dividend by ex-date. ``value`` is in today's shares (split-adjusted, EODHD
    ``value``); ``unadjusted_value`` is what was paid per share at the time."""

    ex_date: dt.date
    value: float
    unadjusted_value: float | None = None
    currency: str = ""
    declaration_date: dt.date | None = None
    record_date: dt.date | None = None
    payment_date: dt.date | None = None
    period: str = ""


def raw_amount(div: Dividend, splits: Sequence[Split]) -> float:
    """The dividend per share as paid at the time (see the module notes)."""
    if div.unadjusted_value is not None and np.isfinite(div.unadjusted_value):
        return float(div.unadjusted_value)
    later = [s.ratio for s in splits if s.date > div.ex_date]
    return float(div.value * np.prod(later)) if later else float(div.value)


def factors(ts: npt.NDArray[np.int64], close: F64, splits: Sequence[Split],
            dividends: Sequence[Dividend], mode: AdjustMode) -> tuple[F64, F64]:
    """Per-bar multipliers ``(price, volume)`` for ``mode`` (``ts`` sorted, ``close`` raw)."""
    if mode not in ADJUST_MODES:
        raise ValueError(f"adjust mode {mode!r} is not one of {ADJUST_MODES}")
    n = ts.shape[0]
    # step[j] applies to bars 0..j; a reversed cumulative product spreads it backwards.
    price_step = np.ones(n)
    volume_step = np.ones(n)
    if mode == "none" or n == 0:
        return price_step, volume_step
    for split in splits:
        last = int(np.searchsorted(ts, day_start(split.date), side="left")) - 1
        if last >= 0:
            price_step[last] /= split.ratio
            volume_step[last] *= split.ratio
    if mode == "all":
        for div in dividends:
            last = int(np.searchsorted(ts, day_start(div.ex_date), side="left")) - 1
            amount = raw_amount(div, splits)
            if last >= 0 and 0.0 < amount < close[last]:
                price_step[last] *= 1.0 - amount / close[last]
    price = np.cumprod(price_step[::-1])[::-1].astype(np.float64, copy=False)
    volume = np.cumprod(volume_step[::-1])[::-1].astype(np.float64, copy=False)
    return price, volume


def adjust(bars: Bars, splits: Sequence[Split], dividends: Sequence[Dividend],
           mode: AdjustMode) -> Bars:
    """Raw ``bars`` adjusted for ``splits`` (mode ``"splits"``) or splits and dividends
    (``"all"``); ``"none"`` returns ``bars`` itself."""
    price, volume = factors(bars.ts, bars.close, splits, dividends, mode)
    if mode == "none":
        return bars
    return Bars.from_arrays(bars.ts, bars.open * price, bars.high * price, bars.low * price,
                            bars.close * price, bars.volume * volume,
                            symbol=bars.symbol, timeframe=bars.timeframe)
