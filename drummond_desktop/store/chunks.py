"""Bars as columnar chunks: timeframes, chunk keys, encoding and the merge of a chunk.

One row of ``bar_chunks`` holds every bar of one symbol and timeframe inside one time partition,
as six raw little-endian columns (``ts`` int64, OHLCV float64). Reading a chunk is six
``np.frombuffer`` calls, so loading a million bars moves ~48 MB of bytes instead of building
a million Python rows (``../shared/docs/performance-baselines.md`` §5: 35x faster than
``fetchall``, 48 B/bar).

Partitions (``chunk_key``):

* **Daily and longer** (``1d``, ``1w``, ``1mo``): the UTC calendar year of ``ts`` (a daily ``ts``
  is the session date at 00:00 UTC). A year is ~252 daily bars, ~12 KB: an incremental sync
  rewrites only the current year, and a key reads as a year in any SQL shell.
* **Intraday** (``Nm``, ``Nh``): a fixed span of 10,080 bars of the timeframe (1m: 7 days, 5m:
  35 days, 1h: 420 days), counted from Sunday 00:00 UTC. Every span is a whole number of weeks
  that starts on a Sunday, when no stock exchange trades, so a week's sessions are never split;
  a chunk holds at most 10,080 bars even for markets open around the clock (~0.5 MB), which
  bounds what an incremental sync has to rewrite, and stock-hour chunks hold thousands of bars,
  so the per-row overhead stays well under a byte per bar.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from engine.bars import Bars

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

DAY = 86_400
BARS_PER_INTRADAY_CHUNK = 10_080
# 1970-01-01 was a Thursday; three days later is the first Sunday 00:00 UTC.
SUNDAY_EPOCH = 3 * DAY

_TIMEFRAME = re.compile(r"^([1-9][0-9]{0,3})(m|h|d|w|mo)$")
_UNIT_SECONDS = {"m": 60, "h": 3_600, "d": DAY, "w": 7 * DAY}

COLUMNS = ("ts", "open", "high", "low", "close", "volume")
_LE_I64 = np.dtype("<i8")
_LE_F64 = np.dtype("<f8")


@dataclass(frozen=True)
class Timeframe:
    """A parsed timeframe: ``1m``, ``5m``, ``1h``, ``1d``, ``1w``, ``1mo`` (a count and a unit)."""

    name: str
    seconds: int  # nominal length; 0 for months (calendar lengths)

    @property
    def intraday(self) -> bool:
        return 0 < self.seconds < DAY

    @property
    def span(self) -> int:
        """Seconds per chunk for intraday timeframes (a whole number of weeks)."""
        return self.seconds * BARS_PER_INTRADAY_CHUNK


def parse_timeframe(name: str) -> Timeframe:
    """Parse ``"1d"``, ``"5m"``...; ``ValueError`` names the bad value and the accepted form."""
    m = _TIMEFRAME.match(name)
    if m is None:
        raise ValueError(f"timeframe {name!r} is not a count and a unit "
                         "(m, h, d, w, mo), e.g. 1m, 5m, 1h, 1d, 1w, 1mo")
    count, unit = int(m.group(1)), m.group(2)
    return Timeframe(name, 0 if unit == "mo" else count * _UNIT_SECONDS[unit])


def chunk_keys(tf: Timeframe, ts: I64) -> I64:
    """The chunk key of every timestamp (non-decreasing when ``ts`` is)."""
    if tf.intraday:
        return np.floor_divide(ts - SUNDAY_EPOCH, tf.span)
    years = ts.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64)
    return years + 1970


def chunk_key(tf: Timeframe, ts: int) -> int:
    return int(chunk_keys(tf, np.array([ts], dtype=np.int64))[0])


class Columns(NamedTuple):
    """The six columns of some bars, sorted by unique ``ts``."""

    ts: I64
    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64

    @property
    def n(self) -> int:
        """The number of bars (``len()`` would count the six fields)."""
        return int(self.ts.shape[0])

    def take(self, index: npt.NDArray[np.intp] | slice) -> Columns:
        return Columns(self.ts[index], self.open[index], self.high[index], self.low[index],
                       self.close[index], self.volume[index])

    def same_as(self, other: Columns) -> bool:
        """Bit-for-bit equality (``-0.0`` differs from ``0.0``: what the row would store)."""
        return all(a.shape == b.shape and a.tobytes() == b.tobytes()
                   for a, b in zip(self, other, strict=True))


def columns_of(bars: Bars) -> Columns:
    return Columns(bars.ts, bars.open, bars.high, bars.low, bars.close, bars.volume)


def encode(cols: Columns) -> tuple[bytes, ...]:
    """Six little-endian byte strings: the BLOB/BYTEA values of one chunk row."""
    return (cols.ts.astype(_LE_I64, copy=False).tobytes(),
            *(a.astype(_LE_F64, copy=False).tobytes() for a in cols[1:]))


def decode(blobs: Sequence[bytes | memoryview]) -> Columns:
    """The inverse of ``encode`` (read-only views of the row's bytes, no copy)."""
    ts = np.frombuffer(blobs[0], dtype=_LE_I64)
    rest = [np.frombuffer(b, dtype=_LE_F64) for b in blobs[1:]]
    n = ts.shape[0]
    if any(a.shape[0] != n for a in rest):
        raise ValueError("chunk columns have different lengths")
    return Columns(ts, *rest)


def decode_ts(blob: bytes | memoryview) -> I64:
    """Only the ``ts`` column of a chunk (coverage needs nothing else)."""
    return np.frombuffer(blob, dtype=_LE_I64)


@dataclass(frozen=True)
class MergeCounts:
    """What one merge did: new timestamps, changed existing bars, identical existing bars."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: MergeCounts) -> MergeCounts:
        return MergeCounts(self.inserted + other.inserted, self.updated + other.updated,
                           self.unchanged + other.unchanged)


def merge(old: Columns, new: Columns) -> tuple[Columns, MergeCounts]:
    """Merge incoming bars into a stored chunk by ``ts``: incoming bars win, every other stored
    bar is kept. Both inputs are sorted with unique ``ts``; so is the result."""
    if old.n == 0:
        return new, MergeCounts(inserted=new.n)
    if new.n == 0:
        return old, MergeCounts()
    if new.ts[0] > old.ts[-1]:  # the usual incremental sync: bars after the stored ones
        return Columns(*(np.concatenate(p) for p in zip(old, new, strict=True))), \
            MergeCounts(inserted=new.n)
    pos = np.searchsorted(new.ts, old.ts)
    hit = pos < new.n
    hit[hit] = new.ts[pos[hit]] == old.ts[hit]
    replaced_old = np.flatnonzero(hit)
    replaced_new = pos[hit]
    differs = np.zeros(replaced_old.shape[0], dtype=bool)
    for a, b in zip(old[1:], new[1:], strict=True):
        # Compare bits, not values, so a corrected -0.0 or NaN payload still counts as a change.
        differs |= a[replaced_old].view(np.int64) != b[replaced_new].view(np.int64)
    kept = old.take(np.flatnonzero(~hit))
    ts = np.concatenate((kept.ts, new.ts))
    order = np.argsort(ts, kind="stable")
    merged = Columns(*(np.concatenate(p)[order] for p in zip(kept, new, strict=True)))
    n_updated = int(differs.sum())
    counts = MergeCounts(inserted=new.n - replaced_old.shape[0], updated=n_updated,
                         unchanged=replaced_old.shape[0] - n_updated)
    return merged, counts


def split_by_chunk(tf: Timeframe, cols: Columns) -> list[tuple[int, Columns]]:
    """Cut sorted bars into ``(chunk_key, columns)`` pieces, one per partition they touch."""
    if cols.n == 0:
        return []
    keys = chunk_keys(tf, cols.ts)
    cuts = np.flatnonzero(np.diff(keys)) + 1
    starts = np.concatenate(([0], cuts))
    ends = np.concatenate((cuts, [cols.n]))
    return [(int(keys[s]), cols.take(slice(int(s), int(e))))
            for s, e in zip(starts, ends, strict=True)]
