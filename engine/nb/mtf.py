"""Multi-timeframe kernels (spec §B9): the provisional ("live") HTF dot from a partial period,
and the higher-timeframe support/resistance tests of every bar from its pooled levels.

The overlay itself is a gather (``htf_values[period]``) that numpy does without a loop.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from engine._jit import kernel

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B1 = npt.NDArray[np.bool_]


@kernel
def htf_live_nb(
    H: F64, L: F64, C: F64, PERIOD: I64, HH: F64, HL: F64, HC: F64, win: int, hl_avg: bool,
    PL: F64, ETOP: F64, EBOT: F64, OOD: F64, OOH: F64, OOL: F64,
) -> None:
    """At the close of base bar i: the HTF projection for period ``PERIOD[i] + 1`` as if the
    partial period ``p = PERIOD[i]`` ended now.

    The partial HTF bar is the running high, low and last close of the base bars of period p up
    to i (bars of one period are consecutive); ``HH/HL/HC`` are the complete HTF bars, of which
    the ``win - 1`` before p join it. Arithmetic as ``engine.drummond.live_projection``: sums in
    time order, oldest first. Bars with ``p < 0`` (before the first period) get NaN; the dot and
    envelope are NaN while fewer than ``win - 1`` complete periods precede p.
    """
    n = H.shape[0]
    cur = -2
    run_h = np.nan
    run_l = np.nan
    for i in range(n):
        p = PERIOD[i]
        if p < 0:
            PL[i] = ETOP[i] = EBOT[i] = OOD[i] = OOH[i] = OOL[i] = np.nan
            continue
        if p != cur:
            cur = p
            run_h = H[i]
            run_l = L[i]
        else:
            run_h = max(run_h, H[i])
            run_l = min(run_l, L[i])
        last = C[i]
        tp = (run_h + run_l + last) / 3.0
        OOD[i] = tp
        OOH[i] = 2.0 * tp - run_l
        OOL[i] = 2.0 * tp - run_h
        if p < win - 1:
            PL[i] = ETOP[i] = EBOT[i] = np.nan
            continue
        sh = 0.0
        sl = 0.0
        sc = 0.0
        for j in range(p - win + 1, p):
            sh += HH[j]
            sl += HL[j]
            sc += HC[j]
        sh += run_h
        sl += run_l
        sc += last
        pl = (sh + sl + sc) / (3.0 * win)
        PL[i] = pl
        if hl_avg:
            ETOP[i] = sh / win
            EBOT[i] = sl / win
        else:
            ETOP[i] = 2.0 * pl - sl / win
            EBOT[i] = 2.0 * pl - sh / win


@kernel
def htf_zone_tests_nb(
    LEVELS: F64, LEVEL_TF: I64, TAU: F64, H: F64, L: F64, C: F64, max_width: float,
    SUP: B1, RES: B1,
) -> None:
    """Per bar i >= 1: cluster the finite levels of row i (single linkage, gap <= TAU[i], width
    <= max_width * TAU[i], as ``engine.drummond.zones.cluster``) and test every zone holding a
    level with ``LEVEL_TF > 0`` (a higher timeframe's):

    * support test: the zone is below the previous close (``hi < C[i-1]``), ``L[i] <= hi + tau``
      and ``C[i] > lo``;
    * resistance test: the zone is above it (``lo > C[i-1]``), ``H[i] >= lo - tau`` and
      ``C[i] < hi``.

    ``LEVELS`` has one row per target bar (at least as many as bars); bar 0 and bars whose tau
    is NaN have no zones and test False.
    """
    n = H.shape[0]
    ncol = LEVELS.shape[1]
    price = np.empty(ncol)
    tfs = np.empty(ncol, dtype=np.int64)
    for i in range(n):
        SUP[i] = False
        RES[i] = False
        tau = TAU[i]
        if i == 0 or not math.isfinite(tau):
            continue
        k = 0
        for j in range(ncol):  # insertion sort by price: a few dozen levels per bar
            v = LEVELS[i, j]
            if not math.isfinite(v):
                continue
            m = k
            while m > 0 and price[m - 1] > v:
                price[m] = price[m - 1]
                tfs[m] = tfs[m - 1]
                m -= 1
            price[m] = v
            tfs[m] = LEVEL_TF[j]
            k += 1
        prev = C[i - 1]
        width = max_width * tau
        start = 0
        while start < k:
            end = start
            htf = tfs[start] > 0
            while (end + 1 < k and price[end + 1] - price[end] <= tau
                   and price[end + 1] - price[start] <= width):
                end += 1
                htf = htf or tfs[end] > 0
            lo = price[start]
            hi = price[end]
            if htf:
                if hi < prev and L[i] <= hi + tau and C[i] > lo:
                    SUP[i] = True
                if lo > prev and H[i] >= lo - tau and C[i] < hi:
                    RES[i] = True
            start = end + 1
