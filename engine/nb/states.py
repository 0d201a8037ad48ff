"""The market-state machine (spec §B8): trend, congestion entrance/action/exit, reversal."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engine._jit import inline_helper, kernel
from engine.nb.drummond import CONG_ACTION, CONG_ENTRANCE, CONG_EXIT, TREND, TREND_REVERSAL

F64 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]
I32 = npt.NDArray[np.int32]
B1 = npt.NDArray[np.bool_]

_NONE = 0  # no trend seen yet
_TRD = 1
_CONG = 2


@inline_helper
def _trend_extreme(H: F64, L: F64, start: int, stop: int, d: int) -> float:
    """Highest high (d=+1) or lowest low (d=-1) of bars start..stop-1; NaNs are skipped."""
    best = np.nan
    for k in range(start, stop):
        v = H[k] if d == 1 else L[k]
        if np.isnan(best) or (d == 1 and v > best) or (d == -1 and v < best):
            best = v
    return best


@kernel
def dg_states_nb(
    SIDE: F64, H: F64, L: F64, C: F64,
    trend_len: int, tie_carry: bool, dotted_includes_entrance: bool,
    exit_requires_break: bool, reversal_any_opposite: bool,
    STATE: I8, TDIR: I8, PDIR: I8, RUN_LEN: I32, RUN_SIDE: I8,
    DOTTED: F64, BLOCK: F64, CONF_HI: F64, CONF_LO: F64, CONF_EXP: B1, CONT_ENT: B1,
) -> None:
    """Run the state machine over per-bar sides (the spec's reference pseudo-code, §B8).

    A NaN side marks the bar UNDEF and leaves the machine untouched (the bar is not counted).
    ``tie_carry`` counts a close on the dot as the side of the previous counted close.
    ``exit_requires_break``: a completed run exits congestion only when its close is beyond the
    confines of the bar before; otherwise the bar stays in action and a later close may exit.
    ``reversal_any_opposite``: every exit against the prior trend is a reversal (peer-like).
    """
    n = SIDE.shape[0]
    run = 0
    run_side = 0
    run_start = -1
    mode = _NONE
    d = 0
    prior = 0
    ent = -1
    trend_start = -1
    last_side = 0
    dot = blk = chi = clo = np.nan
    cont = False
    for t in range(n):
        # Outputs are gathered in locals and stored once per bar (stores are half the cost).
        st = 0
        exp = False
        cont_out = False
        if not np.isnan(SIDE[t]):
            s = int(SIDE[t])
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
                    stop = t + 1 if dotted_includes_entrance else t
                    dot = _trend_extreme(H, L, trend_start, stop, d)
                    if d == 1:
                        blk = L[t]
                        chi = max(H[t], dot)
                        clo = L[t]
                    else:
                        blk = H[t]
                        chi = H[t]
                        clo = min(L[t], dot)
                    cont = True
                else:
                    st = TREND
            else:
                if exit_requires_break:
                    done = run >= trend_len and (
                        (run_side == 1 and C[t] > chi) or (run_side == -1 and C[t] < clo))
                else:
                    done = run == trend_len
                if done:
                    if run_side == -prior and (reversal_any_opposite or run_start == ent):
                        st = TREND_REVERSAL
                    else:
                        st = CONG_EXIT
                    mode = _TRD
                    d = run_side
                    trend_start = run_start
                else:
                    st = CONG_ACTION
                    exp = (t > ent + 2) and (H[t] > chi or L[t] < clo)
                    chi = max(chi, H[t])
                    clo = min(clo, L[t])
                    if s != -prior:
                        cont = False
                    cont_out = cont
        counted = st != 0
        in_cong = counted and mode == _CONG
        STATE[t] = st
        TDIR[t] = d if counted and mode == _TRD else 0
        PDIR[t] = prior if in_cong else 0
        RUN_LEN[t] = run if counted else 0
        RUN_SIDE[t] = run_side if counted else 0
        DOTTED[t] = dot if in_cong else np.nan
        BLOCK[t] = blk if in_cong else np.nan
        CONF_HI[t] = chi if in_cong else np.nan
        CONF_LO[t] = clo if in_cong else np.nan
        CONF_EXP[t] = exp
        CONT_ENT[t] = cont_out
