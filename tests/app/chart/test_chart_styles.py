"""Bar styles (candles, OHLC, close line) with their level of detail, day/session separators,
per-pane y auto-fit and the per-view draw cache."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from drummond_desktop.app.chart.base import DrawList
from drummond_desktop.app.chart.separators import SessionBreaks, local_days
from engine.lod import ohlc_columns
from tests.app.chart.conftest import synthetic_bars

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def _drawn_lines(item) -> list[np.ndarray]:
    """The device-pixel QLineF arrays the item's latest drawing holds, as (n, 4) arrays."""
    assert item._drawn is not None
    return [bulk._arr.ndarray().copy() for _pen, _brush, bulk, _dev, fn in item._drawn.ops
            if fn is None and bulk._klass is QtCore.QLineF]


@pytest.mark.parametrize("style", ["candles", "ohlc", "line"])
def test_every_bar_style_keeps_every_extreme_zoomed_out(make_chart, style):
    bars = synthetic_bars(60_000, seed=2, step=60)
    spike = 31_337
    hi, lo = bars.high.copy(), bars.low.copy()
    hi[spike], lo[spike + 1] = hi.max() + 50, lo.min() - 50  # one-bar spikes anywhere
    bars = type(bars).from_arrays(bars.ts, bars.open, hi, lo, bars.close, bars.volume)
    w = make_chart()
    w.set_data(bars)
    w.set_bar_style(style)
    w.show_all()
    w.grab()
    fr, span = w.candles.last_frame, w.candles.last_span
    assert w.bar_style == style and fr.mode == "columns"
    cols = ohlc_columns(bars, span.i0, span.i1, span.ncols)
    np.testing.assert_array_equal(fr.high, cols.high)
    np.testing.assert_array_equal(fr.low, cols.low)
    np.testing.assert_array_equal(fr.close, cols.close)
    assert fr.high.max() == hi.max() and fr.low.min() == lo.min()
    # what is drawn: one low-high segment per column, reaching both spikes (device y is flipped)
    t = w.candles._drawn.transform
    segs = np.concatenate(_drawn_lines(w.candles))
    assert segs[:, [1, 3]].min() == pytest.approx(t.map(QtCore.QPointF(0, hi.max())).y())
    assert segs[:, [1, 3]].max() == pytest.approx(t.map(QtCore.QPointF(0, lo.min())).y())
    vertical = segs[segs[:, 0] == segs[:, 2]]
    assert vertical.shape[0] == len(cols)


def test_bar_styles_zoomed_in(make_chart):
    bars = synthetic_bars(500)
    w = make_chart()
    w.set_data(bars)
    w.set_x_range(99.5, 199.5)
    counts = {}
    for style in ("candles", "ohlc", "line"):
        w.set_bar_style(style)
        w.grab()
        ops = w.candles._drawn.ops
        counts[style] = {k: sum(len(b) for _p, _b, b, _d, fn in ops
                                if fn is None and b._klass is k)
                         for k in (QtCore.QLineF, QtCore.QRectF)}
        assert w.candles.last_frame.mode == "candles"
    span = w.candles.last_span
    n = span.count  # the bars intersecting the view
    assert (span.i0, span.i1) == (99, 201)
    assert counts["candles"] == {QtCore.QLineF: n, QtCore.QRectF: n}
    assert counts["ohlc"] == {QtCore.QLineF: 3 * n, QtCore.QRectF: 0}  # wick + open + close ticks
    assert counts["line"] == {QtCore.QLineF: n - 1, QtCore.QRectF: 0}  # the close path
    with pytest.raises(ValueError, match="unknown bar style 'renko'"):
        w.set_bar_style("renko")
    assert w.bar_style == "line"


def test_draw_cache_replays_an_unchanged_view(make_chart, monkeypatch):
    bars = synthetic_bars(5000)
    w = make_chart()
    w.set_data(bars)
    w.set_x_range(1000, 1300)
    w.grab()
    drawn = w.candles._drawn
    assert isinstance(drawn, DrawList)
    calls = []
    monkeypatch.setattr(w.candles, "frame", lambda span: calls.append(span))
    w.grab()
    assert w.candles._drawn is drawn and calls == []  # replayed, nothing sliced or aggregated
    monkeypatch.undo()
    w.set_x_range(1001, 1301)
    w.grab()
    assert w.candles._drawn is not drawn and w.candles.last_frame.x[0] == 1001
    drawn = w.candles._drawn
    w.set_bar_style("ohlc")  # an option change draws anew for the same view
    w.grab()
    assert w.candles._drawn is not drawn


