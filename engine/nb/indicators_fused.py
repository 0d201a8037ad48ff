"""The classic indicator set in one pass over the bars (``indicator_set_nb``).

The set: SMA EMA WMA DEMA TEMA of one period, RSI ATR NATR ADX/+DI/-DI CCI WILLR MFI and STOCH's
%K window of another, ROC, MACD, BBANDS (its middle band is the SMA), OBV. Results are bit for
bit those of the individual kernels, by construction:

* the first ``head`` bars (up to the first bar at which every recursion is seeded) are the
  individual kernels themselves, run on those bars; they return their recursion state there;
* from there on the bars go in chunks of ``CHUNK``. Per chunk, the window indicators (the
  rolling extrema of STOCH and WILLR, CCI, ROC) run their chunk helpers over the bars, and two
  loops advance every recursion one bar at a time with the individual kernels' step helpers:
  one for the closes (EMA/DEMA/TEMA, MACD, RSI, SMA/BBANDS, WMA), one for high/low/close/
  volume (ATR/NATR, ADX, MFI, OBV). In one loop the recursions' chains run side by side instead
  of one after the other, and each bar's inputs are read from memory once for the whole set.

The same arithmetic in the same order gives the same bits (no fast-math anywhere, FMA explicit).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engine._jit import inline_helper, kernel
from engine.nb.indicators import (
    bb_reseed_nb,
    bb_stale_nb,
    bb_step_nb,
    bbands_nb,
    dema_nb,
    div_nb,
    ema_nb,
    ema_step_nb,
    ix,
    macd_nb,
    sma_step_nb,
    tema_nb,
    wma_nb,
    wma_sums_nb,
)
from engine.nb.indicators_osc import (
    cci_chunk_nb,
    cci_nb,
    mfi_flow_nb,
    mfi_nb,
    mfi_sums_nb,
    mfi_value_nb,
    roc_nb,
    roc_value_nb,
    roll_chunk_nb,
    rsi_nb,
    rsi_value_nb,
    stoch_fastk_nb,
    stoch_nb,
    stoch_smooth_nb,
    typical_nb,
    willr_nb,
    willr_value_nb,
)
from engine.nb.indicators_range import (
    _natr,
    adx_nb,
    adx_smooth_nb,
    adx_step_nb,
    atr_nb,
    dm_nb,
    obv_nb,
    obv_step_nb,
    true_range_nb,
)

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

# Output slots of ``outs`` (the wrapper names them; the SMA is also BBANDS' middle band).
SMA, EMA, WMA, DEMA, TEMA, RSI, ATR, NATR, ADX, PLUS_DI, MINUS_DI, CCI, WILLR, ROC, MFI, OBV = (
    range(16))
MACD, MACD_SIGNAL, MACD_HIST, BB_UPPER, BB_LOWER, SLOWK, SLOWD = range(16, 23)
N_OUT = 23
# Parameter slots of ``prm``.
P_MA, P_OSC, P_ROC, P_FAST, P_SLOW, P_SIGNAL, P_SLOWK, P_SLOWD = range(8)


@inline_helper
def head_length_nb(prm: I64) -> int:
    """The first bar at which every recursion of the set is past its seed: TEMA's first output
    (3·(ma - 1)), MACD's (slow + signal - 2), ADX's (2·osc - 1), STOCH's, plus one."""
    ma = prm[P_MA]
    osc = prm[P_OSC]
    last = max(3 * (ma - 1), prm[P_SLOW] + prm[P_SIGNAL] - 2, 2 * osc - 1,
               osc + prm[P_SLOWK] + prm[P_SLOWD] - 3, prm[P_ROC])
    return int(last + 1)


@inline_helper
def wma_countdown_nb(ma: int, head: int) -> int:
    """Bars from ``head`` to the next bar at which WMA rebuilds its sums (every 8·ma-th output,
    as ``wma_nb``); 0 when ``head`` is one."""
    block = 8 * ma
    return block - 1 - (head - (ma - 1)) % block


