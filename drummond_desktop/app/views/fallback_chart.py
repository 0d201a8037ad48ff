"""A plain close-line chart used only while ``app.chart.chart_widget.ChartWidget`` is missing.

It has the ``ChartWidget`` interface (``set_data``, ``toggle``, ``grab_png``) so the window and
its controllers are written once against that interface.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from engine.bars import Bars
from engine.drummond import DGResult, Zone


class FallbackChart(QWidget):
    """Closes and the PLdot against the bar index; zones as shaded bands right of the last bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self._close = self.plot.plot(pen=pg.mkPen("#90caf9", width=1))
        self._pldot = self.plot.plot(pen=None, symbol="o", symbolSize=3,
                                     symbolBrush="#ffca28", symbolPen=None)
        self._zones: list[Any] = []
        self.elements = {"pldot": True, "zones": True}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

    def set_data(self, bars: Bars, result: DGResult, zones: Sequence[Zone]) -> None:
        n = len(bars)
        x = np.arange(n, dtype=np.float64)
        self._close.setData(x, np.asarray(bars.close, dtype=np.float64))
        pl = np.asarray(result.pldot[:n + 1], dtype=np.float64)
        self._pldot.setData(np.arange(pl.size, dtype=np.float64), pl, connect="finite")
        for item in self._zones:
            self.plot.removeItem(item)
        self._zones = [self._zone_item(z, n) for z in zones]
        self._pldot.setVisible(self.elements["pldot"])
        shown = max(n - 150, 0)
        self.plot.setXRange(shown, n + 6, padding=0)
        lo = float(np.nanmin(bars.low[shown:])) if n else 0.0
        hi = float(np.nanmax(bars.high[shown:])) if n else 1.0
        self.plot.setYRange(lo, hi, padding=0.05)

    def _zone_item(self, zone: Zone, n: int) -> Any:
        colour = {"R": (239, 83, 80), "S": (38, 166, 154)}.get(zone.kind, (255, 202, 40))
        alpha = min(40 + 30 * zone.strength, 200)
        top = max(zone.hi, zone.lo + abs(zone.lo) * 0.0015)  # a single level still shows
        item = pg.QtWidgets.QGraphicsRectItem(n, zone.lo, 5, top - zone.lo)
        item.setBrush(pg.mkBrush(*colour, alpha))
        item.setPen(pg.mkPen(None))
        item.setVisible(self.elements["zones"])
        self.plot.addItem(item)
        return item

    def toggle(self, element: str, on: bool) -> None:
        self.elements[element] = on
        if element == "pldot":
            self._pldot.setVisible(on)
        elif element == "zones":
            for item in self._zones:
                item.setVisible(on)

    def grab_png(self, path: str | Path) -> bool:
        return bool(self.grab().save(str(path), "PNG"))
