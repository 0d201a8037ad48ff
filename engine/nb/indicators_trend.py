"""Classic indicator kernels, part 4: trend and levels (SAR, SuperTrend, Keltner, Donchian,
Ichimoku, VWAP, pivot points, swings).

SAR, SuperTrend, Donchian and VWAP reproduce TA-Lib 0.8's functions of the same name. SAR
compiles with FMA contraction, as TA-Lib 0.8 does: its shared library carries an FMA clone of
TA_SAR picked at run time on CPUs with FMA (numba targets the host CPU too), so the
stop-and-reverse tests see the same roundings. SuperTrend carries TA-Lib's ATR inline with the
ATR's explicit FMA step (``fma_nb``, which also runs under ``NUMBA_DISABLE_JIT=1``), so its
trend flips see TA-Lib's bits too. Keltner, Ichimoku, pivots and swings have no TA-Lib
counterpart; their rules are documented on each kernel and in ``engine/README.md``. Rolling
highs and lows use the van Herk / Gil-Werman block step (as STOCH in ``indicators_osc``; a copy
here so that module can change its own form freely): exact, O(n).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
from numba.extending import overload

from engine._jit import inline_helper, kernel
from engine.nb.indicators import ema_nb, filter_kernel, fma, nan_head_nb
from engine.nb.indicators_range import atr_nb, true_range_nb

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
B1 = npt.NDArray[np.bool_]

_MATH_FMA = getattr(math, "fma", None)  # Python 3.13+
_llvm_fma = fma  # the LLVM intrinsic (engine.nb.indicators)


def fma_nb(a: float, b: float, c: float) -> float:
    """``a·b + c`` rounded once, in compiled kernels (LLVM's ``fma``, through the overload
    below) and in pure Python alike (``NUMBA_DISABLE_JIT=1``, where the ``fma`` intrinsic
    cannot run): ``math.fma`` where Python has it, else exact rationals, whose conversion to
    float rounds once. Same bits in both modes for finite results."""
    if _MATH_FMA is not None:
        return float(_MATH_FMA(a, b, c))
    if math.isfinite(a) and math.isfinite(b) and math.isfinite(c):
        try:
            return float(Fraction(a) * Fraction(b) + Fraction(c))
        except OverflowError:
            pass
    return a * b + c


@overload(fma_nb, inline="always")
def _fma_nb_compiled(a: Any, b: Any, c: Any) -> Any:
    def impl(a: Any, b: Any, c: Any) -> Any:  # numba wants the overload's own annotations
        return _llvm_fma(a, b, c)

    return impl


PIVOT_FLOOR = 0
PIVOT_FIBONACCI = 1
PIVOT_CAMARILLA = 2


@inline_helper
def _roll_step(H: F64, L: F64, i: int, p: int, pos: int, sh: F64, sl: F64,
               pmax: float, pmin: float) -> tuple[float, float, float, float]:
    """Bar ``i`` of the rolling max of ``H`` and min of ``L`` over ``p`` bars (van Herk /
    Gil-Werman): bars go in blocks of ``p``; at a block start (``pos == 0``) the suffix extrema
    of the previous block are stored in ``sh``/``sl``; a window is a suffix of the previous
    block plus a prefix of this one (running ``pmax``/``pmin``), so its extremum is one
    comparison. Returns the new prefix extrema and the window's (HH, LL), meaningful once ``p``
    bars have been seen."""
    if pos == 0:
        if i >= p:
            sh[p - 1] = H[i - 1]
            sl[p - 1] = L[i - 1]
            for t in range(p - 2, -1, -1):
                hv = H[i - p + t]
                lv = L[i - p + t]
                sh[t] = hv if hv > sh[t + 1] else sh[t + 1]
                sl[t] = lv if lv < sl[t + 1] else sl[t + 1]
        pmax = H[i]
        pmin = L[i]
    else:
        pmax = H[i] if H[i] > pmax else pmax
        pmin = L[i] if L[i] < pmin else pmin
    j = pos + 1  # the window's first bar, as a position in the previous block
    if j == p:
        return pmax, pmin, pmax, pmin
    hh = sh[j] if sh[j] > pmax else pmax
    ll = sl[j] if sl[j] < pmin else pmin
    return pmax, pmin, hh, ll


@filter_kernel
def sar_nb(H: F64, L: F64, accel: float, maximum: float, out: F64) -> None:
    """TA-Lib SAR (``accel <= maximum``; the wrapper clamps as TA-Lib does). The first trend is
    short when bar 1's -DM(1) is positive (``L[0] - L[1] > 0`` and above ``H[1] - H[0]``), else
    long; the first SAR is bar 0's low (long) or high (short), the first extreme point bar 1's
    high or low. On a reversal the SAR becomes the extreme point, kept outside the ranges of the
    current and previous bars. NaN at bar 0."""
    n = H.shape[0]
    if nan_head_nb(out, 1):
        return
    dp = H[1] - H[0]
    dm = L[0] - L[1]
    is_long = not (dm > 0 and dp < dm)
    ep = H[1] if is_long else L[1]
    sar = L[0] if is_long else H[0]
    af = accel
    new_low = L[1]  # TA-Lib's "cheat": the previous bar of bar 1 is bar 1 itself
    new_high = H[1]
    for i in range(1, n):
        prev_low = new_low
        prev_high = new_high
        new_low = L[i]
        new_high = H[i]
        if is_long:
            if new_low <= sar:  # stop and reverse to short
                is_long = False
                sar = max(ep, prev_high, new_high)
                out[i] = sar
                af = accel
                ep = new_low
                sar = max(sar + af * (ep - sar), prev_high, new_high)
            else:
                out[i] = sar
                if new_high > ep:
                    ep = new_high
                    af = min(af + accel, maximum)
                sar = min(sar + af * (ep - sar), prev_low, new_low)
        elif new_high >= sar:  # stop and reverse to long
            is_long = True
            sar = min(ep, prev_low, new_low)
            out[i] = sar
            af = accel
            ep = new_high
            sar = min(sar + af * (ep - sar), prev_low, new_low)
        else:
            out[i] = sar
            if new_low < ep:
                ep = new_low
                af = min(af + accel, maximum)
            sar = max(sar + af * (ep - sar), prev_high, new_high)


@kernel
def supertrend_nb(H: F64, L: F64, C: F64, period: int, mult: float, line: F64,
                  trend: I32) -> None:
    """TA-Lib SUPERTREND (``period >= 2``). ATR as TA-Lib's (true range from bar 1, their mean
    over the first ``period`` seeds bar ``period``, then Wilder's step as TA-Lib 0.8's
    two-coefficient FMA), carried inline. Bands ``(H+L)/2 ± mult·ATR`` ratchet toward price:
    the upper takes the new value when it is lower or the previous close rose above it, the
    lower when it is higher or the previous close fell below it. The trend starts up (line =
    lower band, trend 1) at bar ``period``, turns down (line = upper band, -1) when a close
    falls below the lower band and up again when a close rises above the upper band; the flag
    is carried, not recovered from which band the line equals (the bands can coincide).
    NaN / 0 before bar ``period``."""
    n = C.shape[0]
    for i in range(min(period, n)):
        line[i] = np.nan
        trend[i] = 0
    if n <= period:
        return
    total = 0.0
    for i in range(1, period + 1):
        total += true_range_nb(H[i], L[i], C[i - 1])
    atr = total / period
    b = (period - 1) / period
    a = 1.0 - b  # as atr_nb: a + b is exactly 1
    mid = (H[period] + L[period]) / 2.0
    band = mult * atr
    upper = mid + band
    lower = mid - band
    up = True
    line[period] = lower
    trend[period] = 1
    for i in range(period + 1, n):
        atr = fma_nb(atr, b, a * true_range_nb(H[i], L[i], C[i - 1]))
        mid = (H[i] + L[i]) / 2.0
        band = mult * atr
        basic_upper = mid + band
        basic_lower = mid - band
        cp = C[i - 1]
        if basic_upper < upper or cp > upper:
            upper = basic_upper
        if basic_lower > lower or cp < lower:
            lower = basic_lower
        # A NaN close compares false both ways and keeps the trend, as in TA-Lib.
        up = (not C[i] < lower) if up else C[i] > upper
        line[i] = lower if up else upper
        trend[i] = 1 if up else -1


@kernel
def typical_nb(H: F64, L: F64, C: F64, out: F64) -> None:
    """The typical price (H + L + C) / 3."""
    for i in range(C.shape[0]):
        out[i] = (H[i] + L[i] + C[i]) / 3.0


@kernel
def keltner_nb(H: F64, L: F64, C: F64, src: F64, period: int, atr_period: int, mult: float,
               upper: F64, middle: F64, lower: F64) -> None:
    """Keltner channels: ``middle`` = TA-Lib EMA(period) of ``src`` (the close, or the typical
    price, which may arrive in ``lower``), bands ``middle ± mult·ATR(atr_period)`` (TA-Lib's
    Wilder ATR). All three NaN until both exist: the first ``max(period - 1, atr_period)``."""
    n = C.shape[0]
    ema_nb(src, period, middle)
    atr_nb(H, L, C, atr_period, False, upper)
    first = min(max(period - 1, atr_period), n)
    for i in range(first):
        upper[i] = np.nan
        middle[i] = np.nan
        lower[i] = np.nan
    for i in range(first, n):
        w = mult * upper[i]
        m = middle[i]
        upper[i] = m + w
        lower[i] = m - w


@kernel
def donchian_nb(H: F64, L: F64, period: int, sh: F64, sl: F64,
                upper: F64, middle: F64, lower: F64) -> None:
    """Donchian channels over ``period`` bars including the current one: upper = highest high
    (TA-Lib MAX), lower = lowest low (MIN), middle = their mean. Scratch ``sh``/``sl`` of length
    ``period``. NaN for the first ``period - 1`` bars."""
    n = H.shape[0]
    pmax = 0.0
    pmin = 0.0
    pos = 0
    for i in range(n):
        pmax, pmin, hh, ll = _roll_step(H, L, i, period, pos, sh, sl, pmax, pmin)
        pos = 0 if pos + 1 == period else pos + 1
        if i < period - 1:
            upper[i] = np.nan
            middle[i] = np.nan
            lower[i] = np.nan
        else:
            upper[i] = hh
            lower[i] = ll
            middle[i] = (hh + ll) / 2.0


@kernel
def ichimoku_nb(H: F64, L: F64, C: F64, tp: int, kp: int, bp: int, disp: int,
                scratch: F64, tenkan: F64, kijun: F64, span_a: F64, span_b: F64, chikou: F64,
                ahead_a: F64, ahead_b: F64) -> None:
    """Ichimoku: tenkan/kijun = midpoints of the ``tp``/``kp``-bar high-low ranges; the raw spans
    A = (tenkan + kijun)/2 and B = the ``bp``-bar midpoint of bar i are written at bar
    ``i + disp`` (``span_*``) or, past the last bar, into ``ahead_*[i + disp - N]``; chikou[i] =
    C[i + disp] (NaN for the last ``disp`` bars). ``scratch``: 2·(tp + kp + bp) floats."""
    n = C.shape[0]
    # Scratch views made once (a slice per bar costs more than the rolling step itself).
    th_s = scratch[:tp]
    tl_s = scratch[tp:2 * tp]
    kh_s = scratch[2 * tp:2 * tp + kp]
    kl_s = scratch[2 * tp + kp:2 * (tp + kp)]
    bh_s = scratch[2 * (tp + kp):2 * (tp + kp) + bp]
    bl_s = scratch[2 * (tp + kp) + bp:2 * (tp + kp + bp)]
    for i in range(min(disp, n)):
        span_a[i] = np.nan
        span_b[i] = np.nan
    for j in range(disp):
        ahead_a[j] = np.nan
        ahead_b[j] = np.nan
    tmax = tmin = kmax = kmin = bmax = bmin = 0.0
    tpos = kpos = bpos = 0
    for i in range(n):
        tmax, tmin, th, tl = _roll_step(H, L, i, tp, tpos, th_s, tl_s, tmax, tmin)
        kmax, kmin, kh, kl = _roll_step(H, L, i, kp, kpos, kh_s, kl_s, kmax, kmin)
        bmax, bmin, bh, bl = _roll_step(H, L, i, bp, bpos, bh_s, bl_s, bmax, bmin)
        tpos = 0 if tpos + 1 == tp else tpos + 1
        kpos = 0 if kpos + 1 == kp else kpos + 1
        bpos = 0 if bpos + 1 == bp else bpos + 1
        t = (th + tl) / 2.0 if i >= tp - 1 else np.nan
        k = (kh + kl) / 2.0 if i >= kp - 1 else np.nan
        a = (t + k) / 2.0
        b = (bh + bl) / 2.0 if i >= bp - 1 else np.nan
        tenkan[i] = t
        kijun[i] = k
        j = i + disp
        if j < n:
            span_a[j] = a
            span_b[j] = b
        else:
            ahead_a[j - n] = a
            ahead_b[j - n] = b
        chikou[i] = C[j] if j < n else np.nan


VWAP_BLOCK = 512  # bars per block: two scratch rows of this length stay in L1


@kernel
def vwap_nb(H: F64, L: F64, C: F64, V: F64, sid: I64, before_volume: float, spv: F64,
            svol: F64, out: F64) -> float:
    """Session-anchored VWAP of the typical price (H+L+C)/3 with TA-Lib's arithmetic (its VWAP
    is the one-session case): the sums of price·volume and volume restart wherever ``sid``
    changes (an empty ``sid``: one session, nothing to read per bar); a bar whose typical price
    or volume is not finite is skipped (it repeats the last value); ``before_volume`` until the
    session has traded (TA-Lib: 0.0). Returns the smallest volume, so the wrapper can refuse a
    negative one without a pass of its own.

    Blocks of ``len(spv)`` bars: the running sums go to the scratch rows ``spv``/``svol``, then
    one loop divides the block. TA-Lib divides bar by bar; a separate loop lets the divisions
    run as SIMD, the same correctly rounded quotients (the divider bounded the one-loop form).
    With non-negative volume a session's sum stays positive once it has traded, so "sum > 0"
    is exactly TA-Lib's "carry the last value"."""
    n = C.shape[0]
    anchored = sid.shape[0] > 0
    prev = sid[0] if anchored and n else 0
    pv = 0.0
    vol = 0.0
    least = np.inf
    for lo in range(0, n, spv.shape[0]):
        m = min(spv.shape[0], n - lo)
        for k in range(m):
            i = lo + k
            if anchored and sid[i] != prev:
                pv = 0.0
                vol = 0.0
                prev = sid[i]
            tp = (H[i] + L[i] + C[i]) / 3.0
            v = V[i]
            w = tp * v  # its own rounding, as TA-Lib keeps it (no FMA into the sum)
            if np.isfinite(tp) and np.isfinite(v):
                pv += w
                vol += v
            spv[k] = pv
            svol[k] = vol
            least = v if v < least else least
        dst = out[lo:lo + m]
        for k in range(m):
            dst[k] = spv[k] / svol[k] if svol[k] > 0.0 else before_volume
    return least


