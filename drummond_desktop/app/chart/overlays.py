"""The Drummond Geometry layer drawn along the bars: PLdot, envelope, 1-1 levels, congestion.

Projected series have N+1 elements; element N is drawn in the future slot x = N right of the last
bar. Every item paints only the visible slice; zoomed out, series become per-column min/max lines.
The items of the future slot (lines, zones) and the markers live in ``projection`` and ``markers``
and are re-exported here.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from drummond_desktop.app.chart.base import (
    F64,
    ChartItem,
    DrawList,
    Range,
    Span,
    nan_range,
    peak_points,
    series_columns,
)
from drummond_desktop.app.chart.markers import PatternMarkersItem, StateStripItem
from drummond_desktop.app.chart.projection import LinesItem, ZonesItem
from drummond_desktop.app.chart.style import DARK, ChartStyle, opaque_over, qcolor
from engine.drummond.result import DGResult, State

__all__ = ["CongestionItem", "EnvelopeItem", "LinesItem", "OneOneItem", "PLdotItem",
           "PatternMarkersItem", "StateStripItem", "ZonesItem"]

TICK = 0.35  # half-width of a 1-1 tick, in bars
DOT_PX = 4.0
_CONGESTION = np.array([State.CONG_ENTRANCE, State.CONG_ACTION], dtype=np.int8)


class _SeriesItem(ChartItem):
    """Items over N+1 slots (projected series) built from one ``DGResult``."""

    def __init__(self, style: ChartStyle = DARK) -> None:
        super().__init__()
        self.n_slots = 0
        self.set_style(style)

    def set_style(self, style: ChartStyle) -> None:
        self.chart_style = style
        self.invalidate()

    def _bounds_for(self, *arrays: F64) -> None:
        self._set_bounds((-0.5, self.n_slots - 0.5) if self.n_slots else None, nan_range(*arrays))

    def _values(self, i: int, **arrays: F64) -> dict[str, float]:
        return {k: float(a[i]) for k, a in arrays.items() if 0 <= i < a.shape[0]}

    def _y_of(self, i0: int, i1: int, *arrays: F64) -> Range | None:
        i0, i1 = max(i0, 0), min(i1, self.n_slots)
        if i1 <= i0:
            return None
        ranges = [r for a in arrays if (r := self.lod.range(a, a, i0, i1)) is not None]
        return (min(r[0] for r in ranges), max(r[1] for r in ranges)) if ranges else None


class PLdotItem(_SeriesItem):
    """PLdot dots on every bar and the projected dot at x = N; an optional line through them."""

    def __init__(self, style: ChartStyle = DARK, *, show_line: bool = False) -> None:
        self.pldot: F64 = np.empty(0)
        self.show_line = show_line
        super().__init__(style)

    def set_style(self, style: ChartStyle) -> None:
        self._dot_pen = pg.mkPen(qcolor(style.pldot), width=DOT_PX)
        self._dot_pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
        self._line_pen = pg.mkPen(qcolor(style.pldot, 160), width=1)
        self._next_pen = pg.mkPen(qcolor(style.pldot_projected), width=DOT_PX + 3)
        self._next_pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
        super().set_style(style)

    def set_data(self, result: DGResult) -> None:
        self.pldot, self.n_slots = result.pldot, len(result) + 1
        self._bounds_for(self.pldot)

    def set_line_visible(self, on: bool) -> None:
        self.show_line = on
        self.invalidate()

    def y_range(self, i0: int, i1: int) -> Range | None:
        return self._y_of(i0, i1, self.pldot)

    def info(self, i: int) -> dict[str, float]:
        return self._values(i, pldot=self.pldot)

    def draw(self, d: DrawList) -> None:
        span = self.last_span = self.visible_span(self.n_slots)
        if span is None:
            return
        if self.show_line or span.aggregated:
            d.polyline(self._line_pen, *peak_points(self.pldot, span, self.lod))
        if not span.aggregated:
            x, y, _ = series_columns(self.pldot, span, self.lod)
            ok = np.isfinite(y) & (x < self.n_slots - 1)
            d.points(self._dot_pen, x[ok], y[ok])
        last = self.n_slots - 1
        if span.i0 <= last < span.i1 and np.isfinite(self.pldot[last]):
            at = np.array([float(last)]), np.array([float(self.pldot[last])])
            d.points(self._next_pen, *at)
            d.points(self._dot_pen, *at)


class EnvelopeItem(_SeriesItem):
    """The band between ETop and EBot (incl. the projected band at x = N), filled and edged."""

    def __init__(self, style: ChartStyle = DARK) -> None:
        self.etop: F64 = np.empty(0)
        self.ebot: F64 = np.empty(0)
        super().__init__(style)

    def set_style(self, style: ChartStyle) -> None:
        self._pen = pg.mkPen(qcolor(style.envelope), width=1)
        # the band is the lowest item (only the grid is under it): an opaque equivalent of the
        # translucent fill gives the same pixels ~10x cheaper
        self._brush = pg.mkBrush(opaque_over(style.envelope_fill, style.background))
        super().set_style(style)

    def set_data(self, result: DGResult) -> None:
        self.etop, self.ebot, self.n_slots = result.etop, result.ebot, len(result) + 1
        self._bounds_for(self.etop, self.ebot)

    def y_range(self, i0: int, i1: int) -> Range | None:
        return self._y_of(i0, i1, self.etop, self.ebot)

    def info(self, i: int) -> dict[str, float]:
        return self._values(i, etop=self.etop, ebot=self.ebot)

    def band(self, span: Span) -> tuple[F64, F64, F64]:
        """``(x, top, bottom)`` as drawn over the span (finite points only)."""
        x, _, top = series_columns(self.etop, span, self.lod)
        _, bot, _ = series_columns(self.ebot, span, self.lod)
        ok = np.isfinite(top) & np.isfinite(bot)
        return x[ok], top[ok], bot[ok]

    def draw(self, d: DrawList) -> None:
        span = self.last_span = self.visible_span(self.n_slots)
        if span is None:
            return
        x, top, bot = self.band(span)
        if x.size < 1:
            return
        if x.size == 1:  # a lone slot: widen it so it shows
            x, top, bot = np.array([x[0] - 0.4, x[0] + 0.4]), np.repeat(top, 2), np.repeat(bot, 2)
        if span.aggregated:
            self._fill_columns(d, x, top, bot)
        else:
            poly = pg.arrayToQPath(np.concatenate([x, x[::-1]]),
                                   np.concatenate([top, bot[::-1]]))
            poly.closeSubpath()
            brush = self._brush
            d.call(lambda p: p.fillPath(poly, brush))
        d.polyline(self._pen, x, top)
        d.polyline(self._pen, x, bot)

    def _fill_columns(self, d: DrawList, x: F64, top: F64, bot: F64) -> None:
        """Zoomed out, fill the band as one rect per pixel column (one ``drawRects``): a filled
        polygon of thousands of vertices costs ~10x more to raster."""
        half = 0.5 * max(self.pixelWidth() or 0.0, float(np.median(np.diff(x))) if x.size > 1
                         else 0.0)
        d.rects(None, self._brush, x - half, top, 2 * half, bot - top)


class OneOneItem(_SeriesItem):
    """1-1 high and low levels as short ticks on each bar (lines when zoomed out, hidden when
    bars are narrower than ``min_bar_px``)."""

    min_bar_px = 1.5

    def __init__(self, style: ChartStyle = DARK) -> None:
        self.high: F64 = np.empty(0)
        self.low: F64 = np.empty(0)
        super().__init__(style)

    def set_style(self, style: ChartStyle) -> None:
        self._pen = pg.mkPen(qcolor(style.one_one), width=2)
        super().set_style(style)

    def set_data(self, result: DGResult) -> None:
        self.high, self.low = result.one_one_high, result.one_one_low
        self.n_slots = len(result) + 1
        self._bounds_for(self.high, self.low)

    def y_range(self, i0: int, i1: int) -> Range | None:
        return self._y_of(i0, i1, self.high, self.low)

    def info(self, i: int) -> dict[str, float]:
        return self._values(i, one_one_high=self.high, one_one_low=self.low)

    def draw(self, d: DrawList) -> None:
        span = self.last_span = self.visible_span(self.n_slots)
        if span is None:
            return
        if span.aggregated:
            d.polyline(self._pen, *peak_points(self.high, span, self.lod))
            d.polyline(self._pen, *peak_points(self.low, span, self.lod))
            return
        x = np.arange(span.i0, span.i1, dtype=np.float64)
        ys = np.concatenate([self.high[span.i0:span.i1], self.low[span.i0:span.i1]])
        xs = np.concatenate([x, x])
        ok = np.isfinite(ys)
        d.lines(self._pen, xs[ok] - TICK, ys[ok], xs[ok] + TICK, ys[ok])


class CongestionItem(_SeriesItem):
    """The dotted line and the block level while in congestion (carried into x = N while the
    last bar is still in congestion)."""

    def __init__(self, style: ChartStyle = DARK) -> None:
        self.dotted: F64 = np.empty(0)
        self.block: F64 = np.empty(0)
        super().__init__(style)

    def set_style(self, style: ChartStyle) -> None:
        self._dotted_pen = pg.mkPen(qcolor(style.congestion_dotted), width=2,
                                    style=QtCore.Qt.PenStyle.DotLine)
        self._block_pen = pg.mkPen(qcolor(style.congestion_block), width=2)
        # zoomed out (a zig-zag over thousands of columns) the lines are 1 px: Qt rasters 1 px
        # cosmetic lines on its fast path, wider ones through the stroker (~3x the cost)
        self._thin_pens = (pg.mkPen(qcolor(style.congestion_block), width=1),
                           pg.mkPen(qcolor(style.congestion_dotted), width=1,
                                    style=QtCore.Qt.PenStyle.DotLine))
        super().set_style(style)

    def set_data(self, result: DGResult) -> None:
        n = len(result)
        active = n > 0 and bool(np.isin(result.state[-1], _CONGESTION))
        tail = [result.dotted[-1], result.block[-1]] if active else [np.nan, np.nan]
        self.dotted = np.append(result.dotted, tail[0])
        self.block = np.append(result.block, tail[1])
        self.n_slots = n + 1
        self._bounds_for(self.dotted, self.block)

    def y_range(self, i0: int, i1: int) -> Range | None:
        return self._y_of(i0, i1, self.dotted, self.block)

    def info(self, i: int) -> dict[str, float]:
        return self._values(i, dotted=self.dotted, block=self.block)

    def draw(self, d: DrawList) -> None:
        span = self.last_span = self.visible_span(self.n_slots)
        if span is None:
            return
        pens = self._thin_pens if span.aggregated else (self._block_pen, self._dotted_pen)
        for values, pen in zip((self.block, self.dotted), pens, strict=True):
            if span.aggregated:
                d.polyline(pen, *peak_points(values, span, self.lod))
                continue
            x = np.arange(span.i0, span.i1, dtype=np.float64)
            y = values[span.i0:span.i1]
            ok = np.isfinite(y)
            d.lines(pen, x[ok] - 0.5, y[ok], x[ok] + 0.5, y[ok])
