"""Classic indicator kernels, part 1: moving averages (SMA, EMA, WMA, DEMA, TEMA, MACD, BBANDS).

Every kernel reproduces TA-Lib's results (the 0.8 C library, default compatibility, unstable
period 0): the same seeds, the same windows and zero tests, so that results agree to 1e-9
relative after TA-Lib's lookback. Each kernel fills its whole output, NaN for the first
``lookback`` values (all NaN when the series is not longer than the lookback).

FMA is explicit (``fma`` below), never left to the compiler: the kernels compile without any
fast-math flag, so a fused kernel (``indicators_fused``) that inlines the same step helpers
rounds exactly as the individual kernels do; kernels with a recursion return its state after
the last bar, from which the fused kernel continues. Recursive filters (the EMA family, RSI's
and ATR's Wilder smoothing; ADX keeps TA-Lib's own sums) take the two-coefficient step
``fma(prev, 1 - a, a·x)``: one FMA on the loop-carried chain instead of TA-Lib's
subtract-then-FMA (ATR's is TA-Lib 0.8's own, bit for bit), and an error in a stable recursion
decays, so the 1e-9 match holds. Running sums (SMA, WMA) put one add per bar on their chain
(the increment, new - old, is formed off it): the same sums as TA-Lib's, rounded differently,
their drift orders of magnitude inside the tolerance over 1e7 bars (WMA is rebuilt every
8·period bars, as TA-Lib does). BBANDS' variance is TA-Lib 0.8's own shifted sums, bit for
bit. Division by a constant period goes through ``div_nb``, a correctly rounded quotient at
multiply-add cost.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt
from numba import config as numba_config
from numba import types
from numba.extending import intrinsic

from engine._jit import KERNEL_OPTIONS, inline_helper, kernel

F64 = npt.NDArray[np.float64]
F = TypeVar("F", bound=Callable[..., Any])


def filter_kernel(fn: F) -> F:
    """A kernel with FMA contraction left to LLVM (no reassociation, no other fast-math flag);
    kept for kernels written before ``fma`` was explicit (``indicators_trend``)."""
    import numba

    return cast(F, numba.njit(fastmath={"contract"}, **KERNEL_OPTIONS)(fn))


def filter_helper(fn: F) -> F:
    """An inlined helper for ``filter_kernel`` kernels."""
    import numba

    return cast(F, numba.njit(inline="always", fastmath={"contract"}, **KERNEL_OPTIONS)(fn))


@intrinsic
def _fma(typingctx: Any, a: Any, b: Any, c: Any) -> Any:
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.fma(*args)

    return sig, codegen


def _fma_py(a: float, b: float, c: float) -> float:
    """``a·b + c`` rounded once, in plain Python (NUMBA_DISABLE_JIT=1: debugging, coverage);
    the exact rational sum rounds correctly on conversion."""
    if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(c)):
        return a * b + c
    return float(Fraction(a) * Fraction(b) + Fraction(c))


# ``a·b + c`` with one rounding: LLVM's ``llvm.fma.f64`` (one instruction on FMA CPUs) in
# kernels, the exact Python twin when numba runs the kernels as Python.
fma = cast(Callable[[float, float, float], float],
           _fma_py if getattr(numba_config, "DISABLE_JIT", False) else _fma)


@inline_helper
def ix(i: int) -> int:
    """``i`` as an unsigned index. numba wraps a signed index that might be negative (a compare
    and select per access), which keeps a loop over an offset window from vectorising; an
    unsigned one goes straight to the address. The alternative, a view from the window's
    start, costs a reference-count round trip per view, too much per chunk or per block."""
    return np.uint64(i)  # type: ignore[return-value]


@inline_helper
def div_nb(x: float, d: float, r: float) -> float:
    """``x / d`` for a constant ``d`` with ``r = 1 / d``: the quotient ``x·r`` corrected once
    with its exact remainder (Markstein), which gives the correctly rounded quotient, i.e. the
    bits of ``x / d`` (for normal operands; checked in tests/engine/test_indicators.py), at two
    FMAs and a multiply instead of a divide, whose throughput bounded SMA, WMA and ADX."""
    q = x * r
    return fma(fma(-q, d, x), r, q)


@inline_helper
def ema_step_nb(prev: float, x: float, a: float, b: float) -> float:
    """One exponential smoothing step ``prev·b + x·a`` (``b = 1 - a``): the FMA is the only
    operation on the loop-carried chain."""
    return fma(prev, b, a * x)


@inline_helper
def nan_head_nb(out: F64, count: int) -> bool:
    """NaN into ``out[:count]`` (TA-Lib's lookback, clipped to the array); True when nothing is
    left to compute after it."""
    n = out.shape[0]
    for i in range(min(count, n)):
        out[i] = np.nan
    return bool(n <= count)


@inline_helper
def sma_step_nb(total: float, new: float, old: float, p: float, r: float) -> tuple[float, float]:
    """One bar of the running SMA: ``total`` holds the ``p - 1`` values before ``new``; returns
    (the mean of the window ending at ``new``, the next ``total`` without ``old``, the window's
    oldest value). ``new - old`` is formed off the loop-carried chain, so the chain is one add
    (TA-Lib adds ``new`` then subtracts ``old``: two); the sums differ only in rounding, which
    stays orders of magnitude inside the 1e-9 tolerance over 1e7 bars."""
    return div_nb(total + new, p, r), total + (new - old)


@kernel
def sma_nb(x: F64, period: int, start: int, out: F64) -> None:
    """TA-Lib SMA of ``x[start:]`` (``x`` is NaN before ``start``): a running sum of the window
    (``sma_step_nb``)."""
    n = x.shape[0]
    first = start + period - 1
    if nan_head_nb(out, first):
        return
    total = 0.0
    for i in range(start, first):
        total += x[i]
    p = float(period)
    r = 1.0 / p
    # Views indexed from 0: numba then drops its negative-index checks (5x on simple loops).
    new = x[first:]
    old = x[start:]
    dst = out[first:]
    for j in range(n - first):
        dst[j], total = sma_step_nb(total, new[j], old[j], p, r)


@kernel
def ema_nb(x: F64, period: int, out: F64) -> None:
    """TA-Lib EMA: seeded with the SMA of the first ``period`` values, k = 2 / (period + 1)."""
    n = x.shape[0]
    first = period - 1
    if nan_head_nb(out, first):
        return
    k = 2.0 / (period + 1)
    b = 1.0 - k
    s = 0.0
    for i in range(period):
        s += x[i]
    prev = s / period
    out[first] = prev
    src = x[period:]  # views from 0: see sma_nb
    dst = out[period:]
    for j in range(n - period):
        prev = ema_step_nb(prev, src[j], k, b)
        dst[j] = prev


@kernel
def wma_sums_nb(x: F64, lo: int, hi: int) -> tuple[float, float]:
    """Plain and weighted (1, 2, ...) sums of ``x[lo:hi]``, oldest first (TA-Lib's order).
    Called, not inlined (as ``bb_reseed_nb``): an array handed to an inlined helper inside a
    branch of a loop costs a reference-count round trip on every pass of the loop."""
    psub = 0.0
    psum = 0.0
    for j in range(lo, hi):
        v = x[j]
        psub += v
        psum += v * (j - lo + 1)
    return psub, psum


@kernel
def wma_nb(x: F64, period: int, out: F64) -> tuple[float, float, float]:
    """TA-Lib WMA (weights 1..period): running weighted sum and plain sum, both rebuilt from
    the window every ``8·period`` bars as TA-Lib 0.8 does (so rounding never accumulates)."""
    n = x.shape[0]
    first = period - 1
    if nan_head_nb(out, first):
        return 0.0, 0.0, 0.0
    if period == 1:
        for i in range(n):
            out[i] = x[i]
        return 0.0, 0.0, 0.0
    divider = period * (period + 1) / 2.0
    r = 1.0 / divider
    psub, psum = wma_sums_nb(x, 0, first)
    new = x[first:]  # views from 0: see sma_nb
    old = x[:n - first]
    dst = out[first:]
    m = n - first
    block = 8 * period
    trailing_value = 0.0
    for b0 in range(0, m, block):
        # TA-Lib adds v to psub, subtracts the trailing value, adds v·period to psum, outputs,
        # then subtracts psub from psum. Here each sum takes one add per bar, its increment
        # formed off the chain (same values, rounded differently; the rebuild bounds it).
        b1 = min(b0 + block - 1, m)
        for j in range(b0, b1):  # no branch inside: the loop unrolls
            v = new[j]
            psub += v - trailing_value
            vp = v * period
            dst[j] = div_nb(psum + vp, divider, r)
            psum += vp - psub
            trailing_value = old[j]
        if b1 < m:  # every 8·period-th bar: both sums rebuilt from its window (TA-Lib 0.8)
            psub, full = wma_sums_nb(x, b1, b1 + period)
            dst[b1] = div_nb(full, divider, r)
            psum = full - psub
            trailing_value = old[b1]
    return psub, psum, trailing_value


@inline_helper
def ema2_seed_nb(x: F64, period: int, k: float, b: float) -> tuple[float, float]:
    """TA-Lib's seeding of a two-stage EMA chain: EMA1 starts as the SMA of the first ``period``
    values; EMA2 starts as the SMA of EMA1's first ``period`` values. Returns both at bar
    ``2 * (period - 1)`` (DEMA's first output; TEMA's third stage starts there)."""
    s = 0.0
    for i in range(period):
        s += x[i]
    e1 = s / period
    s2 = e1
    for i in range(period, 2 * (period - 1) + 1):
        e1 = ema_step_nb(e1, x[i], k, b)
        s2 += e1
    return e1, s2 / period


@kernel
def dema_nb(x: F64, period: int, out: F64) -> None:
    """TA-Lib DEMA = 2·EMA - EMA(EMA); the inner EMA is seeded with the SMA of the first
    ``period`` values of the outer one. One pass, no intermediate array."""
    n = x.shape[0]
    first = 2 * (period - 1)
    if nan_head_nb(out, first):
        return
    k = 2.0 / (period + 1)
    b = 1.0 - k
    e1, e2 = ema2_seed_nb(x, period, k, b)
    out[first] = 2.0 * e1 - e2
    src = x[first + 1:]  # views from 0: see sma_nb
    dst = out[first + 1:]
    for j in range(n - first - 1):
        e1 = ema_step_nb(e1, src[j], k, b)
        e2 = ema_step_nb(e2, e1, k, b)
        dst[j] = 2.0 * e1 - e2


@inline_helper
def tema_seed_nb(x: F64, period: int, k: float, b: float) -> tuple[float, float, float]:
    """The three EMA stages of TEMA at its first output bar ``3·(period - 1)``, each stage
    seeded with the SMA of the previous stage's first ``period`` values."""
    lb = period - 1
    e1, e2 = ema2_seed_nb(x, period, k, b)
    s3 = e2
    for i in range(2 * lb + 1, 3 * lb + 1):
        e1 = ema_step_nb(e1, x[i], k, b)
        e2 = ema_step_nb(e2, e1, k, b)
        s3 += e2
    return e1, e2, s3 / period


@kernel
def tema_nb(x: F64, period: int, out: F64) -> tuple[float, float, float]:
    """TA-Lib TEMA = EMA3 + 3·EMA1 - 3·EMA2, each stage seeded with an SMA of the previous."""
    n = x.shape[0]
    first = 3 * (period - 1)
    if nan_head_nb(out, first):
        return np.nan, np.nan, np.nan
    k = 2.0 / (period + 1)
    b = 1.0 - k
    e1, e2, e3 = tema_seed_nb(x, period, k, b)
    out[first] = e3 + (3.0 * e1 - 3.0 * e2)
    src = x[first + 1:]  # views from 0: see sma_nb
    dst = out[first + 1:]
    for j in range(n - first - 1):
        e1 = ema_step_nb(e1, src[j], k, b)
        e2 = ema_step_nb(e2, e1, k, b)
        e3 = ema_step_nb(e3, e2, k, b)
        dst[j] = e3 + (3.0 * e1 - 3.0 * e2)
    return e1, e2, e3


@inline_helper
def macd_seed_nb(x: F64, fast: int, slow: int, signal: int) -> tuple[float, float, float]:
    """The fast EMA, slow EMA and signal EMA of TA-Lib's MACD at its first output bar
    ``slow + signal - 2``. TA-Lib seeds the fast EMA with the SMA of the ``fast`` values *ending
    where the slow EMA starts* (bar slow-1), not with the first ``fast`` values; the signal
    EMA is seeded with the SMA of the first ``signal`` MACD values."""
    kf = 2.0 / (fast + 1)
    ks = 2.0 / (slow + 1)
    ss = 0.0
    for i in range(slow):
        ss += x[i]
    es = ss / slow
    sf = 0.0
    for i in range(slow - fast, slow):
        sf += x[i]
    ef = sf / fast
    sg = ef - es
    for i in range(slow, slow + signal - 1):
        ef = ema_step_nb(ef, x[i], kf, 1.0 - kf)
        es = ema_step_nb(es, x[i], ks, 1.0 - ks)
        sg += ef - es
    return ef, es, sg / signal


@kernel
def macd_nb(x: F64, fast: int, slow: int, signal: int,
            macd: F64, sig: F64, hist: F64) -> tuple[float, float, float]:
    """TA-Lib MACD (``fast < slow``): fast EMA - slow EMA, its signal EMA and their difference
    (seeds: ``macd_seed_nb``)."""
    n = x.shape[0]
    first = slow + signal - 2
    nan_head_nb(macd, first)
    nan_head_nb(sig, first)
    if nan_head_nb(hist, first):
        return np.nan, np.nan, np.nan
    kf = 2.0 / (fast + 1)
    ks = 2.0 / (slow + 1)
    kg = 2.0 / (signal + 1)
    ef, es, g = macd_seed_nb(x, fast, slow, signal)
    m = ef - es
    macd[first] = m
    sig[first] = g
    hist[first] = m - g
    src = x[first + 1:]  # views from 0: see sma_nb
    om = macd[first + 1:]
    og = sig[first + 1:]
    oh = hist[first + 1:]
    for j in range(n - first - 1):
        v = src[j]
        ef = ema_step_nb(ef, v, kf, 1.0 - kf)
        es = ema_step_nb(es, v, ks, 1.0 - ks)
        m = ef - es
        g = ema_step_nb(g, m, kg, 1.0 - kg)
        om[j] = m
        og[j] = g
        oh[j] = m - g
    return ef, es, g


@inline_helper
def shifted_sums_nb(x: F64, lo: int, hi: int, shift: float) -> tuple[float, float]:
    """Sums of ``x - shift`` and of its squares over ``x[lo:hi]``, oldest first."""
    t1 = 0.0
    t2 = 0.0
    for j in range(lo, hi):
        d = x[j] - shift
        t1 += d
        t2 += d * d
    return t1, t2


@kernel
def bb_reseed_nb(x: F64, i: int, period: int, inv: float) -> tuple[float, float, float, float]:
    """TA-Lib 0.8's re-anchoring of the shifted variance on window ``x[i-period+1 : i+1]``:
    the shift becomes the window mean, both sums are rebuilt, the variance is recomputed
    (0 below 1e-12 of the mean squared deviation: no spread the anchor can resolve) and the
    window's oldest value is removed again. Returns (variance, shift, sum1, sum2). Called,
    not inlined: it runs once in hundreds of bars, and an array handed to an inlined helper
    inside a branch costs a reference-count round trip on every bar."""
    lo = i - period + 1
    s = 0.0
    for j in range(lo, i + 1):
        s += x[j]
    shift = s * inv
    t1, t2 = shifted_sums_nb(x, lo, i + 1, shift)
    m1 = t1 * inv
    var = t2 * inv - m1 * m1
    if var < 1e-12 * (t2 * inv):
        var = 0.0
    d = x[lo] - shift
    return var, shift, t1 - d, t2 - d * d


@inline_helper
def bb_step_nb(new: float, old: float, inv: float, shift: float, t1: float,
               t2: float) -> tuple[float, float, float, float]:
    """One bar of TA-Lib 0.8's cancellation-free variance (``var.c``): running sums of
    ``x - shift`` and its square; adds the ``new`` value, takes the variance, removes the
    ``old`` one. Returns (variance, t1, t2, the removed square). The caller re-anchors
    (``bb_reseed_nb``) when ``bb_stale_nb`` says so."""
    d = new - shift
    t1 += d
    t2 += d * d
    m1 = t1 * inv
    var = t2 * inv - m1 * m1
    d = old - shift
    dd = d * d
    return var, t1 - d, t2 - dd, dd


@inline_helper
def bb_stale_nb(var: float, t2: float, dd: float, inv: float, countdown: int) -> bool:
    """TA-Lib's re-anchoring test: the variance fell below 1e-6 of the mean squared deviation
    (the shift is stale), the value that left dwarfs the remaining sum, or ``countdown`` ran
    out (every 32·period bars)."""
    return var < 1e-6 * (t2 * inv) or dd > 1e6 * t2 or countdown <= 0


@kernel
def bbands_nb(x: F64, period: int, devup: float, devdn: float,
              upper: F64, middle: F64, lower: F64) -> tuple[float, float, float, float, int]:
    """TA-Lib 0.8 BBANDS with its SMA: the middle band is ``sma_nb``'s running sum; the population
    variance comes from the shifted running sums of ``bb_step_nb`` in the same pass (bit for
    bit TA-Lib's); bands ``sma ± dev·σ``."""
    n = x.shape[0]
    first = period - 1
    nan_head_nb(upper, first)
    nan_head_nb(lower, first)
    if nan_head_nb(middle, first):
        return 0.0, 0.0, 0.0, 0.0, 0
    p = float(period)
    r = 1.0 / p
    shift = x[0]
    total = 0.0
    for i in range(first):
        total += x[i]
    t1, t2 = shifted_sums_nb(x, 0, first, shift)
    countdown = 32 * period
    for i in range(first, n):
        v = x[i]
        old = x[i - first]
        ma, total = sma_step_nb(total, v, old, p, r)
        var, t1, t2, dd = bb_step_nb(v, old, r, shift, t1, t2)
        countdown -= 1
        if bb_stale_nb(var, t2, dd, r, countdown):  # rare: predicted
            var, shift, t1, t2 = bb_reseed_nb(x, i, period, r)
            countdown = 32 * period
        sd = np.sqrt(var)
        middle[i] = ma
        upper[i] = ma + sd * devup
        lower[i] = ma - sd * devdn
    return total, shift, t1, t2, countdown
