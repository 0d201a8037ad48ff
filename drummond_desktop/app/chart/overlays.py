"""The Drummond Geometry layer drawn along the bars: PLdot, envelope, 1-1 levels, congestion.

Projected series have N+1 elements; element N is drawn in the future slot x = N right of the last
bar. Every item paints only the visible slice; zoomed out, series become per-column min/max lines.
The items of the future slot (lines, zones) and the markers live in ``projection`` and ``markers``
and are re-exported here.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtGui

from drummond_desktop.app.chart.base import (
    F64,
    ChartItem,
    DrawList,
    Range,
    Span,
    nan_range,
    series_columns,
)
from drummond_desktop.app.chart.markers import PatternMarkersItem, StateStripItem
from drummond_desktop.app.chart.projection import LinesItem, ZonesItem
from drummond_desktop.app.chart.style import DARK, ChartStyle, dot_sprite, opaque_over, qcolor
from engine.drummond.result import DGResult, State

__all__ = ["CongestionItem", "EnvelopeItem", "LinesItem", "OneOneItem", "PLdotItem",
           "PatternMarkersItem", "StateStripItem", "ZonesItem"]

TICK = 0.35  # half-width of a 1-1 tick, in bars
TICK_PX = 2.0  # thickness of 1-1 ticks and congestion levels
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
        self._dot = dot_sprite(qcolor(style.pldot), DOT_PX)
        self._next_dot = dot_sprite(qcolor(style.pldot_projected), DOT_PX + 3)
        self._line_brush = QtGui.QBrush(qcolor(style.pldot, 160))
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
        if span.aggregated:
            d.column_ranges(self._line_brush, *series_columns(self.pldot, span, self.lod))
        elif self.show_line:
            d.thin_polyline(self._line_brush, *series_columns(self.pldot, span, self.lod)[:2])
        if not span.aggregated:
            x, y, _ = series_columns(self.pldot, span, self.lod)
            ok = np.isfinite(y) & (x < self.n_slots - 1)
            d.sprites(self._dot, x[ok], y[ok])
        last = self.n_slots - 1
        if span.i0 <= last < span.i1 and np.isfinite(self.pldot[last]):
            d.sprites(self._next_dot, [float(last)], [float(self.pldot[last])])
            d.sprites(self._dot, [float(last)], [float(self.pldot[last])])


class EnvelopeItem(_SeriesItem):
    """The band between ETop and EBot (incl. the projected band at x = N), filled and edged."""

    def __init__(self, style: ChartStyle = DARK) -> None:
        self.etop: F64 = np.empty(0)
        self.ebot: F64 = np.empty(0)
        super().__init__(style)

    def set_style(self, style: ChartStyle) -> None:
        # the band is the lowest item (only the grid is under it): an opaque equivalent of the
        # translucent fill gives the same pixels ~10x cheaper
        self._brush = pg.mkBrush(opaque_over(style.envelope_fill, style.background))
        self._edge_brush = QtGui.QBrush(qcolor(style.envelope))
        self._pen = pg.mkPen(qcolor(style.envelope), width=1)
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
        if x.size > 1 and (x[-1] - x[0]) / (x.size - 1) / (self.pixelWidth() or 1.0) >= 4.0:
            # wide bars (few vertices): Qt's polygon fill and cosmetic lines are the cheapest
            d.fill_polygon(self._brush, np.concatenate([x, x[::-1]]),
                           np.concatenate([top, bot[::-1]]))
            d.polyline(self._pen, x, top)
            d.polyline(self._pen, x, bot)
            return
        # narrow bars or zoomed out: a polygon this jagged costs 10-100x more to raster
        d.fill_between(self._brush, x, top, bot, nearest=span.aggregated)
        if span.aggregated:
            for series in (self.etop, self.ebot):
                d.column_ranges(self._edge_brush, *series_columns(series, span, self.lod))
            return
        d.thin_polyline(self._edge_brush, x, top)
        d.thin_polyline(self._edge_brush, x, bot)


class OneOneItem(_SeriesItem):
    """1-1 high and low levels as short ticks on each bar (hidden when bars are narrower than
    ``min_bar_px``, so never drawn aggregated)."""

    min_bar_px = 1.5

    def __init__(self, style: ChartStyle = DARK) -> None:
        self.high: F64 = np.empty(0)
        self.low: F64 = np.empty(0)
        super().__init__(style)

    def set_style(self, style: ChartStyle) -> None:
        self._brush = QtGui.QBrush(qcolor(style.one_one))
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
        x = np.arange(span.i0, span.i1, dtype=np.float64)
        ys = np.concatenate([self.high[span.i0:span.i1], self.low[span.i0:span.i1]])
        xs = np.concatenate([x, x])
        ok = np.isfinite(ys)
        d.hlines(self._brush, xs[ok] - TICK, xs[ok] + TICK, ys[ok], px=TICK_PX)


class CongestionItem(_SeriesItem):
    """The dotted line and the block level while in congestion (carried into x = N while the
    last bar is still in congestion). Like the 1-1 ticks they are per-bar levels: hidden when
    bars are narrower than ``min_bar_px``, where they would only be a zig-zag over the candles."""

    min_bar_px = 1.5

    def __init__(self, style: ChartStyle = DARK) -> None:
        self.dotted: F64 = np.empty(0)
        self.block: F64 = np.empty(0)
        super().__init__(style)

    def set_style(self, style: ChartStyle) -> None:
        self._dotted_brush = QtGui.QBrush(qcolor(style.congestion_dotted))
        self._block_brush = QtGui.QBrush(qcolor(style.congestion_block))
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
        for values, brush, dotted in ((self.block, self._block_brush, False),
                                      (self.dotted, self._dotted_brush, True)):
            x = np.arange(span.i0, span.i1, dtype=np.float64)
            y = values[span.i0:span.i1]
            ok = np.isfinite(y)
            if dotted:
                d.dashes(brush, x[ok] - 0.5, x[ok] + 0.5, y[ok], px=TICK_PX)
            else:
                d.hlines(brush, x[ok] - 0.5, x[ok] + 0.5, y[ok], px=TICK_PX)
