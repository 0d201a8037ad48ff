"""Zone clustering and the nearby rule, against the spec's reference clustering."""

from __future__ import annotations

import numpy as np
import pytest

from engine.drummond import DGParams, Level, analyze, zones
from engine.drummond.zones import air, cluster, focal_levels
from tests.engine import golden, naive
from tests.engine.test_kernels import series


@pytest.mark.parametrize("seed", range(20))
def test_cluster_matches_the_reference(seed):
    rng = np.random.default_rng(seed)
    levels = [Level(float(p), f"S{i % 5}", int(tf)) for i, (p, tf) in
              enumerate(zip(rng.normal(100, 2, 30).round(2), rng.integers(0, 3, 30),
                            strict=True))]
    tau = float(rng.uniform(0.05, 1.0))
    got = cluster(levels, tau)
    ref = naive.zones([(lv.price, lv.tf, lv.source) for lv in levels], tau)
    assert [(g[0].price, g[-1].price) for g in got] == [(r[0], r[1]) for r in ref]
    assert sum(len(g) for g in got) == len(levels)
    for g in got:
        assert g[-1].price - g[0].price <= 2 * tau + 1e-12


def _bars(n=300, seed=3):
    from engine import Bars

    h, lo, c = series(n, seed)
    o = np.clip(c + 0.1, lo, h)
    return Bars.from_arrays(np.arange(n) * 60, o, h, lo, c)


@pytest.mark.parametrize("t", [3, 50, 150, 300])
def test_zone_fields_and_kinds(t):
    r = analyze(_bars())
    zl = zones(r, t)
    close = r.bars.close[t - 1]
    assert [z.lo for z in zl] == sorted(z.lo for z in zl)
    for z in zl:
        assert z.lo <= z.mid <= z.hi
        assert z.kind == ("R" if z.lo > close else "S" if z.hi < close else "P")
        assert z.strength == len({(lv.tf, lv.source) for lv in z.sources})
        assert z.tf_count == 1
    assert sum(len(z.sources) for z in zl) == len(focal_levels(r, t))
    assert any(z.nearby for z in zl)


def test_nearby_rule_above_the_envelope():
    r = analyze(_bars())
    cands = [t for t in range(4, 301) if r.bars.close[t - 1] > r.etop[t]]
    assert cands, "the series should close above the envelope somewhere"
    t = cands[0]
    zl = zones(r, t)
    lo, hi = r.pldot[t], r.etop[t]
    for z in zl:
        if z.hi < r.bars.close[t - 1]:  # support side: nearby exactly when it meets [PL, ETop]
            assert z.nearby == (z.lo <= hi and z.hi >= lo)


def test_higher_timeframe_levels_add_weight_and_count():
    r = analyze(golden.bars(), DGParams(zone_congestion_levels=False))
    pl = float(r.pldot[10])
    zl = zones(r, extra_levels=[Level(pl + 0.1, "PL", tf=1), Level(pl - 0.2, "ETOP", tf=2),
                                Level(float("nan"), "PL", tf=1)])
    z = next(z for z in zl if any(lv.source == "PL" and lv.tf == 0 for lv in z.sources))
    assert z.tf_count == 3 and z.strength == 4  # OOH, PL (focal) + PL (HTF1) + ETOP (HTF2)
    assert z.weight == pytest.approx(0.75 + 1.0 + 1.5 + 2.25)


def test_air_and_errors():
    r = analyze(golden.bars(), DGParams(zone_congestion_levels=False))
    zl = zones(r)
    assert air(zl, 102.0, 17 / 3) == (False, False)
    assert air([z for z in zl if z.lo < 90], 102.0, 1.0) == (True, True)
    with pytest.raises(ValueError, match="AR3 of bar 2"):
        zones(r, 2)
    with pytest.raises(ValueError, match=r"1\.\.10"):
        zones(r, 11)


def test_absolute_tick_tolerance():
    p = DGParams(zone_congestion_levels=False, tick=0.25, zone_ticks=3)  # tau = 0.75
    zl = zones(analyze(golden.bars(), p))
    assert any({"EBOT", "HH"} <= {lv.source for lv in z.sources} for z in zl)
