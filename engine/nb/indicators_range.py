"""Classic indicator kernels, part 3: ranges and volume (ATR, NATR, ADX / +DI / -DI, OBV).

TA-Lib's arithmetic, as in ``indicators.py``: ATR's Wilder step is TA-Lib 0.8's two-coefficient
FMA and ADX keeps TA-Lib's ``s - s/period + new`` sums, both bit for bit. The per-bar steps are
helpers of scalars, shared with the fused kernel (``indicators_fused``). ATR is bound by memory
bandwidth (three input streams), so its ratio to TA-Lib is about 1 at any arithmetic.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engine._jit import inline_helper, kernel
from engine.nb.indicators import div_nb, ema_step_nb, fma, nan_head_nb

F64 = npt.NDArray[np.float64]

_TA_EPS = 1e-14  # TA-Lib 0.8 TA_IS_ZERO: |v| < TA_EPSILON = 1e-14 counts as zero


@inline_helper
def true_range_nb(h: float, lo: float, cp: float) -> float:
    """TA-Lib's true range: high - low, replaced by |cp - h| then |lo - cp| when larger."""
    r = h - lo
    r2 = abs(cp - h)
    r3 = abs(lo - cp)
    r = r2 if r2 > r else r  # selects (maxsd), as TA-Lib's comparisons
    return r3 if r3 > r else r


@inline_helper
def _true_range(H: F64, L: F64, C: F64, i: int) -> float:
    return true_range_nb(H[i], L[i], C[i - 1])


@kernel
def atr_nb(H: F64, L: F64, C: F64, period: int, normalize: bool, out: F64) -> float:
    """TA-Lib ATR: true range (from bar 1), its SMA over the first ``period`` true ranges, then
    Wilder's smoothing, TA-Lib 0.8's two-coefficient FMA step ``ema_step_nb`` (b =
    (period-1)/period, a = 1 - b; bit for bit TA-Lib's); period 1 is the true range itself.
    ``normalize`` gives NATR (100·ATR/close, 0 where the close is zero; TA-Lib leaves period 1
    unnormalised). Returns the ATR of the last bar (the fused kernel continues from it)."""
    n = C.shape[0]
    if nan_head_nb(out, period):
        return np.nan
    if period == 1:  # TA-Lib: the true range itself, for ATR and NATR alike
        for i in range(1, n):
            out[i] = _true_range(H, L, C, i)
        return np.nan
    total = 0.0
    for i in range(1, period + 1):
        total += _true_range(H, L, C, i)
    atr = total / period
    out[period] = _natr(atr, C[period]) if normalize else atr
    b = (period - 1) / period
    a = 1.0 - b  # derived from b, as TA-Lib does: a + b is exactly 1
    # Views indexed from 0: numba then drops its negative-index checks (see roc_nb).
    h = H[period + 1:]
    lo = L[period + 1:]
    cp = C[period:n - 1]
    c = C[period + 1:]
    dst = out[period + 1:]
    if normalize:  # two copies of the loop: no per-bar test of the flag
        for j in range(n - period - 1):
            atr = ema_step_nb(atr, true_range_nb(h[j], lo[j], cp[j]), a, b)
            dst[j] = _natr(atr, c[j])
    else:
        for j in range(n - period - 1):
            atr = ema_step_nb(atr, true_range_nb(h[j], lo[j], cp[j]), a, b)
            dst[j] = atr
    return atr


@inline_helper
def _natr(atr: float, c: float) -> float:
    return (atr / c) * 100.0 if abs(c) >= _TA_EPS else 0.0


@inline_helper
def dm_nb(h: float, lo: float, hp: float, lp: float) -> tuple[float, float]:
    """(+DM, -DM) of a bar: -DM counts when it is positive and beats +DM, else +DM when it is
    positive and larger (TA-Lib)."""
    dp = h - hp
    dm = lp - lo
    if dm > 0 and dp < dm:
        return 0.0, dm
    if dp > 0 and dp > dm:
        return dp, 0.0
    return 0.0, 0.0


