"""The three-timeframe workspace (View ▸ Three timeframes) on the demo universe: three charts in
ladder order (highest on top), the higher-timeframe levels on the focal chart equal to
``engine.mtf`` computed here on the same bars, crosshair and visible span kept in step by the
calendar, the ladder picker refusing what the engine refuses, the confluence list equal to
``engine.mtf.confluence``, the mode and ladder kept with layouts and across a restart, and the
work done off the GUI thread."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from drummond_desktop.app.controllers.workspace import Workspace
from drummond_desktop.app.main_window import layout_settings
from drummond_desktop.app.views.mtf_panel import ROW_DATA
from drummond_desktop.app.workers import TaskRunner
from drummond_desktop.feeds import demo
from drummond_desktop.services.analysis import AnalysisService
from drummond_desktop.services.chart_data import ChartDataService
from drummond_desktop.services.mtf_data import MTFDataService
from engine.drummond import DGParams
from engine.mtf import analyze_ladder, as_ladder, confluence
from engine.resample import Session
from tests.app.chart.test_htf_items import as_runs, naive_runs

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

TIMEOUT = 60_000
DAILY = demo.daily_codes()[0]
MINUTE = demo.intraday_codes()[0]


def _no_store():
    raise AssertionError("demo mode must not open the market store")


class RecordingService(MTFDataService):
    """The real service, noting the thread each build runs on."""

    def __init__(self) -> None:
        super().__init__(_no_store)
        self.threads: list[threading.Thread] = []

    def build(self, request, cancel=None, progress=lambda *a: None):
        self.threads.append(threading.current_thread())
        return super().build(request, cancel, progress)


@pytest.fixture
def session(qtbot, tmp_path):
    """``start()`` opens a demo workspace on the same layout file each time (shown, so the
    charts have a size); every workspace is shut down at the end."""
    made: list[Workspace] = []

    def start() -> Workspace:
        ws = Workspace(TaskRunner(), ChartDataService(AnalysisService(), _no_store),
                       layout_settings(tmp_path / "layout.ini"), demo=True, database="demo")
        qtbot.addWidget(ws.window)
        made.append(ws)
        ws.mtf.service = RecordingService()
        ws.window.resize(1500, 1000)
        ws.window.show()
        qtbot.waitExposed(ws.window)
        ws.start()
        qtbot.waitUntil(lambda: ws.chart.current is not None, timeout=TIMEOUT)
        return ws

    yield start
    for ws in made:
        ws.shutdown(10.0)


def open_mtf(qtbot, ws: Workspace):
    with qtbot.waitSignal(ws.mtf.shown, timeout=TIMEOUT) as shown:
        ws.window.mtf_action.trigger()
    return shown.args[0]


def demo_session(code: str) -> Session:
    cal = demo.demo_symbol(code).calendar
    return Session(cal.timezone, cal.session_open, cal.session_close, name="DEMO")


def day(ts) -> date:
    return datetime.fromtimestamp(int(ts), UTC).date()


def test_three_charts_in_ladder_order_with_the_engines_htf_levels_on_the_focal_one(
        qtbot, session):
    ws = session()
    data = open_mtf(qtbot, ws)
    view = ws.mtf.view
    assert ws.window.central_view is view and not ws.window.charts.isVisible()
    assert data.symbol == DAILY and ws.mtf.on
    assert [p.tf for p in view.panes] == ["1M", "1w", "1d"]  # highest on top
    assert view.focal_pane is view.panes[2]
    direct = analyze_ladder(demo.demo_bars(DAILY), "swing", session=demo_session(DAILY))
    for pane, tf in zip(view.panes, ("1mo", "1w", "1d"), strict=True):
        own = direct.result(tf)
        assert pane.chart.bars.ts.tolist() == own.bars.ts.tolist()
        assert np.array_equal(pane.chart.result.state, own.state)  # its own state strip
    for tf, label in (("1w", "1w"), ("1mo", "1M")):
        ov = direct.overlays[tf]
        item = view.levels[label]
        assert item.scene() is view.focal_pane.chart.price.scene()
        np.testing.assert_array_equal(np.array(as_runs(item.segments)), np.array(
            naive_runs(ov.period, ov.pldot, ov.etop, ov.ebot)))
    assert view.tags.tags and {t.step for t in view.tags.tags} <= {1, 2}
    assert not ws.window.interval_box.isEnabled()
    threads = ws.mtf.service.threads
    assert threads and all(t is not threading.main_thread() for t in threads)


def test_the_confluence_list_is_the_engines_for_the_next_focal_bar(qtbot, session):
    ws = session()
    open_mtf(qtbot, ws)
    panel = ws.window.next_bar.confluence
    assert panel.isVisible()
    direct = analyze_ladder(demo.demo_bars(DAILY), "swing", session=demo_session(DAILY))
    zones = confluence(direct)[::-1]  # the list runs highest first
    table = panel.table
    assert table.rowCount() == len(zones) > 0
    names = ("1d", "1w", "1M")
    for r, z in enumerate(zones):
        assert table.item(r, 0).data(ROW_DATA) == (z.lo, z.hi)
        assert panel.cell(r, "Strength") == str(z.strength)
        assert panel.cell(r, "Weight") == f"{z.weight:.2f}"
        assert panel.cell(r, "Timeframes").split() == [
            names[k] for k in sorted({lv.tf for lv in z.sources})]
    n = len(direct) - 1
    c = direct.coordination
    text = panel.flags.text()
    assert f"coordinated up: {'yes' if c.coordinated_up[n] else 'no'}" in text
    assert f"conflicting: {'yes' if c.conflicting[n] else 'no'}" in text
    assert f"1w support test: {'yes' if c.htf_support_test[n] else 'no'}" in text
    assert "swing ladder" in ws.window.next_bar.title.text()
    ws.window.mtf_action.trigger()  # off: the tabs and the pane's own map come back
    assert not ws.mtf.on and ws.window.charts.isVisible() and not panel.isVisible()
    assert ws.window.interval_box.isEnabled()
    other = demo.daily_codes()[2]
    with qtbot.waitSignal(ws.panes.chart_shown, timeout=TIMEOUT):
        ws.window.symbol_chosen.emit(other)
    assert ws.mtf.current.symbol == DAILY  # the mode is off: nothing loaded
    assert open_mtf(qtbot, ws).symbol == other  # back on: the tabs' symbol


def test_the_crosshair_marks_the_same_time_in_every_pane(qtbot, session):
    ws = session()
    data = open_mtf(qtbot, ws)
    view = ws.mtf.view
    monthly, weekly, daily = (p.chart for p in view.panes)
    n = len(daily.bars)

    def hover(chart, i: int) -> None:
        vb = chart.price.getViewBox()
        (_, _), (y0, y1) = vb.viewRange()
        chart.view.scene().sigMouseMoved.emit(vb.mapViewToScene(QPointF(i, (y0 + y1) / 2)))

    i = n - 30
    d = day(daily.bars.ts[i])
    hover(daily, i)
    qtbot.waitUntil(lambda: weekly.crosshair.vlines[0].isVisible(), timeout=5000)
    w, m = int(weekly.crosshair.vlines[0].value()), int(monthly.crosshair.vlines[0].value())
    assert day(weekly.bars.ts[w]).isocalendar()[:2] == d.isocalendar()[:2]
    assert (day(monthly.bars.ts[m]).year, day(monthly.bars.ts[m]).month) == (d.year, d.month)
    assert weekly.readout.text().startswith(day(weekly.bars.ts[w]).isoformat())
    # from a month back to its first day, and that day's week
    p = m - 1
    month = day(monthly.bars.ts[p])
    hover(monthly, p)
    first = next(k for k, t in enumerate(daily.bars.ts)
                 if (day(t).year, day(t).month) == (month.year, month.month))
    qtbot.waitUntil(lambda: int(daily.crosshair.vlines[0].value()) == first, timeout=5000)
    assert data.map_index("1M", p, "1d") == first


def test_moving_the_focal_span_moves_the_others_to_the_same_time(qtbot, session):
    ws = session()
    open_mtf(qtbot, ws)
    monthly, weekly, daily = (p.chart for p in ws.mtf.view.panes)
    n = len(daily.bars)
    daily.set_x_range(n - 600.5, n - 200.5)
    first, last = day(daily.bars.ts[n - 600]), day(daily.bars.ts[n - 201])

    def index(chart, key) -> tuple[int, int]:
        keys = [key(day(t)) for t in chart.bars.ts]
        return keys.index(key(first)), keys.index(key(last))

    for chart, key in ((weekly, lambda x: x.isocalendar()[:2]),
                       (monthly, lambda x: (x.year, x.month))):
        i0, i1 = index(chart, key)
        x0, x1 = chart.x_range()
        assert (x0, x1) == pytest.approx((i0 - 0.5, i1 + 0.5))
        assert not chart.follow_latest
    daily.show_latest()  # End on the focal chart: the others follow to their ends
    assert weekly.follow_latest and monthly.follow_latest


def test_the_ladder_picker_refuses_what_the_engine_refuses(qtbot, session):
    ws = session()
    open_mtf(qtbot, ws)
    picker = ws.mtf.view.picker
    picker.presets.setCurrentIndex(picker.presets.findData("custom"))
    picker.presets.activated.emit(picker.presets.currentIndex())
    assert all(box.isVisible() for box in picker.custom)
    for box, tf in zip(picker.custom, ("1d", "1d", "1w"), strict=True):
        box.setCurrentText(tf)
    before = ws.runner.generation(ws.mtf.KEY)
    qtbot.mouseClick(picker.apply_button, Qt.MouseButton.LeftButton)
    with pytest.raises(ValueError) as engine:
        as_ladder(("1d", "1d", "1w"), "1d")
    assert picker.error.text() == str(engine.value)
    assert ws.runner.generation(ws.mtf.KEY) == before  # nothing was loaded
    for box, tf in zip(picker.custom, ("1d", "1w", "1M"), strict=True):
        box.setCurrentText(tf)
    with qtbot.waitSignal(ws.mtf.shown, timeout=TIMEOUT) as shown:
        qtbot.mouseClick(picker.apply_button, Qt.MouseButton.LeftButton)
    assert picker.error.text() == ""
    assert shown.args[0].focal.label == "1w" and ws.mtf.view.focal_pane.tf == "1w"
    assert list(ws.mtf.view.levels) == ["1M"]
    # a preset the data cannot build: the message inline and in the status bar
    with qtbot.waitSignal(ws.mtf.failed, timeout=TIMEOUT) as failed:
        picker.presets.setCurrentIndex(picker.presets.findData("intraday"))
        picker.presets.activated.emit(picker.presets.currentIndex())
    assert "5m" in failed.args[0] and picker.error.text() == failed.args[0]
    assert ws.window.statusBar().currentMessage() == failed.args[0]


def test_new_dg_parameters_reload_the_workspace(qtbot, session):
    ws = session()
    open_mtf(qtbot, ws)
    params = DGParams(k_zone=0.25)
    with qtbot.waitSignal(ws.mtf.shown, timeout=TIMEOUT) as shown:
        ws.panes.set_params(params)  # what the settings dialog does
    direct = analyze_ladder(demo.demo_bars(DAILY), "swing", params=params,
                            session=demo_session(DAILY))
    assert shown.args[0].zones == confluence(direct)


def test_a_minute_symbol_puts_the_focal_chart_in_the_middle(qtbot, session):
    ws = session()
    open_mtf(qtbot, ws)
    with qtbot.waitSignal(ws.mtf.shown, timeout=TIMEOUT) as shown:
        ws.window.symbol_chosen.emit(MINUTE)
    data = shown.args[0]
    assert data.symbol == MINUTE and data.ladder == as_ladder("intraday")
    view = ws.mtf.view
    assert [p.tf for p in view.panes] == ["1h", "15m", "5m"]
    assert view.focal_pane is view.panes[1]
    assert view.levels["1h"].scene() is view.panes[1].chart.price.scene()
    # a symbol shown some other way (a search, a sync) reaches the workspace too
    other = demo.daily_codes()[1]
    with qtbot.waitSignal(ws.mtf.shown, timeout=TIMEOUT) as shown:
        ws.chart.show(other)
    assert shown.args[0].symbol == other and shown.args[0].ladder == as_ladder("swing")


def test_layouts_and_restarts_keep_the_mode_and_the_ladder(qtbot, session):
    ws = session()
    open_mtf(qtbot, ws)
    with qtbot.waitSignal(ws.mtf.shown, timeout=TIMEOUT):
        ws.mtf.choose_ladder("position")
    ws.mtf.view.set_shown("1q", False)
    payload = ws.layouts.payload()
    assert payload["mtf"] == {"on": True, "preset": "position", "custom": ["1d", "1w", "1M"],
                              "symbol": DAILY, "hidden": ["1q"]}
    ws.window.mtf_action.trigger()
    ws.mtf.choose_ladder("swing")
    assert not ws.mtf.on
    with qtbot.waitSignal(ws.mtf.shown, timeout=TIMEOUT) as shown:
        ws.layouts.apply(payload)
    assert ws.mtf.on and [f.label for f in shown.args[0].frames] == ["1w", "1M", "1q"]
    assert ws.mtf.view.picker.preset == "position"
    assert not ws.mtf.view.levels["1q"].isVisible()
    ws.layouts.apply({k: v for k, v in payload.items() if k != "mtf"})  # an older layout
    assert not ws.mtf.on
    ws.mtf.choose_ladder("swing")
    with qtbot.waitSignal(ws.mtf.shown, timeout=TIMEOUT):
        ws.window.mtf_action.trigger()
    assert ws.shutdown(10.0)
    again = session()  # the same layout file: the workspace comes back in the mode
    qtbot.waitUntil(lambda: again.mtf.current is not None, timeout=TIMEOUT)
    assert again.mtf.on and again.mtf.choice.preset == "swing"
    assert [p.tf for p in again.mtf.view.panes] == ["1M", "1w", "1d"]
