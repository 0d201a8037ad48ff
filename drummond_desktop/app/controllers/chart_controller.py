"""``ChartController``: symbol or interval chosen -> a ``chart`` task -> the chart and the
next-bar panel; ``WatchlistController``: the watchlist's rows from a ``watchlist`` task.

Each controller has one ``_on_failed(exc)``: expected failures (``AppError``) show their
``user_message`` in the status bar; anything else is a bug and goes to ``sys.excepthook`` (the
error dialog).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from drummond_desktop.app.main_window import ChartView, MainWindow
from drummond_desktop.app.views.chart_area import ChartPane
from drummond_desktop.app.workers import PoolName, TaskRunner
from drummond_desktop.core.errors import AppError
from drummond_desktop.services.chart_data import (
    ChartData,
    ChartDataService,
    ChartRequest,
    WatchlistRequest,
    WatchRow,
    default_interval,
)
from engine.drummond import DGParams

log = logging.getLogger(__name__)

IntervalsFor = Callable[[str], Sequence[str]]


def report_unexpected(exc: BaseException) -> None:
    """Hand a bug (not an ``AppError``) to the installed excepthook: the error dialog."""
    sys.excepthook(type(exc), exc, exc.__traceback__)


def speak_failure(window: Any, exc: BaseException, unexpected: str) -> str:
    """Show a failed task's message in ``window``'s status bar and return it: an ``AppError``'s
    own user message, else ``unexpected`` (with the error type), and a bug also goes to the error
    dialog. Each view's ``_on_failed`` calls this, so all of them speak the same way."""
    if isinstance(exc, AppError):
        message = exc.user_message
    else:
        message = f"{unexpected} ({type(exc).__name__})"
    window.show_message(message)
    if not isinstance(exc, AppError):
        report_unexpected(exc)
    return message


