"""Sync of the visible symbol from the window, against a fake EODHD server over MockTransport:
a sync reloads the chart, Cancel stops it (the vendor blocks until the test releases it, so the
cancel lands while the request is in flight), a failing symbol shows its message, and Sync is
disabled on demo data."""

from __future__ import annotations

import threading
from datetime import date

import httpx
import pytest

from drummond_desktop.app.controllers.workspace import Workspace
from drummond_desktop.app.main_window import layout_settings
from drummond_desktop.app.workers import TaskRunner
from drummond_desktop.bootstrap import AppContext
from drummond_desktop.core import log_setup
from drummond_desktop.core.secrets import SecretStore
from drummond_desktop.services.analysis import AnalysisService
from drummond_desktop.services.chart_data import ChartDataService
from drummond_desktop.services.market_sync import SyncRequest
from tests.desktop.test_cli_keys import MemoryKeyring
from tests.services.vendor import Vendor, daily_rows

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

TIMEOUT = 60_000  # ms: the first analysis may compile the kernels
KEY = "SECRET-sync-window-5555"
SYMBOL = "AAA.US"
ROWS = daily_rows(date(2024, 1, 1), 220)


class BlockingVendor(Vendor):
    """Once ``arm()``ed, the next request waits (on the worker thread) until ``release``."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False
        self.blocked = threading.Event()
        self.release = threading.Event()

    def arm(self) -> None:
        self.armed = True

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.armed:
            self.armed = False
            self.blocked.set()
            assert self.release.wait(30), "the test never released the vendor"
        return super().__call__(request)


@pytest.fixture
def vendor() -> BlockingVendor:
    v = BlockingVendor()
    v.daily[SYMBOL] = ROWS[:150]
    return v


@pytest.fixture
def ctx(vendor, tmp_path, monkeypatch):
    monkeypatch.setattr("drummond_desktop.core.secrets.is_secure_backend", lambda b: True)
    secrets = SecretStore(MemoryKeyring(), environ={})
    secrets.set_eodhd_key(KEY)
    c = AppContext(db_url=f"sqlite:///{tmp_path / 'market.sqlite'}", secrets=secrets,
                   transport=httpx.MockTransport(vendor))
    assert c.market_sync().sync(SyncRequest((SYMBOL,))).ok  # 150 bars in the store
    yield c
    vendor.release.set()
    c.close()
    log_setup.forget_secret(KEY)


@pytest.fixture
def workspace(qtbot, ctx, tmp_path):
    runner = TaskRunner()
    ws = Workspace(runner, ChartDataService(AnalysisService(), ctx.market_data),
                   layout_settings(tmp_path / "layout.ini"), demo=False, database="test",
                   context=ctx)
    qtbot.addWidget(ws.window)
    with qtbot.waitSignal(ws.chart.chart_shown, timeout=TIMEOUT) as blocker:
        ws.start(SYMBOL)
    assert len(blocker.args[0].bars) == 150
    # the start-up tasks (watchlists, layouts, drawings, kernels) end before a test syncs: the
    # progress bar then belongs to the sync alone
    qtbot.waitUntil(lambda: ws.runner.pending() == 0, timeout=TIMEOUT)
    yield ws
    assert ws.shutdown(10.0)
    for name in ("io", "cpu"):
        assert ws.runner.pool(name).activeThreadCount() == 0  # type: ignore[arg-type]


def test_sync_from_the_window_reloads_the_chart(qtbot, workspace, vendor):
    win = workspace.window
    assert win.sync_action.isEnabled() and not win.cancel_sync_action.isEnabled()
    vendor.daily[SYMBOL] = ROWS  # 70 new sessions at the vendor
    with qtbot.waitSignal(workspace.sync.sync_finished, timeout=TIMEOUT) as done, \
            qtbot.waitSignal(workspace.chart.chart_shown, timeout=TIMEOUT) as shown:
        win.sync_action.trigger()
        assert not win.sync_action.isEnabled() and win.cancel_sync_action.isEnabled()
    report = done.args[0]
    assert report.ok and report.results[0].inserted == 70
    assert shown.args[0].symbol == SYMBOL and len(shown.args[0].bars) == 220
    assert win.sync_action.isEnabled() and not win.cancel_sync_action.isEnabled()
    qtbot.waitUntil(lambda: any("[sync] done" in line for line in win.jobs.lines()),
                    timeout=TIMEOUT)
    assert any(f"[sync] {SYMBOL} 1d started" in line for line in win.jobs.lines())
    assert vendor.asked("eod", SYMBOL)[-1].get("from")  # incremental: only the gap was asked


def test_cancel_from_the_window_stops_the_sync(qtbot, workspace, vendor):
    win = workspace.window
    vendor.daily[SYMBOL] = ROWS
    finished: list[object] = []
    shown: list[object] = []
    workspace.sync.sync_finished.connect(finished.append)
    workspace.chart.chart_shown.connect(shown.append)
    vendor.arm()
    win.sync_action.trigger()
    qtbot.waitUntil(vendor.blocked.is_set, timeout=TIMEOUT)  # a request is in flight
    qtbot.waitUntil(lambda: not win.progress_bar.isHidden(), timeout=TIMEOUT)
    with qtbot.waitSignal(workspace.sync.sync_cancelled, timeout=5_000) as cancelled:
        win.cancel_sync_action.trigger()
    assert cancelled.args == [f"Sync of {SYMBOL} 1d cancelled"]
    assert win.statusBar().currentMessage() == f"Sync of {SYMBOL} 1d cancelled"
    assert not workspace.runner.is_running("sync")
    assert win.sync_action.isEnabled() and not win.cancel_sync_action.isEnabled()
    assert any("[sync] cancelled" in line for line in win.jobs.lines())
    assert win.progress_bar.isHidden()
    vendor.release.set()
    qtbot.waitUntil(lambda: workspace.runner.pending() == 0, timeout=TIMEOUT)
    assert finished == [] and shown == []  # the cancelled task's outcome is dropped
    assert len(workspace.chart.current.bars) == 150


def test_a_failing_sync_shows_the_symbols_message(qtbot, workspace, vendor):
    vendor.status[SYMBOL] = 404
    with qtbot.waitSignal(workspace.sync.sync_failed, timeout=TIMEOUT) as failed:
        workspace.window.sync_action.trigger()
    (message,) = failed.args
    assert message.startswith(f"{SYMBOL}: EODHD has no data for")
    assert workspace.window.statusBar().currentMessage() == message
    assert workspace.window.sync_action.isEnabled()
    assert KEY not in message


def test_sync_is_disabled_on_demo_data(qtbot, ctx, tmp_path):
    ws = Workspace(TaskRunner(), ChartDataService(AnalysisService(), ctx.market_data),
                   layout_settings(tmp_path / "layout.ini"), demo=True, database="x",
                   context=ctx)
    qtbot.addWidget(ws.window)
    try:
        assert not ws.window.sync_action.isEnabled()
        assert "add an EODHD API key" in ws.window.sync_action.toolTip()
        assert ws.sync.start() is None and not ws.runner.is_running("sync")
    finally:
        assert ws.shutdown(10.0)
