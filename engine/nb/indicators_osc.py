"""Classic indicator kernels, part 2: oscillators (RSI, STOCH/STOCHF, WILLR, CCI, ROC, MFI).

TA-Lib's arithmetic, as in ``indicators.py``. Rolling highs and lows use the van Herk / Gil-Werman
block algorithm (O(n), branch-free per bar) in small caller-allocated buffers; maxima and minima
are exact, so they equal TA-Lib's own tracker bit for bit.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engine._jit import inline_helper, kernel
from engine.nb.indicators import filter_kernel, nan_head_nb

F64 = npt.NDArray[np.float64]

_TA_EPS = 1e-14  # TA-Lib 0.8 TA_IS_ZERO: |v| < TA_EPSILON = 1e-14 counts as zero


@filter_kernel
def rsi_nb(x: F64, period: int, out: F64) -> None:
    """TA-Lib RSI (period >= 2): Wilder's smoothing seeded with the mean gain and loss of the
    first ``period`` changes; 0 when gain + loss is zero (TA_IS_ZERO)."""
    n = x.shape[0]
    if nan_head_nb(out, period):
        return
    gain = 0.0
    loss = 0.0
    for i in range(1, period + 1):
        d = x[i] - x[i - 1]
        # Selects, not a branch: the sign of a change is a coin flip. Adding 0.0 is exact.
        loss -= d if d < 0 else 0.0
        gain += 0.0 if d < 0 else d
    loss /= period
    gain /= period
    s = gain + loss
    out[period] = 100.0 * (gain / s) if abs(s) >= _TA_EPS else 0.0
    m = float(period - 1)
    inv = 1.0 / period  # multiply, not divide: see atr_nb
    cur = x[period + 1:]  # views from 0: see engine.nb.indicators.sma_nb
    prv = x[period:n - 1]
    dst = out[period + 1:]
    for j in range(n - period - 1):
        d = cur[j] - prv[j]
        loss = (loss * m - (d if d < 0 else 0.0)) * inv
        gain = (gain * m + (0.0 if d < 0 else d)) * inv
        s = gain + loss
        r = 100.0 * (gain / s)
        dst[j] = r if abs(s) >= _TA_EPS else 0.0


@inline_helper
def _mx(a: float, b: float) -> float:
    return a if a > b else b


@inline_helper
def _mn(a: float, b: float) -> float:
    return a if a < b else b


@inline_helper
def _roll_step(H: F64, L: F64, i: int, p: int, pos: int, sh: F64, sl: F64,
               pmax: float, pmin: float) -> tuple[float, float, float, float]:
    """One bar of the van Herk / Gil-Werman rolling max of ``H`` and min of ``L`` over ``p``
    bars: blocks of ``p`` bars; at each block start the suffix extrema of the previous block go
    into ``sh``/``sl``; the window is a suffix of the previous block plus a prefix of this one,
    so its extremum is one comparison. Branch-free per bar (selects), O(n) with 3 comparisons
    per bar and series. ``pos`` is the bar's position in its block (counted from the first
    bar). Returns the new prefix extrema and the window's (HH, LL); the window values are only
    meaningful once ``p`` bars have been seen."""
    if pos == 0:
        if i >= p:
            sh[p - 1] = H[i - 1]
            sl[p - 1] = L[i - 1]
            for t in range(p - 2, -1, -1):
                sh[t] = _mx(H[i - p + t], sh[t + 1])
                sl[t] = _mn(L[i - p + t], sl[t + 1])
        pmax = H[i]
        pmin = L[i]
    else:
        pmax = _mx(pmax, H[i])
        pmin = _mn(pmin, L[i])
    j = pos + 1  # the window's first bar, as a position in the previous block
    if j == p:
        return pmax, pmin, pmax, pmin
    return pmax, pmin, _mx(sh[j], pmax), _mn(sl[j], pmin)


@kernel
def stoch_nb(H: F64, L: F64, C: F64, start: int, fastk: int, slowk: int, slowd: int,
             sh: F64, sl: F64, ringk: F64, ringd: F64, out_k: F64, out_d: F64) -> None:
    """TA-Lib STOCH with SMA smoothing over bars ``start..`` (inputs may be NaN before it):
    fast %K = (C - LL) / (HH - LL) · 100 (0 on a window flat to TA_EPSILON of |HH| + |LL|),
    slow %K = SMA(fast %K, slowk), slow %D = SMA(slow %K, slowd). ``slowk = 1`` gives STOCHF
    (%K and %D = SMA(%K, slowd)). Scratch: ``sh``/``sl`` of length fastk, ``ringk`` of slowk,
    ``ringd`` of slowd."""
    n = C.shape[0]
    kfirst = start + fastk - 1
    first = kfirst + slowk - 1 + slowd - 1
    for i in range(min(first, n)):
        out_k[i] = np.nan
        out_d[i] = np.nan
    if n <= first:
        return
    pmax = 0.0
    pmin = 0.0
    pos = 0
    totk = 0.0
    totd = 0.0
    rk = 0  # ring slots (counters: an integer modulo per bar costs more than the rest)
    rd = 0
    h = H[start:]  # views from 0: see engine.nb.indicators.sma_nb
    lo = L[start:]
    c = C[start:]
    ok = out_k[start:]
    od = out_d[start:]
    for i in range(n - start):
        pmax, pmin, highest, lowest = _roll_step(h, lo, i, fastk, pos, sh, sl, pmax, pmin)
        pos = 0 if pos + 1 == fastk else pos + 1
        if i < fastk - 1:
            continue
        rng = highest - lowest
        flat = abs(rng) <= _TA_EPS * (abs(highest) + abs(lowest))
        fk = 0.0 if flat else ((c[i] - lowest) / rng) * 100.0
        # SMA stages in TA-Lib's order: add the newest, take the mean, drop the oldest.
        # The ring slot just written is the oldest value once it wraps: the slot after it.
        jk = i - (fastk - 1)
        totk += fk
        ringk[rk] = fk
        rk = 0 if rk + 1 == slowk else rk + 1
        if jk < slowk - 1:
            continue
        sk = totk / slowk
        totk -= ringk[rk]
        jd = jk - (slowk - 1)
        totd += sk
        ringd[rd] = sk
        rd = 0 if rd + 1 == slowd else rd + 1
        if jd < slowd - 1:
            continue
        ok[i] = sk
        od[i] = totd / slowd
        totd -= ringd[rd]


@kernel
def willr_nb(H: F64, L: F64, C: F64, period: int, sh: F64, sl: F64, out: F64) -> None:
    """TA-Lib WILLR: (HH - C) / (HH - LL) · -100 clamped to [-100, 0], 0 on a window flat to
    TA_EPSILON of |HH| + |LL|. Scratch ``sh``/``sl`` of length ``period``."""
    n = C.shape[0]
    first = period - 1
    for i in range(min(first, n)):
        out[i] = np.nan
    pmax = 0.0
    pmin = 0.0
    pos = 0
    for i in range(n):
        pmax, pmin, highest, lowest = _roll_step(H, L, i, period, pos, sh, sl, pmax, pmin)
        pos = 0 if pos + 1 == period else pos + 1
        if i < first:
            continue
        rng = highest - lowest
        flat = abs(rng) <= _TA_EPS * (abs(highest) + abs(lowest))
        w = ((highest - C[i]) / rng) * -100.0
        w = -100.0 if w < -100.0 else w
        w = 0.0 if w > 0.0 else w
        out[i] = 0.0 if flat else w


@kernel
def cci_nb(H: F64, L: F64, C: F64, period: int, ring: F64, out: F64) -> None:
    """TA-Lib CCI: typical prices in a ring of ``period`` (``ring``), mean and mean absolute
    deviation summed in ring order as TA-Lib does; 0 when the numerator or the deviation is
    within TA_EPSILON of the mean's magnitude (TA-Lib 0.8's scaled zero test)."""
    n = C.shape[0]
    first = period - 1
    for i in range(min(first, n)):
        out[i] = np.nan
    slot = 0
    for i in range(n):
        last = (H[i] + L[i] + C[i]) / 3.0
        ring[slot] = last  # slot = i % period, counted (an integer modulo is slow)
        slot = 0 if slot + 1 == period else slot + 1
        if i < first:
            continue
        avg = 0.0
        for j in range(period):
            avg += ring[j]
        avg /= period
        dev = 0.0
        for j in range(period):
            dev += abs(ring[j] - avg)
        dev /= period
        num = last - avg
        scale = _TA_EPS * abs(avg)
        out[i] = num / (0.015 * dev) if abs(num) > scale and abs(dev) > scale else 0.0


@kernel
def roc_nb(x: F64, period: int, out: F64) -> None:
    """TA-Lib ROC: (x / x[-period] - 1) · 100, 0 where the old value is 0."""
    n = x.shape[0]
    if nan_head_nb(out, period):
        return
    # Loop from 0 over shifted views: with a non-constant start numba cannot prove the index
    # non-negative, keeps its wraparound check and the loop does not vectorise (5x slower).
    cur = x[period:]
    old = x[:n - period]
    dst = out[period:]
    for j in range(n - period):
        r = (cur[j] / old[j] - 1.0) * 100.0
        dst[j] = r if old[j] != 0.0 else 0.0


@kernel
def mfi_nb(H: F64, L: F64, C: F64, V: F64, period: int, pos: F64, neg: F64, out: F64) -> None:
    """TA-Lib 0.8 MFI: money flows of the last ``period`` typical-price changes in rings ``pos``
    and ``neg`` with running sums (subtract the leaving bar, add the new one). A change within
    TA_EPSILON of the two prices is no flow; after ``period`` bars without flow the sums are
    exactly reset to 0 (their residue is not); the positive sum is clamped into [0, total];
    0 for a window without flow. Selects, not branches: the direction is a coin flip."""
    n = C.shape[0]
    if nan_head_nb(out, period):
        return
    prev = (H[0] + L[0] + C[0]) / 3.0
    psum = 0.0
    nsum = 0.0
    null_run = 0
    j = period - 1
    for i in range(1, n):
        j = 0 if j + 1 == period else j + 1  # (i - 1) % period, counted
        if i > period:
            psum -= pos[j]
            nsum -= neg[j]
        tp = (H[i] + L[i] + C[i]) / 3.0
        d = tp - prev
        scale = abs(tp) + abs(prev)
        prev = tp
        mf = tp * V[i]
        flow = 0.0 if abs(d) <= _TA_EPS * scale else mf
        pf = 0.0 if d < 0.0 else flow
        nf = flow if d < 0.0 else 0.0
        pos[j] = pf
        neg[j] = nf
        psum += pf
        nsum += nf
        null_run = null_run + 1 if flow == 0.0 else 0
        if null_run >= period:
            null_run = period
            psum = 0.0
            nsum = 0.0
        if i < period:
            continue
        tot = psum + nsum
        pc = 0.0 if psum < 0.0 else min(psum, tot)
        out[i] = 0.0 if tot <= 0.0 else 100.0 * (pc / tot)