class ChartController(QObject):
    """Loads one pane's symbol and interval on the CPU pool; shows only the latest result.

    One controller per ``ChartPane``; the first pane's task key is ``chart``, the others
    ``chart:<pane id>``. The toolbar and the next-bar panel follow the controller only while
    its pane is the active one (``is_active``)."""

    KEY = "chart"

    chart_shown = Signal(object)  # ChartData, after the chart (and, if active, the panel)
    chart_failed = Signal(str)  # the user message shown

    def __init__(self, window: MainWindow, runner: TaskRunner, service: ChartDataService, *,
                 demo: bool, intervals_for: IntervalsFor, pool: PoolName = "cpu",
                 pane: ChartPane | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.runner = runner
        self.service = service
        self.demo = demo
        self.intervals_for = intervals_for
        self.pool: PoolName = pool
        self.pane = pane or window.charts.active
        self.key = self.KEY if self.pane.pane_id == 1 else f"{self.KEY}:{self.pane.pane_id}"
        self.params = DGParams()
        self.symbol = ""
        self.interval = ""
        self.current: ChartData | None = None
        runner.finished.connect(self._on_runner_finished)
        runner.failed.connect(self._on_runner_failed)

    @property
    def is_active(self) -> bool:
        return self.window.charts.active is self.pane

    def show(self, symbol: str, interval: str | None = None) -> int:
        """Start loading ``symbol`` (at ``interval``, or its first offered one); returns the
        task's generation."""
        intervals = list(self.intervals_for(symbol))
        chosen = interval if interval in intervals else default_interval(intervals)
        if interval is not None and interval not in intervals:
            self.window.show_message(f"{symbol} has no {interval} bars; showing {chosen}")
        self.symbol, self.interval = symbol, chosen
        self.pane.set_title(symbol, chosen, "loading…")
        if self.is_active:
            self.window.set_current(symbol, intervals, chosen)
        request = ChartRequest(symbol, chosen, demo=self.demo, params=self.params)
        return self.runner.submit(self.key, self.service.build, request, pool=self.pool)

    def reload(self) -> int | None:
        """Load the shown symbol again (new data or new parameters)."""
        return self.show(self.symbol, self.interval or None) if self.symbol else None

    def close(self) -> None:
        """The pane is gone: cancel its task and stop listening to the runner."""
        self.runner.cancel(self.key)
        self.runner.finished.disconnect(self._on_runner_finished)
        self.runner.failed.disconnect(self._on_runner_failed)
        self.deleteLater()

    def show_in_window(self) -> None:
        """The pane became active: the toolbar and the next-bar panel show its chart."""
        if self.symbol:
            self.window.set_current(self.symbol, list(self.intervals_for(self.symbol)),
                                    self.interval)
        if self.current is not None:
            self.window.next_bar.show_map(self._title(self.current), self.current.report_text)

    @Slot(str, int, object)
    def _on_runner_finished(self, key: str, generation: int, result: object) -> None:
        if key != self.key or generation != self.runner.generation(key):
            return  # another controller's task, or superseded since it was queued
        assert isinstance(result, ChartData)
        data = replace(result, generation=generation)
        self.current = data
        chart: ChartView = self.pane.chart  # type: ignore[assignment]
        chart.set_data(data.bars, data.result, data.zones)
        self.pane.set_title(data.symbol, self.interval, "(synthetic)" if data.synthetic else "")
        self.window.charts.set_tab_title(self.pane)
        if self.is_active:
            self.window.next_bar.show_map(self._title(data), data.report_text)
            self.window.show_message(f"{data.symbol} {self.interval}: {len(data.bars)} bars",
                                     5000)
        self.chart_shown.emit(data)

    @Slot(str, int, object)
    def _on_runner_failed(self, key: str, generation: int, exc: object) -> None:
        if key == self.key and generation == self.runner.generation(key):
            assert isinstance(exc, BaseException)
            self._on_failed(exc)

    def _on_failed(self, exc: BaseException) -> None:
        """The one place this view speaks to the user about a failed chart."""
        message = speak_failure(self.window, exc, f"Could not show {self.symbol}: unexpected error")
        self.pane.set_title(self.symbol, self.interval, "- failed")
        self.chart_failed.emit(message)

    @staticmethod
    def _title(data: ChartData) -> str:
        tag = "  (synthetic)" if data.synthetic else ""
        forming = "  (last bar still forming)" if not data.last_complete else ""
        return f"{data.symbol} {data.bars.timeframe or ''}: next bar{tag}{forming}"


class WatchlistController(QObject):
    """Fills the watchlist model from a ``watchlist`` task; a row click shows that symbol."""

    KEY = "watchlist"

    rows_loaded = Signal(object)  # tuple[WatchRow, ...]

    def __init__(self, window: MainWindow, runner: TaskRunner, service: ChartDataService, *,
                 demo: bool, pool: PoolName = "cpu") -> None:
        super().__init__(window)
        self.window = window
        self.runner = runner
        self.service = service
        self.demo = demo
        self.pool: PoolName = pool
        runner.finished.connect(self._on_runner_finished)
        runner.failed.connect(self._on_runner_failed)

    def load(self, codes: Sequence[str], interval: str = "1d") -> int:
        request = WatchlistRequest(tuple(codes), interval, demo=self.demo)
        return self.runner.submit(self.KEY, self.service.watchlist, request, pool=self.pool)

    @Slot(str, int, object)
    def _on_runner_finished(self, key: str, generation: int, result: object) -> None:
        if key != self.KEY:
            return
        rows = tuple(r for r in result if isinstance(r, WatchRow)) if isinstance(
            result, tuple) else ()
        selected = self.window.watchlist.table.currentIndex().row()
        self.window.watchlist_model.set_rows(rows)
        if selected >= 0:
            self.window.watchlist.table.selectRow(selected)
        self.rows_loaded.emit(rows)

    @Slot(str, int, object)
    def _on_runner_failed(self, key: str, generation: int, exc: object) -> None:
        if key == self.KEY:
            assert isinstance(exc, BaseException)
            self._on_failed(exc)

    def _on_failed(self, exc: BaseException) -> None:
        """The one place the watchlist speaks to the user."""
        speak_failure(self.window, exc, "The watchlist could not be loaded")
