"""Classic indicator kernels, part 1: moving averages (SMA, EMA, WMA, DEMA, TEMA, MACD, BBANDS).

Every kernel reproduces TA-Lib's arithmetic (0.6 C library, default compatibility, unstable
period 0): the same seeds, the same running sums in the same order, so that results agree to
1e-9 relative after TA-Lib's lookback. Each kernel fills its whole output, NaN for the first
``lookback`` values (all NaN when the series is not longer than the lookback).

Recursive filters (EMA family) compile with FMA contraction only (``fastmath={"contract"}``):
``(x - prev) * k + prev`` becomes one fused instruction, which is both faster and at least as
accurate; errors in a stable recursion decay, so the 1e-9 match holds. Running-sum kernels (SMA,
WMA, BBANDS) do *not* contract: their sums never forget an error, and the variance in BBANDS
cancels catastrophically, so they round exactly as TA-Lib does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

from engine._jit import KERNEL_OPTIONS, kernel

F64 = npt.NDArray[np.float64]
F = TypeVar("F", bound=Callable[..., Any])


def filter_kernel(fn: F) -> F:
    """A kernel with FMA contraction (no reassociation, no other fast-math flag)."""
    import numba

    return cast(F, numba.njit(fastmath={"contract"}, **KERNEL_OPTIONS)(fn))


def filter_helper(fn: F) -> F:
    """An inlined helper for ``filter_kernel`` kernels."""
    import numba

    return cast(F, numba.njit(inline="always", fastmath={"contract"}, **KERNEL_OPTIONS)(fn))


@filter_helper
def nan_head_nb(out: F64, count: int) -> bool:
    """NaN into ``out[:count]`` (TA-Lib's lookback, clipped to the array); True when nothing is
    left to compute after it."""
    n = out.shape[0]
    for i in range(min(count, n)):
        out[i] = np.nan
    return bool(n <= count)


@kernel
def sma_nb(x: F64, period: int, start: int, out: F64) -> None:
    """TA-Lib SMA of ``x[start:]`` (``x`` is NaN before ``start``): a running sum that adds the
    newest value, outputs, then subtracts the oldest, as TA-Lib does."""
    n = x.shape[0]
    first = start + period - 1
    if nan_head_nb(out, first):
        return
    total = 0.0
    for i in range(start, first):
        total += x[i]
    # Views indexed from 0: numba then drops its negative-index checks (5x on simple loops).
    new = x[first:]
    old = x[start:]
    dst = out[first:]
    for j in range(n - first):
        total += new[j]
        tmp = total
        total -= old[j]
        dst[j] = tmp / period


@filter_kernel
def ema_nb(x: F64, period: int, out: F64) -> None:
    """TA-Lib EMA: seeded with the SMA of the first ``period`` values, k = 2 / (period + 1)."""
    n = x.shape[0]
    first = period - 1
    if nan_head_nb(out, first):
        return
    k = 2.0 / (period + 1)
    s = 0.0
    for i in range(period):
        s += x[i]
    prev = s / period
    out[first] = prev
    src = x[period:]  # views from 0: see sma_nb
    dst = out[period:]
    for j in range(n - period):
        prev = (src[j] - prev) * k + prev
        dst[j] = prev


@kernel
def wma_nb(x: F64, period: int, out: F64) -> None:
    """TA-Lib WMA (weights 1..period): running weighted sum and plain sum, both rebuilt from
    the window every ``8·period`` bars as TA-Lib 0.8 does (so rounding never accumulates)."""
    n = x.shape[0]
    first = period - 1
    if nan_head_nb(out, first):
        return
    if period == 1:
        for i in range(n):
            out[i] = x[i]
        return
    divider = period * (period + 1) / 2.0
    psub = 0.0
    psum = 0.0
    for i in range(first):
        v = x[i]
        psub += v
        psum += v * (i + 1)
    reseed = 8 * period
    trailing_value = 0.0
    for i in range(first, n):
        v = x[i]
        psub += v
        psub -= trailing_value
        psum += v * period
        reseed -= 1
        if reseed <= 0:
            reseed = 8 * period
            psub = 0.0
            psum = 0.0
            for j in range(i - first, i + 1):
                w = x[j]
                psub += w
                psum += w * (j - i + period)
        trailing_value = x[i - first]
        out[i] = psum / divider
        psum -= psub


@filter_helper
def ema2_seed_nb(x: F64, period: int, k: float) -> tuple[float, float]:
    """TA-Lib's seeding of a two-stage EMA chain: EMA1 starts as the SMA of the first ``period``
    values; EMA2 starts as the SMA of EMA1's first ``period`` values. Returns both at bar
    ``2 * (period - 1)`` (DEMA's first output; TEMA's third stage starts there)."""
    s = 0.0
    for i in range(period):
        s += x[i]
    e1 = s / period
    s2 = e1
    for i in range(period, 2 * (period - 1) + 1):
        e1 = (x[i] - e1) * k + e1
        s2 += e1
    return e1, s2 / period


@filter_kernel
def dema_nb(x: F64, period: int, out: F64) -> None:
    """TA-Lib DEMA = 2·EMA - EMA(EMA); the inner EMA is seeded with the SMA of the first
    ``period`` values of the outer one. One pass, no intermediate array."""
    n = x.shape[0]
    first = 2 * (period - 1)
    if nan_head_nb(out, first):
        return
    k = 2.0 / (period + 1)
    e1, e2 = ema2_seed_nb(x, period, k)
    out[first] = 2.0 * e1 - e2
    src = x[first + 1:]  # views from 0: see sma_nb
    dst = out[first + 1:]
    for j in range(n - first - 1):
        e1 = (src[j] - e1) * k + e1
        e2 = (e1 - e2) * k + e2
        dst[j] = 2.0 * e1 - e2


@filter_kernel
def tema_nb(x: F64, period: int, out: F64) -> None:
    """TA-Lib TEMA = EMA3 + 3·EMA1 - 3·EMA2, each stage seeded with an SMA of the previous."""
    n = x.shape[0]
    lb = period - 1
    first = 3 * lb
    if nan_head_nb(out, first):
        return
    k = 2.0 / (period + 1)
    e1, e2 = ema2_seed_nb(x, period, k)
    s3 = e2
    for i in range(2 * lb + 1, first + 1):
        e1 = (x[i] - e1) * k + e1
        e2 = (e1 - e2) * k + e2
        s3 += e2
    e3 = s3 / period
    out[first] = e3 + (3.0 * e1 - 3.0 * e2)
    src = x[first + 1:]  # views from 0: see sma_nb
    dst = out[first + 1:]
    for j in range(n - first - 1):
        e1 = (src[j] - e1) * k + e1
        e2 = (e1 - e2) * k + e2
        e3 = (e2 - e3) * k + e3
        dst[j] = e3 + (3.0 * e1 - 3.0 * e2)


@filter_kernel
def macd_nb(x: F64, fast: int, slow: int, signal: int,
            macd: F64, sig: F64, hist: F64) -> None:
    """TA-Lib MACD (``fast < slow``). TA-Lib seeds the fast EMA with the SMA of the ``fast``
    values *ending where the slow EMA starts* (bar slow-1), not with the first ``fast`` values;
    the signal EMA is seeded with the SMA of the first ``signal`` MACD values."""
    n = x.shape[0]
    start = slow - 1
    first = start + signal - 1
    for i in range(min(first, n)):
        macd[i] = np.nan
        sig[i] = np.nan
        hist[i] = np.nan
    if n <= first:
        return
    kf = 2.0 / (fast + 1)
    ks = 2.0 / (slow + 1)
    kg = 2.0 / (signal + 1)
    ss = 0.0
    for i in range(slow):
        ss += x[i]
    es = ss / slow
    sf = 0.0
    for i in range(slow - fast, slow):
        sf += x[i]
    ef = sf / fast
    m = ef - es
    sg = m
    for i in range(slow, first + 1):
        ef = (x[i] - ef) * kf + ef
        es = (x[i] - es) * ks + es
        m = ef - es
        sg += m
    g = sg / signal
    macd[first] = m
    sig[first] = g
    hist[first] = m - g
    src = x[first + 1:]  # views from 0: see sma_nb
    om = macd[first + 1:]
    og = sig[first + 1:]
    oh = hist[first + 1:]
    for j in range(n - first - 1):
        v = src[j]
        ef = (v - ef) * kf + ef
        es = (v - es) * ks + es
        m = ef - es
        g = (m - g) * kg + g
        om[j] = m
        og[j] = g
        oh[j] = m - g


@kernel
def bbands_nb(x: F64, period: int, devup: float, devdn: float,
              upper: F64, middle: F64, lower: F64) -> None:
    """TA-Lib BBANDS over an SMA (TA-Lib's running sum); population standard deviation summed
    about that SMA over the window (TA-Lib 0.8 no longer uses the cancelling ``mean(x²) - ma²``;
    0 below TA_EPSILON = 1e-14), bands ``sma ± dev·sd``."""
    n = x.shape[0]
    first = period - 1
    for i in range(min(first, n)):
        upper[i] = np.nan
        middle[i] = np.nan
        lower[i] = np.nan
    if n <= first:
        return
    total = 0.0
    for i in range(first):
        total += x[i]
    for i in range(first, n):
        total += x[i]
        ma = total / period
        total -= x[i - first]
        # Four partial sums break the add chain (the order only moves the last bits: every
        # term is a non-negative square, so there is no cancellation to reproduce).
        w = x[i - first:i + 1]
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        q = period >> 2
        for j in range(q):
            d0 = w[4 * j] - ma
            d1 = w[4 * j + 1] - ma
            d2 = w[4 * j + 2] - ma
            d3 = w[4 * j + 3] - ma
            s0 += d0 * d0
            s1 += d1 * d1
            s2 += d2 * d2
            s3 += d3 * d3
        for j in range(4 * q, period):
            d0 = w[j] - ma
            s0 += d0 * d0
        ss = (s0 + s1) + (s2 + s3)
        var = ss / period
        sd = np.sqrt(var) if var >= 1e-14 else 0.0
        middle[i] = ma
        upper[i] = ma + sd * devup
        lower[i] = ma - sd * devdn
