"""``SymbolSearchDialog``: type part of a code or name, pick a symbol, press Enter.

The dialog only shows: typing is debounced (``DEBOUNCE_MS`` after the last key) into
``query_changed``, and ``SearchController`` runs the search and hands back the results with
``set_results``. Up/Down move through the results; Enter or a double-click emits
``symbol_chosen`` with the ticker as the chart loads it (``AAPL.US``) and closes the dialog.
Enter pressed before the results of the text as typed arrived searches at once and chooses the
best result when it comes; a ``CODE.EXCHANGE`` that nothing matched is taken as typed. EODHD
trouble is shown under the table; the local results stay.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from drummond_desktop.app.models.rows import RowsModel
from drummond_desktop.services.symbol_search import SearchResult, SearchResults

DEBOUNCE_MS = 250
COLUMNS = ("Code", "Exchange", "Name", "Type", "Source")

Index = QModelIndex | QPersistentModelIndex


class SearchResultsModel(RowsModel[SearchResult]):
    """The results of the latest search, one row each, in rank order."""

    COLUMNS = COLUMNS

    def __init__(self, parent: Any = None) -> None:
        super().__init__((), parent)

    def cell(self, row: SearchResult, col: int) -> str:
        return (row.code, row.exchange, row.name, row.type, row.source)[col]

    def extra(self, row: SearchResult, col: int, role: int) -> Any:
        return row.ticker if role == Qt.ItemDataRole.ToolTipRole else None

    def result(self, row: int) -> SearchResult:
        return self._rows[row]


class SymbolSearchDialog(QDialog):
    """A line edit over a results table; see the module docstring."""

    query_changed = Signal(str)  # the text, once typing paused (or Enter forced it)
    symbol_chosen = Signal(str)  # the ticker, e.g. "AAPL.US"

    def __init__(self, parent: QWidget | None = None, *, demo: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle("Find a symbol")
        self.resize(640, 420)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText("Code or name, e.g. AAPL or Apple" if not demo
                                     else "Demo symbol code or name, e.g. SYN01")
        self.edit.setClearButtonEnabled(True)
        self.model = SearchResultsModel(self)
        self.table = self._make_table()
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.edit)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._shown_query: str | None = None  # the query the table's rows answer
        self._choose_when_ready = False
        self.edit.textEdited.connect(self._on_edit_text_edited)
        self.edit.returnPressed.connect(self._on_edit_return_pressed)
        self.table.doubleClicked.connect(self._on_table_double_clicked)

    def _make_table(self) -> QTableView:
        table = QTableView(self)
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing stays in the line edit
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        return table

    # ------------------------------------------------------------------------------ own API

    def query(self) -> str:
        return self.edit.text().strip()

    def start(self, text: str = "") -> None:
        """Show ``text`` and search for it now (an empty text lists the local symbols)."""
        self.edit.setText(text)
        self.edit.setFocus()
        self._search_now()

    def set_results(self, results: SearchResults) -> None:
        """Show ``results``; choose the best one if Enter is waiting for this query."""
        self.model.set_rows(results.results)
        self._shown_query = results.query
        if len(results):
            self.table.selectRow(0)
        self.status.setText(_status_text(results))
        if self._choose_when_ready and results.query == self.query():
            self._choose_when_ready = False
            self._choose(0 if len(results) else -1)

    def show_error(self, message: str) -> None:
        """A failed search (the local store could not be read, for instance)."""
        self._choose_when_ready = False
        self.status.setText(message)

    def current_row(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else (0 if self.model.rowCount() else -1)

    # ---------------------------------------------------------------------------- handlers

    @Slot(str)
    def _on_edit_text_edited(self, _text: str) -> None:
        self._choose_when_ready = False
        self._timer.start()  # restarts: the search waits for a pause in the typing

    @Slot()
    def _on_timer_timeout(self) -> None:
        self._search_now()

    @Slot()
    def _on_edit_return_pressed(self) -> None:
        if self._timer.isActive() or self._shown_query != self.query():
            self._choose_when_ready = True  # the rows answer an older text: search, then pick
            self._search_now()
            return
        self._choose(self.current_row())

    @Slot(QModelIndex)
    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        self._choose(index.row())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1}.get(Qt.Key(event.key()))
        if step is None or not self.model.rowCount():
            super().keyPressEvent(event)
            return
        row = min(max(self.current_row() + step, 0), self.model.rowCount() - 1)
        self.table.selectRow(row)

    def _search_now(self) -> None:
        self._timer.stop()
        self.status.setText("Searching…")
        self.query_changed.emit(self.query())

    def _choose(self, row: int) -> None:
        if row >= 0:
            ticker = self.model.result(row).ticker
        elif _looks_like_ticker(self.query()):  # e.g. a symbol to sync that no search knows
            ticker = self.query().upper()
        else:
            self.status.setText(f"No symbol matches {self.query()!r}.")
            return
        self.symbol_chosen.emit(ticker)
        self.accept()


def _looks_like_ticker(text: str) -> bool:
    """``CODE.EXCHANGE`` with no spaces (``BRK-B.US``, ``EURUSD.FOREX``)."""
    code, dot, exchange = text.rpartition(".")
    return bool(dot and code and exchange.isalnum() and " " not in text)


def _status_text(results: SearchResults) -> str:
    count = f"{len(results)} symbol{'s' if len(results) != 1 else ''}"
    if results.remote_error:
        return f"{count} in the local store. EODHD search failed: {results.remote_error}"
    return f"{count} (local store and EODHD)" if results.remote_asked else count
