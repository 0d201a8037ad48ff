"""Drummond Geometry kernels (spec ``drummond-geometry.md`` §B2-§B8, §B11).

Alignment: a *projected* array has length N+1; its element t is plotted on bar t and is computed
only from bars <= t-1, so element N is the value for the bar that has not formed yet. A *per-bar*
array has length N; its element t is known at the close of bar t.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engine._jit import inline_helper, kernel

F64 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]
I32 = npt.NDArray[np.int32]
B1 = npt.NDArray[np.bool_]

# State codes (spec §B8).
UNDEF = 0
TREND = 1
CONG_ENTRANCE = 2
CONG_ACTION = 3
CONG_EXIT = 4
TREND_REVERSAL = 5

# dg_lines_ext_nb fills the rows of its output in the order of
# engine.drummond.result.EXT_LINE_NAMES (the kernels cannot import it: they take bare arrays).


@kernel
def dg_core_nb(
    H: F64, L: F64, C: F64, win: int, hl_avg: bool,
    PL: F64, ETOP: F64, EBOT: F64, AR3: F64, OOD: F64, OOH: F64, OOL: F64, SLOPE: F64,
) -> None:
    """PLdot, envelope, AR3, 1-1 dot/high/low and dot slope, all projected (length N+1).

    ``hl_avg`` selects envelope variant B (mean of highs / mean of lows) instead of the default
    mean of 1-1 highs / 1-1 lows. Any NaN inside a window gives NaN for that window only.
    """
    n = H.shape[0]
    nan = np.nan
    for t in range(min(win, n) + 1):
        PL[t] = nan
        ETOP[t] = nan
        EBOT[t] = nan
        AR3[t] = nan
        SLOPE[t] = nan
    OOD[0] = nan
    OOH[0] = nan
    OOL[0] = nan
    if win == 3:
        _core3(H, L, C, hl_avg, PL, ETOP, EBOT, AR3, OOD, OOH, OOL, SLOPE)
        return
    for t in range(1, n + 1):
        tp = (H[t - 1] + L[t - 1] + C[t - 1]) / 3.0
        OOD[t] = tp
        OOH[t] = 2.0 * tp - L[t - 1]
        OOL[t] = 2.0 * tp - H[t - 1]
    prev = nan
    for t in range(win, n + 1):
        sh = 0.0
        sl = 0.0
        sc = 0.0
        for k in range(1, win + 1):
            sh += H[t - k]
            sl += L[t - k]
            sc += C[t - k]
        _window_out(t, win, sh, sl, sc, hl_avg, PL, ETOP, EBOT, AR3)
        SLOPE[t] = PL[t] - prev if t > win else nan
        prev = PL[t]


@inline_helper
def _window_out(
    t: int, win: int, sh: float, sl: float, sc: float, hl_avg: bool,
    PL: F64, ETOP: F64, EBOT: F64, AR3: F64,
) -> None:
    pl = (sh + sl + sc) / (3.0 * win)
    PL[t] = pl
    if hl_avg:
        ETOP[t] = sh / win
        EBOT[t] = sl / win
    else:
        ETOP[t] = 2.0 * pl - sl / win
        EBOT[t] = 2.0 * pl - sh / win
    AR3[t] = (sh - sl) / win


@inline_helper
def _core3(
    H: F64, L: F64, C: F64, hl_avg: bool,
    PL: F64, ETOP: F64, EBOT: F64, AR3: F64, OOD: F64, OOH: F64, OOL: F64, SLOPE: F64,
) -> None:
    # The three bars of the window ride in registers (a, b, c = bars t-3, t-2, t-1): one load of
    # H, L, C per output bar keeps the kernel at the memory-bandwidth bound. Multiplying by 1/3
    # and 1/9 instead of dividing (a divide per output stalled the loop at 2x the bound) moves
    # results by at most a few ulps.
    n = H.shape[0]
    third = 1.0 / 3.0
    ninth = 1.0 / 9.0
    for t in range(1, min(n, 2) + 1):
        tp = (H[t - 1] + L[t - 1] + C[t - 1]) * third
        OOD[t] = tp
        OOH[t] = 2.0 * tp - L[t - 1]
        OOL[t] = 2.0 * tp - H[t - 1]
    if n < 3:
        return
    ha, la, ca = H[0], L[0], C[0]
    hb, lb, cb = H[1], L[1], C[1]
    prev = np.nan
    for t in range(3, n + 1):
        hc = H[t - 1]
        lc = L[t - 1]
        cc = C[t - 1]
        tp = (hc + lc + cc) * third
        OOD[t] = tp
        OOH[t] = 2.0 * tp - lc
        OOL[t] = 2.0 * tp - hc
        sh = ha + hb + hc
        sl = la + lb + lc
        sc = ca + cb + cc
        pl = (sh + sl + sc) * ninth
        PL[t] = pl
        ETOP[t] = sh * third if hl_avg else 2.0 * pl - sl * third
        EBOT[t] = sl * third if hl_avg else 2.0 * pl - sh * third
        AR3[t] = (sh - sl) * third
        SLOPE[t] = pl - prev  # NaN at t = 3: the first dot has no predecessor
        prev = pl
        ha, la, ca = hb, lb, cb
        hb, lb, cb = hc, lc, cc


@kernel
def dg_lines_nb(H: F64, L: F64, HH: F64, LL: F64, LH: F64, HL: F64) -> None:
    """The default two-bar Drummond lines through bars t-2 and t-1, projected onto bar t."""
    n = H.shape[0]
    for t in range(min(2, n + 1)):
        HH[t] = np.nan
        LL[t] = np.nan
        LH[t] = np.nan
        HL[t] = np.nan
    for t in range(2, n + 1):
        h1 = H[t - 1]
        l1 = L[t - 1]
        h2 = H[t - 2]
        l2 = L[t - 2]
        HH[t] = 2.0 * h1 - h2
        LL[t] = 2.0 * l1 - l2
        LH[t] = 2.0 * h1 - l2
        HL[t] = 2.0 * l1 - h2


@kernel
def dg_lines_ext_nb(H: F64, L: F64, C: F64, PL: F64, OUT: F64) -> None:
    """Optional lines, one row each, evaluated on target bar t (rows: HH_31 LL_31 LH_31 HL_31
    HH_32 LL_32 LH_32 HL_32 CC DD).

    ``*_31`` lines are anchored on bars t-3 and t-1, ``*_32`` on bars t-3 and t-2 (both projected
    to t); ``CC`` joins the closes of t-2 and t-1; ``DD`` joins the dots plotted on t-2 and t-1.
    """
    n = H.shape[0]
    for r in range(OUT.shape[0]):
        for t in range(n + 1):
            OUT[r, t] = np.nan
    for t in range(2, n + 1):
        OUT[8, t] = 2.0 * C[t - 1] - C[t - 2]
        OUT[9, t] = 2.0 * PL[t - 1] - PL[t - 2]
    for t in range(3, n + 1):
        h1 = H[t - 1]
        l1 = L[t - 1]
        h2 = H[t - 2]
        l2 = L[t - 2]
        h3 = H[t - 3]
        l3 = L[t - 3]
        OUT[0, t] = h1 + 0.5 * (h1 - h3)
        OUT[1, t] = l1 + 0.5 * (l1 - l3)
        OUT[2, t] = h1 + 0.5 * (h1 - l3)
        OUT[3, t] = l1 + 0.5 * (l1 - h3)
        OUT[4, t] = 3.0 * h2 - 2.0 * h3
        OUT[5, t] = 3.0 * l2 - 2.0 * l3
        OUT[6, t] = 3.0 * h2 - 2.0 * l3
        OUT[7, t] = 3.0 * l2 - 2.0 * h3


@kernel
def dg_side_nb(C: F64, PL: F64, tie_eps: float, SIDE: F64) -> None:
    """Side of the dot: +1 above, -1 below, 0 on it (within ``tie_eps``), NaN when undefined."""
    for t in range(C.shape[0]):
        d = C[t] - PL[t]
        if np.isnan(d):
            SIDE[t] = np.nan
        elif d > tie_eps:
            SIDE[t] = 1.0
        elif d < -tie_eps:
            SIDE[t] = -1.0
        else:
            SIDE[t] = 0.0
