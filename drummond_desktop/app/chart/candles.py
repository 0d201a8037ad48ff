"""``CandlestickItem`` and ``VolumeItem``: x = bar index, per-frame work O(visible bars).

Zoomed in, each visible bar is a candle (wick + body, up/down colours). Zoomed out (more bars than
pixel columns), the visible bars are aggregated per pixel column through the chart's shared
``LodCache`` (a min/max pyramid; the same columns as ``engine.lod.ohlc_columns``: first open,
highest high, lowest low, last close) and each column is one high-low segment, so
every extreme is drawn. Geometry goes to QPainter in bulk (numpy-backed QLineF/QRectF arrays).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg

from drummond_desktop.app.chart.base import F64, ChartItem, DrawList, LodCache, Range, Span
from drummond_desktop.app.chart.style import DARK, ChartStyle, opaque_over, qcolor
from engine.bars import Bars
from engine.lod import ohlc_columns

BODY_WIDTH = 0.7  # of a bar slot
MIN_BODY_PX = 2.0  # narrower candles are drawn as wicks only


@dataclass(frozen=True, eq=False)
class CandleFrame:
    """What one paint draws: per-bar candles (``mode == 'candles'``) or per-column OHLC."""

    mode: str
    x: F64
    open: F64
    high: F64
    low: F64
    close: F64

    @property
    def up(self) -> npt.NDArray[np.bool_]:
        return self.close >= self.open


def candle_frame(o: F64, h: F64, lo: F64, c: F64, span: Span,
                 lod: LodCache | None = None) -> CandleFrame:
    """The visible bars of ``span`` as drawn: sliced, or aggregated per pixel column (through the
    shared ``lod`` when given: the same columns as ``ohlc_columns``)."""
    a, b = span.i0, span.i1
    if not span.aggregated:
        return CandleFrame("candles", np.arange(a, b, dtype=np.float64),
                           o[a:b], h[a:b], lo[a:b], c[a:b])
    if lod is not None:
        x, first, low, high = lod.minmax(lo, h, span)
        last = np.empty_like(first)
        last[:-1] = first[1:] - 1
        last[-1:] = b - 1
        return CandleFrame("columns", x, o[first], high, low, c[last])
    cols = ohlc_columns((o, h, lo, c), a, b, span.ncols)
    x = (cols.first_index + cols.last_index).astype(np.float64) * 0.5
    return CandleFrame("columns", x, cols.open, cols.high, cols.low, cols.close)


BAR_STYLES = ("candles", "ohlc", "line")
TICK = 0.35  # an OHLC bar's open/close tick length, in bars


class CandlestickItem(ChartItem):
    """The price bars of a ``Bars`` in one of ``BAR_STYLES``: candles (wick + body), OHLC bars
    (high-low with open/close ticks) or a close line. Zoomed out, every style draws one low-high
    segment per pixel column (the line adds the path through the columns' closes), so no high or
    low is ever skipped. ``last_frame`` keeps the arrays of the latest drawing (tests)."""

    def __init__(self, style: ChartStyle = DARK) -> None:
        super().__init__()
        self._o = self._h = self._l = self._c = np.empty(0)
        self.bar_style = "candles"
        self.last_frame: CandleFrame | None = None
        self.set_style(style)

    def set_style(self, style: ChartStyle) -> None:
        self._pens = {True: pg.mkPen(qcolor(style.up)), False: pg.mkPen(qcolor(style.down))}
        self._brushes = {True: pg.mkBrush(qcolor(style.up)),
                         False: pg.mkBrush(qcolor(style.down))}
        self._line_pen = pg.mkPen(qcolor(style.price_line), width=1)
        self._range_pen = pg.mkPen(opaque_over((*style.price_line[:3], 110), style.background))
        self.invalidate()

    def set_bar_style(self, name: str) -> None:
        """``"candles"``, ``"ohlc"`` or ``"line"``."""
        if name not in BAR_STYLES:
            raise ValueError(f"unknown bar style {name!r}; one of {BAR_STYLES}")
        self.bar_style = name
        self.invalidate()

    def set_data(self, bars: Bars) -> None:
        """Show ``bars`` (arrays are kept by reference, never copied)."""
        self._o, self._h, self._l, self._c = bars.open, bars.high, bars.low, bars.close
        self.last_frame = None
        n = len(bars)
        if n == 0:
            self._set_bounds(None, None)
            return
        self._set_bounds((-0.5, n - 0.5), (float(self._l.min()), float(self._h.max())))

    def __len__(self) -> int:
        return int(self._c.shape[0])

    def frame(self, span: Span) -> CandleFrame:
        return candle_frame(self._o, self._h, self._l, self._c, span, self.lod)

    def y_range(self, i0: int, i1: int) -> Range | None:
        if min(i1, len(self)) <= max(i0, 0):
            return None
        return self.lod.range(self._l, self._h, i0, i1)

    def info(self, i: int) -> dict[str, float]:
        if not 0 <= i < len(self):
            return {}
        return {"open": float(self._o[i]), "high": float(self._h[i]),
                "low": float(self._l[i]), "close": float(self._c[i])}

    def draw(self, d: DrawList) -> None:
        span = self.last_span = self.visible_span(len(self))
        if span is None:
            return
        fr = self.last_frame = self.frame(span)
        if self.bar_style == "line":
            self._draw_line(d, fr)
            return
        slot_px = 1.0 / max(self.pixelWidth() or 1.0, 1e-12)
        detail = fr.mode == "candles" and slot_px * BODY_WIDTH >= MIN_BODY_PX
        up_all = fr.up
        for up in (True, False):
            m = up_all if up else ~up_all
            if not m.any():
                continue
            x, pen = fr.x[m], self._pens[up]
            d.lines(pen, x, fr.low[m], x, fr.high[m])
            if not detail:
                continue
            o, c = fr.open[m], fr.close[m]
            if self.bar_style == "ohlc":
                d.lines(pen, np.concatenate([x - TICK, x]), np.concatenate([o, c]),
                        np.concatenate([x, x + TICK]), np.concatenate([o, c]))
            else:
                d.rects(pen, self._brushes[up], x - BODY_WIDTH / 2, np.minimum(o, c),
                        BODY_WIDTH, np.abs(c - o))

    def _draw_line(self, d: DrawList, fr: CandleFrame) -> None:
        """The close line; zoomed out, a low-high segment per column under the closes' path."""
        if fr.mode == "columns":
            d.lines(self._range_pen, fr.x, fr.low, fr.x, fr.high)
        d.polyline(self._line_pen, fr.x, fr.close)


class VolumeItem(ChartItem):
    """Volume bars (max volume per pixel column when zoomed out), coloured by the bar's move."""

    def __init__(self, style: ChartStyle = DARK) -> None:
        super().__init__()
        self._o = self._v = self._c = np.empty(0)
        self.set_style(style)

    def set_style(self, style: ChartStyle) -> None:
        # opaque equivalents over the background: translucent fills raster ~10x slower
        self._brushes = {True: pg.mkBrush(opaque_over(style.volume_up, style.background)),
                         False: pg.mkBrush(opaque_over(style.volume_down, style.background))}
        self._pens = {k: pg.mkPen(b.color()) for k, b in self._brushes.items()}
        self.invalidate()

    def set_data(self, bars: Bars) -> None:
        self._o, self._v, self._c = bars.open, bars.volume, bars.close
        n = len(bars)
        vmax = float(self._v.max()) if n else 0.0
        self._set_bounds((-0.5, n - 0.5) if n else None, (0.0, max(vmax, 1.0)) if n else None)

    def __len__(self) -> int:
        return int(self._v.shape[0])

    def y_range(self, i0: int, i1: int) -> Range | None:
        r = self.lod.range(self._v, self._v, i0, i1)
        return (0.0, max(r[1], 1.0)) if r is not None else None

    def info(self, i: int) -> dict[str, float]:
        return {"volume": float(self._v[i])} if 0 <= i < len(self) else {}

    def draw(self, d: DrawList) -> None:
        span = self.last_span = self.visible_span(len(self))
        if span is None:
            return
        fr = candle_frame(self._o, self._v, self._v, self._c, span, self.lod)  # high = max vol
        up_all = fr.up
        for up in (True, False):
            m = up_all if up else ~up_all
            if not m.any():
                continue
            x = fr.x[m]
            if fr.mode == "columns":  # one pixel column each: a 1 px line is the bar
                d.lines(self._pens[up], x, 0.0, x, fr.high[m])
            else:
                d.rects(None, self._brushes[up], x - BODY_WIDTH / 2, 0.0, BODY_WIDTH, fr.high[m])