def _minute_bars(start: str, days: int, per_day: int = 390, first_hour: int = 14):
    """``per_day`` one-minute bars per weekday from ``first_hour``:30 UTC."""
    t0 = int(datetime.fromisoformat(start).replace(tzinfo=UTC).timestamp())
    ts = []
    for d in range(days):
        day = t0 + d * 86_400
        if datetime.fromtimestamp(day, tz=UTC).weekday() < 5:
            open_ = day + first_hour * 3600 + 1800
            ts.extend(open_ + 60 * np.arange(per_day))
    ts = np.array(ts, dtype=np.int64)
    b = synthetic_bars(ts.size, seed=4)
    return type(b).from_arrays(ts, b.open, b.high, b.low, b.close, b.volume)


def test_session_breaks_find_new_days_weeks_months_years():
    bars = _minute_bars("2023-12-27", 12)  # Wed 27 Dec 2023 .. Sun 7 Jan 2024
    br = SessionBreaks(bars.ts, intraday=True, tz=ZoneInfo("UTC"))
    days = [datetime.fromtimestamp(int(bars.ts[i]), tz=UTC).date().isoformat()
            for i in br.index["day"]]
    assert days == ["2023-12-28", "2023-12-29", "2024-01-01", "2024-01-02", "2024-01-03",
                    "2024-01-04", "2024-01-05"]
    assert [int(bars.ts[i] - bars.ts[i - 1]) > 3600 for i in br.index["day"]] == [True] * 7
    week = datetime.fromtimestamp(int(bars.ts[br.index["week"][0]]), tz=UTC).date()
    assert len(br.index["week"]) == 1 and week.isoformat() == "2024-01-01"  # a Monday
    np.testing.assert_array_equal(br.index["month"], br.index["week"])
    np.testing.assert_array_equal(br.index["year"], br.index["week"])


def test_separator_time_zone_moves_the_day_start():
    # bars every hour around the clock: UTC days start at 00:00 UTC, New York days at 05:00 UTC
    # in winter and 04:00 UTC in summer (DST is looked up per hour)
    t0 = int(datetime(2024, 3, 8, tzinfo=UTC).timestamp())
    ts = t0 + 3600 * np.arange(24 * 4, dtype=np.int64)
    ny = SessionBreaks(ts, intraday=True, tz=ZoneInfo("America/New_York"))
    hours = [datetime.fromtimestamp(int(ts[i]), tz=UTC).hour for i in ny.index["day"]]
    assert hours == [5, 5, 5, 4]  # 8, 9, 10 March (EST), 11 March (EDT since the 10th)
    utc = local_days(ts, ZoneInfo("UTC"))
    assert np.all(np.diff(utc)[np.diff(utc) != 0] == 1)


