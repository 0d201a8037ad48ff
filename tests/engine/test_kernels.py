"""Every Drummond kernel against its slow twin in naive.py: random series, NaN gaps, short
series (0-5 bars), flat bars, and each parameter variant."""

from __future__ import annotations

import numpy as np
import pytest

from engine.drummond import DGParams, allocate, compute_into
from engine.drummond.result import EXT_LINE_NAMES
from tests.engine import naive


def series(n: int, seed: int, *, nan_every: int = 0, flat: bool = False, ties: bool = False):
    rng = np.random.default_rng(seed)
    c = 100 + np.cumsum(rng.normal(0, 1, n))
    o = c + rng.normal(0, 0.5, n)
    h = np.maximum(o, c) + rng.exponential(0.5, n)
    lo = np.minimum(o, c) - rng.exponential(0.5, n)
    if flat:
        h = lo = o = c = np.full(n, 50.0)
    if ties:  # prices on a coarse grid make closes land exactly on the dot often
        h, lo, c = (np.round(a * 2) / 2 for a in (h, lo, c))
        c = np.clip(c, lo, h)
    if nan_every:
        for a in (h, lo, c):
            a[nan_every::nan_every] = np.nan
    return h, lo, c


CASES = [
    pytest.param(dict(n=400, seed=1), id="random"),
    pytest.param(dict(n=300, seed=2, nan_every=37), id="nan-gaps"),
    pytest.param(dict(n=200, seed=3, ties=True), id="ties"),
    pytest.param(dict(n=60, seed=4, flat=True), id="flat"),
    *[pytest.param(dict(n=k, seed=5), id=f"short-{k}") for k in range(6)],
]
PARAMS = [
    pytest.param(DGParams(), id="defaults"),
    pytest.param(DGParams(envelope_mode="hl_avg", win=4, trend_len=2, tie_policy="carry",
                          dotted_includes_entrance=True, min_away=2, n_cw=3,
                          cwave_requires_slope=True, k_push=0.1), id="variants"),
    pytest.param(DGParams(exit_requires_break=True, reversal_mode="any_opposite",
                          tie_eps=0.25, k_exh=0.5, m_exh=1.0, flat_thr=0.3, tick=0.01,
                          extended_lines=True), id="strict"),
]


def run(h, lo, c, params):
    out = allocate(h.shape[0], params)
    compute_into(h, lo, c, params, out)
    return out


def close(a, b):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                               rtol=1e-12, atol=1e-9, equal_nan=True)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("p", PARAMS)
def test_core_and_lines(case, p):
    h, lo, c = series(**case)
    out = run(h, lo, c, p)
    ref = naive.core(list(h), list(lo), list(c), p.win, p.envelope_mode == "hl_avg")
    for name, key in (("pldot", "PL"), ("etop", "ETOP"), ("ebot", "EBOT"), ("ar3", "AR3"),
                      ("one_one_dot", "OOD"), ("one_one_high", "OOH"),
                      ("one_one_low", "OOL"), ("slope", "SLOPE")):
        close(out[name], ref[key])
    lines = naive.lines(list(h), list(lo))
    for key in ("HH", "LL", "LH", "HL"):
        close(out["line_" + key.lower()], lines[key])
    if p.extended_lines:
        ext = naive.lines_ext(list(h), list(lo), list(c), ref["PL"])
        for i, name in enumerate(EXT_LINE_NAMES):
            close(out["extra_lines"][i], ext[name])


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("p", PARAMS)
def test_side_states_and_patterns(case, p):
    h, lo, c = series(**case)
    out = run(h, lo, c, p)
    pl = list(out["pldot"])
    side = naive.side(list(c), pl, p.tie_eps)
    close(out["side"], side)
    st = naive.states(side, list(h), list(lo), list(c), p.trend_len, p.tie_policy == "carry",
                      p.dotted_includes_entrance, p.exit_requires_break,
                      p.reversal_mode == "any_opposite")
    for name, key in (("state", "state"), ("trend_dir", "tdir"), ("prior_dir", "pdir"),
                      ("dotted", "dotted"), ("block", "block"), ("conf_hi", "chi"),
                      ("conf_lo", "clo"), ("conf_expanded", "exp"),
                      ("continued_entrance", "cont"), ("run_len", "run")):
        close(out[name], st[key])
    f = naive.patterns(list(h), list(lo), list(c), pl, list(out["etop"]), list(out["ebot"]),
                       list(out["ar3"]), list(out["slope"]), p.k_push, p.min_away, p.k_exh,
                       p.m_exh, p.n_cw, p.cwave_requires_slope, p.tick)
    for name, key in (("away_above", "away_above"), ("away_below", "away_below"),
                      ("touch", "touch"), ("push_up", "push_up"), ("push_down", "push_down"),
                      ("push_run", "push_run"), ("refresh_from_above", "ref_above"),
                      ("refresh_from_below", "ref_below"), ("exhaust_up", "exh_up"),
                      ("exhaust_down", "exh_down"), ("exhaust_up_confirmed", "exh_up_conf"),
                      ("exhaust_down_confirmed", "exh_down_conf"), ("cwave_up", "cw_up"),
                      ("cwave_down", "cw_down")):
        close(out[name], f[key])
    shape, crest, valley, inc = naive.dot_shape(pl, list(out["slope"]), list(out["ar3"]),
                                                p.flat_thr, p.tick)
    close(out["dot_shape"], shape)
    close(out["dot_crest"], crest)
    close(out["dot_valley"], valley)
    close(out["dot_distance_increasing"], inc)


def test_random_series_reach_every_state():
    # Guards the twin tests above against vacuity: the random case exercises the whole machine.
    h, lo, c = series(3000, 11)
    out = run(h, lo, c, DGParams())
    assert set(np.unique(out["state"]).tolist()) == {0, 1, 2, 3, 4, 5}
    for name in ("push_up", "refresh_from_above", "refresh_from_below", "cwave_up",
                 "cwave_down", "exhaust_up", "exhaust_down", "conf_expanded",
                 "continued_entrance", "dot_crest"):
        assert out[name].any(), name


def test_displacement_zero_is_the_plain_three_bar_mean():
    h, lo, c = series(50, 7)
    out = run(h, lo, c, DGParams(displacement=0))
    tp = (h + lo + c) / 3
    np.testing.assert_allclose(out["pldot"][2:50], (tp[:-2] + tp[1:-1] + tp[2:]) / 3, rtol=1e-12)
    assert np.isnan(out["pldot"][50]) and np.isnan(out["pldot"][:2]).all()


def test_compute_into_rejects_bad_buffers():
    h, lo, c = series(10, 1)
    out = allocate(10)
    out["pldot"] = np.empty(10)
    with pytest.raises(ValueError, match="pldot"):
        compute_into(h, lo, c, DGParams(), out)
    with pytest.raises(ValueError, match="high must be a float64 vector"):
        compute_into(h.astype(np.float32), lo, c, DGParams(), allocate(10))
