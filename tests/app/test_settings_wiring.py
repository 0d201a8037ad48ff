"""What saved settings change in the window: chart elements and colours on every pane (new
panes too), DG parameters recompute the charts, and adding the first EODHD key on demo data
offers to switch to real data and sync the watchlist (a fake EODHD server over MockTransport,
a real SQLite market store, an in-memory keyring)."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from PySide6.QtWidgets import QDialogButtonBox, QSpinBox

from drummond_desktop.app.controllers.workspace import DEFAULT_LIST, Workspace
from drummond_desktop.app.main_window import layout_settings
from drummond_desktop.app.workers import TaskRunner
from drummond_desktop.bootstrap import AppContext
from drummond_desktop.core import log_setup
from drummond_desktop.core.secrets import SecretStore
from drummond_desktop.core.settings import Settings, load_settings, save_settings
from drummond_desktop.services.analysis import AnalysisService
from drummond_desktop.services.chart_data import ChartDataService
from tests.desktop.test_cli_keys import MemoryKeyring
from tests.services.vendor import Vendor, daily_rows

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

TIMEOUT = 60_000
KEY = "SECRET-settings-wiring-7777"


@pytest.fixture
def vendor() -> Vendor:
    v = Vendor()
    v.daily["AAA.US"] = daily_rows(date(2024, 1, 1), 120)
    v.daily["BBB.US"] = daily_rows(date(2024, 1, 1), 90)
    return v


@pytest.fixture
def make(qtbot, vendor, tmp_path, monkeypatch):
    """A demo-mode workspace with an application context whose keyring starts empty."""
    monkeypatch.setattr("drummond_desktop.core.secrets.is_secure_backend", lambda b: True)
    made: list[tuple[Workspace, AppContext]] = []
    answers: dict[str, object] = {"confirm": True, "ask": "aaa.us BBB.US"}

    def build() -> Workspace:
        ctx = AppContext(db_url=f"sqlite:///{tmp_path / 'market.sqlite'}",
                         secrets=SecretStore(MemoryKeyring(), environ={}),
                         transport=httpx.MockTransport(vendor))
        ws = Workspace(TaskRunner(), ChartDataService(AnalysisService(), ctx.market_data),
                       layout_settings(tmp_path / "layout.ini"), demo=True, database="demo",
                       context=ctx, confirm=lambda *a: bool(answers["confirm"]),
                       ask=lambda *a: answers["ask"])  # type: ignore[arg-type,return-value]
        qtbot.addWidget(ws.window)
        made.append((ws, ctx))
        with qtbot.waitSignal(ws.chart.chart_shown, timeout=TIMEOUT):
            ws.start(restore_layout=False)
        return ws

    build.answers = answers  # type: ignore[attr-defined]
    yield build
    for ws, ctx in made:
        assert ws.shutdown(10.0)
        ctx.close()
    log_setup.forget_secret(KEY)


def test_saved_settings_reach_every_pane_and_new_ones(qtbot, make):
    save_settings(Settings(chart_elements={"zones": False, "pldot_line": True}))
    ws = make()
    chart = ws.window.chart
    assert not chart.is_shown("zones") and chart.is_shown("pldot_line")
    with qtbot.waitSignal(ws.panes.chart_shown, timeout=TIMEOUT):
        ws.window.split_right_action.trigger()
    assert ws.window.chart is not chart
    assert not ws.window.chart.is_shown("zones") and ws.window.chart.is_shown("pldot_line")


def test_new_dg_parameters_recompute_every_pane(qtbot, make):
    ws = make()
    assert ws.chart.current.result.params.trend_len == 3
    ws.window.settings_action.trigger()
    dialog = ws.settings_dialog
    editor = dialog.dg_page.editors["trend_len"]
    assert isinstance(editor, QSpinBox)
    editor.setValue(4)
    with qtbot.waitSignal(ws.chart.chart_shown, timeout=TIMEOUT) as shown:
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert shown.args[0].result.params.trend_len == 4
    assert load_settings().dg_params == {"trend_len": 4}


def test_adding_a_key_offers_to_sync_and_switches_to_real_data(qtbot, make, vendor, tmp_path):
    ws = make()
    win = ws.window
    assert win.banner.isVisibleTo(win) and not win.sync_action.isEnabled()
    ws.window.settings_action.trigger()
    dialog = ws.settings_dialog
    dialog.key_edit.setText(KEY)
    with qtbot.waitSignal(ws.sync.sync_finished, timeout=TIMEOUT) as done:
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    report = done.args[0]
    assert report.ok and sorted(r.symbol for r in report.results) == ["AAA.US", "BBB.US"]
    assert not win.banner.isVisibleTo(win) and "SQLite " in win.database_label.text()
    assert str(tmp_path / "market.sqlite") in win.database_label.text()
    assert ws.watchlists.current.name == DEFAULT_LIST
    assert ws.watchlists.current.symbols == ("AAA.US", "BBB.US")
    # the store now holds the symbols: the catalogue refresh offers them in the selector
    qtbot.waitUntil(lambda: win.symbol_box.findText("AAA.US") >= 0, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: "calls left today" in win.quota_label.text(), timeout=TIMEOUT)
    with qtbot.waitSignal(ws.chart.chart_shown, timeout=TIMEOUT) as shown:
        win.symbol_chosen.emit("AAA.US")
    assert len(shown.args[0].bars) == 120 and not shown.args[0].synthetic
    assert win.sync_action.isEnabled()


def test_declining_the_offer_keeps_the_demo(qtbot, make):
    make.answers["confirm"] = False  # type: ignore[attr-defined]
    ws = make()
    ws.window.settings_action.trigger()
    ws.settings_dialog.key_edit.setText(KEY)
    ws.settings_dialog.findChild(QDialogButtonBox).button(
        QDialogButtonBox.StandardButton.Ok).click()
    assert ws.demo and ws.window.banner.isVisibleTo(ws.window)
    assert not ws.runner.is_running("sync")


def test_a_searched_symbol_missing_locally_is_synced_then_shown(qtbot, make, vendor):
    from PySide6.QtCore import Qt

    vendor.daily["CCC.US"] = daily_rows(date(2024, 1, 1), 75)
    ws = make()
    ws.window.settings_action.trigger()
    ws.settings_dialog.key_edit.setText(KEY)
    with qtbot.waitSignal(ws.sync.sync_finished, timeout=TIMEOUT):
        ws.settings_dialog.findChild(QDialogButtonBox).button(
            QDialogButtonBox.StandardButton.Ok).click()
    ws.window.search_action.trigger()
    dialog = ws.search.dialog
    qtbot.keyClicks(dialog.edit, "CCC.US")
    with qtbot.waitSignal(ws.sync.sync_started, timeout=TIMEOUT) as started, \
            qtbot.waitSignal(ws.chart.chart_shown, timeout=TIMEOUT) as shown:
        qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    assert started.args == ["CCC.US", "1d"]
    assert shown.args[0].symbol == "CCC.US" and len(shown.args[0].bars) == 75
