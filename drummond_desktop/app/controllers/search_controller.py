"""``SearchController``: the symbol search dialog's queries -> ``symbol-search`` tasks on the I/O
pool (latest wins: a newer query cancels the older one) -> the dialog's results table.

Wiring (in the workspace)::

    search = SearchController(runner, search_service, demo=demo, parent=window)
    search.symbol_chosen.connect(window.symbol_chosen)   # the chart loads the ticker
    action.triggered.connect(lambda: search.open(window))

A failed search (the store could not be read) shows its user message in the dialog; a bug goes
to the error dialog, as everywhere else.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QWidget

from drummond_desktop.app.controllers.chart_controller import report_unexpected
from drummond_desktop.app.views.symbol_search import SymbolSearchDialog
from drummond_desktop.app.workers import PoolName, TaskRunner
from drummond_desktop.core.errors import AppError
from drummond_desktop.services.symbol_search import (
    SearchRequest,
    SearchResults,
    SymbolSearchService,
)


class SearchController(QObject):
    """Owns one ``SymbolSearchDialog`` at a time and runs its searches on ``runner``."""

    KEY = "symbol-search"

    symbol_chosen = Signal(str)  # the ticker the user picked, e.g. "AAPL.US"

    def __init__(self, runner: TaskRunner, service: SymbolSearchService, *, demo: bool,
                 parent: QObject | None = None, pool: PoolName = "io") -> None:
        super().__init__(parent)
        self.runner = runner
        self.service = service
        self.demo = demo
        self.pool: PoolName = pool
        self.dialog: SymbolSearchDialog | None = None
        runner.finished.connect(self._on_runner_finished)
        runner.failed.connect(self._on_runner_failed)

    def open(self, parent: QWidget | None = None, text: str = "") -> SymbolSearchDialog:
        """Show the dialog (window-modal, not blocking) searching for ``text`` at once."""
        if self.dialog is None:
            dialog = SymbolSearchDialog(parent, demo=self.demo)
            dialog.query_changed.connect(self.search)
            dialog.symbol_chosen.connect(self.symbol_chosen)
            dialog.finished.connect(self._on_dialog_finished)
            self.dialog = dialog
        self.dialog.open()
        self.dialog.start(text)
        return self.dialog

    @Slot(str)
    def search(self, query: str) -> int:
        """Start searching for ``query``; returns the task's generation."""
        request = SearchRequest(query, demo=self.demo)
        return self.runner.submit(self.KEY, self.service.search, request, pool=self.pool)

    @Slot(int)
    def _on_dialog_finished(self, _result: int) -> None:
        self.runner.cancel(self.KEY)  # a search still running has no one to show it to

    @Slot(str, int, object)
    def _on_runner_finished(self, key: str, generation: int, result: object) -> None:
        if key != self.KEY or generation != self.runner.generation(key) or self.dialog is None:
            return
        assert isinstance(result, SearchResults)
        self.dialog.set_results(result)

    @Slot(str, int, object)
    def _on_runner_failed(self, key: str, generation: int, exc: object) -> None:
        if key == self.KEY and generation == self.runner.generation(key):
            assert isinstance(exc, BaseException)
            self._on_failed(exc)

    def _on_failed(self, exc: BaseException) -> None:
        """The one place the search speaks to the user about a failure."""
        message = exc.user_message if isinstance(exc, AppError) else (
            f"The search failed unexpectedly ({type(exc).__name__})")
        if self.dialog is not None:
            self.dialog.show_error(message)
        if not isinstance(exc, AppError):
            report_unexpected(exc)
