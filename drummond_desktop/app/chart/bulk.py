"""Bulk QPainter primitives in device pixels, and ``DrawList``: one item's drawing for one view,
kept and replayed while the view is unchanged.

Why the pixel-snapped kinds (``pixel_rects``, ``vlines``, ``hlines``, ``dashes``, ``sprites``):
Qt's raster engine fills whole-pixel ``QRect``s with no pen on its fast path, and blits a
pre-rendered glyph per point with ``drawPixmapFragments``. Measured on this machine (1600x900
ARGB32): 1,500 short vertical 1-px lines cost 0.57 ms as ``drawLines`` and 0.18 ms as integer
rects, 100 full-height ones 0.96 and 0.41 ms; 200 round 4-px dots 0.81 ms as ``drawPoints`` and
0.03 ms as sprites.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
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

    _FIELDS: ClassVar[dict[type, int]] = {QtCore.QLineF: 4, QtCore.QRectF: 4, QtCore.QPointF: 2,
                                          QtCore.QRect: 2, QtGui.QPainter.PixmapFragment: 10}
    # pyqtgraph's PrimitiveArray stores float64 fields; a QRect is four int32 (x1, y1, x2, y2),
    # i.e. two float64 slots viewed as int32
    DEVICE: ClassVar[bool] = True

    def __init__(self, klass: type, pixmap: QtGui.QPixmap | None = None) -> None:
        self._klass = klass
        self._arr = internals.PrimitiveArray(klass, self._FIELDS[klass])
        self.pixmap = pixmap  # the sprite of a PixmapFragment array

    def fill(self, *cols: npt.ArrayLike) -> int:
        """Set the columns (x1, y1, x2, y2 for lines; x, y, w, h for rects; x, y for points)."""
        arrs = [np.asarray(c, dtype=np.float64) for c in cols]
        n = int(max(a.size for a in arrs))  # size-1 columns broadcast
        self._arr.resize(n)
        mem = self._arr.ndarray()
        if self._klass is QtCore.QRect:
            mem = mem.view(np.int32)
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
        elif self._klass is QtCore.QRectF or self._klass is QtCore.QRect:
            p.drawRects(*args)
        elif self.pixmap is not None:
            p.drawPixmapFragments(*args, self.pixmap)  # type: ignore[call-arg]  # (ptr, n) form
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
_NO_PEN_STYLE = QtCore.Qt.PenStyle.NoPen
_TX_SCALE = QtGui.QTransform.TransformationType.TxScale.value
_NO_BRUSH = QtGui.QBrush(QtCore.Qt.BrushStyle.NoBrush)


def cosmetic(brush: QtGui.QBrush, px: float = 1.0,
             style: QtCore.Qt.PenStyle = QtCore.Qt.PenStyle.SolidLine) -> QtGui.QPen:
    """A cosmetic pen of ``px`` device pixels in ``brush``'s colour: the transformed fallback of
    the pixel-snapped strokes when a transform cannot be snapped."""
    pen = QtGui.QPen(brush, px, style)
    pen.setCosmetic(True)
    return pen


class DrawList:
    """What an item draws for one view, kept in device pixels and replayed while the view, the
    data and the style stay the same: an unchanged view (a repaint, a static frame) costs the
    raster only, with no slicing, aggregation or mapping. ``call`` records drawing that is not
    bulk geometry (a dot, a label); it runs at every replay, under the item's transform."""

    def __init__(self, key: tuple[Any, ...], transform: QtGui.QTransform) -> None:
        self.key = key
        self.transform = QtGui.QTransform(transform)
        self.ops: list[tuple[QtGui.QPen, QtGui.QBrush, Bulk | None, bool, Any]] = []
        # pixel snapping needs a scale + translate transform (a ViewBox always has one)
        self.snaps = Bulk.DEVICE and (transform.type().value <= _TX_SCALE)
        # the coefficients as floats, read once: each Qt getter call costs ~0.5 us of Python
        t = transform
        self._m = (t.m11(), t.m12(), t.m21(), t.m22(), t.dx(), t.dy())

    # -- geometry snapped to device pixels ----------------------------------------------------
    def to_px(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[F64, F64]:
        """Item coordinates to device pixels (float; any affine transform)."""
        m11, m12, m21, m22, dx, dy = self._m
        xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if m12 == 0.0 and m21 == 0.0:
            return xa * m11 + dx, ya * m22 + dy
        return xa * m11 + ya * m21 + dx, xa * m12 + ya * m22 + dy

    def _int_rects(self, brush: QtGui.QBrush, left: npt.ArrayLike, top: npt.ArrayLike,
                   w: npt.ArrayLike, h: npt.ArrayLike) -> None:
        cols = [np.asarray(a, dtype=np.float64) for a in (left, top, w, h)]
        if min(c.size for c in cols) == 0:
            return
        left_, top_, w_, h_ = cols
        bulk = Bulk(QtCore.QRect)  # QRect keeps (x1, y1, x2, y2) with x2 = x1 + width - 1
        bulk.fill(left_, top_, left_ + w_ - 1.0, top_ + h_ - 1.0)  # (fill broadcasts)
        self.ops.append((_NO_PEN, brush, bulk, True, None))

    def pixel_rects(self, brush: QtGui.QBrush, x: npt.ArrayLike, y: npt.ArrayLike,
                    w: npt.ArrayLike, h: npt.ArrayLike) -> None:
        """Filled rects (no outline) snapped to whole device pixels, at least 1 px each way."""
        if not self.snaps:
            self.rects(None, brush, x, y, w, h)
            return
        xa, ya = self.to_px(x, y)
        xb, yb = self.to_px(np.add(x, w), np.add(y, h))
        left, right = np.rint(np.minimum(xa, xb)), np.rint(np.maximum(xa, xb))
        top, bottom = np.rint(np.minimum(ya, yb)), np.rint(np.maximum(ya, yb))
        self._int_rects(brush, left, top, np.maximum(right - left, 1.0),
                        np.maximum(bottom - top, 1.0))

    def pixel_rects_by_code(self, brushes: list[QtGui.QBrush], code: npt.NDArray[np.int8],
                            x: npt.ArrayLike, y: npt.ArrayLike, w: npt.ArrayLike,
                            h: npt.ArrayLike) -> None:
        """``pixel_rects`` of many colours: rect ``i`` in ``brushes[code[i]]``, mapped once."""
        if not self.snaps:
            for c, brush in enumerate(brushes):
                m = code == c
                if m.any():
                    self.rects(None, brush, *(np.broadcast_to(a, m.shape)[m]
                                              for a in (x, y, w, h)))
            return
        xa, ya = self.to_px(x, y)
        xb, yb = self.to_px(np.add(x, w), np.add(y, h))
        left, top = np.rint(np.minimum(xa, xb)), np.rint(np.minimum(ya, yb))
        width = np.maximum(np.rint(np.maximum(xa, xb)) - left, 1.0)
        height = np.maximum(np.rint(np.maximum(ya, yb)) - top, 1.0)
        left, top, width, height = np.broadcast_arrays(left, top, width, height)
        for c, brush in enumerate(brushes):
            m = code == c
            if m.any():
                self._int_rects(brush, left[m], top[m], width[m], height[m])

    def vlines(self, brush: QtGui.QBrush, x: npt.ArrayLike, y0: npt.ArrayLike,
               y1: npt.ArrayLike) -> None:
        """1-px vertical lines from ``y0`` to ``y1`` (both ends included) at ``x``."""
        if not self.snaps:
            self.lines(cosmetic(brush), x, y0, x, y1)
            return
        xd, ya = self.to_px(x, y0)
        _, yb = self.to_px(x, y1)
        top = np.floor(np.minimum(ya, yb))
        self._int_rects(brush, np.floor(xd), top, np.ones(1),
                        np.floor(np.maximum(ya, yb)) - top + 1.0)

    def hlines(self, brush: QtGui.QBrush, x0: npt.ArrayLike, x1: npt.ArrayLike,
               y: npt.ArrayLike, px: float = 1.0) -> None:
        """Horizontal strokes ``px`` device pixels thick from ``x0`` to ``x1`` at ``y``."""
        if not self.snaps:
            self.lines(cosmetic(brush, px), x0, y, x1, y)
            return
        xa, yd = self.to_px(x0, y)
        xb, _ = self.to_px(x1, y)
        left = np.rint(np.minimum(xa, xb))
        width = np.maximum(np.rint(np.maximum(xa, xb)) - left, 1.0)
        self._int_rects(brush, left, np.rint(yd - px / 2.0), width, np.full(1, float(px)))

    def dashes(self, brush: QtGui.QBrush, x0: F64, x1: F64, y: F64, px: float = 1.0,
               on: float = 2.0, off: float = 2.0) -> None:
        """Dotted horizontal strokes: ``on`` px drawn, ``off`` px skipped, from each ``x0``."""
        if not self.snaps or x0.size == 0:
            self.lines(cosmetic(brush, px, QtCore.Qt.PenStyle.DotLine), x0, y, x1, y)
            return
        xa, yd = self.to_px(x0, y)
        xb, _ = self.to_px(x1, y)
        left, length = np.minimum(xa, xb), np.abs(xb - xa)
        count = np.maximum(np.ceil(length / (on + off)), 1).astype(np.int64)
        seg = np.repeat(np.arange(count.size), count)
        k = np.arange(seg.size) - np.repeat(np.cumsum(count) - count, count)
        start = left[seg] + k * (on + off)
        width = np.minimum(on, left[seg] + length[seg] - start)
        keep = width > 0
        self._int_rects(brush, np.rint(start[keep]), np.rint(yd[seg][keep] - px / 2.0),
                        np.maximum(np.rint(width[keep]), 1.0), np.full(1, float(px)))

    def column_ranges(self, brush: QtGui.QBrush, x: F64, lo: F64, hi: F64) -> None:
        """A zoomed-out series: one 1-px vertical run per pixel column from its low to its high,
        stretched to meet the previous column so the line stays connected (what a peak
        polyline draws, on the fast fill path). NaN columns break the line."""
        prev_lo = np.concatenate([[np.nan], lo[:-1]])
        prev_hi = np.concatenate([[np.nan], hi[:-1]])
        top, bot = np.fmax(hi, prev_lo), np.fmin(lo, prev_hi)
        ok = np.isfinite(lo) & np.isfinite(hi)
        self.vlines(brush, x[ok], bot[ok], top[ok])

    def _dense(self, x: F64, *ys: F64, nearest: bool = False) -> tuple[F64, list[F64]] | None:
        """Every device pixel column between the first and last ``x``, with each series of
        ``ys`` (device y) there: linearly interpolated, or (``nearest``) the value of the
        nearest point (zoomed-out column extremes stay extremes). None when too narrow."""
        if x.size < 2:
            return None
        t = self.transform  # scale + translate (callers check ``snaps``)
        xd = x * t.m11() + t.dx()
        yds = [y * t.m22() + t.dy() for y in ys]
        if xd[0] > xd[-1]:
            xd, yds = xd[::-1], [y[::-1] for y in yds]
        cols = np.arange(np.ceil(xd[0]), np.floor(xd[-1]) + 1.0)
        if cols.size == 0:
            return None
        if nearest:
            near = np.rint(np.interp(cols, xd, np.arange(xd.size, dtype=np.float64)))
            return cols, [y[near.astype(np.int64)] for y in yds]
        return cols, [np.interp(cols, xd, y) for y in yds]

    def fill_between(self, brush: QtGui.QBrush, x: F64, top: F64, bottom: F64,
                     nearest: bool = False) -> None:
        """The band between two polylines over the same ``x`` (NaNs leave gaps), filled with no
        outline, per device column (``_dense``; ``nearest`` for zoomed-out column extremes).
        Drawn as wide rects over blocks of ``FILL_BLOCK`` columns plus 1-px slivers where the
        edges move: Qt fills wide rows fast, tall 1-px columns ~60x slower per pixel, and a
        jagged polygon of thousands of vertices slower still."""
        dense = self._dense(x, top, bottom, nearest=nearest) if self.snaps else None
        if dense is None:
            self.fill_polygon(brush, np.concatenate([x, x[::-1]]),
                              np.concatenate([top, bottom[::-1]]))
            return
        cols, (y0, y1) = dense
        ok = np.isfinite(y0) & np.isfinite(y1)
        up, down = np.rint(np.minimum(y0, y1))[ok], np.rint(np.maximum(y0, y1))[ok]
        self._fill_cols(brush, cols[ok], up, np.maximum(down, up + 1.0))

    FILL_BLOCK = 8  # measured: 8 beat 4, 16 and 32 on zoomed-out and 2-4 px/bar bands

    def _fill_cols(self, brush: QtGui.QBrush, cols: F64, up: F64, down: F64) -> None:
        """Fill rows ``up``..``down`` (exclusive) of each whole device column ``cols``."""
        if cols.size == 0:
            return
        b = self.FILL_BLOCK
        blk = ((cols - cols[0]) // b).astype(np.int64)
        first = np.diff(blk, prepend=-1) != 0
        starts = np.flatnonzero(first)
        pos = np.cumsum(first) - 1  # each column's block among those present (NaN gaps)
        core_up = np.maximum.reduceat(up, starts)
        core_down = np.minimum.reduceat(down, starts)
        whole = (np.diff(np.append(starts, cols.size)) == b) & (core_down > core_up)
        # the 16 columns of a whole block are consecutive: one rect for the rows all share
        self._int_rects(brush, cols[starts][whole], core_up[whole], np.full(1, float(b)),
                        (core_down - core_up)[whole])
        in_whole = whole[pos]
        per_up = np.where(in_whole, core_up[pos], down)  # no core: the column's own rows
        per_down = np.where(in_whole, core_down[pos], down)
        top_h = per_up - up
        bot_h = down - per_down
        m = top_h > 0
        self._int_rects(brush, cols[m], up[m], np.ones(1), top_h[m])
        m = bot_h > 0
        self._int_rects(brush, cols[m], per_down[m], np.ones(1), bot_h[m])

    def thin_polyline(self, brush: QtGui.QBrush, x: F64, y: F64) -> None:
        """A 1-px polyline through ``(x, y)`` (NaNs break it) as one vertical run per device
        column from its value to the next column's: the pixels of a cosmetic line, filled."""
        dense = self._dense(x, y) if self.snaps else None
        if dense is None:
            self.polyline(cosmetic(brush), x, y)
            return
        cols, (yd,) = dense
        nxt = np.append(yd[1:], yd[-1])
        nxt = np.where(np.isfinite(nxt), nxt, yd)  # the last column before a gap
        ok = np.isfinite(yd)
        cols, yd, nxt = cols[ok], yd[ok], nxt[ok]
        lo, hi = np.floor(np.minimum(yd, nxt)), np.floor(np.maximum(yd, nxt))
        self._int_rects(brush, cols, lo, np.ones(1), hi - lo + 1.0)

    def image_row(self, argb: npt.NDArray[np.uint32], x0: float, x1: float, y0: float,
                  y1: float) -> None:
        """One row of ARGB32 pixels stretched over the rect ``x0..x1`` by ``y0..y1`` without
        smoothing: many coloured cells in one ``drawImage`` (rects of several colours would
        need one call per colour)."""
        if argb.size == 0:
            return
        row = np.ascontiguousarray(argb, dtype=np.uint32).reshape(1, -1)
        img = QtGui.QImage(row.data, row.shape[1], 1, row.shape[1] * 4,
                           QtGui.QImage.Format.Format_ARGB32)
        (xa, xb), (ya, yb) = self.to_px([x0, x1], [y0, y1])
        left, top = round(min(xa, xb)), round(min(ya, yb))
        width, height = round(max(xa, xb)) - left, round(max(ya, yb)) - top
        if width < 1 or height < 1:
            return
        # scaled once here (the QImage copy owns its pixels): a replay is a plain blit
        scaled = img.scaled(width, height, QtCore.Qt.AspectRatioMode.IgnoreAspectRatio,
                            QtCore.Qt.TransformationMode.FastTransformation).convertToFormat(
            QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        at = QtCore.QPoint(left, top)
        self.call(lambda p: p.drawImage(at, scaled), device=True)

    def sprites(self, pixmap: QtGui.QPixmap, x: npt.ArrayLike, y: npt.ArrayLike,
                source_left: npt.ArrayLike = 0.0, size: npt.ArrayLike | None = None) -> None:
        """``pixmap`` centred on each point, one ``drawPixmapFragments``. With an atlas
        (``style.sprite_atlas``), ``source_left``/``size`` pick each point's square glyph."""
        xd, yd = self.to_px(x, y)
        if xd.size == 0:
            return
        bulk = Bulk(QtGui.QPainter.PixmapFragment, pixmap)
        side = np.asarray(float(pixmap.height()) if size is None else size, dtype=np.float64)
        n = xd.size
        bulk.fill(xd, yd, source_left, (pixmap.height() - side) / 2, side, side, np.ones(n),
                  np.ones(n), np.zeros(n), np.ones(n))
        self.ops.append((_NO_PEN, _NO_BRUSH, bulk, True, None))

    def _bulk(self, klass: type, pen: QtGui.QPen | None, brush: QtGui.QBrush | None,
              cols: tuple[npt.ArrayLike, ...]) -> None:
        bulk = Bulk(klass)
        if bulk.fill(*cols) == 0:
            return
        device = self.snaps and (pen is None or pen.isCosmetic() or pen.style() == _NO_PEN_STYLE)
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

    def call(self, fn: Any, device: bool = False) -> None:
        """``fn(painter)`` at every replay, under the item's transform (``device``: in device
        pixels, identity transform)."""
        self.ops.append((_NO_PEN, _NO_BRUSH, None, device, fn))

    def fill_polygon(self, brush: QtGui.QBrush, x: F64, y: F64) -> None:
        """The closed polygon through ``(x, y)``, filled, no outline; mapped to device pixels
        once here (Qt would map the path through the transform at every replay)."""
        xd, yd = self.to_px(x, y)
        path = pg.arrayToQPath(xd, yd)
        path.closeSubpath()
        self.call(lambda p: p.fillPath(path, brush), device=True)

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
