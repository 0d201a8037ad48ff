"""The indicator browser on the demo workspace: search, the parameter form, the engine's
refusals shown inline, instances drawn over the prices or in their own pane, computed off the
GUI thread, recomputed on a symbol switch, and kept with the layout in a real user store."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox

from drummond_desktop.app.controllers.workspace import Workspace
from drummond_desktop.app.main_window import layout_settings
from drummond_desktop.app.models.indicators import PALETTE
from drummond_desktop.app.views.indicator_browser import IndicatorBrowser
from drummond_desktop.app.workers import TaskRunner
from drummond_desktop.feeds import demo
from drummond_desktop.services.analysis import AnalysisService
from drummond_desktop.services.chart_data import ChartDataService
from drummond_desktop.services.indicator_series import compute_series
from drummond_desktop.store import open_user_store
from engine import indicators as ind
from engine.indicators.catalog import catalog

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

TIMEOUT = 60_000


def _no_store():
    raise AssertionError("demo mode must not open the market store")


@pytest.fixture
def session(qtbot, tmp_path):
    """``start()``: a demo workspace with a real user store and one layout file; ``stop()``
    shuts it down as the app does (saving the session's tabs)."""
    made: list[tuple[Workspace, object]] = []
    answers: list[str] = []

    def start(*, restore: bool = False) -> Workspace:
        store = open_user_store()
        ws = Workspace(TaskRunner(), ChartDataService(AnalysisService(), _no_store),
                       layout_settings(tmp_path / "layout.ini"), demo=True, database="demo",
                       user_store=lambda: store, ask=lambda *a, **k: answers.pop(0))
        qtbot.addWidget(ws.window)
        made.append((ws, store))
        with qtbot.waitSignal(ws.watchlists.lists_loaded, timeout=TIMEOUT):
            ws.start(restore_layout=restore)
        qtbot.waitUntil(lambda: ws.chart.current is not None, timeout=TIMEOUT)
        return ws

    def stop(ws: Workspace) -> None:
        qtbot.waitUntil(lambda: not ws.writer.busy(), timeout=TIMEOUT)
        assert ws.shutdown(10.0)
        for w, store in made:
            if w is ws:
                store.close()  # type: ignore[attr-defined]
        made[:] = [(w, s) for w, s in made if w is not ws]

    start.answers = answers  # type: ignore[attr-defined]
    yield start, stop
    for ws, store in made:
        ws.shutdown(10.0)
        store.close()  # type: ignore[attr-defined]


def open_browser(ws: Workspace) -> IndicatorBrowser:
    ws.window.indicators_action.trigger()  # Chart ▸ Indicators…
    browser = ws.indicators.browser
    assert browser is not None and browser.isVisible()
    return browser


def add(qtbot, ws: Workspace, browser: IndicatorBrowser, name: str, *,
        pane: bool | None = None, **params: float) -> int:
    """Fill the form and press Add; returns the new instance's id once it is on the chart."""
    browser.select(name)
    for key, value in params.items():
        browser.fields[key].setValue(value)
    if pane is not None:
        (browser.pane_radio if pane else browser.overlay_radio).setChecked(True)
    with qtbot.waitSignal(ws.indicators.applied, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(browser.add_button, Qt.MouseButton.LeftButton)
    return int(blocker.args[1])


def test_the_menu_entry_opens_the_browser_for_the_active_chart(qtbot, session):
    start, _stop = session
    ws = start()
    assert ws.window.indicators_action in ws.window.chart_menu.actions()
    assert ws.window.indicators_action.shortcut() == QKeySequence("Ctrl+I")
    browser = open_browser(ws)
    assert browser.model is ws.indicators.model() and ws.chart.symbol in browser.windowTitle()
    with qtbot.waitSignal(ws.panes.chart_shown, timeout=TIMEOUT):
        ws.window.split_right_action.trigger()
    assert browser.model is ws.indicators.model()  # follows the new active pane


def test_search_filters_by_name_or_title_and_the_form_shows_the_defaults(qtbot, session):
    start, _stop = session
    browser = open_browser(start())
    specs = catalog()
    assert browser.visible_names() == list(specs)
    qtbot.keyClicks(browser.search, "AVERAGE")
    expected = [n for n, s in specs.items() if "average" in n or "average" in s.title.lower()]
    assert browser.visible_names() == expected and {"sma", "ema", "atr"} <= set(expected)
    browser.search.setText("rsi")
    assert browser.visible_names() == ["rsi", "stochrsi"]
    assert browser.spec is not None and browser.spec.name == "rsi"  # the first match
    browser.search.clear()
    browser.select("bbands")
    period, nbdev = browser.fields["timeperiod"], browser.fields["nbdev"]
    assert isinstance(period, QSpinBox) and period.value() == 20
    assert isinstance(nbdev, QDoubleSpinBox) and nbdev.value() == 2.0
    assert browser.params() == {"timeperiod": 20, "nbdev": 2.0}
    assert browser.placement() == "overlay"
    browser.select("macd")
    assert list(browser.fields) == ["fastperiod", "slowperiod", "signalperiod"]
    assert browser.params() == {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9}
    assert browser.placement() == "pane"  # the spec's default


def test_an_invalid_parameter_shows_the_engine_message_and_adds_nothing(qtbot, session):
    start, _stop = session
    ws = start()
    browser = open_browser(ws)
    browser.select("rsi")
    browser.fields["timeperiod"].setValue(1)
    with pytest.raises(ValueError) as engine_error:
        ind.rsi(ws.chart.current.bars.close, 1)
    with qtbot.waitSignal(ws.indicators.rejected, timeout=TIMEOUT):
        qtbot.mouseClick(browser.add_button, Qt.MouseButton.LeftButton)
    assert browser.error_label.isVisible()
    assert browser.error_label.text() == str(engine_error.value)
    assert len(ws.indicators.model()) == 0 and browser.instance_list.count() == 0
    assert not ws.window.chart.indicators.items
    assert ws.indicators.model().next_color() == PALETTE[0]  # the refused one's is free again


def test_instances_added_at_once_get_distinct_colours(qtbot, session):
    start, _stop = session
    ws = start()
    made = [ws.indicators.add(name, {}, "overlay") for name in ("sma", "ema", "wma")]
    qtbot.waitUntil(lambda: len(ws.indicators.model()) == 3, timeout=TIMEOUT)
    assert [i.color for i in ws.indicators.model().instances()] == list(PALETTE[:3])
    assert [i.id for i in made if i is not None] == [
        i.id for i in ws.indicators.model().instances()]


def test_two_sma_instances_draw_two_overlay_items_with_the_engine_values(qtbot, session):
    start, _stop = session
    ws = start()
    browser = open_browser(ws)
    first = add(qtbot, ws, browser, "sma", timeperiod=10)
    second = add(qtbot, ws, browser, "sma", timeperiod=30)
    model = ws.indicators.model()
    a, b = model.get(first), model.get(second)
    assert (a.params, b.params) == ((("timeperiod", 10),), (("timeperiod", 30),))
    assert a.color != b.color and browser.instance_list.count() == 2
    assert not browser.error_label.isVisible()
    chart = ws.window.chart
    close = ws.chart.current.bars.close
    ws.window.chart.grab()  # paint: the items record what they draw
    for instance_id, period in ((first, 10), (second, 30)):
        item = chart.indicators.items[instance_id]
        assert item in chart.price.items and item.isVisible()
        expected = ind.sma(close, period)
        np.testing.assert_array_equal(item.lines[f"sma_{period}"], expected)
        x, y = item.last_lines[f"sma_{period}"]
        np.testing.assert_allclose(y, expected[x.astype(int)], equal_nan=True)


def test_an_own_pane_rsi_fits_0_100_and_remove_takes_item_and_pane(qtbot, session):
    start, _stop = session
    ws = start()
    browser = open_browser(ws)
    rsi = add(qtbot, ws, browser, "rsi", pane=True)
    chart = ws.window.chart
    pane = chart.indicators.panes[rsi]
    lo, hi = pane.plot.getViewBox().viewRange()[1]
    assert 0.0 <= lo < hi <= 100.0
    overlay = add(qtbot, ws, browser, "ema")
    browser.instance_list.setCurrentRow(0)
    assert browser.remove_button.isEnabled()
    qtbot.mouseClick(browser.remove_button, Qt.MouseButton.LeftButton)
    assert rsi not in chart.indicators.items and not chart.indicators.panes
    assert pane.plot not in chart.view.ci.items
    assert [i.id for i in ws.indicators.model().instances()] == [overlay]
    assert browser.instance_list.count() == 1


def test_editing_an_instance_changes_it_in_place(qtbot, session):
    start, _stop = session
    ws = start()
    browser = open_browser(ws)
    sma = add(qtbot, ws, browser, "sma", timeperiod=10)
    browser.instance_list.setCurrentRow(0)
    qtbot.mouseClick(browser.edit_button, Qt.MouseButton.LeftButton)
    assert browser.editing == sma and browser.fields["timeperiod"].value() == 10
    assert "editing SMA 10" in browser.title_label.text()
    browser.fields["timeperiod"].setValue(40)
    browser.pane_radio.setChecked(True)
    with qtbot.waitSignal(ws.indicators.applied, timeout=TIMEOUT):
        qtbot.mouseClick(browser.apply_button, Qt.MouseButton.LeftButton)
    instance = ws.indicators.model().get(sma)
    assert instance.params == (("timeperiod", 40),) and instance.placement == "pane"
    item = ws.window.chart.indicators.items[sma]
    np.testing.assert_array_equal(item.lines["sma_40"], ind.sma(ws.chart.current.bars.close, 40))
    assert sma in ws.window.chart.indicators.panes
    rsi = add(qtbot, ws, browser, "rsi")
    browser.begin_edit(ws.indicators.model().get(rsi))
    browser.fields["timeperiod"].setValue(1)
    with qtbot.waitSignal(ws.indicators.rejected, timeout=TIMEOUT):
        qtbot.mouseClick(browser.apply_button, Qt.MouseButton.LeftButton)
    assert "timeperiod must be between 2" in browser.error_label.text()
    assert ws.indicators.model().get(rsi).params == (("timeperiod", 14),)  # unchanged
    assert "rsi_14" in ws.window.chart.indicators.items[rsi].lines


def test_the_computation_runs_off_the_gui_thread_and_follows_the_symbol(qtbot, session):
    start, _stop = session
    ws = start()
    threads: list[int] = []

    def watched(request, cancel, progress):
        threads.append(threading.get_ident())
        return compute_series(request, cancel, progress)

    ws.indicators.compute = watched
    browser = open_browser(ws)
    sma = add(qtbot, ws, browser, "sma", timeperiod=5)
    assert threads and threading.get_ident() not in threads
    other = demo.daily_codes()[2]
    with qtbot.waitSignal(ws.indicators.applied, timeout=TIMEOUT):
        ws.window.symbol_chosen.emit(other)  # new bars: every instance again
    bars = ws.chart.current.bars
    assert ws.chart.symbol == other and len(threads) == 2
    item = ws.window.chart.indicators.items[sma]
    assert item.isVisible()
    np.testing.assert_array_equal(item.lines["sma_5"], ind.sma(bars.close, 5))


def test_instances_survive_a_named_layout_and_a_restart(qtbot, session):
    start, stop = session
    ws = start(restore=True)
    browser = open_browser(ws)
    add(qtbot, ws, browser, "sma", timeperiod=10)
    add(qtbot, ws, browser, "rsi", pane=True, timeperiod=9)
    saved = [i.to_json() for i in ws.indicators.model().instances()]
    start.answers.append("Indicators")  # type: ignore[attr-defined]
    ws.window.layouts_menu.actions()[0].trigger()  # Save layout as…
    qtbot.waitUntil(lambda: not ws.writer.busy(), timeout=TIMEOUT)
    for instance in ws.indicators.model().instances():
        ws.indicators.remove(instance.id)
    assert not ws.window.chart.indicators.items
    with qtbot.waitSignal(ws.indicators.applied, timeout=TIMEOUT):
        ws.layouts.restore("Indicators")
    chart = ws.window.chart  # the restored tab's pane
    qtbot.waitUntil(lambda: len(chart.indicators.items) == 2, timeout=TIMEOUT)
    assert [i.to_json() for i in ws.indicators.model().instances()] == saved
    assert len(chart.indicators.panes) == 1
    stop(ws)
    with open_user_store() as store:
        payload = store.layouts.load("Indicators")
    assert payload["tabs"][0]["panes"][0]["indicators"] == saved

    again = start(restore=True)  # the session's tabs, with their indicators
    chart = again.window.chart
    qtbot.waitUntil(lambda: len(chart.indicators.items) == 2, timeout=TIMEOUT)
    assert [i.to_json() for i in again.indicators.model().instances()] == saved
    rsi = next(i for i in again.indicators.model().instances() if i.name == "rsi")
    np.testing.assert_array_equal(chart.indicators.items[rsi.id].lines["rsi_9"],
                                  ind.rsi(again.chart.current.bars.close, 9))
    stop(again)


def test_a_hand_edited_layout_keeps_what_the_engine_accepts(qtbot, session):
    start, _stop = session
    ws = start()
    symbol = ws.chart.symbol
    entries = [{"name": "SMA", "params": {"timeperiod": 15}},  # colour and placement missing
               {"name": "nope", "params": {}}, {"params": 3}, "x",
               {"name": "rsi", "params": {"bogus": 1}},
               {"name": "ema", "params": {"timeperiod": 0}, "placement": "pane",
                "color": "#123456"}]
    with qtbot.waitSignal(ws.indicators.applied, timeout=TIMEOUT):
        ws.layouts.apply({"tabs": [{"panes": [{"symbol": symbol, "indicators": entries}]}]})
    model = ws.indicators.model()
    kept = [(i.name, i.params, i.placement, i.color) for i in model.instances()]
    assert kept == [("sma", (("timeperiod", 15),), "overlay", kept[0][3]),
                    ("ema", (("timeperiod", 0),), "pane", "#123456")]
    sma, _ema = model.instances()
    qtbot.waitUntil(lambda: "EMA 0" in ws.window.statusBar().currentMessage(),
                    timeout=TIMEOUT)  # the engine refused it: said, not drawn, left to edit
    assert "timeperiod must be between" in ws.window.statusBar().currentMessage()
    assert list(ws.window.chart.indicators.items) == [sma.id]
