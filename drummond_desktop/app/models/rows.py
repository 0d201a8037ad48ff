"""``RowsModel``: a read-only table of frozen row values under fixed column titles.

The watchlist and the symbol-search results are both "a tuple of plain values, one per row";
subclasses say what each cell shows (``cell``) and may add colours or tooltips (``extra``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex
R = TypeVar("R")


class RowsModel(QAbstractTableModel, Generic[R]):
    """Rows of ``R``; ``COLUMNS`` are the header titles."""

    COLUMNS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, rows: Sequence[R] = (), parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[R] = list(rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(row, index.column())
        return self.extra(row, index.column(), role)

    def set_rows(self, rows: Sequence[R]) -> None:
        """Replace every row."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def cell(self, row: R, col: int) -> str:
        raise NotImplementedError

    def extra(self, row: R, col: int, role: int) -> Any:
        """Any role but the display text (colour, alignment, tooltip); None by default."""
        return None
