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
