"""Termination outcomes ("holds on close", spec §B6) and the live PLdot (spec §B2)."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Bars
from engine.drummond import analyze, level_outcomes, live_projection
from engine.drummond.outcomes import AT_CLOSE, BROKEN, HELD, NOT_REACHED
from tests.engine import golden
from tests.engine.test_kernels import series


def _naive(h, lo, c, lv):
    role, out = [], []
    for t in range(len(c)):
        if t == 0 or np.isnan(lv[t]):
            role.append(0)
            out.append(NOT_REACHED)
            continue
        r = 1 if lv[t] > c[t - 1] else (-1 if lv[t] < c[t - 1] else 0)
        if r == 1:
            touched, beyond = h[t] >= lv[t], c[t] > lv[t]
        elif r == -1:
            touched, beyond = lo[t] <= lv[t], c[t] < lv[t]
        else:
            touched, beyond = lo[t] <= lv[t] <= h[t], False
        o = NOT_REACHED
        if touched:
            o = AT_CLOSE if c[t] == lv[t] else HELD
        if beyond:
            o = BROKEN
        role.append(r)
        out.append(o)
    return role, out


def test_golden_bar_6():
    r = analyze(golden.bars())
    role, out = level_outcomes(r, "line_hh")
    assert (role[6], out[6]) == (0, HELD)  # HH 110 = C5: a pivot that held on close
    role, out = level_outcomes(r, "line_ll")
    assert (role[6], out[6]) == (-1, BROKEN)  # LL 109 below C5, closed 107 below it


@pytest.mark.parametrize("field", ["pldot", "etop", "ebot", "line_hh", "line_ll", "line_lh",
                                   "line_hl", "one_one_high", "one_one_low"])
def test_outcomes_match_the_naive_rule(field):
    h, lo, c = series(400, 21, ties=True)
    o = np.clip(c, lo, h)
    r = analyze(Bars.from_arrays(np.arange(400), o, h, lo, c))
    role, out = level_outcomes(r, field)
    ref_role, ref_out = _naive(h, lo, c, getattr(r, field)[:400])
    assert role.tolist() == ref_role and out.tolist() == ref_out
    assert set(out.tolist()) >= {NOT_REACHED, HELD, BROKEN}


def test_unknown_level():
    with pytest.raises(ValueError, match="unknown level"):
        level_outcomes(analyze(golden.bars()), "nope")


def test_live_pldot_equals_the_dot_once_the_bar_closes():
    b = golden.bars()
    done = analyze(b)
    forming = analyze(b[:9])  # bar 9 still forming: its running values are its final ones
    live = live_projection(forming, high=106.0, low=101.0, last=102.0)
    assert live.pldot == pytest.approx(done.pldot[10], abs=1e-12)
    assert live.etop == pytest.approx(done.etop[10], abs=1e-12)
    assert live.ebot == pytest.approx(done.ebot[10], abs=1e-12)
    assert live.one_one_high == pytest.approx(done.one_one_high[10], abs=1e-12)
    with pytest.raises(ValueError, match="low <= last <= high"):
        live_projection(forming, high=100.0, low=101.0, last=100.5)
