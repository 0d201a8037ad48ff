"""PLdot patterns (spec §B2 dot shape, §B3 push, refresh, exhaust, C-wave)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engine._jit import inline_helper, kernel

F64 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]
I32 = npt.NDArray[np.int32]
B1 = npt.NDArray[np.bool_]


@inline_helper
def _guard(ar: float, pl: float, tick: float) -> float:
    """``max(AR3, eps)`` with ``eps = max(tick, 1e-12·|PL|)``: every division by AR3 goes here."""
    eps = max(tick, 1e-12 * abs(pl))
    return ar if ar > eps else eps


@kernel
def dg_dot_shape_nb(
    PL: F64, SLOPE: F64, AR3: F64, flat_thr: float, tick: float,
    SHAPE: I8, CREST: B1, VALLEY: B1, DIST_INC: B1,
) -> None:
    """Projected dot shape (length N+1): +1 rising, -1 falling, 0 flat or undefined.

    ``CREST[t]``/``VALLEY[t]``: the dot plotted on t-1 is a crest/valley, which becomes known
    when the dot for t is known (close of bar t-1). ``DIST_INC[t]``: |slope[t]| > |slope[t-1]|.
    """
    m = PL.shape[0]
    for t in range(m):
        sl = SLOPE[t]
        SHAPE[t] = 0
        if not np.isnan(sl):
            sn = sl / _guard(AR3[t], PL[t], tick)
            if sn > flat_thr:
                SHAPE[t] = 1
            elif sn < -flat_thr:
                SHAPE[t] = -1
        CREST[t] = False
        VALLEY[t] = False
        DIST_INC[t] = False
        if t >= 2:
            a = PL[t - 2]
            b = PL[t - 1]
            c = PL[t]
            CREST[t] = a < b and b >= c
            VALLEY[t] = a > b and b <= c
        if t >= 1:
            DIST_INC[t] = abs(sl) > abs(SLOPE[t - 1])


@kernel
def dg_patterns_nb(
    H: F64, L: F64, C: F64, PL: F64, ETOP: F64, EBOT: F64, AR3: F64, SLOPE: F64,
    k_push: float, min_away: int, k_exh: float, m_exh: float, n_cw: int,
    cwave_requires_slope: bool, tick: float,
    AWAY_ABOVE: B1, AWAY_BELOW: B1, TOUCH: B1, PUSH_UP: B1, PUSH_DOWN: B1, PUSH_RUN: I32,
    REFRESH_ABOVE: B1, REFRESH_BELOW: B1, EXH_UP: B1, EXH_DOWN: B1,
    EXH_UP_CONF: B1, EXH_DOWN_CONF: B1, CW_UP: B1, CW_DOWN: B1,
) -> None:
    """Per-bar pattern flags (length N), each known at the close of its bar.

    ``EXH_*`` are the exhaust candidates of bar t; ``EXH_*_CONF[t]`` confirms the candidate of
    bar t-1 with bar t. ``PUSH_RUN`` counts consecutive push bars: +k up, -k down.
    """
    n = H.shape[0]
    n_above = 0  # consecutive bars wholly above the dot, ending at t-1
    n_below = 0
    cw_above = 0  # consecutive closes beyond the envelope, ending at t
    cw_below = 0
    up_run = 0
    down_run = 0
    prev_up = prev_dn = False
    prev_c = prev_h = prev_l = np.nan
    not_slope = not cwave_requires_slope
    for t in range(n):
        h = H[t]
        lo = L[t]
        c = C[t]
        pl = PL[t]
        ar = AR3[t]
        sl = SLOPE[t]
        above = lo > pl
        below = h < pl
        touch = (lo <= pl) & (pl <= h)
        AWAY_ABOVE[t] = above
        AWAY_BELOW[t] = below
        TOUCH[t] = touch
        REFRESH_ABOVE[t] = touch & (n_above >= min_away)
        REFRESH_BELOW[t] = touch & (n_below >= min_away)
        n_above = (n_above + 1) * above  # counters as arithmetic: no branch to mispredict
        n_below = (n_below + 1) * below

        up = (sl > 0) & (c > pl) & (lo >= pl - k_push * ar)
        down = (sl < 0) & (c < pl) & (h <= pl + k_push * ar)
        PUSH_UP[t] = up
        PUSH_DOWN[t] = down
        up_run = (up_run + 1) * up
        down_run = (down_run + 1) * down
        PUSH_RUN[t] = up_run - down_run  # up and down pushes exclude each other (slope sign)

        g = _guard(ar, pl, tick)
        wide = (h - lo) >= m_exh * ar
        ex_up = (h > ETOP[t]) & ((c - pl) / g >= k_exh) & wide
        ex_dn = (lo < EBOT[t]) & ((pl - c) / g >= k_exh) & wide
        EXH_UP[t] = ex_up
        EXH_DOWN[t] = ex_dn
        EXH_UP_CONF[t] = prev_up & (c < prev_c) & (h <= prev_h)
        EXH_DOWN_CONF[t] = prev_dn & (c > prev_c) & (lo >= prev_l)
        prev_up = ex_up
        prev_dn = ex_dn
        prev_c = c
        prev_h = h
        prev_l = lo

        cw_above = (cw_above + 1) * (c > ETOP[t])
        cw_below = (cw_below + 1) * (c < EBOT[t])
        CW_UP[t] = (cw_above >= n_cw) & (not_slope | (sl > 0))
        CW_DOWN[t] = (cw_below >= n_cw) & (not_slope | (sl < 0))
