"""The panels around the chart: watchlist, next-bar map, jobs and log, and the demo banner.

Panels are passive: they expose signals for what the user did and ``show_*`` / ``set_*``
methods the controllers call; they never start work themselves.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from drummond_desktop.app.models.watchlist import WatchlistModel
from drummond_desktop.app.views.mtf_panel import ConfluencePanel

_LOG_LINES = 2_000


def _fixed_font_editor() -> QPlainTextEdit:
    editor = QPlainTextEdit()
    editor.setReadOnly(True)
    editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    return editor


class DemoBanner(QLabel):
    """A bright strip that says the data on screen is synthetic."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setObjectName("demoBanner")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet("QLabel#demoBanner { background: #ffb300; color: #1a1a1a; "
                           "font-weight: bold; padding: 4px; }")


class WatchlistPanel(QWidget):
    """The watchlists: a list selector, edit actions and the chosen list's table.

    ``symbol_activated`` when the user picks a row; ``list_chosen(index)`` when they switch
    lists; the edit actions (``new_list_action``…) are triggered here and handled by the
    ``WatchlistsController``; Delete removes the selected row (``remove_requested``) and
    Ctrl+Up / Ctrl+Down move it (``move_requested(code, -1 | +1)``)."""

    symbol_activated = Signal(str)
    list_chosen = Signal(int)
    remove_requested = Signal(str)
    move_requested = Signal(str, int)

    def __init__(self, model: WatchlistModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.list_box = QComboBox()
        self.list_box.setObjectName("watchlistBox")
        self.list_box.activated.connect(self.list_chosen)
        self.edit_button = QToolButton()
        self.edit_button.setText("Edit")
        self.edit_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.edit_button)
        self.add_symbol_action = menu.addAction("Add symbol…")
        self.add_current_action = menu.addAction("Add the chart's symbol")
        self.remove_action = menu.addAction("Remove selected")
        self.move_up_action = menu.addAction("Move up")
        self.move_up_action.setShortcut("Ctrl+Up")
        self.move_down_action = menu.addAction("Move down")
        self.move_down_action.setShortcut("Ctrl+Down")
        menu.addSeparator()
        self.new_list_action = menu.addAction("New list…")
        self.rename_list_action = menu.addAction("Rename list…")
        self.delete_list_action = menu.addAction("Delete list")
        self.edit_button.setMenu(menu)
        self.remove_action.triggered.connect(self._on_remove_triggered)
        self.move_up_action.triggered.connect(lambda: self._on_move(-1))
        self.move_down_action.triggered.connect(lambda: self._on_move(1))
        self.table = self._make_table(model)
        top = QHBoxLayout()
        top.setContentsMargins(2, 2, 2, 2)
        top.addWidget(self.list_box, 1)
        top.addWidget(self.edit_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.table)

    def _make_table(self, model: WatchlistModel) -> QTableView:
        table = QTableView()
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(22)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        table.clicked.connect(self._on_table_clicked)
        table.activated.connect(self._on_table_clicked)
        table.installEventFilter(self)
        return table

    def set_lists(self, names: list[str], current: int) -> None:
        """Offer ``names`` in the selector with ``current`` chosen (no signal)."""
        self.list_box.blockSignals(True)
        self.list_box.clear()
        self.list_box.addItems(names)
        self.list_box.setCurrentIndex(current)
        self.list_box.blockSignals(False)
        self.delete_list_action.setEnabled(len(names) > 1)

    def select(self, code: str) -> None:
        """Highlight ``code`` without emitting ``symbol_activated``."""
        row = self.model.row_of(code)
        if row >= 0:
            self.table.selectRow(row)

    def selected_code(self) -> str:
        row = self.table.currentIndex().row()
        return self.model.code_at(row) if 0 <= row < self.model.rowCount() else ""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self.table and event.type() == QEvent.Type.KeyPress \
                and isinstance(event, QKeyEvent):
            key, ctrl = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            if key == Qt.Key.Key_Delete:
                self._on_remove_triggered()
                return True
            if ctrl and key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                self._on_move(-1 if key == Qt.Key.Key_Up else 1)
                return True
        return super().eventFilter(obj, event)

    def _on_move(self, delta: int) -> None:
        code = self.selected_code()
        if code:
            self.move_requested.emit(code, delta)

    @Slot()
    def _on_remove_triggered(self) -> None:
        code = self.selected_code()
        if code:
            self.remove_requested.emit(code)

    @Slot(QModelIndex)
    def _on_table_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.symbol_activated.emit(self.model.code_at(index.row()))


class NextBarPanel(QWidget):
    """The DG map for the next bar, as the same text the CLI prints, with a Copy button; in the
    three-timeframe workspace also the confluence list and coordination flags (``confluence``).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("No chart yet")
        self.title.setStyleSheet("font-weight: bold;")
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the next-bar map as text")
        self.copy_button.clicked.connect(self.copy_text)
        self.text = _fixed_font_editor()
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.text, 3)
        self.confluence = ConfluencePanel()
        self.confluence.setVisible(False)
        layout.addWidget(self.confluence, 2)

    def show_map(self, title: str, text: str) -> None:
        self.title.setText(title)
        self.text.setPlainText(text)

    def show_confluence(self, visible: bool) -> None:
        """Show or hide the confluence list (the controller fills ``confluence``)."""
        self.confluence.setVisible(visible)

    @Slot()
    def copy_text(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())


class JobsPanel(QWidget):
    """Background tasks and messages, newest last (bounded)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log = _fixed_font_editor()
        self.log.setMaximumBlockCount(_LOG_LINES)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.log)

    def add(self, message: str) -> None:
        self.log.appendPlainText(f"{time.strftime('%H:%M:%S')}  {message}")

    def lines(self) -> list[str]:
        return self.log.toPlainText().splitlines()
