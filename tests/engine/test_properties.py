"""Properties of the Drummond engine over generated bar series (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Bars
from engine.drummond import DGParams, analyze
from engine.drummond.result import PER_BAR_FIELDS, PROJECTED_FIELDS

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

_bar = st.tuples(
    st.floats(-3, 3, allow_nan=False),  # close-to-close move
    st.floats(-2, 2, allow_nan=False),  # open offset from the previous close (a gap)
    st.floats(0, 2, allow_nan=False),  # upper wick
    st.floats(0, 2, allow_nan=False),  # lower wick
    st.booleans(),  # a flat bar (open = high = low = close)
)


@st.composite
def bar_series(draw, min_size=0, max_size=80):
    rows = draw(st.lists(_bar, min_size=min_size, max_size=max_size))
    # A coarse tick grid makes exact ties with the dot (side 0) and flat dots happen.
    tick = draw(st.sampled_from([0.0, 0.25, 1.0]))
    price = 100.0
    cols: list[list[float]] = [[], [], [], []]
    for move, gap, up, down, flat in rows:
        o = price + gap
        c = price + move
        if tick:
            o, c, up, down = (round(v / tick) * tick for v in (o, c, up, down))
        h, lo = max(o, c) + up, min(o, c) - down
        if flat:
            o = h = lo = c
        for col, v in zip(cols, (o, h, lo, c), strict=True):
            col.append(v)
        price = c
    n = len(rows)
    return Bars.from_arrays(np.arange(n) * 60, *cols, np.ones(n))


_params = st.builds(
    DGParams,
    trend_len=st.integers(1, 5),
    tie_policy=st.sampled_from(["neutral", "carry"]),
    exit_requires_break=st.booleans(),
    reversal_mode=st.sampled_from(["direct", "any_opposite"]),
    dotted_includes_entrance=st.booleans(),
    envelope_mode=st.sampled_from(["one_one", "hl_avg"]),
    extended_lines=st.booleans(),
)


def _same(a, b):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@SETTINGS
@given(bar_series())
def test_envelope_width_is_ar3_and_dot_inside(bars):
    r = analyze(bars)
    ok = ~np.isnan(r.pldot)
    assert ok.sum() == max(len(bars) - 2, 0)
    scale = 1e-12 * np.maximum(1.0, np.abs(r.pldot[ok]))
    np.testing.assert_allclose(r.etop[ok] - r.ebot[ok], r.ar3[ok], atol=1e-9)
    assert (r.etop[ok] >= r.pldot[ok] - scale).all()
    assert (r.pldot[ok] >= r.ebot[ok] - scale).all()


@SETTINGS
@given(bar_series(min_size=1), _params, st.data())
def test_no_look_ahead(bars, params, data):
    """Truncating at any k leaves every value at index <= k unchanged, projections included."""
    full = analyze(bars, params)
    k = data.draw(st.integers(0, len(bars)))
    part = analyze(bars[:k], params)
    for name in PROJECTED_FIELDS:
        _same(getattr(part, name), getattr(full, name)[: k + 1])
    for name in PER_BAR_FIELDS:
        _same(getattr(part, name), getattr(full, name)[:k])
    for name, arr in part.extra_lines.items():
        _same(arr, full.extra_lines[name][: k + 1])


@SETTINGS
@given(bar_series(min_size=4), _params, st.integers(1, 20))
def test_appending_bars_never_rewrites_earlier_states(bars, params, extra):
    k = max(len(bars) - extra, 0)
    before = analyze(bars[:k], params)
    after = analyze(bars, params)
    for name in ("state", "trend_dir", "prior_dir", "dotted", "block", "conf_hi", "conf_lo",
                 "conf_expanded", "side"):
        _same(getattr(before, name), getattr(after, name)[:k])


@SETTINGS
@given(bar_series(min_size=3))
def test_state_invariants(bars):
    r = analyze(bars)
    trend = np.isin(r.state, [1, 4, 5])
    cong = np.isin(r.state, [2, 3])
    assert (r.trend_dir[trend] != 0).all() and (r.trend_dir[~trend] == 0).all()
    assert (r.state[:3] == 0).all()
    with_levels = cong & (r.prior_dir != 0)
    assert (r.conf_hi[with_levels] >= r.conf_lo[with_levels]).all()
    assert np.isnan(r.dotted[~with_levels]).all()
    # An entrance bar closes on the side opposite the trend it ends.
    ent = np.flatnonzero(r.state == 2)
    assert (r.side[ent] == -r.prior_dir[ent]).all()
