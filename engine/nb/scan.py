"""Batch Drummond kernels for the scanner: DG core + side + market states for many symbols.

The symbols' bars are concatenated into one H/L/C array each; symbol ``i`` owns
``offsets[i]:offsets[i+1]``. Each kernel runs a ``prange`` over symbols (numba's thread pool;
the caller picks the thread count with ``numba.set_num_threads``).

* ``dg_scan_full_nb`` fills every core and state array (concatenated; a projected array of
  symbol ``i`` starts at ``offsets[i] + i`` since it has n+1 elements) by calling the
  single-series kernels of ``engine.nb.drummond`` and ``engine.nb.states`` on each symbol's
  slice, so it is bit-identical to ``compute_into`` by construction.
* ``dg_scan_tail_nb`` gives the values of the last ``k`` bars only, for any parameters: the
  same single-series kernels write into per-thread scratch arrays (one symbol's length, so they
  stay in L2) and the tail is copied out.
* ``dg_scan_fused_nb`` gives the same tail for the spec's default geometry (3-bar window,
  displaced dot) with no per-bar stores: a scan over a whole store needs the last bars only,
  while per-bar stores (24 B/bar in, 160 B/bar out) and the state machine's mispredicted
  branches were most of the single-series kernels' time. See ``engine.nb.scan_fused``: with
  neutral ties and the default exit rule the sides come from one vectorised pass and the mode
  from a 2-bit transition table, branch-free; every other case runs a scalar loop over every
  bar. The tests compare all three kernels with ``engine.drummond.analyze`` symbol by symbol.

Tail layout (``k`` slots per symbol, slot ``j`` is bar ``n - k + j``; slots before bar 0 are NaN
or 0): ``TAIL_F[i, f, j]`` float64 rows ``TAIL_F_ROWS`` and ``TAIL_I[i, f, j]`` int32 rows
``TAIL_I_ROWS``. Projected rows hold the value plotted on that bar (element t of the N+1
array), per-bar rows the value known at its close.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt
from numba import prange

from engine._jit import KERNEL_OPTIONS, inline_helper, kernel
from engine.nb.drummond import dg_core_nb, dg_side_nb
from engine.nb.scan_fused import fused_scalar_nb, fused_table_nb
from engine.nb.states import dg_states_nb

F64 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
B1 = npt.NDArray[np.bool_]

TAIL_F_ROWS = ("pldot", "etop", "ebot", "ar3", "one_one_dot", "one_one_high", "one_one_low",
               "slope", "side", "dotted", "block", "conf_hi", "conf_lo")
TAIL_I_ROWS = ("state", "trend_dir", "prior_dir", "run_len", "run_side", "conf_expanded",
               "continued_entrance")
N_PROJ = 8  # the first 8 float rows are projected

Fn = TypeVar("Fn", bound=Callable[..., Any])


def _parallel(fn: Fn) -> Fn:
    """A cached, GIL-free kernel whose ``prange`` loops run on numba's thread pool."""
    return cast(Fn, numba.njit(parallel=True, **KERNEL_OPTIONS)(fn))


@_parallel
def dg_scan_full_nb(
    H: F64, L: F64, C: F64, offsets: I64, win: int, hl_avg: bool, undisplace: bool,
    tie_eps: float, trend_len: int, tie_carry: bool, dotted_includes_entrance: bool,
    exit_requires_break: bool, reversal_any_opposite: bool,
    PL: F64, ETOP: F64, EBOT: F64, AR3: F64, OOD: F64, OOH: F64, OOL: F64, SLOPE: F64,
    SIDE: F64, STATE: I8, TDIR: I8, PDIR: I8, RUN_LEN: I32, RUN_SIDE: I8,
    DOTTED: F64, BLOCK: F64, CONF_HI: F64, CONF_LO: F64, CONF_EXP: B1, CONT_ENT: B1,
) -> None:
    """Every core and state array of every symbol (concatenated; projected ones n+1 long)."""
    for i in prange(offsets.shape[0] - 1):
        a = offsets[i]
        b = offsets[i + 1]
        pa = a + i
        pb = b + i + 1
        _series(H[a:b], L[a:b], C[a:b], win, hl_avg, undisplace, tie_eps, trend_len, tie_carry,
                dotted_includes_entrance, exit_requires_break, reversal_any_opposite,
                PL[pa:pb], ETOP[pa:pb], EBOT[pa:pb], AR3[pa:pb], OOD[pa:pb], OOH[pa:pb],
                OOL[pa:pb], SLOPE[pa:pb], SIDE[a:b], STATE[a:b], TDIR[a:b], PDIR[a:b],
                RUN_LEN[a:b], RUN_SIDE[a:b], DOTTED[a:b], BLOCK[a:b], CONF_HI[a:b],
                CONF_LO[a:b], CONF_EXP[a:b], CONT_ENT[a:b])


