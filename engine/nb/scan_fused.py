"""The one-pass tail kernels behind ``engine.nb.scan.dg_scan_fused_nb`` (3-bar window,
displaced dot): the values of the last ``k`` bars of one series, no per-bar stores.

* ``fused_table_nb`` (neutral ties, exit on the run's length: the defaults) computes every
  side in one vectorised pass, then runs only the run length and the mode up to the tail, the
  mode through a 2-bit transition table: branch-free, where the state machine's branches
  mispredict at every entrance and exit (30% of a random walk's bars). What the tail depends on
  is then read back from the modes and sides, and the tail bars run through ``_step``.
* ``fused_scalar_nb`` (any variant, NaN inputs, short series) runs every bar through one
  register-carried loop: ``_core3``'s arithmetic and ``_step``.

``_step`` is ``engine.nb.states.dg_states_nb``'s loop body (spec §B8) step for step; the tests
compare both paths with ``engine.drummond.analyze`` over every variant.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from engine._jit import inline_helper, kernel
from engine.nb.drummond import CONG_ACTION, CONG_ENTRANCE, CONG_EXIT, TREND, TREND_REVERSAL
from engine.nb.states import _trend_extreme

F64 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]
I32 = npt.NDArray[np.int32]

_NONE = 0  # state-machine modes, as in engine.nb.states
_TRD = 1
_CONG = 2


# The state machine's variables between bars, in this order: run, run_side, run_start, mode,
# d, prior, ent, trend_start, last_side (ints); dot, blk, chi, clo (floats); cont (bool).
_INIT = (0, 0, -1, _NONE, 0, 0, -1, -1, 0, np.nan, np.nan, np.nan, np.nan, False)


@inline_helper
def _step(
    t: int, side: float, h: float, lo: float, c: float, H: F64, L: F64, trend_len: int,
    tie_carry: bool, dotted_inc: bool, exit_break: bool, rev_any: bool, S: Any,
) -> Any:
    """One bar of ``dg_states_nb`` (spec §B8), step for step: (state, code, expanded, cont)."""
    run, run_side, run_start, mode, d, prior, ent, trend_start, last_side = S[:9]
    dot, blk, chi, clo, cont = S[9:]
    st = 0
    exp = False
    cont_out = False
    if not np.isnan(side):
        s = int(side)
        if s == 0 and tie_carry:
            s = last_side
        if s != 0:
            last_side = s
        if s != 0 and s == run_side:
            run += 1
        elif s != 0:
            run_side = s
            run = 1
            run_start = t
        else:
            run_side = 0
            run = 0
            run_start = -1
        if mode == _NONE:
            if run >= trend_len:
                mode = _TRD
                d = run_side
                trend_start = run_start
                st = TREND
            else:
                st = CONG_ACTION
        elif mode == _TRD:
            if s == -d:
                mode = _CONG
                prior = d
                ent = t
                st = CONG_ENTRANCE
                dot = _trend_extreme(H, L, trend_start, t + 1 if dotted_inc else t, d)
                if d == 1:
                    blk = lo
                    chi = max(h, dot)
                    clo = lo
                else:
                    blk = h
                    chi = h
                    clo = min(lo, dot)
                cont = True
            else:
                st = TREND
        else:
            if exit_break:
                done = run >= trend_len and (
                    (run_side == 1 and c > chi) or (run_side == -1 and c < clo))
            else:
                done = run == trend_len
            if done:
                st = (TREND_REVERSAL if run_side == -prior and (rev_any or run_start == ent)
                      else CONG_EXIT)
                mode = _TRD
                d = run_side
                trend_start = run_start
            else:
                st = CONG_ACTION
                exp = (t > ent + 2) and (h > chi or lo < clo)
                chi = max(chi, h)
                clo = min(clo, lo)
                if s != -prior:
                    cont = False
                cont_out = cont
    state = (run, run_side, run_start, mode, d, prior, ent, trend_start, last_side,
             dot, blk, chi, clo, cont)
    return state, st, exp, cont_out


@inline_helper
def _store_state(TF: F64, TI: I32, j: int, side: float, S: Any, st: int, exp: bool,
                 cont_out: bool) -> None:
    counted = st != 0
    in_cong = counted and S[3] == _CONG
    TF[8, j] = side
    TF[9, j] = S[9] if in_cong else np.nan
    TF[10, j] = S[10] if in_cong else np.nan
    TF[11, j] = S[11] if in_cong else np.nan
    TF[12, j] = S[12] if in_cong else np.nan
    TI[0, j] = st
    TI[1, j] = S[4] if counted and S[3] == _TRD else 0
    TI[2, j] = S[5] if in_cong else 0
    TI[3, j] = S[0] if counted else 0
    TI[4, j] = S[1] if counted else 0
    TI[5, j] = exp
    TI[6, j] = cont_out


@kernel
def fused_scalar_nb(
    H: F64, L: F64, C: F64, hl_avg: bool, tie_eps: float, trend_len: int, tie_carry: bool,
    dotted_inc: bool, exit_break: bool, rev_any: bool, TF: F64, TI: I32,
) -> None:
    """Any series (short ones, NaN inputs, every tie and exit variant): one register-carried
    loop over every bar, the core arithmetic of ``_core3`` and the steps of ``dg_states_nb``."""
    n = H.shape[0]
    k = TF.shape[1]
    first = n - k
    for j in range(min(k, -first)):  # slots before bar 0
        for r in range(TF.shape[0]):
            TF[r, j] = np.nan
        for r in range(TI.shape[0]):
            TI[r, j] = 0
    nan = np.nan
    third = 1.0 / 3.0
    ninth = 1.0 / 9.0
    ha = la = ca = hb = lb = cb = hc = lc = cc = nan  # bars t-3, t-2, t-1
    prev = nan
    S = _INIT
    for t in range(n):
        pl = etop = ebot = ar = slope = ood = ooh = ool = nan
        if t >= 1:
            ood = (hc + lc + cc) * third
            ooh = 2.0 * ood - lc
            ool = 2.0 * ood - hc
        if t >= 3:
            sh = ha + hb + hc
            sl = la + lb + lc
            pl = (sh + sl + (ca + cb + cc)) * ninth
            etop = sh * third if hl_avg else 2.0 * pl - sl * third
            ebot = sl * third if hl_avg else 2.0 * pl - sh * third
            ar = (sh - sl) * third
            slope = pl - prev
            prev = pl
        h = H[t]
        lo = L[t]
        c = C[t]
        dd = c - pl  # side (dg_side_nb)
        side = nan if np.isnan(dd) else (1.0 if dd > tie_eps else (-1.0 if dd < -tie_eps
                                                                     else 0.0))
        S, st, exp, cont_out = _step(t, side, h, lo, c, H, L, trend_len, tie_carry,
                                     dotted_inc, exit_break, rev_any, S)
        if t >= first:
            j = t - first
            TF[0, j] = pl
            TF[1, j] = etop
            TF[2, j] = ebot
            TF[3, j] = ar
            TF[4, j] = ood
            TF[5, j] = ooh
            TF[6, j] = ool
            TF[7, j] = slope
            _store_state(TF, TI, j, side, S, st, exp, cont_out)
        ha, la, ca = hb, lb, cb
        hb, lb, cb = hc, lc, cc
        hc, lc, cc = h, lo, c


@inline_helper
def _side_codes(H: F64, L: F64, C: F64, tie_eps: float, codes: I8) -> int:
    """Side of every bar t >= 3 as int8 (+1, -1, 0) into ``codes[t]``; returns how many are
    undefined (NaN). Shifted views indexed from 0 let LLVM vectorise the loop; the sums are
    those of ``_core3``, operation for operation, so the sides are bit-identical."""
    m = H.shape[0] - 3
    h0, h1, h2 = H[0:m], H[1:m + 1], H[2:m + 2]
    l0, l1, l2 = L[0:m], L[1:m + 1], L[2:m + 2]
    c0, c1, c2, c3 = C[0:m], C[1:m + 1], C[2:m + 2], C[3:m + 3]
    out = codes[3:m + 3]
    ninth = 1.0 / 9.0
    bad = 0
    for j in range(m):
        pl = (((h0[j] + h1[j]) + h2[j]) + ((l0[j] + l1[j]) + l2[j])
              + ((c0[j] + c1[j]) + c2[j])) * ninth
        dd = c3[j] - pl
        undefined = dd != dd
        out[j] = np.int8(dd > tie_eps) - np.int8(dd < -tie_eps)
        bad += undefined
    return bad


@inline_helper
def _core_at(H: F64, L: F64, C: F64, t: int, hl_avg: bool, TF: F64, j: int) -> None:
    """The projected core values plotted on bar t >= 3 (``_core3``'s arithmetic)."""
    third = 1.0 / 3.0
    ninth = 1.0 / 9.0
    pl = ((H[t - 3] + H[t - 2] + H[t - 1]) + (L[t - 3] + L[t - 2] + L[t - 1])
          + (C[t - 3] + C[t - 2] + C[t - 1])) * ninth
    prev = np.nan
    if t >= 4:
        prev = ((H[t - 4] + H[t - 3] + H[t - 2]) + (L[t - 4] + L[t - 3] + L[t - 2])
                + (C[t - 4] + C[t - 3] + C[t - 2])) * ninth
    sh = H[t - 3] + H[t - 2] + H[t - 1]
    sl = L[t - 3] + L[t - 2] + L[t - 1]
    tp = (H[t - 1] + L[t - 1] + C[t - 1]) * third
    TF[0, j] = pl
    TF[1, j] = sh * third if hl_avg else 2.0 * pl - sl * third
    TF[2, j] = sl * third if hl_avg else 2.0 * pl - sh * third
    TF[3, j] = (sh - sl) * third
    TF[4, j] = tp
    TF[5, j] = 2.0 * tp - L[t - 1]
    TF[6, j] = 2.0 * tp - H[t - 1]
    TF[7, j] = pl - prev


# The mode automaton of the table path. Modes: 0 none yet, 1 trend up, 2 trend down,
# 3 congestion. Bar classes: 0 a tie (side 0); 1-3 side -1 with run < n, == n, > n
# (n = trend_len); 4-6 the same for side +1. Entry (mode, class) holds the next mode in the
# 2 bits at 2 * (8 * mode + class): one shift and one mask per bar, no branch, no load.
def _mode_table() -> int:
    nxt = {0: [0, 0, 2, 2, 0, 1, 1], 1: [1, 3, 3, 3, 1, 1, 1], 2: [2, 2, 2, 2, 3, 3, 3],
           3: [3, 3, 2, 3, 3, 1, 3]}
    return sum(m << (2 * (8 * mode + c)) for mode, row in nxt.items() for c, m in enumerate(row))


_MODE_TABLE = _mode_table()


@kernel
def fused_table_nb(
    H: F64, L: F64, C: F64, hl_avg: bool, tie_eps: float, trend_len: int, dotted_inc: bool,
    rev_any: bool, TF: F64, TI: I32,
) -> bool:
    """Neutral ties, exit on the run's length (the defaults); the tail starts at bar >= 3.

    1. The sides of all bars in one vectorised pass (``_side_codes``); False (nothing
       written) when one is undefined: ``fused_scalar_nb`` then takes the series.
    2. Up to the tail, only the run length and the mode, the mode through a 2-bit table
       lookup (``_MODE_TABLE``): a four-instruction dependency per bar and no branch, where
       the state machine's data-dependent branches mispredict at every entrance and exit (30%
       of the bars of a random walk). The mode after each bar goes to a scratch array.
    3. What the tail depends on is read back from the modes and sides (``_recover``: the run,
       the last entrance, its prior direction, the trend starts) and the congestion levels
       are rebuilt (``_rebuild``); the tail bars then run through ``_step`` with every output.
    """
    n = H.shape[0]
    scratch = np.empty((2, n), dtype=np.int8)
    codes = scratch[0]
    modes = scratch[1]
    if _side_codes(H, L, C, tie_eps, codes):
        return False
    first = n - TF.shape[1]
    table = _MODE_TABLE
    m = first - 3
    cs = codes[3:first]
    ms = modes[3:first]
    run = prev = mode = np.int64(0)
    for j in range(m):  # indexes from 0 into views: no wrap-around test per load
        s = np.int64(cs[j])
        nz = s != 0
        same = nz & (s == prev)
        run = run + 1 if same else np.int64(nz)
        prev = s
        r = np.int64(run >= trend_len) + np.int64(run > trend_len)
        cls = (1 + r + 3 * np.int64(s > 0)) * np.int64(nz)
        mode = (table >> ((mode << 4) | (cls << 1))) & 3
        ms[j] = mode
    S = _recover(H, L, codes, modes, first, dotted_inc)
    for t in range(first, n):
        j = t - first
        side = float(codes[t])
        S, st, exp, cont_out = _step(t, side, H[t], L[t], C[t], H, L, trend_len, False,
                                     dotted_inc, False, rev_any, S)
        _core_at(H, L, C, t, hl_avg, TF, j)
        _store_state(TF, TI, j, side, S, st, exp, cont_out)
    return True


@inline_helper
def _run_start(codes: I8, t: int) -> int:
    """First bar of the run of equal non-zero sides ending at bar t (-1 for a tie)."""
    s = codes[t]
    if s == 0:
        return -1
    u = t
    while u > 3 and codes[u - 1] == s:
        u -= 1
    return u


@inline_helper
def _mode_at(modes: I8, t: int) -> int:
    return int(modes[t]) if t >= 3 else 0


@inline_helper
def _last_to_trend(modes: I8, t: int) -> int:
    """The newest bar <= t where the mode became a trend (from none or congestion), or -1."""
    u = t
    while u >= 3:
        now, before = _mode_at(modes, u), _mode_at(modes, u - 1)
        if (now == 1 or now == 2) and (before == 0 or before == 3):
            return u
        u -= 1
    return -1


@inline_helper
def _recover(H: F64, L: F64, codes: I8, modes: I8, first: int, dotted_inc: bool) -> Any:
    """The state-machine variables after bar ``first - 1``, read back from the modes and the
    sides, with the congestion levels rebuilt as ``_step`` sets and widens them."""
    last = first - 1
    run_start = _run_start(codes, last) if last >= 3 else -1
    run_side = int(codes[last]) if last >= 3 else 0
    run = last - run_start + 1 if run_start >= 0 else 0
    mode = _mode_at(modes, last)
    x = _last_to_trend(modes, last)
    trend_start = _run_start(codes, x) if x >= 0 else -1
    ent = -1
    u = last
    while u >= 4 and ent < 0:  # the last entrance: a trend became congestion
        if modes[u] == 3 and (modes[u - 1] == 1 or modes[u - 1] == 2):
            ent = u
        u -= 1
    prior = 0
    if ent >= 0:
        prior = 1 if modes[ent - 1] == 1 else -1
    d = 1 if mode == 1 else (-1 if mode == 2 else (prior if mode == 3 else 0))
    dot = blk = chi = clo = np.nan
    cont = False
    if mode == 3:
        xe = _last_to_trend(modes, ent - 1)
        dot = _trend_extreme(H, L, _run_start(codes, xe), ent + 1 if dotted_inc else ent,
                             prior)
        h, lo = H[ent], L[ent]
        blk = lo if prior == 1 else h
        chi = max(h, dot) if prior == 1 else h
        clo = lo if prior == 1 else min(lo, dot)
        cont = True
        for v in range(ent + 1, first):
            chi = max(chi, H[v])
            clo = min(clo, L[v])
            if codes[v] != -prior:
                cont = False
    m = _TRD if mode == 1 or mode == 2 else (_CONG if mode == 3 else _NONE)
    return (run, run_side, run_start, m, d, prior, ent, trend_start, 0, dot, blk, chi, clo,
            cont)
