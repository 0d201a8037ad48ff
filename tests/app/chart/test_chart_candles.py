"""Candles and volume: per-bar candles zoomed in, per-pixel-column OHLC (the LOD kernel's arrays)
zoomed out; bounds and visible-range y."""

from __future__ import annotations

import numpy as np
import pytest

from drummond_desktop.app.chart.base import Span, span_of
from drummond_desktop.app.chart.candles import CandlestickItem, candle_frame
from engine.lod import ohlc_columns
from tests.app.chart.conftest import synthetic_bars

# The offscreen platform says this once per shown top-level window; nothing else may warn.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def test_span_of_counts_visible_bars_and_columns():
    s = span_of(-10.0, 110.0, 1200.0, 100)
    assert (s.i0, s.i1) == (0, 100) and s.ncols == 1000 and not s.aggregated
    s = span_of(1000.0, 5000.0, 800.0, 10_000)
    assert s.count == 4001 and s.ncols == 800 and s.aggregated


def test_frame_is_sliced_when_zoomed_in():
    bars = synthetic_bars(500)
    fr = candle_frame(bars.open, bars.high, bars.low, bars.close, Span(100, 300, 1000))
    assert fr.mode == "candles"
    np.testing.assert_array_equal(fr.x, np.arange(100, 300))
    np.testing.assert_array_equal(fr.high, bars.high[100:300])


def test_frame_equals_kernel_when_zoomed_out():
    bars = synthetic_bars(20_000)
    fr = candle_frame(bars.open, bars.high, bars.low, bars.close, Span(0, 20_000, 700))
    cols = ohlc_columns(bars, 0, 20_000, 700)
    assert fr.mode == "columns" and fr.x.size == 700
    for a, b in ((fr.open, cols.open), (fr.high, cols.high), (fr.low, cols.low),
                 (fr.close, cols.close)):
        np.testing.assert_array_equal(a, b)
    assert fr.high.max() == bars.high.max() and fr.low.min() == bars.low.min()


def test_item_bounds_and_y_range(qtbot):
    bars = synthetic_bars(1000)
    item = CandlestickItem()
    item.set_data(bars)
    assert item.dataBounds(0) == (-0.5, 999.5)
    assert item.dataBounds(1) == (bars.low.min(), bars.high.max())
    assert item.y_range(10, 20) == (bars.low[10:20].min(), bars.high[10:20].max())
    assert item.y_range(2000, 3000) is None
    assert item.info(3)["close"] == bars.close[3]


def test_widget_switches_to_columns_when_zoomed_out(make_chart):
    bars = synthetic_bars(50_000)
    w = make_chart()
    w.set_data(bars)
    w.set_x_range(0, 50_000)
    w.grab()
    fr, span = w.candles.last_frame, w.candles.last_span
    assert fr is not None and span is not None and fr.mode == "columns"
    assert span.ncols <= w.price.getViewBox().width() + 1
    cols = ohlc_columns(bars, span.i0, span.i1, span.ncols)
    np.testing.assert_array_equal(fr.high, cols.high)
    np.testing.assert_array_equal(fr.low, cols.low)
    assert fr.high.max() == bars.high.max() and fr.low.min() == bars.low.min()
    w.set_x_range(49_900, 50_000)
    w.grab()
    assert w.candles.last_frame.mode == "candles"
    assert w.candles.last_frame.x[0] == 49_900
