"""Bulk QPainter primitives in device pixels, and ``DrawList``: one item's drawing for one view,
kept and replayed while the view is unchanged."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from pyqtgraph.Qt import internals
from PySide6 import QtCore, QtGui

F64 = npt.NDArray[np.float64]


def polyline_segments(x: F64, y: F64) -> tuple[F64, F64, F64, F64]:
    """The segments ``(x1, y1, x2, y2)`` joining consecutive finite vertices (NaN breaks)."""
    if x.size < 2:
        e = np.empty(0)
        return e, e, e, e
    fin = np.isfinite(y)
    ok = fin[:-1] & fin[1:]
    return x[:-1][ok], y[:-1][ok], x[1:][ok], y[1:][ok]



class Bulk:
    """A reusable numpy-backed array of QLineF/QRectF/QPointF drawn with one QPainter call."""

    _FIELDS: ClassVar[dict[type, int]] = {QtCore.QLineF: 4, QtCore.QRectF: 4, QtCore.QPointF: 2}
    DEVICE: ClassVar[bool] = True

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

    def lines(self, p: QtGui.QPainter, x: F64, y: F64) -> None:
        """Draw the polyline through ``(x, y)`` as one ``drawLines`` (QLineF arrays only)."""
        self.fill(*polyline_segments(x, y))
        self.draw(p)

    def device_ok(self, t: QtGui.QTransform, pen: QtGui.QPen | None) -> bool:
        """Whether the geometry may be mapped to device pixels here: a scale + translate
        transform and a cosmetic pen (or none). Qt strokes and fills thousands of transformed
        primitives (wide or dashed pens, rects) ~5-20x slower than the same pixels
        untransformed."""
        return (self.DEVICE and not t.isIdentity()
                and t.type().value <= QtGui.QTransform.TransformationType.TxScale.value
                and (pen is None or pen.isCosmetic()
                     or pen.style() == QtCore.Qt.PenStyle.NoPen))

    def to_device(self, t: QtGui.QTransform) -> None:
        """Map the filled geometry through ``t`` (scale + translate) in place."""
        mem = self._arr.ndarray()
        sx, sy, dx, dy = t.m11(), t.m22(), t.dx(), t.dy()
        if self._klass is QtCore.QLineF:
            mem *= (sx, sy, sx, sy)
            mem += (dx, dy, dx, dy)
        elif self._klass is QtCore.QRectF:
            mem *= (sx, sy, sx, sy)
            mem[:, 0] += dx
            mem[:, 1] += dy
            for a, b in ((0, 2), (1, 3)):  # normalise (a flipped y axis gives h < 0)
                neg = mem[:, b] < 0
                if neg.any():
                    mem[neg, a] += mem[neg, b]
                    mem[neg, b] *= -1
        else:
            mem *= (sx, sy)
            mem += (dx, dy)

    def __len__(self) -> int:
        return len(self._arr)

    def draw_as_is(self, p: QtGui.QPainter) -> None:
        """One QPainter call with the geometry as it is (no mapping)."""
        if len(self._arr) == 0:
            return
        args = self._arr.drawargs()
        if self._klass is QtCore.QLineF:
            p.drawLines(*args)
        elif self._klass is QtCore.QRectF:
            p.drawRects(*args)
        else:
            p.drawPoints(*args)

    def draw(self, p: QtGui.QPainter) -> None:
        """One QPainter call, in device pixels when ``device_ok`` (see there)."""
        if len(self._arr) == 0:
            return
        t = p.transform()
        pen = p.pen()
        device = self.device_ok(t, pen)
        if device:
            self.to_device(t)
            p.save()
            p.resetTransform()
        self.draw_as_is(p)
        if device:
            p.restore()


_NO_PEN = QtGui.QPen(QtCore.Qt.PenStyle.NoPen)
_NO_BRUSH = QtGui.QBrush(QtCore.Qt.BrushStyle.NoBrush)


class DrawList:
    """What an item draws for one view, kept in device pixels and replayed while the view, the
    data and the style stay the same: an unchanged view (a repaint, a static frame) costs the
    raster only, with no slicing, aggregation or mapping. ``call`` records drawing that is not
    bulk geometry (a dot, a label); it runs at every replay, under the item's transform."""

    def __init__(self, key: tuple[Any, ...], transform: QtGui.QTransform) -> None:
        self.key = key
        self.transform = QtGui.QTransform(transform)
        self.ops: list[tuple[QtGui.QPen, QtGui.QBrush, Bulk | None, bool, Any]] = []

    def _bulk(self, klass: type, pen: QtGui.QPen | None, brush: QtGui.QBrush | None,
              cols: tuple[npt.ArrayLike, ...]) -> None:
        bulk = Bulk(klass)
        if bulk.fill(*cols) == 0:
            return
        device = bulk.device_ok(self.transform, pen)
        if device:
            bulk.to_device(self.transform)
        self.ops.append((pen or _NO_PEN, brush or _NO_BRUSH, bulk, device, None))

    def lines(self, pen: QtGui.QPen, x1: npt.ArrayLike, y1: npt.ArrayLike, x2: npt.ArrayLike,
              y2: npt.ArrayLike) -> None:
        self._bulk(QtCore.QLineF, pen, None, (x1, y1, x2, y2))

    def polyline(self, pen: QtGui.QPen, x: F64, y: F64) -> None:
        """The polyline through ``(x, y)`` (NaNs break it) as one ``drawLines``."""
        self._bulk(QtCore.QLineF, pen, None, polyline_segments(x, y))

    def rects(self, pen: QtGui.QPen | None, brush: QtGui.QBrush, x: npt.ArrayLike,
              y: npt.ArrayLike, w: npt.ArrayLike, h: npt.ArrayLike) -> None:
        self._bulk(QtCore.QRectF, pen, brush, (x, y, w, h))

    def points(self, pen: QtGui.QPen, x: npt.ArrayLike, y: npt.ArrayLike) -> None:
        self._bulk(QtCore.QPointF, pen, None, (x, y))

    def call(self, fn: Any) -> None:
        """``fn(painter)`` at every replay, under the item's transform."""
        self.ops.append((_NO_PEN, _NO_BRUSH, None, False, fn))

    def replay(self, p: QtGui.QPainter) -> None:
        t = p.transform()
        at_device = False
        for pen, brush, bulk, device, fn in self.ops:
            if device != at_device:
                p.setTransform(QtGui.QTransform() if device else t)
                at_device = device
            if fn is not None:
                fn(p)
                continue
            p.setPen(pen)
            p.setBrush(brush)
            assert bulk is not None
            bulk.draw_as_is(p)
        if at_device:
            p.setTransform(t)
