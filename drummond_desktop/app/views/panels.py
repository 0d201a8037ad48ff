"""The panels around the chart: watchlist, next-bar map, jobs and log, and the demo banner.

Panels are passive: they expose signals for what the user did and ``show_*`` / ``set_*``
methods the controllers call; they never start work themselves.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from drummond_desktop.app.models.watchlist import WatchlistModel

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
    """The watchlist table; ``symbol_activated`` when the user picks a row."""

    symbol_activated = Signal(str)

    def __init__(self, model: WatchlistModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.table = QTableView()
        self.table.setModel(model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.clicked.connect(self._on_table_clicked)
        self.table.activated.connect(self._on_table_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)

    def select(self, code: str) -> None:
        """Highlight ``code`` without emitting ``symbol_activated``."""
        row = self.model.row_of(code)
        if row >= 0:
            self.table.selectRow(row)

    @Slot(QModelIndex)
    def _on_table_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.symbol_activated.emit(self.model.code_at(index.row()))


class NextBarPanel(QWidget):
    """The DG map for the next bar, as the same text the CLI prints, with a Copy button."""

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
        layout.addWidget(self.text)

    def show_map(self, title: str, text: str) -> None:
        self.title.setText(title)
        self.text.setPlainText(text)

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
