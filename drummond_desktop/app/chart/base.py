"""Shared machinery of the chart items: the visible span, bulk QPainter primitives, and the
item contract (``set_data`` invalidates, ``paint`` only slices and aggregates the visible bars).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from pyqtgraph.Qt import internals
from PySide6 import QtCore, QtGui

from engine.lod import ohlc_columns

F64 = npt.NDArray[np.float64]
Range = tuple[float, float]


@dataclass(frozen=True)
class Span:
    """The bars ``i0..i1-1`` intersecting the view, and the pixel columns they cover."""

    i0: int
    i1: int
    ncols: int

    @property
    def count(self) -> int:
        return self.i1 - self.i0

    @property
    def aggregated(self) -> bool:
        """More bars than pixel columns: draw one aggregate per column."""
        return self.count > self.ncols


def span_of(x0: float, x1: float, width_px: float, n: int) -> Span:
    """The span for a view showing x in [x0, x1] over ``width_px`` pixels of ``n`` slots."""
    i0 = max(0, min(n, math.floor(x0)))
    i1 = max(i0, min(n, math.ceil(x1) + 1))
    frac = (i1 - i0) / max(x1 - x0, 1e-9)
    return Span(i0, i1, max(1, math.ceil(max(width_px, 1.0) * min(frac, 1.0))))


def nan_range(*arrays: F64) -> Range | None:
    """(min, max) over the finite values of ``arrays``, or None."""
    lo, hi = math.inf, -math.inf
    for a in arrays:
        if a.size:
            amin, amax = np.fmin.reduce(a), np.fmax.reduce(a)  # NaN-skipping, no warning
            if math.isfinite(amin):
                lo, hi = min(lo, float(amin)), max(hi, float(amax))
    return (lo, hi) if lo <= hi else None


def series_columns(y: F64, span: Span) -> tuple[F64, F64, F64]:
    """``(x, lo, hi)`` of ``y`` over the span: one point per bar, or per-column min/max."""
    if not span.aggregated:
        x = np.arange(span.i0, span.i1, dtype=np.float64)
        ys = y[span.i0:span.i1]
        return x, ys, ys
    cols = ohlc_columns((y, y, y, y), span.i0, span.i1, span.ncols)
    xc: F64 = (cols.first_index + cols.last_index).astype(np.float64) * 0.5
    return xc, cols.low, cols.high


def peak_path(y: F64, span: Span) -> QtGui.QPainterPath:
    """A polyline of ``y`` over the span; aggregated, it zig-zags each column's min and max, so
    spikes survive (pyqtgraph's 'peak' downsampling). NaNs break the line."""
    x, lo, hi = series_columns(y, span)
    if span.aggregated:
        x = np.repeat(x, 2)
        ys = np.empty(x.size)
        ys[0::2], ys[1::2] = lo, hi
        return cast(QtGui.QPainterPath, pg.arrayToQPath(x, ys, connect="finite"))
    return cast(QtGui.QPainterPath, pg.arrayToQPath(x, lo, connect="finite"))


class Bulk:
    """A reusable numpy-backed array of QLineF/QRectF/QPointF drawn with one QPainter call."""

    _FIELDS: ClassVar[dict[type, int]] = {QtCore.QLineF: 4, QtCore.QRectF: 4, QtCore.QPointF: 2}

    def __init__(self, klass: type) -> None:
        self._klass = klass
        self._arr = internals.PrimitiveArray(klass, self._FIELDS[klass])

    def fill(self, *cols: npt.ArrayLike) -> int:
        """Set the columns (x1, y1, x2, y2 for lines; x, y, w, h for rects; x, y for points)."""
        arrs = [np.asarray(c, dtype=np.float64) for c in cols]
        n = int(max(a.size for a in arrs))
        self._arr.resize(n)
        mem = self._arr.ndarray()
        for j, a in enumerate(arrs):
            mem[:, j] = a
        return n

    def draw(self, p: QtGui.QPainter) -> None:
        if len(self._arr) == 0:
            return
        args = self._arr.drawargs()
        if self._klass is QtCore.QLineF:
            p.drawLines(*args)
        elif self._klass is QtCore.QRectF:
            p.drawRects(*args)
        else:
            p.drawPoints(*args)


class ChartItem(pg.GraphicsObject):  # type: ignore[misc]
    """Base of every chart item: cached data bounds, pen padding, visible span, y_range."""

    pad_px = 2.0
    min_bar_px = 0.0  # detail items skip painting when bars are narrower than this (never candles)

    def __init__(self) -> None:
        super().__init__()
        self._xb: Range | None = None
        self._yb: Range | None = None
        self.last_span: Span | None = None

    # -- the item contract --------------------------------------------------------------------
    def _set_bounds(self, xb: Range | None, yb: Range | None) -> None:
        """Call from ``set_data``: new bounds, geometry change, repaint."""
        self.prepareGeometryChange()
        self._xb, self._yb = xb, yb
        self.informViewBoundsChanged()
        self.update()

    def dataBounds(self, ax: int, frac: float = 1.0,  # noqa: N802 (pyqtgraph API)
                   orthoRange: Any = None) -> Range | None:
        return self._xb if ax == 0 else self._yb

    def pixelPadding(self) -> float:  # noqa: N802
        return self.pad_px

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802
        if self._xb is None or self._yb is None:
            return QtCore.QRectF()
        px, py = self.pixelWidth() or 0.0, self.pixelHeight() or 0.0
        (x0, x1), (y0, y1) = self._xb, self._yb
        pad = self.pad_px
        return QtCore.QRectF(x0 - pad * px, y0 - pad * py,
                             x1 - x0 + 2 * pad * px, y1 - y0 + 2 * pad * py)

    def visible_span(self, n: int) -> Span | None:
        """The visible part of ``n`` x-slots and its pixel columns (None when off-view)."""
        vr = self.viewRect()
        vb = self.getViewBox()
        if vr is None or vb is None or n == 0:
            return None
        if self.min_bar_px and vr.width() * self.min_bar_px > vb.width():
            return None
        span = span_of(vr.left(), vr.right(), vb.width(), n)
        return span if span.count > 0 else None

    def y_range(self, i0: int, i1: int) -> Range | None:
        """(min, max) of what this item draws on bars ``i0..i1-1`` (for y auto-fit)."""
        return None

    def info(self, i: int) -> dict[str, float]:
        """Values of bar ``i`` for the crosshair readout."""
        return {}
