"""Level of detail for charts: bars aggregated into pixel columns without skipping a row.

When more bars are visible than the chart has pixel columns, a chart draws one OHLC per column:
the first open, the highest high, the lowest low and the last close of the bars that fall in it,
so every extreme of the visible series survives (a spike on any one bar is still drawn).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engine._jit import kernel

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@kernel
def ohlc_columns_nb(
    opn: F64, high: F64, low: F64, close: F64, i0: int, i1: int, ncols: int,
    out_open: F64, out_high: F64, out_low: F64, out_close: F64, out_first_index: I64,
) -> int:
    """Aggregate bars ``i0..i1-1`` into ``ncols`` equal-width columns; return the columns filled.

    Bar ``i`` goes to column ``(i - i0) * ncols // (i1 - i0)``. Non-empty columns are written in
    order to the first ``k`` slots of the outputs (``k == ncols`` when ``i1 - i0 >= ncols``);
    ``out_first_index[j]`` is the first bar of slot ``j``, so slot ``j`` holds bars
    ``out_first_index[j] .. out_first_index[j+1]-1`` (the last slot ends at ``i1 - 1``).
    NaN highs and lows are skipped (a column of NaNs gives NaN); opens and closes are taken as is.
    """
    n = i1 - i0
    if n <= 0 or ncols <= 0:
        return 0
    k = -1
    col = -1
    for i in range(i0, i1):
        c = ((i - i0) * ncols) // n
        if c != col:
            col = c
            k += 1
            out_first_index[k] = i
            out_open[k] = opn[i]
            out_high[k] = np.nan
            out_low[k] = np.nan
        h = high[i]
        lo = low[i]
        if h == h and not h <= out_high[k]:
            out_high[k] = h
        if lo == lo and not lo >= out_low[k]:
            out_low[k] = lo
        out_close[k] = close[i]
    return k + 1


@kernel
def minmax_columns_nb(
    low: F64, high: F64, blk_low: F64, blk_high: F64, block: int, i0: int, i1: int, ncols: int,
    out_low: F64, out_high: F64, out_first_index: I64,
) -> int:
    """``ohlc_columns_nb``'s columns (same bar-to-column rule, same NaN skipping) for the lows
    and highs only, read through a one-level min/max pyramid: ``blk_low[b]``/``blk_high[b]`` are
    the NaN-skipping min/max of bars ``b*block .. (b+1)*block-1``. A column of ``w`` bars costs
    O(block + w / block) instead of O(w); every bar still counts (exact min/max)."""
    n = i1 - i0
    if n <= 0 or ncols <= 0:
        return 0
    k = 0
    for c in range(ncols):
        a = i0 + (c * n + ncols - 1) // ncols
        b = i0 + ((c + 1) * n + ncols - 1) // ncols
        if b > i1:
            b = i1
        if a >= b:
            continue
        lo_v = np.nan
        hi_v = np.nan
        ba = (a + block - 1) // block
        bb = b // block
        if bb <= ba:
            ba = bb = 0  # no full block: scan the bars
            head_end = b
        else:
            head_end = ba * block
        for i in range(a, head_end):
            h = high[i]
            lo = low[i]
            if h == h and not h <= hi_v:
                hi_v = h
            if lo == lo and not lo >= lo_v:
                lo_v = lo
        for j in range(ba, bb):
            h = blk_high[j]
            lo = blk_low[j]
            if h == h and not h <= hi_v:
                hi_v = h
            if lo == lo and not lo >= lo_v:
                lo_v = lo
        if bb > ba:
            for i in range(bb * block, b):
                h = high[i]
                lo = low[i]
                if h == h and not h <= hi_v:
                    hi_v = h
                if lo == lo and not lo >= lo_v:
                    lo_v = lo
        out_low[k] = lo_v
        out_high[k] = hi_v
        out_first_index[k] = a
        k += 1
    return k
