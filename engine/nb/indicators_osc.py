"""Classic indicator kernels, part 2: oscillators (RSI, STOCH/STOCHF, WILLR, CCI, ROC, MFI).

TA-Lib's arithmetic, as in ``indicators.py``. Rolling highs and lows (STOCH, STOCHRSI, WILLR) come
from doubling windows over chunks of bars (``roll_chunk_nb``: log2(period) vectorised passes of
selects, no branch per bar, scratch in L1/L2); ``_roll_step`` is the van Herk / Gil-Werman
per-bar form for kernels that need one bar at a time (``indicators_trend``). Maxima and minima
are exact, so every form equals TA-Lib's own tracker bit for bit.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engine._jit import inline_helper, kernel
from engine.nb.indicators import div_nb, ema_step_nb, ix, nan_head_nb

F64 = npt.NDArray[np.float64]

_TA_EPS = 1e-14  # TA-Lib 0.8 TA_IS_ZERO: |v| < TA_EPSILON = 1e-14 counts as zero


@inline_helper
def rsi_value_nb(gain: float, loss: float) -> float:
    """100·gain / (gain + loss), 0 when the sum is zero (TA_IS_ZERO)."""
    s = gain + loss
    r = 100.0 * (gain / s)
    return r if abs(s) >= _TA_EPS else 0.0


@inline_helper
def rsi_seed_nb(x: F64, period: int) -> tuple[float, float]:
    """Mean gain and mean loss of the first ``period`` changes (TA-Lib's seed)."""
    gain = 0.0
    loss = 0.0
    for i in range(1, period + 1):
        d = x[i] - x[i - 1]
        up = d if d > 0.0 else 0.0  # a select, not a branch: the sign is a coin flip
        gain += up
        loss += up - d  # exactly max(-d, 0): one of the two terms is zero
    return gain / period, loss / period


@kernel
def rsi_nb(x: F64, period: int, out: F64) -> tuple[float, float]:
    """TA-Lib RSI (period >= 2): Wilder's smoothing seeded with the mean gain and loss of the
    first ``period`` changes; 0 when gain + loss is zero (TA_IS_ZERO). The smoothing is the
    two-coefficient step ``ema_step_nb`` with a = 1/period (TA-Lib 0.8's ATR form)."""
    n = x.shape[0]
    if nan_head_nb(out, period):
        return np.nan, np.nan
    gain, loss = rsi_seed_nb(x, period)
    out[period] = rsi_value_nb(gain, loss)
    b = (period - 1) / period
    a = 1.0 - b  # from b, so that a + b is exactly 1
    cur = x[period + 1:]  # views from 0: see engine.nb.indicators.sma_nb
    prv = x[period:n - 1]
    dst = out[period + 1:]
    for j in range(n - period - 1):
        d = cur[j] - prv[j]
        up = d if d > 0.0 else 0.0
        gain = ema_step_nb(gain, up, a, b)
        loss = ema_step_nb(loss, up - d, a, b)
        dst[j] = rsi_value_nb(gain, loss)
    return gain, loss


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


ROLL_ROWS = 7  # scratch rows: two levels for H and for L, the window H/L, one for the caller


@inline_helper
def roll_chunk_nb(H: F64, L: F64, c0: int, c1: int, p: int, buf: F64) -> None:
    """Highest ``H`` and lowest ``L`` of the ``p`` bars ending at each bar of ``[c0, c1)``
    (``c0 >= p - 1``) into ``buf[4]``/``buf[5]`` from 0, by doubling windows (a sparse table):
    level w holds the extremum of the w bars ending at each bar, level 2w the extremum of two
    level-w windows w bars apart; with w the largest power of two <= p, a window of p bars is
    the extremum of two overlapping level-w windows. log2(p) passes over the chunk, each a loop
    of selects that vectorises, no branch per bar; maxima are exact, so the windows equal
    TA-Lib's own tracker bit for bit. Rows 0-3 hold two levels (H, L) in turn."""
    e0 = c0 - p + 1  # the chunk's windows reach back to this bar; level slot i is bar e0 + i
    m = c1 - e0
    if p == 1:
        for r in range(c1 - c0):
            buf[4, ix(r)] = H[ix(c0 + r)]
            buf[5, ix(r)] = L[ix(c0 + r)]
        return
    for i in range(1, m):  # level 2 from the bars themselves
        buf[0, ix(i)] = _mx(H[ix(e0 + i)], H[ix(e0 + i - 1)])
        buf[1, ix(i)] = _mn(L[ix(e0 + i)], L[ix(e0 + i - 1)])
    src = 0
    w = 2
    while 2 * w <= p:  # level 2w at slot i: level w at i and at i - w (needs i >= 2w - 1)
        dst = 2 - src
        for i in range(2 * w - 1, m):
            buf[dst, ix(i)] = _mx(buf[src, ix(i)], buf[src, ix(i - w)])
            buf[dst + 1, ix(i)] = _mn(buf[src + 1, ix(i)], buf[src + 1, ix(i - w)])
        src = dst
        w *= 2
    for r in range(c1 - c0):  # the level-w window ending at the bar and the one starting the
        a = ix(p - 1 + r)  # bar's window (slot r)
        b = ix(w - 1 + r)
        buf[4, ix(r)] = _mx(buf[src, a], buf[src, b])
        buf[5, ix(r)] = _mn(buf[src + 1, a], buf[src + 1, b])


@inline_helper
def stoch_fastk_nb(highest: float, lowest: float, c: float) -> float:
    """Fast %K = (C - LL) / (HH - LL) · 100; 0 on a window flat to TA_EPSILON of |HH| + |LL|."""
    rng = highest - lowest
    flat = abs(rng) <= _TA_EPS * (abs(highest) + abs(lowest))
    return 0.0 if flat else ((c - lowest) / rng) * 100.0


@inline_helper
def stoch_smooth_nb(fk: F64, c0: int, c1: int, fastk: int, slowk: int, slowd: int,
                    ringk: F64, ringd: F64, ok: F64, od: F64, totk: float, totd: float,
                    rk: int, rd: int) -> tuple[float, float, int, int]:
    """Slow %K = SMA(fast %K, slowk) and %D = SMA(slow %K, slowd) for bars ``[c0, c1)`` (fast
    %K of bar c0 + q in ``fk[q]``), in TA-Lib's order: add the newest, take the mean, drop the
    oldest (the ring slot after the one just written). Returns the running state."""
    fs = float(slowk)
    fd = float(slowd)
    rs = 1.0 / fs
    rdv = 1.0 / fd
    for q in range(c1 - c0):
        i = c0 + q
        jk = i - (fastk - 1)  # >= 0: the first chunk starts at the first full window
        v = fk[q]
        totk += v
        ringk[rk] = v
        rk = 0 if rk + 1 == slowk else rk + 1  # counters: an integer modulo costs more
        if jk < slowk - 1:  # warm-up tests: only true in the first chunk, so predicted
            continue
        sk = div_nb(totk, fs, rs)
        totk -= ringk[rk]
        totd += sk
        ringd[rd] = sk
        rd = 0 if rd + 1 == slowd else rd + 1
        if jk - (slowk - 1) < slowd - 1:
            continue
        ok[i] = sk
        od[i] = div_nb(totd, fd, rdv)
        totd -= ringd[rd]
    return totk, totd, rk, rd


@kernel
def stoch_nb(H: F64, L: F64, C: F64, start: int, fastk: int, slowk: int, slowd: int,
             buf: F64, ringk: F64, ringd: F64, out_k: F64,
             out_d: F64) -> tuple[float, float, int, int]:
    """TA-Lib STOCH with SMA smoothing over bars ``start..`` (inputs may be NaN before it):
    fast %K (``stoch_fastk_nb``) of the rolling extrema (``roll_chunk_nb``), then
    ``stoch_smooth_nb``. ``slowk = 1`` gives STOCHF (%K and %D = SMA(%K, slowd)). Scratch:
    ``buf`` of shape (ROLL_ROWS, fastk + chunk), ``ringk`` of slowk, ``ringd`` of slowd."""
    n = C.shape[0]
    first = start + fastk + slowk + slowd - 3
    nan_head_nb(out_k, first)
    if nan_head_nb(out_d, first):
        return 0.0, 0.0, 0, 0
    h = H[start:]  # views from 0: see engine.nb.indicators.sma_nb
    lo = L[start:]
    c = C[start:]
    ok = out_k[start:]
    od = out_d[start:]
    width = buf.shape[1] - fastk
    fk = buf[6]
    totk = 0.0
    totd = 0.0
    rk = 0
    rd = 0
    for c0 in range(fastk - 1, n - start, width):
        c1 = min(c0 + width, n - start)
        roll_chunk_nb(h, lo, c0, c1, fastk, buf)
        for q in range(c1 - c0):
            fk[ix(q)] = stoch_fastk_nb(buf[4, ix(q)], buf[5, ix(q)], c[ix(c0 + q)])
        totk, totd, rk, rd = stoch_smooth_nb(fk, c0, c1, fastk, slowk, slowd, ringk, ringd,
                                             ok, od, totk, totd, rk, rd)
    return totk, totd, rk, rd


@inline_helper
def willr_value_nb(highest: float, lowest: float, c: float) -> float:
    """(HH - C) / (HH - LL) · -100 clamped to [-100, 0]; 0 on a window flat to TA_EPSILON of
    |HH| + |LL|. Selects only, so a loop over bars vectorises."""
    rng = highest - lowest
    flat = abs(rng) <= _TA_EPS * (abs(highest) + abs(lowest))
    w = ((highest - c) / rng) * -100.0
    w = -100.0 if w < -100.0 else w
    w = 0.0 if w > 0.0 else w
    return 0.0 if flat else w


@kernel
def willr_nb(H: F64, L: F64, C: F64, period: int, buf: F64, out: F64) -> None:
    """TA-Lib WILLR (``willr_value_nb``) of the rolling extrema (``roll_chunk_nb``).
    Scratch ``buf`` of shape (ROLL_ROWS, period + chunk)."""
    n = C.shape[0]
    if nan_head_nb(out, period - 1):
        return
    width = buf.shape[1] - period
    for c0 in range(period - 1, n, width):
        c1 = min(c0 + width, n)
        roll_chunk_nb(H, L, c0, c1, period, buf)
        for q in range(c1 - c0):
            out[ix(c0 + q)] = willr_value_nb(buf[4, ix(q)], buf[5, ix(q)], C[ix(c0 + q)])


@inline_helper
def typical_nb(h: float, lo: float, c: float) -> float:
    """The typical price (h + lo + c) / 3 (``div_nb``: the quotient's bits, at FMA cost)."""
    return div_nb(h + lo + c, 3.0, 1.0 / 3.0)


CCI_ROWS = 3  # scratch rows of cci_chunk_nb: typical prices, then window sums and deviations


@inline_helper
def cci_value_nb(last: float, avg: float, dev: float) -> float:
    """(TP - mean) / (0.015 · mean deviation); 0 when the numerator or the deviation is within
    TA_EPSILON of the mean's magnitude (TA-Lib 0.8's scaled zero test)."""
    num = last - avg
    scale = _TA_EPS * abs(avg)
    r = num / (0.015 * dev)
    return r if abs(num) > scale and abs(dev) > scale else 0.0


@inline_helper
def cci_chunk_nb(H: F64, L: F64, C: F64, c0: int, c1: int, p: int, buf: F64,
                 out: F64) -> None:
    """CCI of the bars ``[c0, c1)`` (``c0 >= p - 1``). The typical prices of the chunk and of
    the ``p - 1`` bars before it go to ``buf[0]``; then each window's mean and mean absolute
    deviation are summed oldest first, with the loop over the chunk's bars innermost, so it
    vectorises, four terms per pass (TA-Lib sums a ring per bar, in ring order: the same terms,
    and without cancellation, so the sums agree to the last bit or two)."""
    e0 = c0 - p + 1
    count = c1 - c0
    tp = buf[0]
    s = buf[1]
    dv = buf[2]
    for i in range(c1 - e0):
        tp[ix(i)] = typical_nb(H[ix(e0 + i)], L[ix(e0 + i)], C[ix(e0 + i)])
    for r in range(count):
        s[ix(r)] = tp[ix(r)]
    j = 1
    while j + 3 < p:
        for r in range(count):
            s[ix(r)] = (((s[ix(r)] + tp[ix(r + j)]) + tp[ix(r + j + 1)]) + tp[ix(r + j + 2)]
                        ) + tp[ix(r + j + 3)]
        j += 4
    for t in range(j, p):
        for r in range(count):
            s[ix(r)] += tp[ix(r + t)]
    for r in range(count):
        s[ix(r)] /= p
        dv[ix(r)] = abs(tp[ix(r)] - s[ix(r)])
    j = 1
    while j + 3 < p:
        for r in range(count):
            a = s[ix(r)]
            dv[ix(r)] = (((dv[ix(r)] + abs(tp[ix(r + j)] - a)) + abs(tp[ix(r + j + 1)] - a))
                         + abs(tp[ix(r + j + 2)] - a)) + abs(tp[ix(r + j + 3)] - a)
        j += 4
    for t in range(j, p):
        for r in range(count):
            dv[ix(r)] += abs(tp[ix(r + t)] - s[ix(r)])
    for r in range(count):
        out[ix(c0 + r)] = cci_value_nb(tp[ix(r + p - 1)], s[ix(r)], dv[ix(r)] / p)


@kernel
def cci_nb(H: F64, L: F64, C: F64, period: int, buf: F64, out: F64) -> None:
    """TA-Lib CCI of the typical price (``cci_chunk_nb``, ``cci_value_nb``) over chunks of
    ``buf.shape[1] - period`` bars. Scratch ``buf`` of shape (CCI_ROWS, period + chunk)."""
    n = C.shape[0]
    if nan_head_nb(out, period - 1):
        return
    width = buf.shape[1] - period
    for c0 in range(period - 1, n, width):
        cci_chunk_nb(H, L, C, c0, min(c0 + width, n), period, buf, out)


@inline_helper
def roc_value_nb(cur: float, old: float) -> float:
    """Rate of change in percent, (cur / old - 1) · 100; 0 where the old value is 0."""
    r = (cur / old - 1.0) * 100.0
    return r if old != 0.0 else 0.0


@kernel
def roc_nb(x: F64, period: int, out: F64) -> None:
    """TA-Lib ROC (``roc_value_nb``)."""
    n = x.shape[0]
    if nan_head_nb(out, period):
        return
    # Loop from 0 over shifted views: with a non-constant start numba cannot prove the index
    # non-negative, keeps its wraparound check and the loop does not vectorise (5x slower).
    cur = x[period:]
    old = x[:n - period]
    dst = out[period:]
    for j in range(n - period):
        dst[j] = roc_value_nb(cur[j], old[j])


@inline_helper
def mfi_flow_nb(tp: float, prev: float, v: float) -> tuple[float, float]:
    """(positive, negative) money flow of a bar with typical price ``tp`` after ``prev``: the
    flow tp·volume goes to the side of the change; a change within TA_EPSILON of the two
    prices is no flow. Selects, not branches: the direction is a coin flip."""
    d = tp - prev
    flow = 0.0 if abs(d) <= _TA_EPS * (abs(tp) + abs(prev)) else tp * v
    return (0.0 if d < 0.0 else flow), (flow if d < 0.0 else 0.0)


@inline_helper
def mfi_sums_nb(psum: float, nsum: float, pf: float, nf: float, null_run: int,
                period: int) -> tuple[float, float, int]:
    """Add a bar's flows (the leaving bar's are already out); after ``period`` bars without
    flow both sums are reset exactly to 0 (their rounding residue is not)."""
    null_run = null_run + 1 if pf + nf == 0.0 else 0
    if null_run >= period:
        return 0.0, 0.0, period
    return psum + pf, nsum + nf, null_run


@inline_helper
def mfi_value_nb(psum: float, nsum: float) -> float:
    """100·positive/total, the positive sum clamped into [0, total]; 0 without flow."""
    tot = psum + nsum
    pc = 0.0 if psum < 0.0 else min(psum, tot)
    return 0.0 if tot <= 0.0 else 100.0 * (pc / tot)


@kernel
def mfi_nb(H: F64, L: F64, C: F64, V: F64, period: int, pos: F64, neg: F64,
           out: F64) -> tuple[float, float, float, int, int]:
    """TA-Lib 0.8 MFI: money flows (``mfi_flow_nb``) of the last ``period`` typical-price
    changes in rings ``pos`` and ``neg`` with running sums (subtract the leaving bar, add the
    new one: ``mfi_sums_nb``), ``mfi_value_nb`` from bar ``period``."""
    n = C.shape[0]
    if nan_head_nb(out, period):
        return 0.0, 0.0, 0.0, 0, 0
    prev = typical_nb(H[0], L[0], C[0])
    psum = 0.0
    nsum = 0.0
    null_run = 0
    j = period - 1
    for i in range(1, n):
        j = 0 if j + 1 == period else j + 1  # (i - 1) % period, counted
        if i > period:
            psum -= pos[j]
            nsum -= neg[j]
        tp = typical_nb(H[i], L[i], C[i])
        pf, nf = mfi_flow_nb(tp, prev, V[i])
        prev = tp
        pos[j] = pf
        neg[j] = nf
        psum, nsum, null_run = mfi_sums_nb(psum, nsum, pf, nf, null_run, period)
        if i >= period:
            out[i] = mfi_value_nb(psum, nsum)
    return prev, psum, nsum, null_run, j
