"""Candlestick pattern kernels, part 1: one- and two-bar patterns (TA-Lib 0.8 semantics).

Each kernel transcribes TA-Lib's C function (``src/ta_func/ta_CDL*.c``) so that the output is
*equal* to TA-Lib's, not merely close: a pattern is a chain of floating-point comparisons and a
last-bit difference in a threshold flips a bar. So the kernels keep TA-Lib's

* candle settings (``TA_CandleDefaultSettings`` in ``ta_global.c``): the constants below;
* averages ``factor * (total / period)`` (``TA_CANDLEAVERAGE``; its ``/ 1.0`` for settings not
  measured on shadows is exact and left out), and ``factor * range(bar)`` for period 0;
* running totals summed from zero over the first window in bar order, then updated after each
  bar as ``total += (range(new) - range(oldest))``, the difference first: a total holds the
  ``period`` bars *before* the bar it is compared with;
* lookbacks (the first bar evaluated is the lookback; earlier bars are 0) and output values.

How the loops are written, and why:

* Bars are read through views indexed from 0, one per lag (``O1 = Op[lb - 1:]`` holds bar
  ``i - 1`` at loop index ``j = i - lb``): numba then drops its negative-index handling, which
  otherwise costs more than the pattern itself.
* The conditions of a pattern are *counted* (``int(a) + int(b) + ...``) and the bar fires when
  all hold. TA-Lib's ``&&`` gives the same result (every operand is a plain comparison); chained
  ``and``/``&`` let LLVM turn the comparison that waits on a division into a coin-flip branch
  (2-6x slower), while the count leaves one rarely-taken test.
* A body's top ``c >= o ? c : o`` is computed as ``c > o ? c : o`` and its bottom as
  ``o < c ? o : c`` (single ``maxsd``/``minsd``; the ``>=`` form becomes AVX-512 masked moves
  that run 2.5x slower here). The results are the same, NaN included; they differ only in the
  sign of a zero when ``o == c == 0``, which no comparison can see. TA-Lib's ``fmin``/``fmax``
  (the gaps, harami's containment) are the same selects: they differ from ``fmin`` only for a
  NaN operand, and such an operand also enters a body comparison of that pattern, then false.
* ``a + b * c`` rounds twice (no FMA contraction: ``engine._jit`` never enables it), except
  where TA-Lib rounds once. The x86-64 TA-Lib 0.8 library ships some functions twice, plain
  and built for FMA CPUs, and picks one at load time (ELF IFUNCs); of these twelve,
  CDLMORNINGSTAR and CDLPIERCING. On an FMA CPU their ``close + body * factor`` rounds once,
  while CDLEVENINGSTAR's and CDLDARKCLOUDCOVER's ``close - body * penetration`` (one build
  only) round twice. The kernels use an explicit ``fma`` for those two, so they equal that
  library on an FMA CPU; on a CPU without FMA, or a TA-Lib built differently (other compiler
  or architecture), TA-Lib's own result can differ on bars whose close sits exactly on the
  threshold (``tests/engine/test_candles_twins.py`` builds such bars). Piercing's factor is
  0.5, an exact product: only a subnormal body could tell the roundings apart there. A price
  plus a candle average (near, far) is never fused: TA-Lib divides each average by a divisor
  read at run time (``TA_CANDLEAVERAGE``'s ``/ 1.0``), which keeps the compiler from fusing.
* Helpers take scalars: an inlined helper with array arguments still pays reference counting
  on every call (15x here).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from engine._jit import inline_helper, kernel

F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]

# TA_CandleDefaultSettings: period and factor, with the range each average is taken over.
BODY_LONG_P, BODY_LONG_F = 10, 1.0  # real body
BODY_SHORT_P, BODY_SHORT_F = 10, 1.0  # real body
BODY_DOJI_P, BODY_DOJI_F = 10, 0.1  # high - low
SHADOW_LONG_F = 1.0  # real body, period 0: the bar's own body
SHADOW_VERY_SHORT_P, SHADOW_VERY_SHORT_F = 10, 0.1  # high - low
NEAR_P, NEAR_F = 5, 0.2  # high - low
FAR_P, FAR_F = 5, 0.6  # high - low


def _fma_intrinsic() -> Callable[[float, float, float], float]:
    from numba import types
    from numba.extending import intrinsic

    def fma(typingctx: Any, a: Any, b: Any, c: Any) -> Any:
        """``a * b + c`` rounded once: LLVM's ``llvm.fma`` (the fused instruction, or an exact
        software fallback on a CPU without one)."""
        sig = types.float64(types.float64, types.float64, types.float64)

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            return builder.fma(*args)

        return sig, codegen

    return cast(Callable[[float, float, float], float], intrinsic(fma))


fma = _fma_intrinsic()


@inline_helper
def body(o: float, c: float) -> float:
    return abs(c - o)


@inline_helper
def top(o: float, c: float) -> float:
    """TA-Lib's ``c >= o ? c : o`` written as ``maxsd`` (see the module docstring)."""
    return c if c > o else o


