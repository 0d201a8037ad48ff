"""``ConfluencePanel``: the next-bar panel's part for the three-timeframe workspace: the zones of
the next focal bar pooled over the timeframes (price range, side, strength, timeframes, weight;
highest first) and the coordination flags of the last bar (spec §B9). Passive: the
``MTFController`` fills it."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from drummond_desktop.services.mtf_text import ConfluenceRow, Flags, price_text

COLUMNS = ("Price", "Side", "Strength", "Timeframes", "Weight")
SIDES = {"R": "resistance", "S": "support", "P": "at price"}
ROW_DATA = Qt.ItemDataRole.UserRole  # the price column keeps (lo, hi) as numbers
_COLOURS = {"R": "#ef5350", "S": "#26a69a", "P": "#ffd54f"}


class ConfluencePanel(QWidget):
    """The confluence list and the coordination flags; hidden outside the workspace."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confluencePanel")
        self.title = QLabel("Confluence")
        self.title.setStyleSheet("font-weight: bold;")
        self.flags = QLabel("")
        self.flags.setObjectName("coordinationFlags")
        self.flags.setWordWrap(True)
        self.flags.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("confluenceTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(20)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.flags)
        layout.addWidget(self.table, 1)
        self.rows: tuple[ConfluenceRow, ...] = ()

    def show_rows(self, title: str, rows: Sequence[ConfluenceRow], flags: Flags,
                  decimals: int) -> None:
        """Fill the list (rows as given: highest first) and the flags."""
        self.rows = tuple(rows)
        self.title.setText(title)
        self.flags.setText("\n".join(flags.lines()))
        self.table.setRowCount(len(self.rows))
        bold = QFont()
        bold.setBold(True)
        for r, row in enumerate(self.rows):
            cells = (price_text(row, decimals), SIDES.get(row.kind, row.kind),
                     str(row.strength), " ".join(row.timeframes), f"{row.weight:.2f}")
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(", ".join(row.sources))
                if c == 0:
                    item.setData(ROW_DATA, (row.lo, row.hi))
                if c == 1:
                    item.setForeground(QBrush(QColor(_COLOURS.get(row.kind, "#9e9e9e"))))
                if row.tf_count >= 2:  # a multi-timeframe confluence
                    item.setFont(bold)
                self.table.setItem(r, c, item)

    def cell(self, row: int, column: str) -> str:
        item = self.table.item(row, COLUMNS.index(column))
        return item.text() if item is not None else ""
