"""The shared level of detail, the drawLines overlays, the grid item and the single y-fit."""

from __future__ import annotations

import numpy as np
import pytest

from drummond_desktop.app.chart.base import (
    LodCache,
    Span,
    peak_points,
    polyline_segments,
    series_columns,
)
from drummond_desktop.app.chart.candles import candle_frame
from engine.drummond import analyze
from tests.app.chart.conftest import synthetic_bars

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture(scope="module")
def big():
    import gc

    import engine

    bars = synthetic_bars(200_000, seed=5, step=60)
    data = (bars, analyze(bars))
    yield data
    del bars, data
    gc.collect()
    engine.output_pool.clear()  # leave the engine's block pool as the next module found it


@pytest.mark.parametrize("span", [Span(0, 200_000, 1500), Span(12_345, 150_001, 977),
                                  Span(100, 301, 1000), Span(7, 12, 3)])
def test_shared_aggregation_equals_per_item_aggregation(big, span):
    bars, result = big
    lod = LodCache()
    a = candle_frame(bars.open, bars.high, bars.low, bars.close, span)
    b = candle_frame(bars.open, bars.high, bars.low, bars.close, span, lod)
    assert a.mode == b.mode
    for f in ("x", "open", "high", "low", "close"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    for y in (result.pldot, result.etop, result.one_one_low):
        y = y[:bars.close.shape[0]]
        for u, v in zip(series_columns(y, span), series_columns(y, span, lod), strict=True):
            np.testing.assert_array_equal(u, v)


def test_cache_computes_once_per_series_and_span(big):
    bars, _ = big
    lod = LodCache()
    s1, s2 = Span(0, 200_000, 1500), Span(10, 200_000, 1500)
    first = lod.minmax(bars.low, bars.high, s1)
    again = lod.minmax(bars.low, bars.high, s1)
    assert all(a is b for a, b in zip(first, again, strict=True)) and lod.computed == 1
    lod.minmax(bars.volume, bars.volume, s1)
    assert lod.computed == 2
    lod.minmax(bars.low, bars.high, s2)
    assert lod.computed == 3
    lod.clear()
    lod.minmax(bars.low, bars.high, s2)
    assert lod.computed == 4


def test_peak_points_zigzag_and_nan_breaks():
    y = np.array([1.0, 5.0, 2.0, np.nan, 3.0, 0.0, 4.0, 4.0])
    x, ys = peak_points(y, Span(0, 8, 4), LodCache())
    assert x.size == 8 and ys.tolist()[:2] == [1.0, 5.0] and max(ys) == 5.0 and min(ys) == 0.0
    x1, y1, x2, y2 = polyline_segments(np.arange(5.0), np.array([1.0, 2.0, np.nan, 4.0, 5.0]))
    assert list(zip(x1, y1, x2, y2, strict=True)) == [(0.0, 1.0, 1.0, 2.0), (3.0, 4.0, 4.0, 5.0)]
    assert polyline_segments(np.arange(1.0), np.ones(1))[0].size == 0


def test_chart_items_share_one_lod_and_aggregate_once_per_frame(make_chart, big):
    bars, result = big
    w = make_chart(1200, 700)
    w.set_data(bars, result)
    assert all(it.lod is w.lod for it in (w.candles, w.vol_item, *w.items.values()))
    w.show_all()
    w.grab()
    n = w.lod.computed
    assert n > 0 and w.candles.last_frame.mode == "columns"
    w.grab()  # same range: nothing is aggregated again
    assert w.lod.computed == n
    fr = w.candles.last_frame
    assert fr.high.max() == bars.high.max() and fr.low.min() == bars.low.min()


def test_grid_draws_at_the_axis_ticks(make_chart, big):
    bars, _ = big
    w = make_chart()
    w.set_data(bars)
    w.set_x_range(1000, 1400)
    w.grab()
    grid = w.grids["price"]
    xs, ys = grid.last_ticks
    vr, vb = grid.viewRect(), grid.getViewBox()
    want_x = [v for _, vals in w.axis.tickValues(vr.left(), vr.right(), vb.width())[:2]
              for v in vals if vr.left() <= v <= vr.right()]
    right = w.price.getAxis("right")
    want_y = [v for _, vals in right.tickValues(vr.top(), vr.bottom(), vb.height())[:2]
              for v in vals if vr.top() <= v <= vr.bottom()]
    assert xs == pytest.approx(want_x) and ys == pytest.approx(want_y)
    assert len(xs) >= 2 and len(ys) >= 2
    assert not any(w.price.getAxis(s).grid for s in ("right", "bottom"))
    assert w.grids["price"].dataBounds(0) is None


def test_y_is_fitted_once_per_range_change(make_chart, big, monkeypatch):
    bars, _ = big
    w = make_chart()
    w.set_data(bars)
    calls = []
    orig = w.candles.y_range
    monkeypatch.setattr(w.candles, "y_range", lambda i0, i1: calls.append(1) or orig(i0, i1))
    w.set_x_range(500, 700)
    assert len(calls) == 1
    w.set_x_range(500, 700)
    assert len(calls) == 1
    w.toggle("envelope", False)  # a change of elements refits
    assert len(calls) == 2


def _gray(img):
    g = img.convertToFormat(img.Format.Format_Grayscale8)
    arr = np.frombuffer(g.constBits(), dtype=np.uint8, count=g.sizeInBytes())
    return arr.reshape(g.height(), g.bytesPerLine())[:, :g.width()].astype(int)


@pytest.mark.parametrize("view", ["all", "200"])
def test_device_pixel_drawing_matches_transformed_drawing(make_chart, big, monkeypatch, view):
    """Bulk maps the geometry to device pixels itself (speed); the picture is Qt's own."""
    from drummond_desktop.app.chart.base import Bulk

    bars, result = big
    w = make_chart(1000, 600)
    w.set_data(bars, result)
    if view == "all":
        w.show_all()
    else:
        w.set_x_range(100_000, 100_200)
    fast = _gray(w.grab().toImage())
    monkeypatch.setattr(Bulk, "DEVICE", False)
    w.view.viewport().update()
    slow = _gray(w.grab().toImage())
    assert fast.shape == slow.shape and fast.std() > 5
    assert np.mean(np.abs(fast - slow) > 40) < 0.02


def test_opaque_over_is_the_blend():
    from drummond_desktop.app.chart.style import opaque_over

    c = opaque_over((200, 100, 0, 128), (0, 0, 100, 255))
    assert (c.red(), c.green(), c.blue(), c.alpha()) == (100, 50, 50, 255)


def test_pyramid_range_equals_a_full_scan():
    from engine.lod import MinMaxPyramid

    rng = np.random.default_rng(9)
    for n in (0, 1, 31, 32, 33, 1000):
        low = rng.normal(size=n)
        high = low + 1
        if n > 100:
            low[40:300] = np.nan  # whole NaN blocks and NaN ends are skipped
            high[40:300] = np.nan
        pyr, lod = MinMaxPyramid(low, high), LodCache()
        for _ in range(300):
            a = int(rng.integers(0, n + 1))
            b = int(rng.integers(a, n + 1))
            fin = np.isfinite(low[a:b])
            got = lod.range(low, high, a, b)
            if not fin.any():
                assert got is None
                continue
            want = (low[a:b][fin].min(), high[a:b][fin].max())
            assert pyr.range(a, b) == want and got == want