@kernel
def pivots_nb(H: F64, L: F64, C: F64, method: int, out: F64) -> None:
    """Pivot levels from each period's H/L/C for the *next* period: ``out`` is (9, N+1), rows
    P R1 R2 R3 R4 S1 S2 S3 S4, column i from period i-1 (column 0 NaN, column N for the period
    after the last). Floor: R1 = 2P-L, S1 = 2P-H, R2/S2 = P ± (H-L), R3 = H + 2(P-L),
    S3 = L - 2(H-P). Fibonacci: P ± 0.382, 0.618, 1.000 · (H-L). Camarilla: C ± (H-L)·1.1/12,
    /6, /4, /2 for levels 1-4. Levels a method lacks (R4, S4) are NaN."""
    n = C.shape[0]
    for r in range(9):
        out[r, 0] = np.nan
    for i in range(n):
        h = H[i]
        lo = L[i]
        c = C[i]
        p = (h + lo + c) / 3.0
        rng = h - lo
        j = i + 1
        out[0, j] = p
        if method == PIVOT_FLOOR:
            lv = (2.0 * p - lo, p + rng, h + 2.0 * (p - lo), np.nan,
                  2.0 * p - h, p - rng, lo - 2.0 * (h - p), np.nan)
        elif method == PIVOT_FIBONACCI:
            lv = (p + 0.382 * rng, p + 0.618 * rng, p + rng, np.nan,
                  p - 0.382 * rng, p - 0.618 * rng, p - rng, np.nan)
        else:
            q = rng * 1.1
            lv = (c + q / 12.0, c + q / 6.0, c + q / 4.0, c + q / 2.0,
                  c - q / 12.0, c - q / 6.0, c - q / 4.0, c - q / 2.0)
        for r in range(8):
            out[r + 1, j] = lv[r]


@kernel
def swings_nb(H: F64, L: F64, left: int, right: int,
              is_high: B1, is_low: B1, high_known: B1, low_known: B1) -> None:
    """Fractal swings: bar i is a swing high when H[i] is strictly above the ``left`` highs
    before it and the ``right`` highs after it (ties are not swings), a swing low likewise with
    lows below. ``is_*[i]`` marks the bar; ``*_known[i + right]`` marks the bar where that
    becomes known. Outputs arrive zeroed; bars without a full window stay False."""
    n = H.shape[0]
    for i in range(left, n - right):
        h = H[i]
        lo = L[i]
        sh = True
        sl = True
        for j in range(i - left, i + right + 1):
            if j != i:
                sh = sh and h > H[j]
                sl = sl and lo < L[j]
        is_high[i] = sh
        is_low[i] = sl
        high_known[i + right] = sh
        low_known[i + right] = sl
