"""Chart drawings on the price pane: where a ``(time, price)`` anchor sits on the bar-index x
axis (``TimeMap``), what each drawing kind draws there (``geometry``), and the item that paints
it (``DrawingItem``).

Anchors are times, not bar indices, so a drawing survives interval changes: bar ``i`` sits at
``x = i`` at its ``ts``; a time inside a bar's span lands between ``i`` and ``i + 1`` in
proportion; left of the first bar and right of the last (the future slot) time runs at the
median bar duration. The geometry is recomputed only when the data or the visible x-range
changes (rays and levels reach the view's edges); ``paint`` replays it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from drummond_desktop.app.chart.crosshair import price_digits

if TYPE_CHECKING:  # the store package pulls in SQLAlchemy: not at start-up
    from drummond_desktop.store.drawings import DrawingRecord

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Point = tuple[float, float]

DEFAULT_STEP = 86_400.0  # bar duration assumed for a single bar
DEFAULT_COLOR = "#2962ff"
FILL_ALPHA = 40
HANDLE_PX = 7.0
INSIDE_PX = 5.0  # a zone's inside is this close: lines and edges near the mouse win over it
LABEL_PAD_PX = 4.0
Z_VALUE = 50  # above candles and the DG layer


class TimeMap:
    """Bar index <-> UTC epoch seconds for one series of bar times (see the module docstring)."""

    def __init__(self, ts: npt.ArrayLike) -> None:
        self.ts: F64 = np.asarray(ts, dtype=np.float64)
        step = float(np.median(np.diff(self.ts))) if self.ts.size > 1 else DEFAULT_STEP
        self.step = step if step > 0 else DEFAULT_STEP

    def __len__(self) -> int:
        return int(self.ts.size)

    def x_of(self, times: npt.ArrayLike) -> F64:
        """The x (fractional bar index) of each time; NaN without bars."""
        t = np.atleast_1d(np.asarray(times, dtype=np.float64))
        ts, n = self.ts, self.ts.size
        x = np.full(t.shape, np.nan)
        if n == 0:
            return x
        i = np.searchsorted(ts, t, side="right") - 1
        left, right = i < 0, i >= n - 1
        mid = ~left & ~right
        x[left] = (t[left] - ts[0]) / self.step
        x[right] = (n - 1) + (t[right] - ts[-1]) / self.step
        im = i[mid]
        x[mid] = im + (t[mid] - ts[im]) / (ts[im + 1] - ts[im])
        return x

    def t_of(self, xs: npt.ArrayLike) -> I64:
        """The time (whole seconds) at each x; the inverse of ``x_of``."""
        x = np.atleast_1d(np.asarray(xs, dtype=np.float64))
        ts, n = self.ts, self.ts.size
        if n == 0:
            raise ValueError("no bars: times cannot be placed on the chart")
        t = np.empty(x.shape)
        left, right = x < 0, x >= n - 1
        mid = ~left & ~right
        t[left] = ts[0] + x[left] * self.step
        t[right] = ts[-1] + (x[right] - (n - 1)) * self.step
        i = np.floor(x[mid]).astype(np.int64)
        t[mid] = ts[i] + (x[mid] - i) * (ts[i + 1] - ts[i])
        out: I64 = np.rint(t).astype(np.int64)
        return out


@dataclass(frozen=True)
class Geometry:
    """What one drawing draws, in view coordinates (x = bar index, y = price)."""

    points: tuple[Point, ...]  # the anchors (selection handles)
    line: tuple[float, float, float, float] | None = None
    rect: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1; x0<=x1, y0<=y1
    label: str = ""
    label_at: Point | None = None
    label_left: bool = False  # the label ends at label_at (levels: inside the right edge)


def format_duration(seconds: int) -> str:
    """``"8 d 3 h"``, ``"3 h 20 m"``, ``"45 m"``, ``"30 s"`` (negative with a leading minus)."""
    sign, s = ("-" if seconds < 0 else ""), abs(int(seconds))
    d, rest = divmod(s, 86_400)
    h, rest = divmod(rest, 3_600)
    m, sec = divmod(rest, 60)
    if d:
        text = f"{d} d {h} h"
    elif h:
        text = f"{h} h {m} m"
    elif m:
        text = f"{m} m"
    else:
        text = f"{sec} s"
    return sign + text


def measure_label(a: tuple[int, float], b: tuple[int, float], bars: int) -> str:
    """``"Δ 12.34  +5.6 %  42 bars  8 d 3 h"`` from anchor ``a`` to anchor ``b``."""
    (t1, p1), (t2, p2) = a, b
    dp = p2 - p1
    digits = price_digits(max(abs(p1), abs(p2)))
    pct = f"{dp / p1 * 100:+.1f} %" if p1 else "— %"
    return f"Δ {dp:.{digits}f}  {pct}  {bars} bars  {format_duration(t2 - t1)}"


def _ray_end(x1: float, y1: float, x2: float, y2: float, view_x: tuple[float, float]
             ) -> tuple[float, float]:
    """Where the ray from (x1, y1) through (x2, y2) leaves the view (or (x2, y2) itself)."""
    dx = x2 - x1
    if dx == 0:
        return x2, y2
    edge = max(view_x[1], x2) if dx > 0 else min(view_x[0], x2)
    return edge, y1 + (edge - x1) * (y2 - y1) / dx


def geometry(record: DrawingRecord, tmap: TimeMap, view_x: tuple[float, float]) -> Geometry:
    """The geometry of ``record`` on bars ``tmap`` with the view showing x in ``view_x``."""
    xs = tmap.x_of([t for t, _ in record.anchors])
    pts = tuple((float(x), p) for x, (_, p) in zip(xs, record.anchors, strict=True))
    (x1, y1), kind = pts[0], record.kind
    if kind == "level":
        label = f"{y1:.{price_digits(y1)}f}" + (f"  {record.text}" if record.text else "")
        return Geometry(pts, (view_x[0], y1, view_x[1], y1), None, label, (view_x[1], y1), True)
    if kind == "text":
        return Geometry(pts, None, None, record.text, pts[0])
    x2, y2 = pts[1]
    if kind == "rect":
        box = (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
        return Geometry(pts, None, box, record.text, (box[0], box[3]) if record.text else None)
    if kind == "ray":
        xe, ye = _ray_end(x1, y1, x2, y2, view_x)
        return Geometry(pts, (x1, y1, xe, ye), None, record.text, pts[1])
    if kind == "measure":
        a, b = record.anchors
        label = measure_label(a, b, round(x2 - x1))
        return Geometry(pts, (x1, y1, x2, y2), None, label, pts[1])
    return Geometry(pts, (x1, y1, x2, y2), None, record.text, pts[1] if record.text else None)


def _colour(value: Any, fallback: str) -> QtGui.QColor:
    colour = QtGui.QColor(value) if isinstance(value, str) else QtGui.QColor()
    return colour if colour.isValid() else QtGui.QColor(fallback)


def _segment_distance(p: QtCore.QPointF, a: QtCore.QPointF, b: QtCore.QPointF) -> float:
    dx, dy = b.x() - a.x(), b.y() - a.y()
    length2 = dx * dx + dy * dy
    u = 0.0 if length2 == 0 else ((p.x() - a.x()) * dx + (p.y() - a.y()) * dy) / length2
    u = min(max(u, 0.0), 1.0)
    return math.hypot(p.x() - (a.x() + u * dx), p.y() - (a.y() + u * dy))


def _rect_distance(p: QtCore.QPointF, r: QtCore.QRectF) -> float:
    dx = max(r.left() - p.x(), 0.0, p.x() - r.right())
    dy = max(r.top() - p.y(), 0.0, p.y() - r.bottom())
    return math.hypot(dx, dy)


class DrawingItem(pg.GraphicsObject):  # type: ignore[misc]
    """One drawing. ``set_geometry`` caches pens, shapes and the label's size; ``paint`` only
    draws them (the label and handles in device pixels, so they keep their size)."""

    def __init__(self, record: DrawingRecord) -> None:
        super().__init__()
        self.setZValue(Z_VALUE)
        self.record = record
        self.geom = Geometry(())
        self.selected = False
        self._font = QtGui.QFont()
        self._font.setPointSizeF(9.0)
        self._label_size = (0.0, 0.0)
        self._bounds = QtCore.QRectF()
        self._pen = pg.mkPen(DEFAULT_COLOR)
        self._brush = QtGui.QBrush()
        self._colour = QtGui.QColor(DEFAULT_COLOR)

    def set_geometry(self, record: DrawingRecord, geom: Geometry, selected: bool) -> None:
        self.prepareGeometryChange()
        self.record, self.geom, self.selected = record, geom, selected
        self._colour = _colour(record.style.get("color"), DEFAULT_COLOR)
        width = record.style.get("width", 1.5)
        width = float(width) if not isinstance(width, str) else 1.5
        self._pen = pg.mkPen(self._colour, width=width + (1.0 if selected else 0.0))
        fill = QtGui.QColor(self._colour)
        fill.setAlpha(FILL_ALPHA)
        self._brush = QtGui.QBrush(_colour(record.style.get("fill"), fill.name(
            QtGui.QColor.NameFormat.HexArgb)))
        rect = QtGui.QFontMetricsF(self._font).boundingRect(geom.label) if geom.label else None
        self._label_size = (rect.width(), rect.height()) if rect is not None else (0.0, 0.0)
        self._bounds = self._data_bounds()
        self.update()

    def _data_bounds(self) -> QtCore.QRectF:
        g = self.geom
        xs = [x for x, _ in g.points]
        ys = [y for _, y in g.points]
        if g.line is not None:
            xs += [g.line[0], g.line[2]]
            ys += [g.line[1], g.line[3]]
        if g.rect is not None:
            xs += [g.rect[0], g.rect[2]]
            ys += [g.rect[1], g.rect[3]]
        finite = [(x, y) for x, y in zip(xs, ys, strict=True)
                  if math.isfinite(x) and math.isfinite(y)]
        if not finite:
            return QtCore.QRectF()
        x0, x1 = min(x for x, _ in finite), max(x for x, _ in finite)
        y0, y1 = min(y for _, y in finite), max(y for _, y in finite)
        return QtCore.QRectF(x0, y0, x1 - x0, y1 - y0)

    # -- QGraphicsItem ------------------------------------------------------------------------
    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802
        if self._bounds.isNull() and not self.geom.points:
            return QtCore.QRectF()
        px, py = self.pixelWidth() or 0.0, self.pixelHeight() or 0.0
        w, h = self._label_size
        pad_x = (HANDLE_PX + w + 2 * LABEL_PAD_PX) * px
        pad_y = (HANDLE_PX + h + 2 * LABEL_PAD_PX) * py
        return self._bounds.adjusted(-pad_x, -pad_y, pad_x, pad_y)

    def paint(self, p: QtGui.QPainter, *_: Any) -> None:
        g = self.geom
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        p.setPen(self._pen)
        if g.rect is not None:
            p.setBrush(self._brush)
            x0, y0, x1, y1 = g.rect
            p.drawRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        if g.line is not None:
            p.drawLine(QtCore.QLineF(*g.line))
        if not (self.selected or g.label):
            return
        t = p.transform()
        p.save()
        p.resetTransform()
        if self.selected:
            half = HANDLE_PX / 2
            for x, y in g.points:
                d = t.map(QtCore.QPointF(x, y))
                p.fillRect(QtCore.QRectF(d.x() - half, d.y() - half, HANDLE_PX, HANDLE_PX),
                           self._colour)
        if g.label and g.label_at is not None:
            view = self.viewRect()
            inside = t.mapRect(view) if view is not None else None
            box = self.label_box(t.map(QtCore.QPointF(*g.label_at)), inside)
            p.fillRect(box, QtGui.QColor(0, 0, 0, 110))
            p.setFont(self._font)
            p.setPen(QtGui.QPen(self._colour.lighter(150)))
            p.drawText(box, int(QtCore.Qt.AlignmentFlag.AlignCenter), g.label)
        p.restore()

    def label_box(self, at: QtCore.QPointF, inside: QtCore.QRectF | None = None
                  ) -> QtCore.QRectF:
        """The label's box in device (or scene) pixels for the label point mapped to ``at``,
        shifted into ``inside`` (the visible pane) when it would stick out."""
        w, h = self._label_size
        w, h = w + 2 * LABEL_PAD_PX, h + LABEL_PAD_PX
        x = at.x() - w - LABEL_PAD_PX if self.geom.label_left else at.x() + LABEL_PAD_PX
        box = QtCore.QRectF(x, at.y() - h - LABEL_PAD_PX, w, h)
        if inside is not None:
            box.moveRight(min(box.right(), inside.right() - 1))
            box.moveLeft(max(box.left(), inside.left() + 1))
            box.moveTop(max(box.top(), inside.top() + 1))
        return box

    # -- hit testing --------------------------------------------------------------------------
    def distance_px(self, scene_pt: QtCore.QPointF) -> float:
        """Pixels from ``scene_pt`` to what this item draws (0 inside a zone or a label)."""
        vb = self.getViewBox()
        g = self.geom
        if vb is None or not self.isVisible() or not g.points:
            return math.inf

        def scene(x: float, y: float) -> QtCore.QPointF:
            return vb.mapViewToScene(QtCore.QPointF(x, y))  # type: ignore[no-any-return]

        best = min(math.hypot(scene_pt.x() - s.x(), scene_pt.y() - s.y())
                   for s in (scene(x, y) for x, y in g.points))
        if g.line is not None:
            best = min(best, _segment_distance(scene_pt, scene(*g.line[:2]), scene(*g.line[2:])))
        if g.rect is not None:
            box = QtCore.QRectF(scene(g.rect[0], g.rect[1]),
                                scene(g.rect[2], g.rect[3])).normalized()
            edges = min(abs(scene_pt.x() - box.left()), abs(scene_pt.x() - box.right()),
                        abs(scene_pt.y() - box.top()), abs(scene_pt.y() - box.bottom()))
            inside = box.contains(scene_pt)
            best = min(best, min(edges, INSIDE_PX) if inside else _rect_distance(scene_pt, box))
        if g.label and g.label_at is not None:
            box = self.label_box(scene(*g.label_at), vb.sceneBoundingRect())
            best = min(best, _rect_distance(scene_pt, box))
        return best
