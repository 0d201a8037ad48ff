"""``WatchlistModel``: the watchlist's rows (code, last close, change, DG state) for a view.

The rows are plain ``WatchRow`` values computed by ``ChartDataService.watchlist`` on a worker;
the model only formats them. Until they arrive each code shows with empty cells.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from drummond_desktop.app.models.rows import RowsModel
from drummond_desktop.services.chart_data import WatchRow
from drummond_desktop.services.report import price_decimals

COLUMNS = ("Symbol", "Last", "Change", "Change %", "DG state")
_UP = QColor("#26a69a")
_DOWN = QColor("#ef5350")
_ERROR = QColor("#ff9800")


def _num(value: float, decimals: int, sign: bool = False) -> str:
    if not math.isfinite(value):
        return ""
    return f"{value:+.{decimals}f}" if sign else f"{value:.{decimals}f}"


def _decimals(price: float) -> int:
    """Two decimals for ordinary prices, more below 1."""
    return price_decimals(price) if math.isfinite(price) and abs(price) < 1 else 2


class WatchlistModel(RowsModel[WatchRow]):
    """One row per symbol, in the order given."""

    COLUMNS = COLUMNS

    def __init__(self, codes: Sequence[str] = (), parent: Any = None) -> None:
        super().__init__([WatchRow(c) for c in codes], parent)

    def cell(self, row: WatchRow, col: int) -> str:
        return self._text(row, col)

    def extra(self, row: WatchRow, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._colour(row, col)
        if role == Qt.ItemDataRole.ToolTipRole and row.error:
            return row.error
        if role == Qt.ItemDataRole.TextAlignmentRole and 1 <= col <= 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # ----------------------------------------------------------------------------- own API

    def codes(self) -> list[str]:
        return [r.code for r in self._rows]

    def code_at(self, row: int) -> str:
        return self._rows[row].code

    def row_of(self, code: str) -> int:
        """The row of ``code``, or -1."""
        return next((i for i, r in enumerate(self._rows) if r.code == code), -1)

    def row(self, index: int) -> WatchRow:
        return self._rows[index]

    def set_codes(self, codes: Sequence[str]) -> None:
        """Show ``codes`` in this order; rows already loaded keep their numbers."""
        known = {r.code: r for r in self._rows}
        self.beginResetModel()
        self._rows = [known.get(c, WatchRow(c)) for c in codes]
        self.endResetModel()

    # ----------------------------------------------------------------------------- helpers

    @staticmethod
    def _text(row: WatchRow, col: int) -> str:
        if col == 0:
            return row.code
        if row.error:
            return "error" if col == 4 else ""
        decimals = _decimals(row.last_close)
        if col == 1:
            return _num(row.last_close, decimals)
        if col == 2:
            return _num(row.change, decimals, sign=True)
        if col == 3:
            return _num(row.change_pct, 2, sign=True)
        return row.state

    @staticmethod
    def _colour(row: WatchRow, col: int) -> QColor | None:
        if row.error and col == 4:
            return _ERROR
        if col in (2, 3) and math.isfinite(row.change) and row.change != 0:
            return _UP if row.change > 0 else _DOWN
        return None
