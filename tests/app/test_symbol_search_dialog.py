"""The symbol search dialog end to end: real task runner, real service over a real SQLite store,
EODHD through an httpx MockTransport; type, wait for the results, press Enter, get the ticker."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt

from drummond_desktop.app.controllers.search_controller import SearchController
from drummond_desktop.app.views.symbol_search import SymbolSearchDialog
from drummond_desktop.app.workers import TaskRunner
from drummond_desktop.core.errors import StoreUnavailable
from drummond_desktop.services.symbol_search import SymbolSearchService
from drummond_desktop.store import SymbolInfo, open_market_store
from tests.feeds.fakes import EXAMPLES, ok, raw, rig

# The offscreen platform warns that it cannot resize dialogs; nothing to fix in the app.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

TIMEOUT = 10_000  # ms

LOCAL = [
    SymbolInfo("AAPL", "US", "Apple Inc", "Common Stock"),
    SymbolInfo("AA", "US", "Alcoa Corp", "Common Stock"),
    SymbolInfo("MSFT", "US", "Microsoft Corporation", "Common Stock"),
]

Make = Callable[..., SearchController]


@pytest.fixture
def make_controller(qtbot, tmp_path) -> Iterator[Make]:
    store = open_market_store(f"sqlite:///{tmp_path / 'market.sqlite'}")
    store.symbols.upsert(LOCAL)
    runners: list[TaskRunner] = []
    closers: list[Callable[[], None]] = []

    def make(*steps: object, demo: bool = False, broken: bool = False) -> SearchController:
        def local() -> list[SymbolInfo]:
            if broken:
                raise StoreUnavailable("market.sqlite", "disk gone")
            return store.symbols.all()

        client = None
        if steps:
            r = rig(list(steps))  # type: ignore[arg-type]
            closers.append(r.client.close)
            client = lambda: r.client  # noqa: E731
        runner = TaskRunner()
        runners.append(runner)
        service = SymbolSearchService(local, client, key_set=lambda: client is not None)
        return SearchController(runner, service, demo=demo)

    yield make
    for runner in runners:
        assert runner.shutdown(10.0)
    for close in closers:
        close()
    store.close()


def open_dialog(qtbot, controller: SearchController) -> SymbolSearchDialog:
    dialog = controller.open()
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0, timeout=TIMEOUT)  # empty query: all
    return dialog


def type_and_wait(qtbot, dialog: SymbolSearchDialog, text: str) -> None:
    qtbot.keyClicks(dialog.edit, text)
    qtbot.waitUntil(lambda: dialog._shown_query == text, timeout=TIMEOUT)


def codes(dialog: SymbolSearchDialog) -> list[str]:
    return [dialog.model.result(i).ticker for i in range(dialog.model.rowCount())]


def test_type_wait_enter_emits_the_ticker(qtbot, make_controller):
    controller = make_controller()
    dialog = open_dialog(qtbot, controller)
    assert codes(dialog) == ["AA.US", "AAPL.US", "MSFT.US"]
    type_and_wait(qtbot, dialog, "aap")
    assert codes(dialog) == ["AAPL.US"]
    assert dialog.model.data(dialog.model.index(0, 4)) == "local"
    with qtbot.waitSignal(controller.symbol_chosen, timeout=TIMEOUT) as blocker:
        qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    assert blocker.args == ["AAPL.US"]
    assert not dialog.isVisible()


def test_down_arrow_then_enter_picks_the_second_result(qtbot, make_controller):
    controller = make_controller()
    dialog = open_dialog(qtbot, controller)
    type_and_wait(qtbot, dialog, "aa")
    assert codes(dialog) == ["AA.US", "AAPL.US"]
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Down)
    with qtbot.waitSignal(dialog.symbol_chosen, timeout=TIMEOUT) as blocker:
        qtbot.keyClick(dialog.edit, Qt.Key.Key_Enter)
    assert blocker.args == ["AAPL.US"]


def test_enter_before_the_results_arrive_chooses_the_best_match(qtbot, make_controller):
    controller = make_controller()
    dialog = open_dialog(qtbot, controller)
    with qtbot.waitSignal(controller.symbol_chosen, timeout=TIMEOUT) as blocker:
        qtbot.keyClicks(dialog.edit, "msf")
        qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)  # within the debounce pause
    assert blocker.args == ["MSFT.US"]


def test_an_unknown_full_ticker_is_taken_as_typed(qtbot, make_controller):
    controller = make_controller()
    dialog = open_dialog(qtbot, controller)
    type_and_wait(qtbot, dialog, "nothing here")
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    assert dialog.isVisible() and "No symbol matches 'nothing here'" in dialog.status.text()
    dialog.edit.clear()
    type_and_wait(qtbot, dialog, "tsla.us")
    assert dialog.model.rowCount() == 0
    with qtbot.waitSignal(controller.symbol_chosen, timeout=TIMEOUT) as blocker:
        qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    assert blocker.args == ["TSLA.US"]


def test_eodhd_results_are_listed_after_the_local_ones(qtbot, make_controller):
    controller = make_controller(ok(EXAMPLES["search"]))
    dialog = open_dialog(qtbot, controller)
    type_and_wait(qtbot, dialog, "aapl")
    assert codes(dialog) == ["AAPL.US", "AMZN.US"]
    assert [dialog.model.data(dialog.model.index(i, 4)) for i in range(2)] == [
        "local", "EODHD"]
    assert "local store and EODHD" in dialog.status.text()


def test_an_eodhd_failure_is_said_and_the_local_results_stay(qtbot, make_controller):
    controller = make_controller(raw("Unauthenticated", 401, "text/plain"))
    dialog = open_dialog(qtbot, controller)
    type_and_wait(qtbot, dialog, "apple")
    assert codes(dialog) == ["AAPL.US"]
    assert "EODHD search failed: EODHD refused the request (HTTP 401)" in dialog.status.text()


def test_a_failed_search_shows_its_message(qtbot, make_controller):
    controller = make_controller(broken=True)
    dialog = controller.open()
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "cannot be opened" in dialog.status.text(), timeout=TIMEOUT)
    assert "disk gone" in dialog.status.text() and dialog.model.rowCount() == 0
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_demo_mode_lists_the_demo_universe(qtbot, make_controller):
    controller = make_controller(demo=True)
    dialog = open_dialog(qtbot, controller)
    type_and_wait(qtbot, dialog, "syn0")
    assert codes(dialog)[0] == "SYN01.DEMO" and "AAPL.US" not in codes(dialog)