@inline_helper
def bottom(o: float, c: float) -> float:
    """TA-Lib's ``c >= o ? o : c`` written as ``minsd``."""
    return o if o < c else c


@inline_helper
def upper(o: float, h: float, c: float) -> float:
    return h - top(o, c)


@inline_helper
def lower(o: float, lo: float, c: float) -> float:
    return bottom(o, c) - lo


@inline_helper
def sum_body(Op: F64, C: F64, a: int, b: int) -> float:
    """Bodies of bars ``a .. b-1`` summed from zero in bar order (TA-Lib's first window)."""
    total = 0.0
    for k in range(a, b):
        total += abs(C[k] - Op[k])
    return total


@inline_helper
def sum_hl(H: F64, L: F64, a: int, b: int) -> float:
    total = 0.0
    for k in range(a, b):
        total += H[k] - L[k]
    return total


@inline_helper
def zero_head(out: I32, lookback: int) -> bool:
    """0 into ``out[:lookback]``; True when no bar is past the lookback."""
    n = out.shape[0]
    for i in range(min(lookback, n)):
        out[i] = 0
    return bool(n <= lookback)


@kernel
def cdl_doji_nb(Op: F64, H: F64, L: F64, C: F64, out: I32) -> None:
    """CDLDOJI (lookback 10): body <= 10% of the mean high-low range of the 10 bars before."""
    p = BODY_DOJI_P
    if zero_head(out, p):
        return
    total = sum_hl(H, L, 0, p)
    O0, H0, L0, C0, dst = Op[p:], H[p:], L[p:], C[p:], out[p:]
    for j in range(dst.shape[0]):  # bar i = p + j; H[j], L[j] is bar i - p
        hit = abs(C0[j] - O0[j]) <= BODY_DOJI_F * (total / p)
        dst[j] = 100 if hit else 0
        total += (H0[j] - L0[j]) - (H[j] - L[j])


@kernel
def cdl_hammer_nb(Op: F64, H: F64, L: F64, C: F64, hanging: bool, out: I32) -> None:
    """CDLHAMMER (+100) or, with ``hanging``, CDLHANGINGMAN (-100); lookback 11. Short body,
    lower shadow longer than the body, very short upper shadow, and the body near the previous
    bar's low (hammer: bottom <= low + near) or high (hanging man: bottom >= high - near)."""
    bp, sp, np_ = BODY_SHORT_P, SHADOW_VERY_SHORT_P, NEAR_P
    lb = max(bp, sp, np_) + 1
    if zero_head(out, lb):
        return
    b_tot = sum_body(Op, C, lb - bp, lb)
    s_tot = sum_hl(H, L, lb - sp, lb)
    n_tot = sum_hl(H, L, lb - 1 - np_, lb - 1)  # "near" is measured on the previous bar
    O0, H0, L0, C0, H1, L1 = Op[lb:], H[lb:], L[lb:], C[lb:], H[lb - 1:], L[lb - 1:]
    Ob, Cb, Hs, Ls = Op[lb - bp:], C[lb - bp:], H[lb - sp:], L[lb - sp:]
    Hn, Ln = H[lb - 1 - np_:], L[lb - 1 - np_:]
    value = -100 if hanging else 100
    dst = out[lb:]
    for j in range(dst.shape[0]):
        o, h, lo, c = O0[j], H0[j], L0[j], C0[j]
        bd = body(o, c)
        bot = bottom(o, c)
        near = NEAR_F * (n_tot / np_)
        at_end = (bot >= H1[j] - near) if hanging else (bot <= L1[j] + near)
        k = (int(bd < BODY_SHORT_F * (b_tot / bp))
             + int(lower(o, lo, c) > SHADOW_LONG_F * bd)
             + int(upper(o, h, c) < SHADOW_VERY_SHORT_F * (s_tot / sp))
             + int(at_end))
        dst[j] = value if k == 4 else 0
        b_tot += bd - body(Ob[j], Cb[j])
        s_tot += (h - lo) - (Hs[j] - Ls[j])
        n_tot += (H1[j] - L1[j]) - (Hn[j] - Ln[j])


