"""The workspace window on the demo universe: first chart, symbol switch, latest wins, errors,
layout round trip, the error dialog, ``--screenshot`` and a clean shutdown."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication, QImage

from drummond_desktop import bootstrap
from drummond_desktop.app.application import ErrorDialog, install_excepthooks
from drummond_desktop.app.controllers.workspace import Workspace
from drummond_desktop.app.main_window import MainWindow, layout_settings
from drummond_desktop.app.workers import TaskRunner
from drummond_desktop.core.errors import DataError
from drummond_desktop.feeds import demo
from drummond_desktop.services.analysis import AnalysisService
from drummond_desktop.services.chart_data import ChartData, ChartDataService, ChartRequest

# The offscreen platform warns that it cannot resize floating docks; nothing to fix in the app.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

TIMEOUT = 60_000  # ms: the first analysis may compile the kernels


def _no_store():
    raise AssertionError("demo mode must not open the store")


@pytest.fixture
def make_workspace(qtbot, tmp_path):
    made: list[Workspace] = []

    def make(service: ChartDataService | None = None, start: bool = True) -> Workspace:
        runner = TaskRunner()
        ws = Workspace(runner, service or ChartDataService(AnalysisService(), _no_store),
                       layout_settings(tmp_path / "layout.ini"), demo=True,
                       database="none (synthetic demo data)")
        qtbot.addWidget(ws.window)
        made.append(ws)
        if start:
            with qtbot.waitSignal(ws.chart.chart_shown, timeout=TIMEOUT):
                ws.start()
        return ws

    yield make
    for ws in made:
        assert ws.shutdown(10.0)
        for name in ("io", "cpu"):
            assert ws.runner.pool(name).activeThreadCount() == 0  # type: ignore[arg-type]


def test_opens_on_the_demo_universe(qtbot, make_workspace):
    ws = make_workspace()
    first = demo.daily_codes()[0]
    data = ws.chart.current
    assert isinstance(data, ChartData) and data.synthetic and data.symbol == first
    assert data.generation == ws.runner.generation("chart")
    win = ws.window
    assert win.banner.isVisibleTo(win) and demo.DEMO_LABEL in win.banner.text()
    assert win.symbol_box.currentText() == first and win.interval_box.currentText() == "1d"
    assert f"next-bar report: {first}" in win.next_bar.text.toPlainText()
    assert "synthetic demo data" in win.database_label.text()
    qtbot.waitUntil(lambda: win.watchlist_model.row(0).state != "", timeout=TIMEOUT)
    assert win.watchlist_model.codes() == list(demo.daily_codes())


def test_chart_widget_receives_the_data(qtbot, make_workspace):
    pytest.importorskip("drummond_desktop.app.chart.chart_widget")
    ws = make_workspace()
    assert type(ws.window.chart).__name__ == "ChartWidget"


def test_switching_symbol_and_to_an_intraday_symbol(qtbot, make_workspace):
    ws = make_workspace()
    second = demo.daily_codes()[1]
    with qtbot.waitSignal(ws.chart.chart_shown, timeout=TIMEOUT) as blocker:
        ws.window.symbol_chosen.emit(second)
    assert blocker.args[0].symbol == second
    assert second in ws.window.next_bar.title.text()
    minute = demo.intraday_codes()[0]
    with qtbot.waitSignal(ws.chart.chart_shown, timeout=TIMEOUT) as blocker:
        ws.window.symbol_box.setCurrentIndex(ws.window.symbol_box.findText(minute))
        ws.window.symbol_box.activated.emit(ws.window.symbol_box.currentIndex())
    # the interval is kept where the new symbol offers it: daily bars built from its minutes
    assert blocker.args[0].symbol == minute and blocker.args[0].bars.timeframe == "1d"
    box = ws.window.interval_box
    assert [box.itemText(i) for i in range(box.count())][:2] == ["1m", "5m"]
    with qtbot.waitSignal(ws.chart.chart_shown, timeout=TIMEOUT) as blocker:
        box.setCurrentIndex(box.findText("1m"))
        box.activated.emit(box.currentIndex())
    assert blocker.args[0].bars.timeframe == "1m"
    assert ws.window.interval_box.currentText() == "1m"


def test_latest_wins_in_the_window(qtbot, make_workspace):
    ws = make_workspace()
    shown: list[str] = []
    ws.chart.chart_shown.connect(lambda d: shown.append(d.symbol))
    a, b = demo.daily_codes()[2], demo.daily_codes()[3]
    ws.chart.show(a)
    with qtbot.waitSignal(ws.chart.chart_shown, timeout=TIMEOUT):
        ws.chart.show(b)
    qtbot.waitUntil(lambda: not ws.runner.is_running("chart"), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: ws.runner.pending() == 0, timeout=TIMEOUT)
    assert shown == [b]
    assert ws.chart.current is not None and ws.chart.current.symbol == b


class FailingCharts(ChartDataService):
    def build(self, request: ChartRequest, cancel=None, progress=None) -> ChartData:
        raise DataError("boom", user_message=f"no data for {request.symbol}")


def test_a_failing_task_shows_its_message(qtbot, make_workspace):
    ws = make_workspace(FailingCharts(AnalysisService(), _no_store), start=False)
    with qtbot.waitSignal(ws.chart.chart_failed, timeout=TIMEOUT) as blocker:
        ws.start("SYN02.DEMO")
    assert blocker.args == ["no data for SYN02.DEMO"]
    assert ws.window.statusBar().currentMessage() == "no data for SYN02.DEMO"
    qtbot.waitUntil(lambda: any("failed: no data" in line for line in ws.window.jobs.lines()),
                    timeout=TIMEOUT)


def test_unknown_demo_symbol_reports_in_the_status_bar(qtbot, make_workspace):
    ws = make_workspace()
    with qtbot.waitSignal(ws.chart.chart_failed, timeout=TIMEOUT):
        ws.chart.show("NOPE.DEMO")
    assert "unknown demo symbol 'NOPE.DEMO'" in ws.window.statusBar().currentMessage()


def test_dock_layout_round_trip(qtbot, tmp_path):
    path = tmp_path / "layout.ini"
    win = MainWindow(layout_settings(path), demo=True, database="x")
    qtbot.addWidget(win)
    win.show()
    win.removeDockWidget(win.next_bar_dock)
    win.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, win.next_bar_dock)
    win.jobs_dock.hide()
    win.save_layout()
    assert QSettings(str(path), QSettings.Format.IniFormat).value("window/state") is not None

    again = MainWindow(layout_settings(path), demo=True, database="x")
    qtbot.addWidget(again)
    again.show()
    assert again.restore_layout()
    assert again.dockWidgetArea(again.next_bar_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert again.jobs_dock.isHidden()
    fresh = MainWindow(layout_settings(tmp_path / "none.ini"), demo=False, database="x")
    qtbot.addWidget(fresh)
    assert not fresh.restore_layout() and not fresh.banner.isVisibleTo(fresh)


def test_excepthook_shows_a_copyable_report(qtbot):
    old_sys, old_thread = sys.excepthook, threading.excepthook
    reporter = install_excepthooks()
    try:
        try:
            raise ValueError("kaput")
        except ValueError:
            with qtbot.waitSignal(reporter.error_reported, timeout=5000) as blocker:
                sys.excepthook(*sys.exc_info())
        assert "ValueError: kaput" in blocker.args[0]
        dialog = reporter.dialogs[-1]
        assert isinstance(dialog, ErrorDialog) and dialog.isVisible()
        assert dialog.text.isReadOnly() and "Traceback" in dialog.text.toPlainText()
        dialog.copy_button.click()
        assert QGuiApplication.clipboard().text() == dialog.text.toPlainText()
        dialog.close()

        def fail() -> None:
            raise RuntimeError("in a thread")

        with qtbot.waitSignal(reporter.error_reported, timeout=5000) as blocker:
            t = threading.Thread(target=fail, name="worker-x")
            t.start()
            t.join()
        assert "RuntimeError: in a thread" in blocker.args[0] and "worker-x" in blocker.args[0]
        for d in list(reporter.dialogs):
            d.close()
    finally:
        reporter.uninstall()
    assert sys.excepthook is old_sys and threading.excepthook is old_thread


def _distinct_colours(image: QImage, step: int = 7) -> int:
    return len({image.pixel(x, y) for x in range(0, image.width(), step)
                for y in range(0, image.height(), step)})


def test_screenshot_command_writes_a_png(qtbot, tmp_path: Path):
    out = tmp_path / "shots" / "main.png"
    assert bootstrap.main(["--demo", "--symbol", "SYN03.DEMO", "--screenshot", str(out)]) == 0
    image = QImage(str(out))
    assert not image.isNull() and image.width() >= 800 and image.height() >= 500
    assert _distinct_colours(image) > 50  # a drawn window, not a blank fill
