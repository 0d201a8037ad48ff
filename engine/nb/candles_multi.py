"""Candlestick pattern kernels, part 2: three- and four-bar patterns (TA-Lib 0.8 semantics).

Same rules and loop style as ``engine.nb.candles`` (TA-Lib's settings, averages and running
totals in its order; views per lag; counted conditions). A pattern that applies a setting to
several of its bars keeps one running total per bar position, as TA-Lib does: the middle bar's
total is *not* the last bar's total one step late, because the two were summed differently.

CDLMORNINGSTAR rounds ``c1 + b1 * penetration`` once (an FMA), CDLEVENINGSTAR its
``c1 - b1 * penetration`` twice, as TA-Lib 0.8 does on an FMA CPU (the rounding bullet of
``engine.nb.candles``).
"""

from __future__ import annotations

from engine._jit import kernel
from engine.nb.candles import (
    BODY_LONG_F,
    BODY_LONG_P,
    BODY_SHORT_F,
    BODY_SHORT_P,
    F64,
    FAR_F,
    FAR_P,
    I32,
    NEAR_F,
    NEAR_P,
    SHADOW_VERY_SHORT_F,
    SHADOW_VERY_SHORT_P,
    body,
    bottom,
    fma,
    lower,
    sum_body,
    top,
    upper,
    zero_head,
)


@kernel
def cdl_star_nb(Op: F64, H: F64, L: F64, C: F64, penetration: float, evening: bool,
                out: I32) -> None:
    """CDLMORNINGSTAR (+100) or, with ``evening``, CDLEVENINGSTAR (-100); lookback 12.

    Morning: a long black body, a short body gapping below it, then a white body that is not
    short and closes more than ``penetration`` of the first body above the first close.
    Evening mirrors it (long white, short body gapping above, black body closing into it).
    """
    lp, sp = BODY_LONG_P, BODY_SHORT_P
    lb = max(sp, lp) + 2
    if zero_head(out, lb):
        return
    l_tot = sum_body(Op, C, lb - 2 - lp, lb - 2)
    s_tot = 0.0  # the star's (second bar's) total
    s_tot2 = 0.0  # the third bar's, summed in the same loop as in TA-Lib
    for i in range(lb - 1 - sp, lb - 1):
        s_tot += body(Op[i], C[i])
        s_tot2 += body(Op[i + 1], C[i + 1])
    O1, C1, O2, C2, O3, C3 = Op[lb - 2:], C[lb - 2:], Op[lb - 1:], C[lb - 1:], Op[lb:], C[lb:]
    Ol, Cl, Os, Cs = Op[lb - 2 - lp:], C[lb - 2 - lp:], Op[lb - 1 - sp:], C[lb - 1 - sp:]
    Os2, Cs2 = Op[lb - sp:], C[lb - sp:]
    value = -100 if evening else 100
    dst = out[lb:]
    for j in range(dst.shape[0]):  # bars i-2, i-1, i are o1/c1, o2/c2, o3/c3
        o1, c1, o2, c2, o3, c3 = O1[j], C1[j], O2[j], C2[j], O3[j], C3[j]
        b1 = body(o1, c1)
        b2 = body(o2, c2)
        b3 = body(o3, c3)
        if evening:
            turn = (int(c1 >= o1) + int(not c3 >= o3)
                    + int(bottom(o2, c2) > top(o1, c1))
                    + int(c3 < c1 - b1 * penetration))  # not fused, as in TA-Lib
        else:
            turn = (int(not c1 >= o1) + int(c3 >= o3)
                    + int(top(o2, c2) < bottom(o1, c1))
                    + int(c3 > fma(b1, penetration, c1)))  # fused, as in TA-Lib
        k = (turn + int(b1 > BODY_LONG_F * (l_tot / lp))
             + int(b2 <= BODY_SHORT_F * (s_tot / sp))
             + int(b3 > BODY_SHORT_F * (s_tot2 / sp)))
        dst[j] = value if k == 7 else 0
        l_tot += b1 - body(Ol[j], Cl[j])
        s_tot += b2 - body(Os[j], Cs[j])
        s_tot2 += b3 - body(Os2[j], Cs2[j])