@kernel
def cdl_shootingstar_nb(Op: F64, H: F64, L: F64, C: F64, out: I32) -> None:
    """CDLSHOOTINGSTAR (-100, lookback 11): body gapping up from the previous body, short body,
    upper shadow longer than the body, very short lower shadow."""
    bp, sp = BODY_SHORT_P, SHADOW_VERY_SHORT_P
    lb = max(bp, sp) + 1
    if zero_head(out, lb):
        return
    b_tot = sum_body(Op, C, lb - bp, lb)
    s_tot = sum_hl(H, L, lb - sp, lb)
    O0, H0, L0, C0, O1, C1 = Op[lb:], H[lb:], L[lb:], C[lb:], Op[lb - 1:], C[lb - 1:]
    Ob, Cb, Hs, Ls = Op[lb - bp:], C[lb - bp:], H[lb - sp:], L[lb - sp:]
    dst = out[lb:]
    for j in range(dst.shape[0]):
        o, h, lo, c, po, pc = O0[j], H0[j], L0[j], C0[j], O1[j], C1[j]
        bd = body(o, c)
        k = (int(bottom(o, c) > top(po, pc))
             + int(bd < BODY_SHORT_F * (b_tot / bp))
             + int(upper(o, h, c) > SHADOW_LONG_F * bd)
             + int(lower(o, lo, c) < SHADOW_VERY_SHORT_F * (s_tot / sp)))
        dst[j] = -100 if k == 4 else 0
        b_tot += bd - body(Ob[j], Cb[j])
        s_tot += (h - lo) - (Hs[j] - Ls[j])


@kernel
def cdl_engulfing_nb(Op: F64, H: F64, L: F64, C: F64, out: I32) -> None:
    """CDLENGULFING (lookback 2): a body of the other colour engulfing the previous body;
    ±100, or ±80 when the bodies share one end (open = previous close or close = previous
    open). The sign is the engulfing bar's colour (white: close >= open)."""
    if zero_head(out, 2):
        return
    O0, C0, O1, C1, dst = Op[2:], C[2:], Op[1:], C[1:], out[2:]
    for j in range(dst.shape[0]):
        o, c, po, pc = O0[j], C0[j], O1[j], C1[j]
        white = c >= o
        p_white = pc >= po
        bull = white & (not p_white) & (((c >= po) & (o < pc)) | ((c > po) & (o <= pc)))
        bear = (not white) & p_white & (((o >= pc) & (c < po)) | ((o > pc) & (c <= po)))
        size = 100 if (o != pc) & (c != po) else 80
        signed = size if white else -size
        dst[j] = signed if bull | bear else 0


