"""``IndicatorItem``: one indicator instance drawn from its ``IndicatorSeries`` (computed off the
GUI thread by ``services.indicator_series``): lines, a histogram around 0, and pattern or swing
markers on the price bars.

Like the DG items it paints from caches: ``set_series`` is the only data mutator; ``paint``
replays the recorded ``DrawList`` while the view is unchanged, and a new view records the visible
slice only: one vertex per bar, or zoomed out (more bars than pixel columns) each column's
min/max from the item's own ``LodCache`` pyramids, so no spike is lost. Markers are drawn only
while bars are wide enough to tell them apart (``MARKER_MIN_BAR_PX``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PySide6 import QtGui

from drummond_desktop.app.chart.base import (
    F64,
    ChartItem,
    DrawList,
    LodCache,
    Range,
    Span,
    nan_range,
    series_columns,
)
from drummond_desktop.app.chart.style import dot_sprite
from drummond_desktop.services.indicator_series import IndicatorSeries, Line, Stamp

__all__ = ["HIST_WIDTH", "MARKER_OFFSET_PX", "IndicatorItem", "output_colors"]

HIST_WIDTH = 0.7  # of a bar slot, like a candle body
MARKER_PX = 7.0
MARKER_OFFSET_PX = 14.0  # from the high/low: clear of the DG markers' first row (9 px)
MARKER_MIN_BAR_PX = 3.0
SECONDARY_ALPHA = (255, 190, 140, 110)  # outputs after the first: the same hue, fainter


def output_colors(color: str, count: int) -> list[QtGui.QColor]:
    """One colour per output of an instance: its colour, then fainter shades of it."""
    base = QtGui.QColor(color)
    out = []
    for k in range(count):
        c = QtGui.QColor(base)
        c.setAlpha(SECONDARY_ALPHA[min(k, len(SECONDARY_ALPHA) - 1)])
        out.append(c)
    return out


class IndicatorItem(ChartItem):
    """The outputs of one instance. ``overlay`` items (in the price pane) draw markers too; an
    item in a pane of its own draws lines and histograms only. ``last_lines`` keeps the
    vertices of the latest drawing per column (tests and the readout)."""

    pad_px = MARKER_OFFSET_PX + MARKER_PX

    def __init__(self, color: str, *, overlay: bool) -> None:
        super().__init__()
        self.overlay = overlay
        self.series: IndicatorSeries | None = None
        self.lines: dict[str, F64] = {}
        self.last_lines: dict[str, tuple[F64, F64]] = {}
        self.last_markers: tuple[F64, F64] = (np.empty(0), np.empty(0))
        self._n = 0
        self._marker_idx: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._marker_y: F64 = np.empty(0)
        self._marker_above: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self.color = color
        self.set_color(color)

    # -- data and colour ----------------------------------------------------------------------
    @property
    def stamp(self) -> Stamp | None:
        return self.series.stamp if self.series is not None else None

    def set_color(self, color: str) -> None:
        self.color = color
        count = len(self.series.lines) if self.series is not None else 1
        self._brushes = [QtGui.QBrush(c) for c in output_colors(color, max(count, 1))]
        base = QtGui.QColor(color)
        self._sprite = dot_sprite(base, MARKER_PX)
        self.invalidate()

    def set_style(self, style: object) -> None:
        """The chart's theme changed: the instance keeps its own colour."""
        self.invalidate()

    def set_series(self, series: IndicatorSeries) -> None:
        """Show ``series`` (arrays kept by reference; the pyramids are rebuilt on first use)."""
        self.series = series
        self.lines = {ln.column: ln.values for ln in series.lines}
        self.last_lines = {}
        self.lod = LodCache()  # per item: a chart's shared cache is sized for the DG series
        self._n = series.n
        marks = series.markers if self.overlay else ()
        self._marker_idx = np.concatenate([m.index for m in marks]) if marks else \
            np.zeros(0, dtype=np.int64)
        self._marker_y = np.concatenate([m.anchor for m in marks]) if marks else np.empty(0)
        self._marker_above = np.concatenate([m.above for m in marks]) if marks else \
            np.zeros(0, dtype=bool)
        order = np.argsort(self._marker_idx, kind="stable")
        self._marker_idx = self._marker_idx[order]
        self._marker_y, self._marker_above = self._marker_y[order], self._marker_above[order]
        self.set_color(self.color)
        yb = nan_range(*self.lines.values(), self._marker_y,
                       *(np.zeros(1) for ln in series.lines if ln.kind == "histogram"))
        self._set_bounds((-0.5, self._n - 0.5) if self._n else None, yb)

    # -- the item contract --------------------------------------------------------------------
    def y_range(self, i0: int, i1: int) -> Range | None:
        """The lines' (and a histogram's, with 0) min/max over bars ``i0..i1-1``; markers sit
        on the bars, which the candles already fit."""
        if self.series is None:
            return None
        i0, i1 = max(i0, 0), min(i1, self._n)
        if i1 <= i0:
            return None
        ranges = []
        for ln in self.series.lines:
            r = self.lod.range(ln.values, ln.values, i0, i1)
            if r is not None:
                ranges.append((min(r[0], 0.0), max(r[1], 0.0)) if ln.kind == "histogram" else r)
        return (min(r[0] for r in ranges), max(r[1] for r in ranges)) if ranges else None

    def info(self, i: int) -> dict[str, float]:
        return {k: float(v[i]) for k, v in self.lines.items() if 0 <= i < v.shape[0]}

    def draw(self, d: DrawList) -> None:
        span = self.last_span = self.visible_span(self._n)
        if span is None or self.series is None:
            return
        for k, ln in enumerate(self.series.lines):
            brush = self._brushes[min(k, len(self._brushes) - 1)]
            if ln.kind == "histogram":
                self._draw_histogram(d, brush, ln, span)
            else:
                self._draw_line(d, brush, ln, span)
        if self._marker_idx.size and not span.aggregated:
            self._draw_markers(d, span)

    # -- drawing ------------------------------------------------------------------------------
    def _draw_line(self, d: DrawList, brush: QtGui.QBrush, ln: Line, span: Span) -> None:
        x, lo, hi = series_columns(ln.values, span, self.lod)
        self.last_lines[ln.column] = (x, lo if not span.aggregated else (lo + hi) / 2)
        if span.aggregated:
            d.column_ranges(brush, x, lo, hi)
        else:
            d.thin_polyline(brush, x, lo)

    def _draw_histogram(self, d: DrawList, brush: QtGui.QBrush, ln: Line, span: Span) -> None:
        x, lo, hi = series_columns(ln.values, span, self.lod)
        ok = np.isfinite(lo) & np.isfinite(hi)
        x, lo, hi = x[ok], lo[ok], hi[ok]
        self.last_lines[ln.column] = (x, hi if not span.aggregated else (lo + hi) / 2)
        if span.aggregated:  # each column from 0 to its farthest value on each side
            d.vlines(brush, x, np.minimum(lo, 0.0), np.maximum(hi, 0.0))
        else:
            d.pixel_rects(brush, x - HIST_WIDTH / 2, np.zeros(1), HIST_WIDTH, hi)

    def _draw_markers(self, d: DrawList, span: Span) -> None:
        if 1.0 / max(self.pixelWidth() or 1.0, 1e-12) < MARKER_MIN_BAR_PX:
            return  # the glyphs would hide the candles and each other
        a, b = np.searchsorted(self._marker_idx, [span.i0, span.i1])
        if a == b:
            return
        idx = self._marker_idx[a:b].astype(np.float64)
        off = MARKER_OFFSET_PX * abs(self.pixelHeight() or 0.0)
        y = np.where(self._marker_above[a:b], self._marker_y[a:b] + off,
                     self._marker_y[a:b] - off)
        self.last_markers = (idx, y)
        d.sprites(self._sprite, idx, y)