@kernel
def cdl_3whitesoldiers_nb(Op: F64, H: F64, L: F64, C: F64, out: I32) -> None:
    """CDL3WHITESOLDIERS (+100, lookback 12): three white bars with very short upper shadows and
    rising closes, each opening above the previous open and at most "near" above its close,
    each body not "far" shorter than the one before, the last body not short.

    TA-Lib's Near and Far totals are the same sums (high-low over 5 bars, in the same order),
    so one total serves both, with the two factors."""
    sp, np_, bp = SHADOW_VERY_SHORT_P, NEAR_P, BODY_SHORT_P
    lb = max(sp, bp, FAR_P, np_) + 2
    if zero_head(out, lb):
        return
    s2 = 0.0  # very-short-shadow totals for the bars i-2, i-1 and i
    s1 = 0.0
    s0 = 0.0
    for i in range(lb - sp, lb):
        s2 = s2 + (H[i - 2] - L[i - 2])
        s1 = s1 + (H[i - 1] - L[i - 1])
        s0 = s0 + (H[i] - L[i])
    n2 = 0.0  # near (= far) totals for the bars i-2 and i-1
    n1 = 0.0
    for i in range(lb - np_, lb):
        n2 = n2 + (H[i - 2] - L[i - 2])
        n1 = n1 + (H[i - 1] - L[i - 1])
    b_tot = sum_body(Op, C, lb - bp, lb)
    O1, H1, L1, C1 = Op[lb - 2:], H[lb - 2:], L[lb - 2:], C[lb - 2:]
    O2, H2, L2, C2 = Op[lb - 1:], H[lb - 1:], L[lb - 1:], C[lb - 1:]
    O3, H3, L3, C3 = Op[lb:], H[lb:], L[lb:], C[lb:]
    # Bars leaving the totals: i-2-sp, i-1-sp, i-sp (shadows; the last also for the body
    # total, bp = sp) and i-2-near, i-1-near.
    Hs2, Ls2, Hs1, Ls1 = H[lb - 2 - sp:], L[lb - 2 - sp:], H[lb - 1 - sp:], L[lb - 1 - sp:]
    Hs0, Ls0, Ob, Cb = H[lb - sp:], L[lb - sp:], Op[lb - bp:], C[lb - bp:]
    Hn2, Ln2, Hn1, Ln1 = H[lb - 2 - np_:], L[lb - 2 - np_:], H[lb - 1 - np_:], L[lb - 1 - np_:]
    dst = out[lb:]
    for j in range(dst.shape[0]):
        o1, h1, c1 = O1[j], H1[j], C1[j]
        o2, h2, c2 = O2[j], H2[j], C2[j]
        o3, h3, c3 = O3[j], H3[j], C3[j]
        b1 = body(o1, c1)
        b2 = body(o2, c2)
        b3 = body(o3, c3)
        k = (int(c1 >= o1) + int(upper(o1, h1, c1) < SHADOW_VERY_SHORT_F * (s2 / sp))
             + int(c2 >= o2) + int(upper(o2, h2, c2) < SHADOW_VERY_SHORT_F * (s1 / sp))
             + int(c3 >= o3) + int(upper(o3, h3, c3) < SHADOW_VERY_SHORT_F * (s0 / sp))
             + int(c3 > c2) + int(c2 > c1)
             + int(o2 > o1) + int(o2 <= c1 + NEAR_F * (n2 / np_))
             + int(o3 > o2) + int(o3 <= c2 + NEAR_F * (n1 / np_))
             + int(b2 > b1 - FAR_F * (n2 / FAR_P))
             + int(b3 > b2 - FAR_F * (n1 / FAR_P))
             + int(b3 > BODY_SHORT_F * (b_tot / bp)))
        dst[j] = 100 if k == 15 else 0
        r1 = h1 - L1[j]
        r2 = h2 - L2[j]
        s2 = s2 + (r1 - (Hs2[j] - Ls2[j]))
        s1 = s1 + (r2 - (Hs1[j] - Ls1[j]))
        s0 = s0 + ((h3 - L3[j]) - (Hs0[j] - Ls0[j]))
        n2 = n2 + (r1 - (Hn2[j] - Ln2[j]))
        n1 = n1 + (r2 - (Hn1[j] - Ln1[j]))
        b_tot += b3 - body(Ob[j], Cb[j])


@kernel
def cdl_3blackcrows_nb(Op: F64, H: F64, L: F64, C: F64, out: I32) -> None:
    """CDL3BLACKCROWS (-100, lookback 13): a white bar, then three black bars with falling
    closes and very short lower shadows, each opening inside the previous black body, the first
    closing below the white bar's high."""
    sp = SHADOW_VERY_SHORT_P
    lb = sp + 3
    if zero_head(out, lb):
        return
    s2 = 0.0  # very-short-shadow totals for the bars i-2, i-1 and i
    s1 = 0.0
    s0 = 0.0
    for i in range(lb - sp, lb):
        s2 = s2 + (H[i - 2] - L[i - 2])
        s1 = s1 + (H[i - 1] - L[i - 1])
        s0 = s0 + (H[i] - L[i])
    O0, H0, C0 = Op[lb - 3:], H[lb - 3:], C[lb - 3:]
    O1, H1, L1, C1 = Op[lb - 2:], H[lb - 2:], L[lb - 2:], C[lb - 2:]
    O2, H2, L2, C2 = Op[lb - 1:], H[lb - 1:], L[lb - 1:], C[lb - 1:]
    O3, H3, L3, C3 = Op[lb:], H[lb:], L[lb:], C[lb:]
    Hs2, Ls2, Hs1, Ls1 = H[lb - 2 - sp:], L[lb - 2 - sp:], H[lb - 1 - sp:], L[lb - 1 - sp:]
    Hs0, Ls0 = H[lb - sp:], L[lb - sp:]
    dst = out[lb:]
    for j in range(dst.shape[0]):  # the white bar i-3, then the crows i-2, i-1, i
        o1, l1, c1 = O1[j], L1[j], C1[j]
        o2, l2, c2 = O2[j], L2[j], C2[j]
        o3, l3, c3 = O3[j], L3[j], C3[j]
        k = (int(C0[j] >= O0[j])
             + int(not c1 >= o1) + int(not c2 >= o2) + int(not c3 >= o3)
             + int(o2 < o1) + int(o2 > c1) + int(o3 < o2) + int(o3 > c2)
             + int(H0[j] > c1) + int(c1 > c2) + int(c2 > c3)
             + int(lower(o1, l1, c1) < SHADOW_VERY_SHORT_F * (s2 / sp))
             + int(lower(o2, l2, c2) < SHADOW_VERY_SHORT_F * (s1 / sp))
             + int(lower(o3, l3, c3) < SHADOW_VERY_SHORT_F * (s0 / sp)))
        dst[j] = -100 if k == 14 else 0
        s2 = s2 + ((H1[j] - l1) - (Hs2[j] - Ls2[j]))
        s1 = s1 + ((H2[j] - l2) - (Hs1[j] - Ls1[j]))
        s0 = s0 + ((H3[j] - l3) - (Hs0[j] - Ls0[j]))