@kernel
def cdl_harami_nb(Op: F64, H: F64, L: F64, C: F64, out: I32) -> None:
    """CDLHARAMI (lookback 11): a long body, then a short body inside it; ∓100 against the
    first bar's colour, ∓80 when the bodies share one end."""
    lp, sp = BODY_LONG_P, BODY_SHORT_P
    lb = max(sp, lp) + 1
    if zero_head(out, lb):
        return
    l_tot = sum_body(Op, C, lb - 1 - lp, lb - 1)
    s_tot = sum_body(Op, C, lb - sp, lb)
    O0, C0, O1, C1 = Op[lb:], C[lb:], Op[lb - 1:], C[lb - 1:]
    Ol, Cl, Os, Cs = Op[lb - 1 - lp:], C[lb - 1 - lp:], Op[lb - sp:], C[lb - sp:]
    dst = out[lb:]
    for j in range(dst.shape[0]):
        o, c, po, pc = O0[j], C0[j], O1[j], C1[j]
        b1 = body(po, pc)
        b2 = body(o, c)
        hi2, lo2, hi1, lo1 = top(o, c), bottom(o, c), top(po, pc), bottom(po, pc)
        k = (int(b1 > BODY_LONG_F * (l_tot / lp)) + int(b2 <= BODY_SHORT_F * (s_tot / sp))
             + int(hi2 <= hi1) + int(lo2 >= lo1))
        size = 100 if (hi2 < hi1) & (lo2 > lo1) else 80
        signed = -size if pc >= po else size
        dst[j] = signed if k == 4 else 0
        l_tot += b1 - body(Ol[j], Cl[j])
        s_tot += b2 - body(Os[j], Cs[j])


@kernel
def cdl_piercing_nb(Op: F64, H: F64, L: F64, C: F64, out: I32) -> None:
    """CDLPIERCING (+100, lookback 11): long black bar, then a long white bar opening below its
    low and closing above its body's midpoint but below its open."""
    p = BODY_LONG_P
    lb = p + 1
    if zero_head(out, lb):
        return
    # One total per bar of the pattern, as TA-Lib keeps them: the first bar's total is not the
    # second's one bar late (they were summed in a different order).
    t1 = 0.0
    t0 = 0.0
    for i in range(lb - p, lb):
        t1 = t1 + body(Op[i - 1], C[i - 1])
        t0 = t0 + body(Op[i], C[i])
    O0, C0, O1, L1, C1 = Op[lb:], C[lb:], Op[lb - 1:], L[lb - 1:], C[lb - 1:]
    Ot0, Ct0, Ot1, Ct1 = Op[lb - p:], C[lb - p:], Op[lb - 1 - p:], C[lb - 1 - p:]
    dst = out[lb:]
    for j in range(dst.shape[0]):
        o, c, po, pc = O0[j], C0[j], O1[j], C1[j]
        b1 = body(po, pc)
        b0 = body(o, c)
        k = (int(pc < po) + int(b1 > BODY_LONG_F * (t1 / p))
             + int(c >= o) + int(b0 > BODY_LONG_F * (t0 / p))
             + int(o < L1[j]) + int(c < po) + int(c > fma(b1, 0.5, pc)))
        dst[j] = 100 if k == 7 else 0
        t1 = t1 + (b1 - body(Ot1[j], Ct1[j]))
        t0 = t0 + (b0 - body(Ot0[j], Ct0[j]))


@kernel
def cdl_darkcloudcover_nb(Op: F64, H: F64, L: F64, C: F64, penetration: float,
                          out: I32) -> None:
    """CDLDARKCLOUDCOVER (-100, lookback 11): long white bar, then a black bar opening above its
    high and closing inside its body, more than ``penetration`` of the body below its close."""
    p = BODY_LONG_P
    lb = p + 1
    if zero_head(out, lb):
        return
    total = sum_body(Op, C, lb - 1 - p, lb - 1)
    O0, C0, O1, H1, C1 = Op[lb:], C[lb:], Op[lb - 1:], H[lb - 1:], C[lb - 1:]
    Ot, Ct, dst = Op[lb - 1 - p:], C[lb - 1 - p:], out[lb:]
    for j in range(dst.shape[0]):
        o, c, po, pc = O0[j], C0[j], O1[j], C1[j]
        b1 = body(po, pc)
        k = (int(pc >= po) + int(b1 > BODY_LONG_F * (total / p))
             + int(not c >= o) + int(o > H1[j])
             + int(c > po) + int(c < pc - b1 * penetration))  # not fused, as TA-Lib
        dst[j] = -100 if k == 6 else 0
        total += b1 - body(Ot[j], Ct[j])
