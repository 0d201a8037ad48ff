"""The level-of-detail kernel against a slow, obvious twin: every high and low survives."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Bars
from engine.lod import ohlc_columns
from engine.nb.lod import ohlc_columns_nb


def naive_columns(o, h, lo, c, i0, i1, ncols):
    """One Python list per column, bar by bar: the obvious definition."""
    n = i1 - i0
    groups: dict[int, list[int]] = {}
    for i in range(i0, i1):
        groups.setdefault((i - i0) * ncols // n, []).append(i)
    rows = []
    for idx in groups.values():
        hs = [h[i] for i in idx if not np.isnan(h[i])]
        ls = [lo[i] for i in idx if not np.isnan(lo[i])]
        rows.append((o[idx[0]], max(hs) if hs else np.nan, min(ls) if ls else np.nan,
                     c[idx[-1]], idx[0]))
    return [np.array(col) for col in zip(*rows, strict=True)] if rows else [np.array([])] * 5


def series(n: int, seed: int):
    rng = np.random.default_rng(seed)
    c = 100 + np.cumsum(rng.normal(0, 1, n))
    o = c + rng.normal(0, 0.5, n)
    h = np.maximum(o, c) + rng.exponential(0.5, n)
    lo = np.minimum(o, c) - rng.exponential(0.5, n)
    return o, h, lo, c


@pytest.mark.parametrize(("n", "i0", "i1", "ncols"), [
    (1000, 0, 1000, 7), (1000, 13, 977, 100), (1000, 0, 1000, 1000), (1000, 0, 1000, 1),
    (50, 5, 45, 200), (10, 3, 4, 5), (10, 4, 4, 5), (9973, 0, 9973, 1600),
])
def test_matches_naive_twin(n, i0, i1, ncols):
    o, h, lo, c = series(n, seed=n + i0)
    got = ohlc_columns((o, h, lo, c), i0, i1, ncols)
    want = naive_columns(o, h, lo, c, i0, i1, ncols)
    for a, b in zip((got.open, got.high, got.low, got.close, got.first_index), want,
                    strict=True):
        np.testing.assert_array_equal(a, b)
    assert len(got) == min(ncols, i1 - i0)


def test_every_extreme_survives():
    o, h, lo, c = series(100_003, seed=7)
    h[[5, 50_000, 99_999]] = [1e6, 2e6, 3e6]  # spikes on single bars
    lo[[7, 77_777]] = [-1e6, -2e6]
    cols = ohlc_columns((o, h, lo, c), 0, h.size, 997)
    # each bar's high is <= its column's high and equals it for the column's arg-max (no skip)
    col_of = np.searchsorted(cols.first_index, np.arange(h.size), side="right") - 1
    assert np.all(h <= cols.high[col_of]) and np.all(lo >= cols.low[col_of])
    for j in range(len(cols)):
        a, b = cols.first_index[j], cols.last_index[j] + 1
        assert cols.high[j] == h[a:b].max() and cols.low[j] == lo[a:b].min()
        assert cols.open[j] == o[a] and cols.close[j] == c[b - 1]
    assert {1e6, 2e6, 3e6} <= set(cols.high.tolist())
    assert {-1e6, -2e6} <= set(cols.low.tolist())
    assert cols.high.max() == h.max() and cols.low.min() == lo.min()


def test_nan_highs_and_lows_are_skipped():
    v = np.array([np.nan, 2.0, np.nan, np.nan, 5.0, 1.0])
    cols = ohlc_columns((v, v, v, v), 0, 6, 3)
    np.testing.assert_array_equal(cols.high, [2.0, np.nan, 5.0])
    np.testing.assert_array_equal(cols.low, [2.0, np.nan, 1.0])


def test_accepts_bars_and_validates():
    o, h, lo, c = series(20, seed=1)
    h, lo = np.maximum.reduce([o, h, c]), np.minimum.reduce([o, lo, c])
    bars = Bars.from_arrays(np.arange(20) * 60, o, h, lo, c)
    cols = ohlc_columns(bars, 0, 20, 4)
    assert cols.high.tolist() == [h[i:i + 5].max() for i in range(0, 20, 5)]
    with pytest.raises(ValueError, match="i0"):
        ohlc_columns(bars, 5, 21, 4)
    with pytest.raises(ValueError, match="ncols"):
        ohlc_columns(bars, 0, 20, 0)
    with pytest.raises(ValueError, match="one length"):
        ohlc_columns((o, h, lo, c[:-1]), 0, 19, 4)


def test_kernel_fills_caller_outputs_and_is_cached():
    o, h, lo, c = series(30, seed=3)
    outs = [np.full(10, -1.0) for _ in range(4)]
    first = np.full(10, -1, dtype=np.int64)
    k = ohlc_columns_nb(o, h, lo, c, 0, 30, 10, *outs, first)
    assert k == 10 and first.tolist() == list(range(0, 30, 3))
    assert type(ohlc_columns_nb._cache).__name__ != "NullCache"  # compiled with cache=True


@pytest.mark.parametrize("block", [1, 3, 8, 32])
def test_minmax_pyramid_matches_ohlc_columns(block):
    """The pyramid's columns are ``ohlc_columns``' columns: same first bars, lows and highs
    (NaN-skipping), whatever the span, column count or block alignment."""
    from engine.lod import MinMaxPyramid

    rng = np.random.default_rng(block)
    for n in (1, 7, block, block + 1, 1000, 20_011):
        h = rng.normal(size=n)
        lo = h - rng.exponential(1.0, n)
        h[rng.random(n) < 0.05] = np.nan
        lo[rng.random(n) < 0.05] = np.nan
        pyr = MinMaxPyramid(lo, h, block)
        for _ in range(25):
            i0 = int(rng.integers(0, n))
            i1 = int(rng.integers(i0, n + 1))
            ncols = int(rng.integers(1, 2500))
            ref = ohlc_columns((h, h, lo, h), i0, i1, ncols)
            first, low, high = pyr.columns(i0, i1, ncols)
            np.testing.assert_array_equal(first, ref.first_index)
            np.testing.assert_array_equal(low, ref.low)
            np.testing.assert_array_equal(high, ref.high)


def test_minmax_pyramid_keeps_a_lone_spike_and_validates():
    from engine.lod import MinMaxPyramid

    h = np.zeros(100_000)
    h[54_321] = 9.0
    first, _low, high = MinMaxPyramid(h, h).columns(0, 100_000, 700)
    assert high.max() == 9.0 and first[0] == 0 and len(first) == 700
    with pytest.raises(ValueError):
        MinMaxPyramid(h, h).columns(5, 4, 10)
    with pytest.raises(ValueError):
        MinMaxPyramid(h, h).columns(0, 10, 0)
    with pytest.raises(ValueError):
        MinMaxPyramid(h, h[:-1])
