"""Classic indicator kernels, part 3: ranges and volume (ATR, NATR, ADX / +DI / -DI, OBV).

TA-Lib's arithmetic, as in ``indicators.py``; Wilder smoothing compiles with FMA contraction.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engine._jit import kernel
from engine.nb.indicators import filter_helper, filter_kernel, nan_head_nb

F64 = npt.NDArray[np.float64]

_TA_EPS = 1e-14  # TA-Lib 0.8 TA_IS_ZERO: |v| < TA_EPSILON = 1e-14 counts as zero


@filter_helper
def _true_range(H: F64, L: F64, C: F64, i: int) -> float:
    h = H[i]
    lo = L[i]
    c = C[i - 1]
    r = h - lo
    r2 = abs(c - h)
    r3 = abs(lo - c)
    r = r2 if r2 > r else r  # selects (maxsd), as TA-Lib's comparisons
    r = r3 if r3 > r else r
    return float(r)


@filter_kernel
def atr_nb(H: F64, L: F64, C: F64, period: int, normalize: bool, out: F64) -> None:
    """TA-Lib ATR: true range (from bar 1), its SMA over the first ``period`` true ranges, then
    Wilder's smoothing; period 1 is the true range itself. ``normalize`` gives NATR
    (100·ATR/close, 0 where the close is zero; TA-Lib leaves period 1 unnormalised)."""
    n = C.shape[0]
    if nan_head_nb(out, period):
        return
    if period == 1:  # TA-Lib: the true range itself, for ATR and NATR alike
        for i in range(1, n):
            out[i] = _true_range(H, L, C, i)
        return
    total = 0.0
    for i in range(1, period + 1):
        total += _true_range(H, L, C, i)
    atr = total / period
    out[period] = _natr(atr, C[period]) if normalize else atr
    m = float(period - 1)
    # A multiply by 1/period instead of TA-Lib's divide: it takes the division (13+ cycles)
    # off the recursion's critical path; the last-bit difference decays (parity tests).
    inv = 1.0 / period
    # Views indexed from 0: numba then drops its negative-index checks (see roc_nb).
    h = H[period + 1:]
    lo = L[period + 1:]
    cp = C[period:n - 1]
    c = C[period + 1:]
    dst = out[period + 1:]
    for j in range(n - period - 1):
        tr = h[j] - lo[j]
        r2 = abs(cp[j] - h[j])
        r3 = abs(lo[j] - cp[j])
        tr = r2 if r2 > tr else tr
        tr = r3 if r3 > tr else tr
        atr = (atr * m + tr) * inv
        dst[j] = _natr(atr, c[j]) if normalize else atr


@filter_helper
def _natr(atr: float, c: float) -> float:
    return (atr / c) * 100.0 if abs(c) >= _TA_EPS else 0.0


@filter_helper
def _dm(H: F64, L: F64, i: int) -> tuple[float, float]:
    # TA-Lib: -DM counts when it is positive and beats +DM, else +DM when positive and larger.
    dp = H[i] - H[i - 1]
    dm = L[i - 1] - L[i]
    if dm > 0 and dp < dm:
        return 0.0, dm
    if dp > 0 and dp > dm:
        return dp, 0.0
    return 0.0, 0.0


@filter_kernel
def adx_nb(H: F64, L: F64, C: F64, period: int, adx: F64, pdi: F64, mdi: F64) -> None:
    """TA-Lib ADX, PLUS_DI and MINUS_DI (period >= 2): +DM, -DM and TR summed over the first
    ``period - 1`` changes, then Wilder-smoothed (``s - s/period + new``); DI = 100·DM/TR (0 when
    TR is zero), DX = 100·|+DI - -DI|/(+DI + -DI); ADX seeds with the mean of the first ``period``
    DX and then smooths them as ``(adx·(period-1) + dx)/period``. DI start at bar ``period``, ADX
    at bar ``2·period - 1``."""
    n = C.shape[0]
    afirst = 2 * period - 1
    for i in range(min(period, n)):
        pdi[i] = np.nan
        mdi[i] = np.nan
    for i in range(min(afirst, n)):
        adx[i] = np.nan
    if n <= period:
        return
    pdm = 0.0
    mdm = 0.0
    tr = 0.0
    for i in range(1, period):
        p, m = _dm(H, L, i)
        pdm += p
        mdm += m
        tr += _true_range(H, L, C, i)
    sum_dx = 0.0
    a = 0.0
    for i in range(period, n):
        p, m = _dm(H, L, i)
        pdm = pdm - pdm / period + p
        mdm = mdm - mdm / period + m
        tr = tr - tr / period + _true_range(H, L, C, i)
        dx = np.nan
        if abs(tr) >= _TA_EPS:
            plus = 100.0 * (pdm / tr)
            minus = 100.0 * (mdm / tr)
            s = plus + minus
            if abs(s) >= _TA_EPS:
                dx = 100.0 * (abs(minus - plus) / s)
        else:
            plus = 0.0
            minus = 0.0
        pdi[i] = plus
        mdi[i] = minus
        if i <= afirst:
            if dx == dx:
                sum_dx += dx
            if i == afirst:
                a = sum_dx / period
                adx[i] = a
        else:
            if dx == dx:
                a = (a * (period - 1) + dx) / period
            adx[i] = a


@kernel
def obv_nb(C: F64, V: F64, out: F64) -> None:
    """TA-Lib OBV: starts at the first bar's volume, adds the volume on an up close and
    subtracts it on a down close."""
    n = C.shape[0]
    if n == 0:
        return
    obv = V[0]
    out[0] = obv
    c = C[1:]  # views from 0: see engine.nb.indicators.sma_nb
    cp = C[:n - 1]
    v = V[1:]
    dst = out[1:]
    for j in range(n - 1):
        # Selects, not branches (the direction is a coin flip); adding 0.0 is exact.
        up = v[j] if c[j] > cp[j] else 0.0
        dn = v[j] if c[j] < cp[j] else 0.0
        obv = obv + up - dn
        dst[j] = obv
