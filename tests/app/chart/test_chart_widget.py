"""ChartWidget: data in, toggles, crosshair readout, y-fit, keys, PNG export, a million bars."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from drummond_desktop.app.chart.chart_widget import ELEMENTS, RIGHT_MARGIN
from engine.drummond import analyze, zones
from tests.app.chart.conftest import synthetic_bars

# The offscreen platform says this once per shown top-level window; nothing else may warn.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def image_std(path) -> float:
    img = QtGui.QImage(str(path)).convertToFormat(QtGui.QImage.Format.Format_Grayscale8)
    assert not img.isNull()
    ptr = img.constBits()
    arr = np.frombuffer(ptr, dtype=np.uint8, count=img.sizeInBytes())
    return float(arr.std())


def test_set_data_shows_latest_with_future_slot(make_chart, golden_dg):
    bars, result, zl = golden_dg
    w = make_chart()
    w.set_data(bars, result, zl)
    _x0, x1 = w.x_range()
    assert x1 == pytest.approx(len(bars) - 0.5 + RIGHT_MARGIN)
    assert w.follow_latest
    assert all(w.is_shown(e) for e in ELEMENTS if e != "pldot_line")


def test_toggles_hide_and_show(make_chart, golden_dg):
    w = make_chart()
    w.set_data(*golden_dg)
    for e in ELEMENTS:
        w.toggle(e, False)
        assert not w.is_shown(e), e
        w.toggle(e, True)
        assert w.is_shown(e), e
    with pytest.raises(ValueError, match="unknown chart element"):
        w.toggle("nope", True)


def test_toggles_before_any_data_hold_when_the_data_arrives(make_chart, golden_dg):
    """Settings are applied at start, before the first result: the choice must survive it."""
    w = make_chart()
    w.toggle("zones", False)
    w.toggle("pldot_line", True)
    w.toggle("envelope", True)
    w.set_data(*golden_dg)
    assert not w.is_shown("zones") and w.is_shown("pldot_line") and w.is_shown("envelope")
    w.set_data(golden_dg[0])  # bars without a result hide the DG layer...
    assert not w.is_shown("envelope")
    w.set_data(*golden_dg)  # ...and it comes back as chosen
    assert w.is_shown("envelope") and not w.is_shown("zones")


def test_crosshair_readout_shows_ohlc_and_pldot(make_chart, golden_dg):
    bars, result, zl = golden_dg
    w = make_chart()
    w.set_data(bars, result, zl)
    text = w.show_bar(5)
    assert "O 109.00" in text and "H 110.00" in text and "L 107.00" in text
    assert "C 110.00" in text and "PL 106.00" in text and "trend↑" in text
    assert w.readout.text() == text
    nxt = w.show_bar(10)
    assert nxt.startswith("next bar") and "PL 105.33" in nxt and "HH" in nxt
    assert w.crosshair.vlines[0].value() == 10


def test_mouse_move_updates_readout(make_chart, golden_dg, qtbot):
    w = make_chart()
    w.set_data(*golden_dg)
    vb = w.price.getViewBox()
    scene_pt = vb.mapViewToScene(QtCore.QPointF(7, 105))
    with qtbot.waitSignal(w.bar_hovered, timeout=2000) as blocker:
        w.view.scene().sigMouseMoved.emit(scene_pt)
    assert blocker.args == [7]
    assert "C 109.00" in w.readout.text()


def test_y_fits_visible_bars(make_chart):
    bars = synthetic_bars(5000, seed=3)
    w = make_chart()
    w.set_data(bars)
    w.set_x_range(1000, 1100)
    (_, _), (y0, y1) = w.price.getViewBox().viewRange()
    lo, hi = bars.low[1000:1102].min(), bars.high[1000:1102].max()
    assert y0 < lo and y1 > hi
    assert (y1 - y0) < 1.3 * (hi - lo)
    assert not w.follow_latest
    w.set_auto_fit_y(False)
    w.set_x_range(0, 5000)
    assert w.price.getViewBox().viewRange()[1] == pytest.approx([y0, y1])


def test_keys_pan_zoom_home_end(make_chart, qtbot):
    bars = synthetic_bars(2000)
    w = make_chart()
    w.set_data(bars)
    width = w.x_range()[1] - w.x_range()[0]
    qtbot.keyClick(w.view, QtCore.Qt.Key.Key_Left)
    assert w.x_range()[1] < 2000 and not w.follow_latest
    qtbot.keyClick(w.view, QtCore.Qt.Key.Key_Plus)
    assert w.x_range()[1] - w.x_range()[0] == pytest.approx(width * 0.8)
    qtbot.keyClick(w.view, QtCore.Qt.Key.Key_Home)
    assert w.x_range()[0] == pytest.approx(-0.5)
    qtbot.keyClick(w.view, QtCore.Qt.Key.Key_End)
    assert w.follow_latest and w.x_range()[1] == pytest.approx(1999.5 + RIGHT_MARGIN)


def test_follow_latest_scrolls_on_new_bars(make_chart):
    bars = synthetic_bars(600)
    w = make_chart()
    w.set_data(bars[:500])
    w.set_data(bars)
    assert w.x_range()[1] == pytest.approx(599.5 + RIGHT_MARGIN)


def test_grab_png_is_not_blank(make_chart, tmp_path):
    from drummond_desktop.feeds.demo import demo_bars

    bars = demo_bars("SYN01.DEMO")
    result = analyze(bars)
    w = make_chart(1200, 700)
    w.set_data(bars, result, zones(result))
    path = tmp_path / "chart.png"
    assert w.grab_png(path)
    assert image_std(path) > 5.0


def test_million_bars_range_and_grab(make_chart, tmp_path):
    bars = synthetic_bars(1_000_000, seed=11, step=60)
    w = make_chart(1200, 700)
    w.set_data(bars)
    w.show_all()
    assert w.grab_png(tmp_path / "all.png")
    fr = w.candles.last_frame
    assert fr is not None and fr.mode == "columns"
    assert fr.high.max() == bars.high.max() and fr.low.min() == bars.low.min()
    w.set_x_range(400_000, 400_200)
    assert w.grab_png(tmp_path / "200.png")
    assert w.candles.last_frame.mode == "candles"
    assert image_std(tmp_path / "200.png") > 5.0