@kernel
def indicator_set_nb(H: F64, L: F64, C: F64, V: F64, prm: I64, dev: float,
                     outs: tuple[F64, ...], buf: F64, pos: F64, neg: F64, ringk: F64,
                     ringd: F64) -> None:
    """Fill ``outs`` (slots above) with the set for periods ``prm`` (slots above) and BBANDS
    width ``dev``. Scratch: ``buf`` of shape (ROLL_ROWS, osc + chunk) (rolling extrema, then
    CCI), ``pos``/``neg`` of length osc (MFI), ``ringk``/``ringd`` of slowk/slowd (STOCH)."""
    n = C.shape[0]
    ma = prm[P_MA]
    osc = prm[P_OSC]
    head = min(head_length_nb(prm), n)
    # The head: the individual kernels on the first bars, returning their state at ``head``.
    h = H[:head]
    lo = L[:head]
    c = C[:head]
    ema_nb(c, ma, outs[EMA][:head])
    dema_nb(c, ma, outs[DEMA][:head])
    e1, e2, e3 = tema_nb(c, ma, outs[TEMA][:head])
    ef, es, g = macd_nb(c, prm[P_FAST], prm[P_SLOW], prm[P_SIGNAL], outs[MACD][:head],
                        outs[MACD_SIGNAL][:head], outs[MACD_HIST][:head])
    gain, loss = rsi_nb(c, osc, outs[RSI][:head])
    bb = bbands_nb(c, ma, dev, dev, outs[BB_UPPER][:head], outs[SMA][:head],
                   outs[BB_LOWER][:head])
    wm = wma_nb(c, ma, outs[WMA][:head])
    roc_nb(c, prm[P_ROC], outs[ROC][:head])
    atr = atr_nb(h, lo, c, osc, False, outs[ATR][:head])
    atr_nb(h, lo, c, osc, True, outs[NATR][:head])
    dmi = adx_nb(h, lo, c, osc, outs[ADX][:head], outs[PLUS_DI][:head], outs[MINUS_DI][:head])
    mf = mfi_nb(h, lo, c, V[:head], osc, pos, neg, outs[MFI][:head])
    obv = obv_nb(c, V[:head], outs[OBV][:head])
    willr_nb(h, lo, c, osc, buf, outs[WILLR][:head])
    cci_nb(h, lo, c, osc, buf, outs[CCI][:head])
    st = stoch_nb(h, lo, c, 0, osc, prm[P_SLOWK], prm[P_SLOWD], buf, ringk, ringd,
                  outs[SLOWK][:head], outs[SLOWD][:head])
    # Concatenation: numba does not compile star-unpacking into a tuple display.
    wc = wma_countdown_nb(ma, head)
    closes = (e1, e2, e3, ef, es, g, gain, loss) + bb + wm + (wc,)  # noqa: RUF005
    ranges = (atr,) + dmi + mf + (obv,)  # noqa: RUF005
    width = buf.shape[1] - osc
    for c0 in range(head, n, width):
        c1 = min(c0 + width, n)
        st = windows_chunk_nb(H, L, C, prm, c0, c1, outs, buf, ringk, ringd, st)
        closes = closes_chunk_nb(C, prm, dev, c0, c1, outs, closes)
        ranges = ranges_chunk_nb(H, L, C, V, osc, c0, c1, outs, pos, neg, ranges)


@inline_helper
def windows_chunk_nb(H: F64, L: F64, C: F64, prm: I64, c0: int, c1: int,
                     outs: tuple[F64, ...], buf: F64, ringk: F64, ringd: F64,
                     st: tuple[float, float, int, int]) -> tuple[float, float, int, int]:
    """WILLR, STOCH, CCI and ROC of bars ``[c0, c1)``: the rolling extrema once for WILLR and
    STOCH's %K, their loops over the chunk (they vectorise), then CCI in the same scratch."""
    osc = prm[P_OSC]
    roll_chunk_nb(H, L, c0, c1, osc, buf)
    willr = outs[WILLR]
    for q in range(c1 - c0):
        hh = buf[4, ix(q)]
        ll = buf[5, ix(q)]
        cv = C[ix(c0 + q)]
        willr[ix(c0 + q)] = willr_value_nb(hh, ll, cv)
        buf[6, ix(q)] = stoch_fastk_nb(hh, ll, cv)
    totk, totd, rk, rd = st
    st = stoch_smooth_nb(buf[6], c0, c1, osc, prm[P_SLOWK], prm[P_SLOWD], ringk, ringd,
                         outs[SLOWK], outs[SLOWD], totk, totd, rk, rd)
    cci_chunk_nb(H, L, C, c0, c1, osc, buf, outs[CCI])
    roc = outs[ROC]
    rp = prm[P_ROC]
    for q in range(c1 - c0):
        roc[ix(c0 + q)] = roc_value_nb(C[ix(c0 + q)], C[ix(c0 + q - rp)])
    return st


