"""Indicator series (services.indicator_series) and their chart items: overlay lines hold and
draw the engine's values, an own pane sits above the volume pane and fits its y, markers sit
outside the bars, stale results hide, and paint replays its cache."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtGui

from drummond_desktop.app.chart.indicator_items import MARKER_OFFSET_PX, IndicatorItem
from drummond_desktop.core.tasks import CancelToken, no_progress
from drummond_desktop.services.indicator_series import (
    SeriesRequest,
    bars_stamp,
    compute_series,
    series_for,
)
from engine import indicators as ind
from engine.drummond import analyze, zones
from engine.indicators.catalog import IndicatorSpec, catalog, get
from tests.app.chart.conftest import synthetic_bars

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def fake_pattern(fire: dict[int, int]) -> IndicatorSpec:
    """A candlestick-pattern-shaped spec (int32 codes) firing ``fire[bar] = code``."""

    def run(o, h, lo, c):
        out = np.zeros(o.shape[0], dtype=np.int32)
        for i, code in fire.items():
            out[i] = code
        return out

    return IndicatorSpec("cdlfake", "Fake pattern", ("open", "high", "low", "close"), (),
                         ("value",), True, run, "pattern")


@pytest.fixture
def chart(make_chart):
    bars = synthetic_bars(400, seed=3)
    w = make_chart()
    result = analyze(bars)
    w.set_data(bars, result, zones(result))
    return w, bars


def paint(w) -> QtGui.QImage:
    return w.grab().toImage()


def test_series_splits_outputs_into_lines_histograms_markers_and_skipped():
    bars = synthetic_bars(300, seed=1)
    sma = compute_series(SeriesRequest(bars, "sma", (("timeperiod", 10),), tag=7),
                         CancelToken(), no_progress)
    assert sma.tag == 7 and sma.label == "SMA 10" and sma.stamp == bars_stamp(bars)
    (line,) = sma.lines
    np.testing.assert_array_equal(line.values, ind.sma(bars.close, 10))
    assert line.kind == "line" and not line.values.flags.writeable
    kinds = {ln.output: ln.kind for ln in series_for(get("macd"), bars).lines}
    assert kinds == {"macd": "line", "macdsignal": "line", "macdhist": "histogram"}
    flags = IndicatorSpec("flags", "Swing-like flags", ("high", "low"), (),
                          ("high", "low", "known"), True,
                          lambda h, lo: (h > lo + 1.2, h < lo + 0.8, h > lo), "levels")
    highs, lows = series_for(flags, bars).markers
    np.testing.assert_array_equal(highs.index, np.flatnonzero(bars.high > bars.low + 1.2))
    assert highs.above.all() and not lows.above.any()
    np.testing.assert_array_equal(lows.anchor, bars.low[bars.high < bars.low + 0.8])
    assert series_for(flags, bars).skipped == ("flags_known",)  # a flag with no side
    pattern = series_for(fake_pattern({20: 100, 40: -100, 60: 80}), bars)
    (marks,) = pattern.markers
    assert marks.index.tolist() == [20, 40, 60] and marks.code.tolist() == [100, -100, 80]
    assert marks.above.tolist() == [False, True, False]  # bearish above the high
    assert marks.anchor.tolist() == [bars.low[20], bars.high[40], bars.low[60]]
    assert not pattern.lines


def test_every_catalog_output_is_drawn_or_listed_as_skipped():
    bars = synthetic_bars(200, seed=2)
    cols = {k: getattr(bars, k) for k in ("ts", "open", "high", "low", "close", "volume")}
    for spec in (s for s in catalog().values()):
        series = series_for(spec, bars)
        arrays = spec.compute(cols)
        floats = [c for c, a in arrays.items() if a.dtype.kind == "f"]
        assert [ln.column for ln in series.lines] == floats, spec.name
        others = [m.column for m in series.markers] + list(series.skipped)
        assert sorted(others) == sorted(set(arrays) - set(floats)), spec.name
        if spec.group == "pattern":  # the colleague's candlestick entries, once listed
            assert not series.skipped and len(series.markers) == len(spec.outputs)


def test_bad_parameters_raise_the_engine_message():
    bars = synthetic_bars(50)
    with pytest.raises(ValueError) as engine_error:
        ind.rsi(bars.close, 1)
    with pytest.raises(ValueError) as ours:
        compute_series(SeriesRequest(bars, "rsi", (("timeperiod", 1),)), CancelToken(),
                       no_progress)
    assert str(ours.value) == str(engine_error.value)
    with pytest.raises(KeyError, match="unknown indicator"):
        compute_series(SeriesRequest(bars, "nope"), CancelToken(), no_progress)


def test_two_sma_overlays_draw_the_engine_values(chart, qtbot):
    w, bars = chart
    items = [w.indicators.show(k, series_for(get("sma"), bars, {"timeperiod": p}),
                               color=c, pane=False)
             for k, p, c in ((1, 10, "#ff9800"), (2, 30, "#42a5f5"))]
    assert all(it in w.price.items for it in items) and not w.indicators.panes
    paint(w)
    for it, p in zip(items, (10, 30), strict=True):
        expected = ind.sma(bars.close, p)  # independently of the item and the service
        (column,) = it.lines
        np.testing.assert_array_equal(it.lines[column], expected)
        x, y = it.last_lines[column]
        assert x.size > 100 and not it.last_span.aggregated
        np.testing.assert_allclose(y, expected[x.astype(int)], equal_nan=True)
        lo, hi = it.y_range(it.last_span.i0, it.last_span.i1)
        visible = expected[it.last_span.i0:it.last_span.i1]
        assert (lo, hi) == (np.nanmin(visible), np.nanmax(visible))
    # the price pane fits the averages too
    y0, y1 = w.price.getViewBox().viewRange()[1]
    x0, x1 = w.x_range()
    fits = [it.y_range(max(int(np.floor(x0)), 0), int(np.ceil(x1)) + 1) for it in items]
    assert y0 <= min(r[0] for r in fits) and max(r[1] for r in fits) <= y1


def test_own_pane_sits_above_the_volume_pane_fits_its_y_and_goes_away(chart, qtbot):
    w, bars = chart
    lines_before = len(w.crosshair.vlines)
    w.indicators.show(3, series_for(get("rsi"), bars), color="#ec407a", pane=True,
                      title="RSI 14")
    pane = w.indicators.panes[3]
    qtbot.waitUntil(lambda: pane.plot.sceneBoundingRect().height() > 20)
    lo, hi = pane.plot.getViewBox().viewRange()[1]
    assert 0.0 <= lo < hi <= 100.0
    rsi = ind.rsi(bars.close, 14)
    x0, x1 = w.x_range()
    visible = rsi[max(int(np.floor(x0)), 0):int(np.ceil(x1)) + 1]
    assert lo < np.nanmin(visible) and np.nanmax(visible) < hi  # fitted with a margin
    assert (hi - lo) < 1.2 * (np.nanmax(visible) - np.nanmin(visible))  # and tightly
    strip, vol = w.strip.sceneBoundingRect(), w.volume.sceneBoundingRect()
    rect = pane.plot.sceneBoundingRect()
    assert strip.bottom() <= rect.top() + 1 and rect.bottom() <= vol.top() + 1
    assert w.volume.getAxis("bottom") is w.axis and w.axis.isVisible()
    assert len(w.crosshair.vlines) == lines_before + 1
    w.show_bar(200)
    assert pane.vline.value() == 200 and pane.vline.isVisible()
    assert w.indicators.remove(3)
    assert not w.indicators.panes and pane.plot not in w.view.ci.items
    assert len(w.crosshair.vlines) == lines_before
    qtbot.waitUntil(lambda: w.volume.sceneBoundingRect().top()  # volume moved back up
                    <= w.strip.sceneBoundingRect().bottom() + 1)
    assert not w.indicators.remove(3)


def test_moving_an_instance_between_its_pane_and_the_prices(chart):
    w, bars = chart
    series = series_for(get("ema"), bars)
    w.indicators.show(5, series, color="#66bb6a", pane=True)
    assert 5 in w.indicators.panes
    item = w.indicators.show(5, series, color="#66bb6a", pane=False)
    assert not w.indicators.panes and item in w.price.items and item.overlay
    marks = w.indicators.show(6, series_for(fake_pattern({10: 100}), bars), color="#ffca28",
                              pane=True)  # markers only: drawn on the price bars anyway
    assert 6 not in w.indicators.panes and marks in w.price.items


def test_pattern_markers_sit_below_bullish_and_above_bearish_bars(chart):
    w, bars = chart
    n = len(bars)
    item = w.indicators.show(4, series_for(fake_pattern({n - 5: 100, n - 3: -100}), bars),
                             color="#ffca28", pane=False)
    paint(w)
    x, y = item.last_markers
    assert x.tolist() == [n - 5, n - 3]
    per_px = abs(item.pixelHeight())
    assert y[0] == pytest.approx(bars.low[n - 5] - MARKER_OFFSET_PX * per_px)
    assert y[1] == pytest.approx(bars.high[n - 3] + MARKER_OFFSET_PX * per_px)


def test_a_result_for_other_bars_hides_until_its_recomputed_series_arrives(chart):
    w, bars = chart
    item = w.indicators.show(1, series_for(get("sma"), bars), color="#ff9800", pane=False)
    assert item.isVisible()
    other = synthetic_bars(250, seed=9)
    w.set_data(other)
    assert not item.isVisible() and item not in w.indicators.price_items()
    w.indicators.show(1, series_for(get("sma"), other), color="#ff9800", pane=False)
    assert item.isVisible()


def test_zoomed_out_lines_keep_every_column_extreme(make_chart):
    bars = synthetic_bars(30_000, seed=5)
    w = make_chart(800, 500)
    w.set_data(bars)
    w.show_all()
    item = w.indicators.show(1, series_for(get("sma"), bars, {"timeperiod": 5}),
                             color="#ff9800", pane=False)
    paint(w)
    span = item.last_span
    assert span is not None and span.aggregated
    sma = ind.sma(bars.close, 5)
    x, _ = item.last_lines["sma_5"]
    assert x.size <= span.ncols
    assert item.y_range(span.i0, span.i1) == (np.nanmin(sma[span.i0:span.i1]),
                                              np.nanmax(sma[span.i0:span.i1]))


def test_paint_replays_the_recorded_drawing_while_the_view_is_unchanged(chart, monkeypatch):
    w, bars = chart
    item = w.indicators.show(1, series_for(get("bbands"), bars), color="#ab47bc", pane=False)
    calls: list[int] = []
    original = IndicatorItem.draw
    monkeypatch.setattr(IndicatorItem, "draw", lambda self, d: (calls.append(1),
                                                                original(self, d))[1])
    paint(w)
    first = len(calls)
    paint(w)
    assert first >= 1 and len(calls) == first  # replayed, not recomputed
    item.set_color("#26c6da")
    paint(w)
    assert len(calls) == first + 1


def test_screenshot_shows_the_pane_line_in_its_colour(chart, tmp_path):
    w, bars = chart
    w.indicators.show(2, series_for(get("rsi"), bars), color="#42a5f5", pane=True,
                      title="RSI 14")
    path = tmp_path / "indicators.png"
    assert w.grab_png(path)
    img = QtGui.QImage(str(path)).convertToFormat(QtGui.QImage.Format.Format_RGB32)
    rect = w.indicators.panes[2].plot.getViewBox().sceneBoundingRect()
    top_left = w.view.mapFromScene(rect.topLeft()) + w.view.pos()
    hits = 0
    for yy in range(int(top_left.y()), int(top_left.y() + rect.height()), 2):
        for xx in range(int(top_left.x()), int(top_left.x() + rect.width()), 2):
            c = QtGui.QColor(img.pixel(xx, yy))
            hits += abs(c.red() - 0x42) + abs(c.green() - 0xA5) + abs(c.blue() - 0xF5) < 40
    assert hits > 50  # the RSI line is drawn inside its own pane
