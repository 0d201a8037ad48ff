"""``SyncController``: the toolbar's Sync and Cancel for the visible symbol.

Sync runs ``MarketSyncService.sync`` for the chart's symbol (at the chart's interval when it is
one EODHD serves, else 1d) as the ``sync`` task on the I/O pool; progress reaches the status bar
and the jobs panel through ``JobsController``. A symbol that failed shows its user message in
the status bar; a sync that went through reloads the chart. Cancel cancels the task (its result,
if it still arrives, is dropped). On demo data Sync is disabled: there is nothing to sync.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, Signal, Slot

from drummond_desktop.app.controllers.chart_controller import ChartController, speak_failure
from drummond_desktop.app.main_window import MainWindow
from drummond_desktop.app.workers import TaskFn, TaskRunner
from drummond_desktop.core.tasks import CancelToken, Progress

if TYPE_CHECKING:  # the sync service pulls in SQLAlchemy and httpx: loaded when first used
    from drummond_desktop.services.market_sync import MarketSyncService, SyncReport, SyncRequest

log = logging.getLogger(__name__)

DEMO_TOOLTIP = "Sync needs real data: add an EODHD API key in Settings… and restart"
SYNC_TOOLTIP = "Sync the visible symbol from EODHD into the local store"


class SyncSource(Protocol):
    """What the sync task needs of the application context (``bootstrap.AppContext``)."""

    def market_sync(self) -> MarketSyncService: ...


def sync_task(source: SyncSource) -> TaskFn:
    """The ``sync`` task: builds the sync service (it opens the store) on the worker thread."""

    def run(request: SyncRequest, cancel: CancelToken, progress: Progress) -> SyncReport:
        return source.market_sync().sync(request, cancel, progress)

    return run


class SyncController(QObject):
    """Starts, cancels and reports the ``sync`` task; ``task`` is ``sync_task(ctx)`` or
    ``None`` (demo data, or no application context: Sync stays disabled)."""

    KEY = "sync"

    sync_started = Signal(str, str)  # symbol, interval
    sync_finished = Signal(object)  # SyncReport (every symbol went through)
    sync_failed = Signal(str)  # the user message shown
    sync_cancelled = Signal(str)  # the message shown

    def __init__(self, window: MainWindow, runner: TaskRunner,
                 chart: Callable[[], ChartController], task: TaskFn | None, *,
                 reload: Callable[[str], None] | None = None,
                 disabled_reason: str = DEMO_TOOLTIP) -> None:
        super().__init__(window)
        self.window = window
        self.runner = runner
        self.active_chart = chart  # the active pane's controller (it changes with the focus)
        self.reload = reload
        self.task = task
        self.symbol = ""  # what the messages call the running sync: a code or "N symbols"
        self.interval = ""
        self.symbols: tuple[str, ...] = ()
        window.sync_action.setToolTip(SYNC_TOOLTIP if task is not None else disabled_reason)
        window.sync_action.triggered.connect(self._on_sync_triggered)
        window.cancel_sync_action.triggered.connect(self._on_cancel_triggered)
        runner.finished.connect(self._on_runner_finished)
        runner.failed.connect(self._on_runner_failed)
        self._set_running(False)

    @property
    def available(self) -> bool:
        return self.task is not None

    def running(self) -> bool:
        return self.runner.is_running(self.KEY)

    def set_task(self, task: TaskFn | None, disabled_reason: str = DEMO_TOOLTIP) -> None:
        """Enable (a task) or disable (``None``, with the reason as tooltip) syncing."""
        self.task = task
        self.window.sync_action.setToolTip(SYNC_TOOLTIP if task is not None else disabled_reason)
        self._set_running(self.running())

    def start(self) -> int | None:
        """Sync the visible symbol; returns the task's generation (None: nothing started)."""
        if self.task is None:
            return None
        chart = self.active_chart()
        if not chart.symbol:
            self.window.show_message("Open a symbol to sync it.")
            return None
        from drummond_desktop.services.market_sync import INTERVALS

        interval = chart.interval if chart.interval in INTERVALS else "1d"
        return self.start_symbols((chart.symbol,), interval)

    def start_symbols(self, symbols: tuple[str, ...], interval: str = "1d") -> int | None:
        """Sync ``symbols`` (the visible one, or a whole watchlist) at ``interval``."""
        if self.task is None or not symbols:
            return None
        label = symbols[0] if len(symbols) == 1 else f"{len(symbols)} symbols"
        self.symbol, self.interval, self.symbols = label, interval, symbols
        from drummond_desktop.services.market_sync import SyncRequest

        generation = self.runner.submit(self.KEY, self.task, SyncRequest(symbols, interval),
                                        pool="io")
        self._set_running(True)
        self.window.show_message(f"Syncing {label} {interval}…")
        self.window.jobs.add(f"[sync] {label} {interval} started")
        self.sync_started.emit(label, interval)
        return generation

    def cancel(self) -> None:
        """Cancel the running sync (no-op when none runs)."""
        if not self.running():
            return
        self.runner.cancel(self.KEY)
        self._set_running(False)
        message = f"Sync of {self.symbol} {self.interval} cancelled"
        self.window.show_message(message)
        self.sync_cancelled.emit(message)

    def _set_running(self, running: bool) -> None:
        self.window.sync_action.setEnabled(self.task is not None and not running)
        self.window.cancel_sync_action.setEnabled(running)

    @Slot()
    def _on_sync_triggered(self) -> None:
        self.start()

    @Slot()
    def _on_cancel_triggered(self) -> None:
        self.cancel()

    @Slot(str, int, object)
    def _on_runner_finished(self, key: str, generation: int, result: object) -> None:
        if key != self.KEY or generation != self.runner.generation(key):
            return
        self._set_running(False)
        from drummond_desktop.services.market_sync import SyncReport

        assert isinstance(result, SyncReport)
        if result.failed:
            message = "; ".join(f"{r.symbol}: {r.error}" for r in result.failed)
            self.window.show_message(message)
            self.sync_failed.emit(message)
            return
        received = sum(r.received for r in result.results)
        inserted = sum(r.inserted for r in result.results)
        self.window.show_message(f"{self.symbol} {self.interval} synced: {received} bars "
                                 f"received, {inserted} new", 5000)
        self.sync_finished.emit(result)
        if self.reload is not None:
            for symbol in self.symbols:
                self.reload(symbol)

    @Slot(str, int, object)
    def _on_runner_failed(self, key: str, generation: int, exc: object) -> None:
        if key != self.KEY or generation != self.runner.generation(key):
            return
        self._set_running(False)
        assert isinstance(exc, BaseException)
        message = speak_failure(self.window, exc, f"Could not sync {self.symbol}: unexpected error")
        self.sync_failed.emit(message)
