"""``GridItem``: the pane's grid as one light item (replaces pyqtgraph's ``showGrid``).

pyqtgraph draws the grid inside each ``AxisItem``'s cached QPicture, which is re-recorded on
every range change and replayed on every frame (~4-5 ms per axis). This item instead draws one
fill of whole-pixel 1-px rects per tick level at the axes' own tick positions
(``AxisItem.tickValues``), behind the data, and no cached picture.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from drummond_desktop.app.chart.base import DrawList, paint_failed
from drummond_desktop.app.chart.style import opaque_over

GRID_Z = -1000.0
MINOR_FACTOR = 0.5  # minor tick levels are drawn at half the major alpha


class GridItem(pg.GraphicsObject):  # type: ignore[misc]
    """Vertical lines at ``x_axis``'s ticks and horizontal lines at ``y_axis``'s ticks (either may
    be None), over the whole view; never part of the data bounds (add with ignoreBounds)."""

    def __init__(self, x_axis: pg.AxisItem | None, y_axis: pg.AxisItem | None) -> None:
        super().__init__()
        self.x_axis, self.y_axis = x_axis, y_axis
        self._brushes: list[QtGui.QBrush] = []
        self.last_ticks: tuple[list[float], list[float]] = ([], [])
        self._drawn: DrawList | None = None
        self._version = 0
        self.setZValue(GRID_Z)
        self.setFlag(self.GraphicsItemFlag.ItemIgnoresParentOpacity, False)
        self.set_color(QtGui.QColor(255, 255, 255), 0.3)

    def set_color(self, color: QtGui.QColor, alpha: float,
                  background: QtGui.QColor | None = None) -> None:
        """Grid colour and opacity (0..1) of the major lines. With ``background`` the lines are
        drawn in the opaque colour of that blend: the grid lies on the bare background, and Qt
        fills 1-px opaque columns ~10x faster than translucent ones."""
        self._brushes = []
        for level_alpha in (alpha, alpha * MINOR_FACTOR):
            a = max(0.0, min(1.0, level_alpha))
            if background is None:
                c = QtGui.QColor(color)
                c.setAlphaF(a)
            else:
                c = opaque_over((color.red(), color.green(), color.blue(), round(a * 255)),
                                (background.red(), background.green(), background.blue(), 255))
            self._brushes.append(QtGui.QBrush(c))
        self._version += 1
        self.update()

    def dataBounds(self, ax: int, frac: float = 1.0,  # noqa: N802 (pyqtgraph API)
                   orthoRange: Any = None) -> None:
        return None

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802
        vr = self.viewRect()
        return QtCore.QRectF() if vr is None else vr

    def viewRangeChanged(self) -> None:  # noqa: N802 (pyqtgraph hook)
        self.prepareGeometryChange()
        self.update()

    @staticmethod
    def _levels(axis: pg.AxisItem | None, lo: float, hi: float,
                size: float) -> list[list[float]]:
        if axis is None or hi <= lo or size <= 0:
            return []
        levels = axis.tickValues(lo, hi, size)
        return [[v for v in vals if lo <= v <= hi] for _, vals in levels[:2]]

    def ticks(self) -> tuple[list[list[float]], list[list[float]]]:
        """The x and y tick values per level (major first) for the current view."""
        vr, vb = self.viewRect(), self.getViewBox()
        if vr is None or vb is None:
            return [], []
        return (self._levels(self.x_axis, vr.left(), vr.right(), vb.width()),
                self._levels(self.y_axis, vr.top(), vr.bottom(), vb.height()))

    def paint(self, p: QtGui.QPainter, *args: Any) -> None:
        vr, vb = self.viewRect(), self.getViewBox()
        if vr is None or vb is None:
            return
        t = p.transform()
        key = (vr.left(), vr.right(), vr.top(), vr.bottom(), vb.width(), vb.height(),
               t.m11(), t.m22(), t.dx(), t.dy(), self._version)
        try:
            if self._drawn is None or self._drawn.key != key:  # ticks change with the view only
                self._drawn = self._draw(key, t, vr)
            self._drawn.replay(p)
        except Exception:  # noqa: BLE001 (must not escape paint(); see paint_failed)
            paint_failed(self, p, t)

    def _draw(self, key: tuple[float, ...], t: QtGui.QTransform, vr: QtCore.QRectF) -> DrawList:
        xs, ys = self.ticks()
        self.last_ticks = ([v for lvl in xs for v in lvl], [v for lvl in ys for v in lvl])
        d = DrawList(key, t)
        for level, brush in enumerate(self._brushes):  # 1-px lines as whole-pixel rects
            if level < len(xs) and xs[level]:
                d.vlines(brush, np.asarray(xs[level], dtype=np.float64), vr.top(), vr.bottom())
            if level < len(ys) and ys[level]:
                y = np.asarray(ys[level], dtype=np.float64)
                d.hlines(brush, np.full(y.size, vr.left()), np.full(y.size, vr.right()), y)
        return d
