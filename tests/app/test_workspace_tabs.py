"""Chart tabs and split panes, several editable watchlists and named layouts, kept in a real
user store (SQLite) across a restart of the workspace."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from drummond_desktop.app.controllers.workspace import DEMO_LIST, Workspace
from drummond_desktop.app.main_window import layout_settings
from drummond_desktop.app.workers import TaskRunner
from drummond_desktop.feeds import demo
from drummond_desktop.services.analysis import AnalysisService
from drummond_desktop.services.chart_data import ChartDataService
from drummond_desktop.store import open_user_store

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

TIMEOUT = 60_000


def _no_store():
    raise AssertionError("demo mode must not open the market store")


class Answers:
    """Stands in for the input dialogs: hands out the queued answers in order."""

    def __init__(self) -> None:
        self.queue: list[str | None] = []
        self.asked: list[str] = []

    def __call__(self, parent, title, label, text=""):
        self.asked.append(title)
        return self.queue.pop(0)


@pytest.fixture
def session(qtbot, tmp_path):
    """``start()`` builds a workspace on the demo universe with a real user store and the same
    layout file every time; ``stop()`` shuts it down the way the app does."""
    made: list[tuple[Workspace, object]] = []
    answers = Answers()

    def start(*, restore: bool = True) -> Workspace:
        store = open_user_store()
        ws = Workspace(TaskRunner(), ChartDataService(AnalysisService(), _no_store),
                       layout_settings(tmp_path / "layout.ini"), demo=True, database="demo",
                       user_store=lambda: store, ask=answers)
        qtbot.addWidget(ws.window)
        made.append((ws, store))
        with qtbot.waitSignal(ws.watchlists.lists_loaded, timeout=TIMEOUT):
            ws.start(restore_layout=restore)
        qtbot.waitUntil(lambda: ws.chart.current is not None, timeout=TIMEOUT)
        return ws

    def stop(ws: Workspace) -> None:
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


def _wait_idle(qtbot, ws: Workspace) -> None:
    qtbot.waitUntil(lambda: not ws.writer.busy(), timeout=TIMEOUT)


def test_split_and_tabs_each_pane_loads_and_the_toolbar_follows_the_active_one(qtbot, session):
    start, _stop = session
    ws = start(restore=False)
    charts = ws.window.charts
    first = ws.chart
    assert first.symbol == demo.daily_codes()[0]
    with qtbot.waitSignal(ws.panes.chart_shown, timeout=TIMEOUT) as blocker:
        ws.window.split_right_action.trigger()
    right = ws.chart
    assert right is not first and blocker.args[0].symbol == first.symbol  # opens on the same
    other = demo.daily_codes()[3]
    with qtbot.waitSignal(right.chart_shown, timeout=TIMEOUT):
        ws.window.symbol_chosen.emit(other)  # the toolbar acts on the active (new) pane
    assert right.symbol == other and first.symbol == demo.daily_codes()[0]
    assert other in ws.window.next_bar.title.text()
    # clicking the first pane makes it active: toolbar and next-bar panel follow
    qtbot.mouseClick(first.pane.header, Qt.MouseButton.LeftButton)
    assert ws.chart is first
    assert ws.window.symbol_box.currentText() == first.symbol
    assert first.symbol in ws.window.next_bar.title.text()
    with qtbot.waitSignal(ws.panes.chart_shown, timeout=TIMEOUT):
        ws.window.new_tab_action.trigger()
    assert charts.count() == 2 and len(ws.panes.controllers) == 3
    key = ws.chart.key
    ws.window.close_pane_action.trigger()  # the only pane of tab 2: the tab closes
    assert charts.count() == 1 and len(ws.panes.controllers) == 2
    assert not ws.runner.is_running(key)


def test_watchlists_edit_and_persist_across_a_restart(qtbot, session):
    start, stop = session
    ws = start(restore=False)
    assert [w.name for w in ws.watchlists.lists] == [DEMO_LIST]
    assert ws.window.watchlist_model.codes() == list(demo.daily_codes())
    ask = start.answers  # type: ignore[attr-defined]
    ask.queue = ["Swing"]
    ws.window.watchlist.new_list_action.trigger()
    assert ws.window.watchlist.list_box.currentText() == "Swing"
    assert ws.window.watchlist_model.codes() == []
    ask.queue = ["syn02.demo, SYN05.DEMO syn02.demo"]
    ws.window.watchlist.add_symbol_action.trigger()
    ws.window.watchlist.add_current_action.trigger()  # the chart's symbol, SYN01
    codes = ["SYN02.DEMO", "SYN05.DEMO", demo.daily_codes()[0]]
    assert ws.window.watchlist_model.codes() == codes
    qtbot.waitUntil(lambda: ws.window.watchlist_model.row(0).state != "", timeout=TIMEOUT)
    ws.window.watchlist.table.selectRow(1)
    qtbot.keyClick(ws.window.watchlist.table, Qt.Key.Key_Delete)
    assert ws.window.watchlist_model.codes() == [codes[0], codes[2]]
    ask.queue = ["Swing trades"]
    ws.window.watchlist.rename_list_action.trigger()
    _wait_idle(qtbot, ws)
    stop(ws)

    again = start(restore=False)
    assert [(w.name, w.symbols) for w in again.watchlists.lists] == [
        (DEMO_LIST, demo.daily_codes()), ("Swing trades", (codes[0], codes[2]))]
    again.watchlists.choose(1)
    assert again.window.watchlist_model.codes() == [codes[0], codes[2]]
    again.watchlists.delete_current()
    _wait_idle(qtbot, again)
    stop(again)
    with open_user_store() as store:
        assert [w.name for w in store.watchlists.all()] == [DEMO_LIST]


def test_watchlist_rows_reorder_by_keyboard_and_menu_and_the_order_persists(qtbot, session):
    start, stop = session
    ws = start(restore=False)
    codes = list(demo.daily_codes())
    table = ws.window.watchlist.table
    table.selectRow(2)
    qtbot.keyClick(table, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    moved = [codes[0], codes[2], codes[1], *codes[3:]]
    assert ws.window.watchlist_model.codes() == moved
    assert ws.window.watchlist.selected_code() == codes[2]  # the moved row stays selected
    qtbot.keyClick(table, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(table, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)  # at the top
    top = [codes[2], codes[0], codes[1], *codes[3:]]
    assert ws.window.watchlist_model.codes() == top
    table.selectRow(0)
    ws.window.watchlist.move_down_action.trigger()
    final = [codes[0], codes[2], codes[1], *codes[3:]]
    assert ws.window.watchlist_model.codes() == final
    _wait_idle(qtbot, ws)
    stop(ws)
    again = start(restore=False)
    assert again.watchlists.lists[0].symbols == tuple(final)
    assert again.window.watchlist_model.codes() == final
    stop(again)


def test_duplicate_list_names_are_refused_where_the_user_acted(qtbot, session):
    start, _stop = session
    ws = start(restore=False)
    assert ws.watchlists.create(DEMO_LIST) is None
    assert "already a watchlist named" in ws.window.statusBar().currentMessage()
    ws.watchlists.delete_current()  # the last list stays
    assert "cannot be deleted" in ws.window.statusBar().currentMessage()
    assert len(ws.watchlists.lists) == 1


def test_named_layout_round_trip_and_session_tabs(qtbot, session):
    start, stop = session
    ws = start()
    with qtbot.waitSignal(ws.panes.chart_shown, timeout=TIMEOUT):
        ws.window.split_down_action.trigger()
    with qtbot.waitSignal(ws.chart.chart_shown, timeout=TIMEOUT):
        ws.window.symbol_chosen.emit("SYN07.DEMO")
    start.answers.queue = ["Two charts"]  # type: ignore[attr-defined]
    save = ws.window.layouts_menu.actions()[0]
    save.trigger()
    _wait_idle(qtbot, ws)
    assert ws.layouts.names == ["Two charts"]
    ws.window.close_pane_action.trigger()
    assert [len(t["panes"]) for t in ws.window.charts.describe()] == [1]
    with qtbot.waitSignal(ws.panes.chart_shown, timeout=TIMEOUT):
        ws.layouts.restore("Two charts")
    tabs = ws.window.charts.describe()
    assert [(p["symbol"]) for p in tabs[0]["panes"]] == [demo.daily_codes()[0], "SYN07.DEMO"]
    assert tabs[0]["orientation"] == "v"
    stop(ws)

    again = start()  # the last run's tabs come back, and the saved layout is offered
    qtbot.waitUntil(lambda: all(c.current is not None for c in again.panes), timeout=TIMEOUT)
    tabs = again.window.charts.describe()
    assert [p["symbol"] for p in tabs[0]["panes"]] == [demo.daily_codes()[0], "SYN07.DEMO"]
    assert again.chart.symbol == "SYN07.DEMO"  # the active pane too
    qtbot.waitUntil(lambda: again.layouts.names == ["Two charts"], timeout=TIMEOUT)
    labels = [a.text() for a in again.window.layouts_menu.actions()]
    assert "Two charts" in labels


def test_a_broken_layout_payload_restores_what_it_can(qtbot, session):
    start, _stop = session
    ws = start(restore=False)
    before = ws.window.charts.describe()
    ws.layouts.apply({"geometry": "not base64!", "state": 42, "tabs": [{"panes": "x"}, 7]})
    assert ws.window.charts.describe() == before  # nothing usable: nothing changed


def test_the_status_bar_says_demo_data_has_no_eodhd_calls(qtbot, session):
    start, _stop = session
    ws = start(restore=False)
    assert "no key" in ws.window.quota_label.text()


def test_drawings_follow_the_pane_and_survive_a_restart(qtbot, session):
    start, stop = session
    ws = start(restore=False)
    model = ws.drawings.model()
    assert ws.drawings.toolbar.layer is ws.drawings.layer()
    qtbot.waitUntil(lambda: model.symbol == ws.chart.symbol and not model.loading,
                    timeout=TIMEOUT)
    bars = ws.chart.current.bars
    level = model.create("level", ((int(bars.ts[-10]), float(bars.close[-10])),))
    with qtbot.waitSignal(ws.panes.chart_shown, timeout=TIMEOUT):
        ws.window.split_right_action.trigger()
    right = ws.drawings.layer()
    assert right is not None and ws.drawings.toolbar.layer is right  # the toolbar moved
    qtbot.waitUntil(lambda: ws.drawings.model().symbol == ws.chart.symbol, timeout=TIMEOUT)
    stop(ws)

    again = start(restore=False)
    model = again.drawings.model()
    qtbot.waitUntil(lambda: model.symbol == again.chart.symbol and not model.loading,
                    timeout=TIMEOUT)
    assert [r.id for r in model.records()] == [level.id]
    assert model.records()[0].anchors == level.anchors