@inline_helper
def _dm(H: F64, L: F64, i: int) -> tuple[float, float]:
    return dm_nb(H[i], L[i], H[i - 1], L[i - 1])


@inline_helper
def adx_step_nb(pdm: float, mdm: float, tr: float, p: float, m: float, t: float,
                period: int) -> tuple[float, float, float, float, float, float]:
    """One bar of TA-Lib's directional movement: the Wilder sums of +DM, -DM and TR
    (``s - s/period + new``; ``div_nb``: TA-Lib's quotient without the divider's throughput),
    +DI and -DI (100·DM/TR, 0 when TR is zero) and DX
    (100·|+DI - -DI|/(+DI + -DI); NaN when undefined: ADX then skips the bar).
    Returns (pdm, mdm, tr, +DI, -DI, DX)."""
    fp = float(period)
    r = 1.0 / fp  # loop-invariant once inlined: hoisted
    pdm = pdm - div_nb(pdm, fp, r) + p
    mdm = mdm - div_nb(mdm, fp, r) + m
    tr = tr - div_nb(tr, fp, r) + t
    dx = np.nan
    plus = 0.0
    minus = 0.0
    if abs(tr) >= _TA_EPS:
        plus = 100.0 * (pdm / tr)
        minus = 100.0 * (mdm / tr)
        s = plus + minus
        if abs(s) >= _TA_EPS:
            dx = 100.0 * (abs(minus - plus) / s)
    return pdm, mdm, tr, plus, minus, dx


@inline_helper
def adx_smooth_nb(a: float, dx: float, period: int) -> float:
    """ADX after the seed: ``(adx·(period-1) + dx)/period``, unchanged on an undefined DX."""
    fp = float(period)
    return div_nb(a * (period - 1) + dx, fp, 1.0 / fp) if dx == dx else a


@kernel
def adx_nb(H: F64, L: F64, C: F64, period: int, adx: F64, pdi: F64,
           mdi: F64) -> tuple[float, float, float, float]:
    """TA-Lib ADX, PLUS_DI and MINUS_DI (period >= 2): +DM, -DM and TR summed over the first
    ``period - 1`` changes, then ``adx_step_nb`` per bar; ADX seeds with the mean of the first
    ``period`` DX and then smooths them (``adx_smooth_nb``). DI start at bar ``period``, ADX
    at bar ``2·period - 1``."""
    n = C.shape[0]
    afirst = 2 * period - 1
    nan_head_nb(pdi, period)
    nan_head_nb(mdi, period)
    nan_head_nb(adx, afirst)
    if n <= period:
        return np.nan, np.nan, np.nan, np.nan
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
        pdm, mdm, tr, pdi[i], mdi[i], dx = adx_step_nb(pdm, mdm, tr, p, m,
                                                       _true_range(H, L, C, i), period)
        if i > afirst:  # after the seed: predicted
            a = adx_smooth_nb(a, dx, period)
            adx[i] = a
            continue
        if dx == dx:
            sum_dx += dx
        if i == afirst:
            a = sum_dx / period
            adx[i] = a
    return pdm, mdm, tr, a


@inline_helper
def obv_step_nb(obv: float, c: float, cp: float, v: float) -> float:
    """OBV after a bar: + volume on an up close, - volume on a down close. The direction is a
    factor +1/-1/0 from selects (it is a coin flip: a branch mispredicts half the time);
    v·(±1) is exact, so the FMA rounds exactly as obv ± v."""
    sign = (1.0 if c > cp else 0.0) - (1.0 if c < cp else 0.0)
    return fma(v, sign, obv)


@kernel
def obv_nb(C: F64, V: F64, out: F64) -> float:
    """TA-Lib OBV: starts at the first bar's volume, then ``obv_step_nb``."""
    n = C.shape[0]
    if n == 0:
        return np.nan
    obv = V[0]
    out[0] = obv
    c = C[1:]  # views from 0: see engine.nb.indicators.sma_nb
    cp = C[:n - 1]
    v = V[1:]
    dst = out[1:]
    for j in range(n - 1):
        obv = obv_step_nb(obv, c[j], cp[j], v[j])
        dst[j] = obv
    return float(obv)
