"""``Workspace``: the window, its controllers and the task runner, wired and started together.

``start()`` restores the layout, warms the engine's kernels on the CPU pool, and opens on the
chosen symbol: the demo universe (daily symbols in the watchlist, every demo symbol in the
selector) or, with ``demo=False``, whatever the local store holds (read on the I/O pool).
``JobsController`` shows every task's progress in the status bar and the jobs/log panel.
With an application ``context`` (``bootstrap.AppContext``) the toolbar's Settings… opens
``SettingsDialog`` and Sync syncs the visible symbol (``SyncController``); without one both
actions are disabled.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from PySide6.QtCore import QObject, QSettings, Signal, Slot

from drummond_desktop.app.application import GuiGarbageCollector
from drummond_desktop.app.controllers.chart_controller import (
    ChartController,
    WatchlistController,
    speak_failure,
)
from drummond_desktop.app.controllers.sync_controller import (
    DEMO_TOOLTIP,
    SyncController,
    SyncSource,
    sync_task,
)
from drummond_desktop.app.main_window import MainWindow
from drummond_desktop.app.views.settings_dialog import SettingsDialog
from drummond_desktop.app.workers import TaskRunner
from drummond_desktop.core.errors import AppError
from drummond_desktop.core.secrets import SecretStore
from drummond_desktop.core.settings import load_settings
from drummond_desktop.core.tasks import CancelToken, Progress
from drummond_desktop.services.chart_data import ChartDataService, demo_symbols, intervals_for

log = logging.getLogger(__name__)

WARMUP_KEY = "warmup"
CATALOG_KEY = "catalog"
NO_CONTEXT_TOOLTIP = "Not available in this window (no application context)"


class WorkspaceContext(SyncSource, Protocol):
    """What the workspace needs of ``bootstrap.AppContext`` beyond the chart data."""

    def secret_store(self) -> SecretStore: ...


def warm_kernels(_request: object, cancel: CancelToken, progress: Progress) -> dict[str, float]:
    """Compile (or load from the cache) the engine's kernels."""
    from engine.warmup import warmup

    progress(0, 1, "compiling the Drummond kernels")
    timings = warmup()
    progress(1, 1, "kernels ready")
    return timings


class JobsController(QObject):
    """Task progress to the status bar's progress indicator and the jobs/log panel."""

    def __init__(self, window: MainWindow, runner: TaskRunner) -> None:
        super().__init__(window)
        self.window = window
        self.runner = runner
        self._running: dict[str, tuple[float, float]] = {}
        runner.progress.connect(self._on_runner_progress)
        runner.finished.connect(self._on_runner_finished)
        runner.failed.connect(self._on_runner_failed)

    @Slot(str, float, float, str)
    def _on_runner_progress(self, key: str, done: float, total: float, message: str) -> None:
        first = key not in self._running
        self._running[key] = (done, total)
        if first and message:
            self.window.jobs.add(f"[{key}] {message}")
        self.window.show_progress(done, total)

    @Slot(str, int, object)
    def _on_runner_finished(self, key: str, generation: int, result: object) -> None:
        self._end(key, f"[{key}] done")

    @Slot(str, int, object)
    def _on_runner_failed(self, key: str, generation: int, exc: object) -> None:
        text = exc.user_message if isinstance(exc, AppError) else f"{type(exc).__name__}: {exc}"
        self._end(key, f"[{key}] failed: {text}")

    def cancelled(self, key: str) -> None:
        """``key``'s task was cancelled: it will report nothing more."""
        if key in self._running:
            self._end(key, f"[{key}] cancelled")

    def _end(self, key: str, line: str) -> None:
        self._running.pop(key, None)
        self.window.jobs.add(line)
        if not self._running:
            self.window.hide_progress()


