"""``ohlc_columns``: bars aggregated per pixel column for charts (level of detail).

The kernel (``engine.nb.lod``) loads on first call, so importing this module costs numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.bars import Bars

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

__all__ = ["MinMaxPyramid", "OHLCColumns", "ohlc_columns"]

BLOCK = 32  # bars per pyramid block


@dataclass(frozen=True, eq=False)
class OHLCColumns:
    """One OHLC per non-empty column: ``first_index[j]`` is the first bar aggregated into column
    ``j``; column ``j`` ends where column ``j+1`` starts (the last one at ``stop - 1``)."""

    open: F64
    high: F64
    low: F64
    close: F64
    first_index: I64
    stop: int

    def __len__(self) -> int:
        return int(self.first_index.shape[0])

    @property
    def last_index(self) -> I64:
        """The last bar of each column."""
        nxt = np.empty_like(self.first_index)
        nxt[:-1] = self.first_index[1:]
        if nxt.size:
            nxt[-1] = self.stop
        return nxt - 1


def _columns(data: Bars | Sequence[npt.ArrayLike]) -> tuple[F64, F64, F64, F64]:
    if isinstance(data, Bars):
        return data.open, data.high, data.low, data.close
    if len(data) != 4:
        raise ValueError("expected Bars or four arrays (open, high, low, close)")
    cols = tuple(np.ascontiguousarray(a, dtype=np.float64) for a in data)
    n = cols[0].shape[0]
    if any(c.ndim != 1 or c.shape[0] != n for c in cols):
        raise ValueError("open, high, low and close must be 1-D arrays of one length")
    return cols[0], cols[1], cols[2], cols[3]


def ohlc_columns(data: Bars | Sequence[npt.ArrayLike], i0: int, i1: int,
                 ncols: int) -> OHLCColumns:
    """Aggregate bars ``i0..i1-1`` into at most ``ncols`` columns, never skipping a bar.

    Each column holds the first open, the highest high, the lowest low and the last close of its
    bars. Cost is O(i1 - i0); arrays are not copied.

    >>> import numpy as np
    >>> c = np.array([1.0, 5.0, 2.0, 3.0])
    >>> cols = ohlc_columns((c, c + 1, c - 1, c), 0, 4, 2)
    >>> cols.high.tolist(), cols.low.tolist(), cols.first_index.tolist()
    ([6.0, 4.0], [0.0, 1.0], [0, 2])
    """
    o, h, lo, c = _columns(data)
    n = o.shape[0]
    i0, i1, ncols = int(i0), int(i1), int(ncols)
    if not 0 <= i0 <= i1 <= n:
        raise ValueError(f"need 0 <= i0 <= i1 <= {n}, got i0={i0}, i1={i1}")
    if ncols < 1:
        raise ValueError(f"ncols must be >= 1, got {ncols}")
    from engine.nb.lod import ohlc_columns_nb

    size = min(ncols, i1 - i0)
    out = np.empty((4, size), dtype=np.float64)
    first = np.empty(size, dtype=np.int64)
    k = ohlc_columns_nb(o, h, lo, c, i0, i1, ncols, out[0], out[1], out[2], out[3], first)
    return OHLCColumns(out[0, :k], out[1, :k], out[2, :k], out[3, :k], first[:k], i1)


def _nan_last(v: float) -> float:
    """Sort key for ``min``: NaN loses to every number."""
    return math.inf if v != v else v


def _nan_first(v: float) -> float:
    """Sort key for ``max``: NaN loses to every number."""
    return -math.inf if v != v else v


class MinMaxPyramid:
    """Per-block NaN-skipping min of ``low`` and max of ``high`` (one level, ``block`` bars), so
    ``columns`` aggregates a view of ``w`` bars per column in O(block + w / block) per column.
    Built once per data set (O(N)); the arrays are kept by reference."""

    def __init__(self, low: npt.ArrayLike, high: npt.ArrayLike, block: int = BLOCK) -> None:
        self.low = np.ascontiguousarray(low, dtype=np.float64)
        self.high = np.ascontiguousarray(high, dtype=np.float64)
        if self.low.ndim != 1 or self.low.shape != self.high.shape:
            raise ValueError("low and high must be 1-D arrays of one length")
        if block < 1:
            raise ValueError(f"block must be >= 1, got {block}")
        self.block = int(block)
        nb = self.low.shape[0] // self.block  # full blocks only; the tail is scanned as bars
        m = nb * self.block
        self.blk_low: F64 = np.fmin.reduce(self.low[:m].reshape(nb, self.block), axis=1)
        self.blk_high: F64 = np.fmax.reduce(self.high[:m].reshape(nb, self.block), axis=1)

    def __len__(self) -> int:
        return int(self.low.shape[0])

    def range(self, i0: int, i1: int) -> tuple[float, float]:
        """NaN-skipping ``(min low, max high)`` of bars ``i0..i1-1`` (clipped to the data) in
        O(block + (i1 - i0) / block): whole blocks from the pyramid, the ends bar by bar.
        ``(nan, nan)`` when no bar is finite or the range is empty."""
        i0, i1 = max(int(i0), 0), min(int(i1), len(self))
        if i1 <= i0:
            return math.nan, math.nan
        ba = -(-i0 // self.block)
        bb = min(i1 // self.block, self.blk_low.shape[0])
        if bb <= ba:  # no whole block inside: scan the bars
            parts_lo, parts_hi = [self.low[i0:i1]], [self.high[i0:i1]]
        else:
            a, b = ba * self.block, bb * self.block
            parts_lo = [self.low[i0:a], self.blk_low[ba:bb], self.low[b:i1]]
            parts_hi = [self.high[i0:a], self.blk_high[ba:bb], self.high[b:i1]]
        lo = min((float(np.fmin.reduce(x)) for x in parts_lo if x.size), key=_nan_last)
        hi = max((float(np.fmax.reduce(x)) for x in parts_hi if x.size), key=_nan_first)
        return lo, hi

    def columns(self, i0: int, i1: int, ncols: int) -> tuple[I64, F64, F64]:
        """``(first_index, low, high)`` of bars ``i0..i1-1`` in at most ``ncols`` columns: the
        same columns, lows and highs as ``ohlc_columns`` (never skipping a bar)."""
        n = len(self)
        i0, i1, ncols = int(i0), int(i1), int(ncols)
        if not 0 <= i0 <= i1 <= n:
            raise ValueError(f"need 0 <= i0 <= i1 <= {n}, got i0={i0}, i1={i1}")
        if ncols < 1:
            raise ValueError(f"ncols must be >= 1, got {ncols}")
        from engine.nb.lod import minmax_columns_nb

        size = min(ncols, i1 - i0)
        lo = np.empty(size, dtype=np.float64)
        hi = np.empty(size, dtype=np.float64)
        first = np.empty(size, dtype=np.int64)
        k = minmax_columns_nb(self.low, self.high, self.blk_low, self.blk_high, self.block,
                              i0, i1, ncols, lo, hi, first)
        return first[:k], lo[:k], hi[:k]