@kernel
def _series(
    H: F64, L: F64, C: F64, win: int, hl_avg: bool, undisplace: bool, tie_eps: float,
    trend_len: int, tie_carry: bool, dotted_inc: bool, exit_break: bool, rev_any: bool,
    PL: F64, ETOP: F64, EBOT: F64, AR3: F64, OOD: F64, OOH: F64, OOL: F64, SLOPE: F64,
    SIDE: F64, STATE: I8, TDIR: I8, PDIR: I8, RUN_LEN: I32, RUN_SIDE: I8,
    DOTTED: F64, BLOCK: F64, CONF_HI: F64, CONF_LO: F64, CONF_EXP: B1, CONT_ENT: B1,
) -> None:
    # The kernel sequence of engine.drummond.compute_into, restricted to core, side and states.
    dg_core_nb(H, L, C, win, hl_avg, PL, ETOP, EBOT, AR3, OOD, OOH, OOL, SLOPE)
    if undisplace:  # displacement 0: every projected series one bar left, element N unknown
        _shift_left(PL)
        _shift_left(ETOP)
        _shift_left(EBOT)
        _shift_left(AR3)
        _shift_left(OOD)
        _shift_left(OOH)
        _shift_left(OOL)
        _shift_left(SLOPE)
    dg_side_nb(C, PL, tie_eps, SIDE)
    dg_states_nb(SIDE, H, L, C, trend_len, tie_carry, dotted_inc, exit_break, rev_any,
                 STATE, TDIR, PDIR, RUN_LEN, RUN_SIDE, DOTTED, BLOCK, CONF_HI, CONF_LO,
                 CONF_EXP, CONT_ENT)


@inline_helper
def _shift_left(a: F64) -> None:
    m = a.shape[0]
    for t in range(m - 1):
        a[t] = a[t + 1]
    a[m - 1] = np.nan


@_parallel
def dg_scan_tail_nb(
    H: F64, L: F64, C: F64, offsets: I64, chunks: I64, max_n: int, win: int, hl_avg: bool,
    undisplace: bool, tie_eps: float, trend_len: int, tie_carry: bool,
    dotted_includes_entrance: bool, exit_requires_break: bool, reversal_any_opposite: bool,
    TAIL_F: F64, TAIL_I: I32,
) -> None:
    """The last ``k = TAIL_F.shape[2]`` bars of every symbol, any parameters.

    ``chunks`` splits the symbols into contiguous groups (``chunks[c]:chunks[c+1]``); each
    group allocates one scratch set of ``max_n`` bars and reuses it for its symbols.
    """
    for c in prange(chunks.shape[0] - 1):
        f = np.empty((N_PROJ, max_n + 1))
        side = np.empty(max_n)
        i8 = np.empty((4, max_n), dtype=np.int8)
        run_len = np.empty(max_n, dtype=np.int32)
        lv = np.empty((4, max_n))
        bl = np.empty((2, max_n), dtype=np.bool_)
        for i in range(chunks[c], chunks[c + 1]):
            a = offsets[i]
            n = offsets[i + 1] - a
            _series(H[a:a + n], L[a:a + n], C[a:a + n], win, hl_avg, undisplace, tie_eps,
                    trend_len, tie_carry, dotted_includes_entrance, exit_requires_break,
                    reversal_any_opposite, f[0, :n + 1], f[1, :n + 1], f[2, :n + 1],
                    f[3, :n + 1], f[4, :n + 1], f[5, :n + 1], f[6, :n + 1], f[7, :n + 1],
                    side[:n], i8[0, :n], i8[1, :n], i8[2, :n], run_len[:n], i8[3, :n],
                    lv[0, :n], lv[1, :n], lv[2, :n], lv[3, :n], bl[0, :n], bl[1, :n])
            _copy_tail(n, f, side, i8, run_len, lv, bl, TAIL_F[i], TAIL_I[i])


@inline_helper
def _copy_tail(n: int, f: F64, side: F64, i8: I8, run_len: I32, lv: F64, bl: B1,
               TF: F64, TI: I32) -> None:
    k = TF.shape[1]
    for j in range(k):
        t = n - k + j
        if t < 0:
            for r in range(TF.shape[0]):
                TF[r, j] = np.nan
            for r in range(TI.shape[0]):
                TI[r, j] = 0
            continue
        for r in range(N_PROJ):
            TF[r, j] = f[r, t]
        TF[8, j] = side[t]
        for r in range(4):
            TF[9 + r, j] = lv[r, t]
        TI[0, j] = i8[0, t]
        TI[1, j] = i8[1, t]
        TI[2, j] = i8[2, t]
        TI[3, j] = run_len[t]
        TI[4, j] = i8[3, t]
        TI[5, j] = bl[0, t]
        TI[6, j] = bl[1, t]


@_parallel
def dg_scan_fused_nb(
    H: F64, L: F64, C: F64, offsets: I64, hl_avg: bool, tie_eps: float, trend_len: int,
    tie_carry: bool, dotted_includes_entrance: bool, exit_requires_break: bool,
    reversal_any_opposite: bool, TAIL_F: F64, TAIL_I: I32,
) -> None:
    """The last ``k`` bars of every symbol for the 3-bar displaced dot, in one pass each."""
    k = TAIL_F.shape[2]
    table = not tie_carry and not exit_requires_break
    for i in prange(offsets.shape[0] - 1):
        a = offsets[i]
        b = offsets[i + 1]
        if not (table and b - a - k >= 3 and fused_table_nb(
                H[a:b], L[a:b], C[a:b], hl_avg, tie_eps, trend_len, dotted_includes_entrance,
                reversal_any_opposite, TAIL_F[i], TAIL_I[i])):
            fused_scalar_nb(H[a:b], L[a:b], C[a:b], hl_avg, tie_eps, trend_len, tie_carry,
                          dotted_includes_entrance, exit_requires_break,
                          reversal_any_opposite, TAIL_F[i], TAIL_I[i])