@inline_helper
def closes_chunk_nb(C: F64, prm: I64, dev: float, c0: int, c1: int, outs: tuple[F64, ...],
                    s: tuple[float, float, float, float, float, float, float, float, float,
                             float, float, float, int, float, float, float, int]
                    ) -> tuple[float, float, float, float, float, float, float, float, float,
                               float, float, float, int, float, float, float, int]:
    """The close recursions over bars ``[c0, c1)`` in one loop, each with its kernel's step:
    EMA1-3 (EMA, DEMA, TEMA), MACD, RSI, the SMA and BBANDS' shifted variance, WMA."""
    e1, e2, e3, ef, es, g, gain, loss, total, shift, t1, t2, bbc, psub, psum, trail, wc = s
    ma = prm[P_MA]
    k = 2.0 / (ma + 1)
    kb = 1.0 - k
    kf = 2.0 / (prm[P_FAST] + 1)
    ks = 2.0 / (prm[P_SLOW] + 1)
    kg = 2.0 / (prm[P_SIGNAL] + 1)
    rb = (prm[P_OSC] - 1) / prm[P_OSC]
    ra = 1.0 - rb
    fp = float(ma)
    r = 1.0 / fp
    divider = ma * (ma + 1) / 2.0
    rw = 1.0 / divider
    for i in range(c0, c1):
        v = C[ix(i)]
        e1 = ema_step_nb(e1, v, k, kb)
        e2 = ema_step_nb(e2, e1, k, kb)
        e3 = ema_step_nb(e3, e2, k, kb)
        outs[EMA][ix(i)] = e1
        outs[DEMA][ix(i)] = 2.0 * e1 - e2
        outs[TEMA][ix(i)] = e3 + (3.0 * e1 - 3.0 * e2)
        ef = ema_step_nb(ef, v, kf, 1.0 - kf)
        es = ema_step_nb(es, v, ks, 1.0 - ks)
        m = ef - es
        g = ema_step_nb(g, m, kg, 1.0 - kg)
        outs[MACD][ix(i)] = m
        outs[MACD_SIGNAL][ix(i)] = g
        outs[MACD_HIST][ix(i)] = m - g
        d = v - C[ix(i - 1)]
        up = d if d > 0.0 else 0.0
        gain = ema_step_nb(gain, up, ra, rb)
        loss = ema_step_nb(loss, up - d, ra, rb)
        outs[RSI][ix(i)] = rsi_value_nb(gain, loss)
        old = C[ix(i - ma + 1)]
        mid, total = sma_step_nb(total, v, old, fp, r)
        var, t1, t2, dd = bb_step_nb(v, old, r, shift, t1, t2)
        bbc -= 1
        if bb_stale_nb(var, t2, dd, r, bbc):  # rare: predicted
            var, shift, t1, t2 = bb_reseed_nb(C, i, ma, r)
            bbc = 32 * ma
        sd = np.sqrt(var)
        outs[SMA][ix(i)] = mid
        outs[BB_UPPER][ix(i)] = mid + sd * dev
        outs[BB_LOWER][ix(i)] = mid - sd * dev
        vp = v * ma
        if wc == 0:  # every 8·ma-th bar: the sums rebuilt from the window, as wma_nb
            psub, full = wma_sums_nb(C, i - ma + 1, i + 1)
            psum = full - psub
            wc = 8 * ma
        else:
            psub += v - trail
            full = psum + vp
            psum += vp - psub
        wc -= 1
        trail = old
        outs[WMA][ix(i)] = div_nb(full, divider, rw)
    return e1, e2, e3, ef, es, g, gain, loss, total, shift, t1, t2, bbc, psub, psum, trail, wc


@inline_helper
def ranges_chunk_nb(H: F64, L: F64, C: F64, V: F64, osc: int, c0: int, c1: int,
                    outs: tuple[F64, ...], pos: F64, neg: F64,
                    s: tuple[float, float, float, float, float, float, float, float, int, int,
                             float]
                    ) -> tuple[float, float, float, float, float, float, float, float, int,
                               int, float]:
    """The high/low/close/volume recursions over bars ``[c0, c1)`` in one loop, each with its
    kernel's step: ATR and NATR, +DM/-DM/TR sums with +DI, -DI and ADX, MFI's ring, OBV."""
    atr, pdm, mdm, tr, adx, prev, psum, nsum, null_run, j, obv = s
    b = (osc - 1) / osc
    a = 1.0 - b
    for i in range(c0, c1):
        hv = H[ix(i)]
        lv = L[ix(i)]
        cv = C[ix(i)]
        cp = C[ix(i - 1)]
        t = true_range_nb(hv, lv, cp)
        atr = ema_step_nb(atr, t, a, b)
        outs[ATR][ix(i)] = atr
        outs[NATR][ix(i)] = _natr(atr, cv)
        p, m = dm_nb(hv, lv, H[ix(i - 1)], L[ix(i - 1)])
        pdm, mdm, tr, plus, minus, dx = adx_step_nb(pdm, mdm, tr, p, m, t, osc)
        adx = adx_smooth_nb(adx, dx, osc)
        outs[PLUS_DI][ix(i)] = plus
        outs[MINUS_DI][ix(i)] = minus
        outs[ADX][ix(i)] = adx
        j = 0 if j + 1 == osc else j + 1
        psum -= pos[j]
        nsum -= neg[j]
        tp = typical_nb(hv, lv, cv)
        pf, nf = mfi_flow_nb(tp, prev, V[ix(i)])
        prev = tp
        pos[j] = pf
        neg[j] = nf
        psum, nsum, null_run = mfi_sums_nb(psum, nsum, pf, nf, null_run, osc)
        outs[MFI][ix(i)] = mfi_value_nb(psum, nsum)
        obv = obv_step_nb(obv, cv, cp, V[ix(i)])
        outs[OBV][ix(i)] = obv
    return atr, pdm, mdm, tr, adx, prev, psum, nsum, null_run, j, obv
