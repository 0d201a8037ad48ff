"""Shared machinery of the chart items: the visible span, the shared level of detail, and the
item contract: ``set_data``/``set_style`` invalidate; ``paint`` replays the item's ``DrawList``
while the view is unchanged, else ``draw`` records anew from the visible bars only.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from drummond_desktop.app.chart.bulk import Bulk, DrawList, polyline_segments
from engine.lod import MinMaxPyramid, ohlc_columns

__all__ = ["Bulk", "ChartItem", "DrawList", "LodCache", "Span", "nan_range", "paint_failed",
           "peak_points", "polyline_segments", "series_columns", "span_of"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Range = tuple[float, float]
MinMaxColumns = tuple[F64, npt.NDArray[np.int64], F64, F64]  # x, first_index, low, high


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


class LodCache:
    """The shared level of detail of one chart: a min/max pyramid per drawn series (built on first
    use, kept until ``clear``) and the per-column lows/highs of the current span (recomputed when
    the span changes). ``ChartWidget`` owns one for all its items and clears it in ``set_data``;
    an item on its own has a private one. Arrays are keyed by identity (set_data replaces them)."""

    MAX_PYRAMIDS = 32
    MAX_SPANS = 4  # candles (N slots) and the DG series (N + 1 slots) differ by one bar

    def __init__(self) -> None:
        self._pyramids: dict[tuple[int, int], tuple[F64, F64, MinMaxPyramid]] = {}
        self._frames: dict[Span, dict[tuple[int, int], tuple[F64, F64, MinMaxColumns]]] = {}
        self.computed = 0  # column aggregations done (tests: sharing means one per series)

    def clear(self) -> None:
        self._pyramids.clear()
        self._frames.clear()

    def _pyramid(self, low: F64, high: F64) -> MinMaxPyramid:
        key = (id(low), id(high))
        hit = self._pyramids.get(key)
        if hit is not None and hit[0] is low and hit[1] is high:
            return hit[2]
        if len(self._pyramids) >= self.MAX_PYRAMIDS:
            self._pyramids.clear()
        pyr = MinMaxPyramid(low, high)
        self._pyramids[key] = (low, high, pyr)
        return pyr

    def range(self, low: F64, high: F64, i0: int, i1: int) -> Range | None:
        """NaN-skipping (min low, max high) of bars ``i0..i1-1`` through the pyramid: O(visible /
        block) instead of O(visible), so the y-fit of a zoomed-out pan is not a full scan."""
        lo, hi = self._pyramid(low, high).range(i0, i1)
        return (lo, hi) if lo <= hi else None

    def minmax(self, low: F64, high: F64, span: Span) -> MinMaxColumns:
        """``(x, first_index, low, high)`` per pixel column of the span (x = column centre); the
        same values as ``engine.lod.ohlc_columns`` on those bars, computed once per span."""
        frame = self._frames.get(span)
        if frame is None:
            while len(self._frames) >= self.MAX_SPANS:
                del self._frames[next(iter(self._frames))]  # the oldest span
            frame = self._frames[span] = {}
        key = (id(low), id(high))
        hit = frame.get(key)
        if hit is not None and hit[0] is low and hit[1] is high:
            return hit[2]
        first, lo, hi = self._pyramid(low, high).columns(span.i0, span.i1, span.ncols)
        last = np.empty_like(first)
        last[:-1] = first[1:] - 1
        if last.size:
            last[-1] = span.i1 - 1
        x: F64 = (first + last).astype(np.float64) * 0.5
        frame[key] = (low, high, (x, first, lo, hi))  # the refs keep the ids unique
        self.computed += 1
        return x, first, lo, hi


def series_columns(y: F64, span: Span, lod: LodCache | None = None) -> tuple[F64, F64, F64]:
    """``(x, lo, hi)`` of ``y`` over the span: one point per bar, or per-column min/max (through
    ``lod`` when given, else ``engine.lod.ohlc_columns``)."""
    if not span.aggregated:
        x = np.arange(span.i0, span.i1, dtype=np.float64)
        ys = y[span.i0:span.i1]
        return x, ys, ys
    if lod is not None:
        xl, _, lo, hi = lod.minmax(y, y, span)
        return xl, lo, hi
    cols = ohlc_columns((y, y, y, y), span.i0, span.i1, span.ncols)
    xc: F64 = (cols.first_index + cols.last_index).astype(np.float64) * 0.5
    return xc, cols.low, cols.high


def peak_points(y: F64, span: Span, lod: LodCache | None = None) -> tuple[F64, F64]:
    """The polyline vertices of ``y`` over the span; aggregated, it zig-zags each column's min
    and max, so spikes survive (pyqtgraph's 'peak' downsampling)."""
    x, lo, hi = series_columns(y, span, lod)
    if not span.aggregated:
        return x, lo
    xs = np.repeat(x, 2)
    ys = np.empty(xs.size)
    ys[0::2], ys[1::2] = lo, hi
    return xs, ys


def peak_path(y: F64, span: Span) -> QtGui.QPainterPath:
    """``peak_points`` as a QPainterPath (NaNs break the line)."""
    x, ys = peak_points(y, span)
    return cast(QtGui.QPainterPath, pg.arrayToQPath(x, ys, connect="finite"))


def paint_failed(item: object, p: QtGui.QPainter, t: QtGui.QTransform) -> None:
    """An exception must not leave ``paint()``: PySide 6.11 crashes the process while reporting
    it. Log it (once per item class, with the traceback), restore the painter and draw nothing;
    the rest of the chart still paints."""
    name = type(item).__name__
    if name not in _PAINT_FAILED:
        _PAINT_FAILED.add(name)
        log.exception("chart item %s failed to paint; it is left blank", name)
    p.setTransform(t)


_PAINT_FAILED: set[str] = set()
log = logging.getLogger(__name__)


class ChartItem(pg.GraphicsObject):  # type: ignore[misc]
    """Base of every chart item: cached data bounds, pen padding, visible span, y_range."""

    pad_px = 2.0
    min_bar_px = 0.0  # detail items skip painting when bars are narrower than this (never candles)

    def __init__(self) -> None:
        super().__init__()
        self._xb: Range | None = None
        self._yb: Range | None = None
        self.last_span: Span | None = None
        self.lod = LodCache()  # ChartWidget replaces it with the chart's shared one
        self._drawn: DrawList | None = None
        self._br: QtCore.QRectF | None = None

    # -- the item contract --------------------------------------------------------------------
    def _set_bounds(self, xb: Range | None, yb: Range | None) -> None:
        """Call from ``set_data``: new bounds, geometry change, repaint."""
        self.prepareGeometryChange()
        self._xb, self._yb = xb, yb
        self._br = None
        self.informViewBoundsChanged()
        self.invalidate()

    def invalidate(self) -> None:
        """Data, style or an option changed: draw anew at the next paint."""
        self._drawn = None
        self.update()

    def paint(self, p: QtGui.QPainter, *args: Any) -> None:
        """Replay the cached ``DrawList`` while the view is the same; else ``draw`` anew."""
        t = p.transform()
        try:
            vb = self.getViewBox()
            size = (vb.width(), vb.height()) if vb is not None else (0.0, 0.0)
            key = (t.m11(), t.m12(), t.m21(), t.m22(), t.dx(), t.dy(), *size, Bulk.DEVICE)
            drawn = self._drawn
            if drawn is None or drawn.key != key:
                drawn = self._drawn = DrawList(key, t)
                self.draw(drawn)
            drawn.replay(p)
        except Exception:  # noqa: BLE001 (must not escape paint(); see paint_failed)
            paint_failed(self, p, t)

    def draw(self, d: DrawList) -> None:
        """Record what the current view shows into ``d`` (subclasses)."""

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph hook)
        super().viewTransformChanged()
        self._br = None  # the pixel padding of the bounding rect follows the scale

    def dataBounds(self, ax: int, frac: float = 1.0,  # noqa: N802 (pyqtgraph API)
                   orthoRange: Any = None) -> Range | None:
        return self._xb if ax == 0 else self._yb

    def pixelPadding(self) -> float:  # noqa: N802
        return self.pad_px

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802
        """The data bounds padded by ``pad_px`` pixels; cached until the bounds or the view's
        scale change (Qt asks many times per frame; ``pixelWidth`` is slow Python)."""
        if self._br is not None:
            return self._br
        if self._xb is None or self._yb is None:
            return QtCore.QRectF()
        px, py = self.pixelWidth() or 0.0, self.pixelHeight() or 0.0
        (x0, x1), (y0, y1) = self._xb, self._yb
        pad = self.pad_px
        br = QtCore.QRectF(x0 - pad * px, y0 - pad * py,
                           x1 - x0 + 2 * pad * px, y1 - y0 + 2 * pad * py)
        if px and py:
            self._br = br
        return br

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