class Workspace(QObject):
    """Everything the desktop window needs, built from a runner and the chart-data service."""

    catalog_loaded = Signal(object)  # dict[str, tuple[str, ...]]

    def __init__(self, runner: TaskRunner, service: ChartDataService, settings: QSettings, *,
                 demo: bool, database: str, context: WorkspaceContext | None = None) -> None:
        super().__init__()
        GuiGarbageCollector.hold()  # released by shutdown()
        self._gc_held = True
        self.runner = runner
        self.service = service
        self.demo = demo
        self.catalog: dict[str, tuple[str, ...]] = {}
        self.window = MainWindow(settings, demo=demo, database=database)
        self.jobs = JobsController(self.window, runner)
        self.chart = ChartController(self.window, runner, service, demo=demo,
                                     intervals_for=self.intervals_for)
        self.watchlist = WatchlistController(self.window, runner, service, demo=demo)
        self.context = context
        task = sync_task(context) if context is not None and not demo else None
        self.sync = SyncController(self.window, runner, self.chart, task, disabled_reason=(
            DEMO_TOOLTIP if demo else NO_CONTEXT_TOOLTIP))
        self.sync.sync_cancelled.connect(lambda _message: self.jobs.cancelled(SyncController.KEY))
        self.settings_dialog: SettingsDialog | None = None
        self.window.settings_action.setEnabled(context is not None)
        if context is None:
            self.window.settings_action.setToolTip(NO_CONTEXT_TOOLTIP)
        self.window.settings_requested.connect(self.open_settings)
        runner.finished.connect(self._on_runner_finished)
        runner.failed.connect(self._on_runner_failed)
        self._pending: tuple[str | None, str | None] = (None, None)
        self.keep_layout = True

    def intervals_for(self, symbol: str) -> tuple[str, ...]:
        return intervals_for(symbol, self.demo, self.catalog.get(symbol, ()))

    @Slot()
    def open_settings(self) -> SettingsDialog | None:
        """Open the settings dialog (window-modal, not blocking); None without a context or
        when the settings file cannot be read (the status bar says why)."""
        if self.context is None:
            return None
        try:
            current = load_settings()
        except AppError as exc:
            self.window.show_message(exc.user_message)
            return None
        dialog = SettingsDialog(self.context.secret_store(), current, parent=self.window)
        dialog.accepted.connect(lambda: self.window.show_message(
            "Settings saved (a database change applies after a restart).", 5000))
        self.settings_dialog = dialog
        dialog.open()
        return dialog

    def start(self, symbol: str | None = None, interval: str | None = None, *,
              restore_layout: bool = True) -> None:
        """Restore the layout, warm the kernels, and open on ``symbol`` (default: the first).
        Without ``restore_layout`` the default layout is used and not saved at shutdown
        (screenshots look the same on every machine)."""
        self.keep_layout = restore_layout
        if restore_layout:
            self.window.restore_layout()
        self.runner.submit(WARMUP_KEY, warm_kernels, None, pool="cpu")
        if self.demo:
            self._open(demo_symbols(), demo_symbols(intraday=False), symbol, interval)
        else:
            self._pending = (symbol, interval)
            self.runner.submit(CATALOG_KEY, self.service.catalog, None, pool="io")

    def _open(self, selector: tuple[str, ...], watch: tuple[str, ...], symbol: str | None,
              interval: str | None) -> None:
        self.window.set_symbols(selector)
        self.window.set_watchlist(watch)
        if watch:
            self.watchlist.load(watch)
        chosen = symbol or (watch[0] if watch else selector[0] if selector else None)
        if chosen is None:
            self.window.show_message("The local store is empty: sync or import some bars.")
            return
        if chosen not in selector:
            self.window.symbol_box.addItem(chosen)
        self.chart.show(chosen, interval)

    @Slot(str, int, object)
    def _on_runner_finished(self, key: str, generation: int, result: object) -> None:
        if key == CATALOG_KEY and isinstance(result, dict):
            self.catalog = result
            symbols = tuple(self.catalog)
            daily = tuple(s for s, tfs in self.catalog.items() if "1d" in tfs)
            self._open(symbols, daily, *self._pending)
            self.catalog_loaded.emit(result)
        elif key == WARMUP_KEY and isinstance(result, dict):
            log.info("kernels warm in %.2fs", sum(result.values()))

    @Slot(str, int, object)
    def _on_runner_failed(self, key: str, generation: int, exc: object) -> None:
        if key in (CATALOG_KEY, WARMUP_KEY):
            self._on_failed(exc)

    def _on_failed(self, exc: Any) -> None:
        """Start-up tasks (store catalogue, kernel warm-up) report here."""
        speak_failure(self.window, exc, "Start-up failed")

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Save the layout, cancel the tasks and wait for the pools' threads."""
        if self.keep_layout:
            self.window.save_layout()
        done = self.runner.shutdown(timeout)
        if self._gc_held:
            self._gc_held = False
            GuiGarbageCollector.release()
        return done
