"""The spec's golden vectors (drummond-geometry.md §C, every table) to 1e-9."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from engine.drummond import DGParams, State, analyze, next_bar_map, zones
from engine.nb.states import dg_states_nb
from tests.engine import golden

TOL = 1e-9


def _f(v: object) -> float:
    return float("nan") if v is None else float(v)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def result():
    return analyze(golden.bars())


@pytest.mark.parametrize(("field", "col"), [
    ("pldot", "PL"), ("etop", "ETop"), ("ebot", "EBot"), ("ar3", "AR3"),
    ("one_one_high", "OOH"), ("one_one_low", "OOL"),
])
def test_c1_projected_series(result, field, col):
    np.testing.assert_allclose(getattr(result, field), golden.table()[col], atol=TOL,
                               rtol=0, equal_nan=True)


def test_c1_slope_and_one_one_dot(result):
    np.testing.assert_allclose(result.slope, [_f(v) for v in golden.C1_SLOPE], atol=TOL,
                               equal_nan=True)
    np.testing.assert_allclose(result.one_one_dot, [_f(v) for v in golden.C1_OOD], atol=TOL,
                               equal_nan=True)


@pytest.mark.parametrize(("field", "col"), [
    ("side", "side"), ("state", "state"), ("trend_dir", "tdir"), ("prior_dir", "prior_dir"),
    ("dotted", "dotted"), ("block", "block"), ("conf_lo", "conf_lo"), ("conf_hi", "conf_hi"),
])
def test_c2_states_and_congestion_levels(result, field, col):
    want = golden.table()[col][:10]
    np.testing.assert_allclose(getattr(result, field).astype(float), want, atol=TOL,
                               equal_nan=True)


def test_c2_expanded_confines_only_on_bar_9(result):
    assert np.flatnonzero(result.conf_expanded).tolist() == [9]


def test_c2_next_bar_would_be_exit_down_not_reversal():
    # "if C[10] < 316/3 then run = 3 with run_start = 8 != ent = 6: CONG_EXIT down"
    b = golden.bars()
    side = np.append(analyze(b).side, -1.0)
    h, lo, c = (np.append(getattr(b, k), v) for k, v in (("high", 105), ("low", 100),
                                                          ("close", 101)))
    out = _run_states(side, h, lo, c)
    assert out["state"][10] == State.CONG_EXIT and out["tdir"][10] == -1


@pytest.mark.parametrize("field", list(golden.C3))
def test_c3_pattern_flags(result, field):
    got = "".join("T" if v else "F" for v in getattr(result, field)[3:10])
    assert got == golden.C3[field]


def test_c3_no_exhaust_confirmation(result):
    assert not result.exhaust_up_confirmed.any() and not result.exhaust_down_confirmed.any()


@pytest.mark.parametrize("field", list(golden.C4))
def test_c4_line_projections(result, field):
    np.testing.assert_allclose(getattr(result, field)[2:], golden.C4[field], atol=TOL)
    assert np.isnan(getattr(result, field)[:2]).all()


def test_c4_termination_outcomes_on_bar_6(result):
    b = result.bars
    hh, ll = result.line_hh[6], result.line_ll[6]
    assert hh == b.close[5]  # a pivot (equal to C5)
    assert b.high[6] >= hh and b.close[6] < hh  # touched and held on close
    assert ll < b.close[5] and b.close[6] < ll  # support, broken


def test_c5_zones_for_the_next_bar():
    r = analyze(golden.bars(), DGParams(zone_congestion_levels=False))
    got = zones(r)
    assert len(got) == len(golden.C5)
    for z, (lo, hi, strength, kind, sources) in zip(got, golden.C5, strict=True):
        assert z.lo == pytest.approx(float(lo), abs=TOL)
        assert z.hi == pytest.approx(float(hi), abs=TOL)
        assert (z.strength, z.kind, z.tf_count) == (strength, kind, 1)
        assert tuple(sorted(lv.source for lv in z.sources)) == sources
    # C9 = 102 < EBot[10]: nearby resistance [EBot, PL] covers clusters 3-5; 6-7 further out.
    assert [z.nearby for z in got[2:]] == [True, True, True, False, False]
    assert got[0].nearby is False  # HL 93: beyond the nearest support, so further out
    assert got[1].nearby is True  # LL/OOL 100: the nearest support (our rule for the open side)


def test_c5_tau_is_a_tenth_of_ar3():
    r = analyze(golden.bars(), DGParams(zone_congestion_levels=False))
    z = zones(r)
    # EBot 102.333 and HH 103 are 0.667 apart > tau = 17/30, so they stay apart;
    # with k_zone 0.12 (tau 0.68) they merge.
    assert len(z) == 7
    merged = zones(analyze(golden.bars(), DGParams(zone_congestion_levels=False, k_zone=0.12)))
    assert any(lv.source == "HH" for lv in merged[2].sources)


def test_c5_congestion_levels_join_by_default(result):
    z = zones(result)
    by_source = {lv.source: zz for zz in z for lv in zz.sources}
    assert by_source["CONF_LO"].lo == 101 and by_source["BLOCK"].lo == 104
    assert by_source["DOTTED"] is by_source["LH"] is by_source["CONF_HI"]  # all at 110


def test_c5_experimental_areas():
    r = analyze(golden.bars(), DGParams(experimental_areas=True))
    for name, want in golden.C5_AREAS.items():
        assert getattr(r, name)[10] == pytest.approx(float(want), abs=TOL)
    z = r.z6t[3:], r.z5t[3:], r.etop[3:], r.pldot[3:], r.ebot[3:], r.z2b[3:], r.z1b[3:]
    for upper, lower in itertools.pairwise(z):
        assert (upper >= lower - TOL).all()
    assert analyze(golden.bars()).z6t is None


def test_next_bar_map_reads_the_example(result):
    m = next_bar_map(result)
    assert m.t == 10 and m.state == State.CONG_ACTION and m.position == "below"
    assert m.pldot == pytest.approx(316 / 3, abs=TOL)
    assert m.congestion is not None and m.congestion.active
    assert (m.congestion.dotted, m.congestion.block) == (110, 104)
    assert (m.congestion.conf_lo, m.congestion.conf_hi, m.congestion.expanded) == (101, 110, True)
    roles = {term.line: term.role for term in m.terminations}
    assert roles == {"HH": "R", "LL": "S", "LH": "R", "HL": "S"}


def _run_states(side, h, lo, c, **kw):
    n = side.shape[0]
    out = {k: np.empty(n, dt) for k, dt in (
        ("state", np.int8), ("tdir", np.int8), ("pdir", np.int8), ("run", np.int32),
        ("rside", np.int8), ("dotted", float), ("block", float), ("chi", float), ("clo", float),
        ("exp", np.bool_), ("cont", np.bool_))}
    args = dict(trend_len=3, tie_carry=False, dotted_incl=False, exit_break=False,
                rev_any=False) | kw
    dg_states_nb(side, h, lo, c, args["trend_len"], args["tie_carry"], args["dotted_incl"],
                 args["exit_break"], args["rev_any"], *out.values())
    return out


@pytest.mark.parametrize("case", list(golden.C6))
def test_c6_state_machine_vectors(case):
    code, expected = golden.C6[case]
    side = golden.sides(code)
    n = side.shape[0]
    flat = np.full(n, 100.0)
    out = _run_states(side, flat + 1, flat - 1, flat)
    assert out["state"][:3].tolist() == [0, 0, 0]
    got = list(zip(out["state"][3:].tolist(), out["tdir"][3:].tolist(), strict=True))
    assert got == expected
    if case in golden.C6_PRIOR:
        i, prior = golden.C6_PRIOR[case]
        assert out["pdir"][3 + i] == prior
    if case in golden.C6_CONTINUED:
        assert out["cont"][3 + golden.C6_CONTINUED[case]]