def test_separators_in_the_widget_adapt_to_zoom(make_chart):
    bars = _minute_bars("2023-01-02", 400)  # ~285 sessions of 390 bars
    w = make_chart(1000, 600)
    w.set_data(bars)
    assert w.is_shown("separators")
    w.set_x_range(5000, 5000 + 3 * 390)
    w.grab()
    sep = w.separators["price"]
    assert sep.last_level == "day" and 2 <= sep.last_lines.size <= 4
    want = [i for i in range(5001, 5000 + 3 * 390 + 1)
            if bars.ts[i] // 86_400 != bars.ts[i - 1] // 86_400]
    assert sep.last_lines.tolist() == want
    w.show_all()
    w.grab()
    px = w.price.getViewBox().width() / (w.x_range()[1] - w.x_range()[0])
    assert 390 * px < 6 <= 5 * 390 * px  # days would be < 6 px apart, weeks are not
    assert sep.last_level == "week"
    gaps = np.diff(sep.last_lines) * px
    assert gaps.size and np.median(gaps) >= 6
    br, n = sep.breaks, len(bars)
    levels = [br.level_for(0, n, px) for px in (0.1, 0.01, 0.001, 1e-5)]
    assert levels == ["day", "week", "month", None]  # 39 / 19.5 (weekly) / 8.5 px apart; too dense
    w.toggle("separators", False)
    assert not w.is_shown("separators") and not w.separators["volume"].isVisible()
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        w.set_separator_tz("Mars/Olympus")
    w.set_separator_tz("Asia/Tokyo")
    assert w.separator_tz == "Asia/Tokyo"


def test_daily_bars_get_month_separators(make_chart):
    b = synthetic_bars(400)
    ts = 19_000 * 86_400 + 86_400 * np.arange(400, dtype=np.int64)  # daily, at 00:00 UTC
    bars = type(b).from_arrays(ts, b.open, b.high, b.low, b.close, b.volume)
    w = make_chart()
    w.set_data(bars)
    w.show_all()
    w.grab()
    sep = w.separators["price"]
    assert sep.last_level == "month"
    firsts = {datetime.fromtimestamp(int(bars.ts[i]), tz=UTC).day for i in sep.last_lines}
    assert firsts == {1}


def test_pane_auto_fit_toggles(make_chart, qtbot):
    bars = synthetic_bars(5000, seed=3)
    w = make_chart()
    w.set_data(bars)
    w.set_x_range(1000, 1100)
    price_y = w.price.getViewBox().viewRange()[1]
    w.set_pane_auto_fit("price", False)
    assert not w.pane_auto_fit("price") and w.pane_auto_fit("volume") and not w.auto_fit_y
    assert not w.fit_buttons["price"].isChecked()
    assert w.price.getViewBox().state["mouseEnabled"] == [True, True]
    vol_before = w.volume.getViewBox().viewRange()[1]
    w.set_x_range(3000, 3100)
    assert w.price.getViewBox().viewRange()[1] == pytest.approx(price_y)  # kept
    vol_after = w.volume.getViewBox().viewRange()[1]
    assert vol_after != pytest.approx(vol_before)  # still fitted
    assert vol_after[1] == pytest.approx(bars.volume[3000:3102].max() * 1.06, rel=1e-6)
    qtbot.mouseClick(w.fit_buttons["price"], QtCore.Qt.MouseButton.LeftButton)
    assert w.pane_auto_fit("price") and w.auto_fit_y
    lo, hi = bars.low[3000:3102].min(), bars.high[3000:3102].max()
    y0, y1 = w.price.getViewBox().viewRange()[1]
    assert y0 < lo and y1 > hi and y1 - y0 < 1.3 * (hi - lo)
    w.set_auto_fit_y(False)
    assert not w.pane_auto_fit("price") and not w.pane_auto_fit("volume")
    assert not any(b.isChecked() for b in w.fit_buttons.values())
    with pytest.raises(ValueError, match="unknown chart pane 'strip'"):
        w.set_pane_auto_fit("strip", True)


def test_wheel_zooms_x_and_ctrl_wheel_scales_y_when_fit_is_off(make_chart, qtbot):
    bars = synthetic_bars(5000, seed=3)
    w = make_chart()
    w.set_data(bars)
    w.set_x_range(1000, 1200)
    vb = w.price.getViewBox()
    w.set_pane_auto_fit("price", False)

    def wheel(mods):
        pos = w.view.mapFromScene(vb.sceneBoundingRect().center())
        gpos = w.view.viewport().mapToGlobal(pos)
        ev = QtGui.QWheelEvent(QtCore.QPointF(pos), QtCore.QPointF(gpos), QtCore.QPoint(),
                               QtCore.QPoint(0, 120), QtCore.Qt.MouseButton.NoButton, mods,
                               QtCore.Qt.ScrollPhase.NoScrollPhase, False)
        QtCore.QCoreApplication.sendEvent(w.view.viewport(), ev)

    (x0, x1), (y0, y1) = vb.viewRange()
    wheel(QtCore.Qt.KeyboardModifier.NoModifier)
    (a0, a1), (b0, b1) = vb.viewRange()
    assert a1 - a0 < x1 - x0 and (b0, b1) == pytest.approx((y0, y1))  # x zoomed, y kept
    wheel(QtCore.Qt.KeyboardModifier.ControlModifier)
    (c0, c1), (d0, d1) = vb.viewRange()
    assert (c0, c1) == pytest.approx((a0, a1)) and d1 - d0 < b1 - b0  # y scaled, x kept
