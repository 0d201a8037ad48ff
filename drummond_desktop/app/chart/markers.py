"""Per-bar flags drawn as colour and glyphs: the state strip and the pattern markers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PySide6 import QtGui

from drummond_desktop.app.chart.base import F64, ChartItem, DrawList, Range, Span
from drummond_desktop.app.chart.style import DARK, ChartStyle, dot_sprite, qcolor, sprite_atlas
from engine.drummond.result import DGResult, State

I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]

# State-strip categories, in the order of ``state_colours``.
CATEGORIES = ("undefined", "trend_up", "trend_down", "entrance", "action", "exit", "reversal")


def state_categories(state: I8, trend_dir: I8) -> I8:
    """One category code per bar (index into ``CATEGORIES``)."""
    cat = np.zeros(state.shape[0], dtype=np.int8)
    trend = state == State.TREND
    cat[trend & (trend_dir > 0)] = 1
    cat[trend & (trend_dir <= 0)] = 2
    cat[state == State.CONG_ENTRANCE] = 3
    cat[state == State.CONG_ACTION] = 4
    cat[state == State.CONG_EXIT] = 5
    cat[state == State.TREND_REVERSAL] = 6
    return cat


def column_last_bars(span: Span) -> I64:
    """The last bar of each pixel column of an aggregated span (the state it ends on)."""
    j = np.arange(1, span.ncols + 1, dtype=np.int64)
    return span.i0 + (j * span.count - 1) // span.ncols


class StateStripItem(ChartItem):
    """A strip (y from 0 to 1, in its own thin pane) colouring each bar by its state and trend
    direction; zoomed out, each pixel column shows the state its last bar ends on."""

    def __init__(self, style: ChartStyle = DARK) -> None:
        super().__init__()
        self.categories: I8 = np.zeros(0, dtype=np.int8)
        self.set_style(style)

    def set_style(self, style: ChartStyle) -> None:
        colours = (style.state_undefined, style.state_trend_up, style.state_trend_down,
                   style.state_entrance, style.state_action, style.state_exit,
                   style.state_reversal)
        self._brushes = [QtGui.QBrush(qcolor(c)) for c in colours]
        self.invalidate()

    def set_data(self, result: DGResult) -> None:
        self.categories = state_categories(result.state, result.trend_dir)
        n = len(result)
        self._set_bounds((-0.5, n - 0.5) if n else None, (0.0, 1.0) if n else None)

    def info(self, i: int) -> dict[str, float]:
        return {"state_category": float(self.categories[i])} if 0 <= i < len(self.categories) \
            else {}

    def y_range(self, i0: int, i1: int) -> Range | None:
        return (0.0, 1.0)

    def cells(self, span: Span) -> tuple[F64, F64, I8]:
        """``(left, width, category)`` of the cells drawn over the span."""
        if not span.aggregated:
            left = np.arange(span.i0, span.i1, dtype=np.float64) - 0.5
            return left, np.ones_like(left), self.categories[span.i0:span.i1]
        last = column_last_bars(span)
        first = np.empty_like(last)
        first[0], first[1:] = span.i0, last[:-1] + 1
        return (first - 0.5).astype(np.float64), (last - first + 1).astype(np.float64), \
            self.categories[last]

    def draw(self, d: DrawList) -> None:
        span = self.last_span = self.visible_span(self.categories.shape[0])
        if span is None:
            return
        left, width, cat = self.cells(span)
        run = np.flatnonzero(np.diff(cat, prepend=-1))  # one rect per run of one state
        right = left + width
        left, cat = left[run], cat[run]
        width = np.append(right[run[1:] - 1], right[-1]) - left
        d.pixel_rects_by_code(self._brushes, cat, left, 0.0, width, 1.0)


@dataclass(frozen=True)
class MarkerKind:
    """A pattern flag drawn above the high (``above``) or below the low, ``row`` glyphs out."""

    field: str
    label: str
    above: bool
    row: int
    colour: str
    size: float
    square: bool


MARKERS: tuple[MarkerKind, ...] = (
    MarkerKind("push_up", "push↑", True, 1, "marker_push", 5.0, False),
    MarkerKind("push_down", "push↓", False, 1, "marker_push", 5.0, False),
    MarkerKind("refresh_from_above", "refresh", False, 2, "marker_refresh", 6.0, True),
    MarkerKind("refresh_from_below", "refresh", True, 2, "marker_refresh", 6.0, True),
    MarkerKind("exhaust_up", "exhaust↑", True, 3, "marker_exhaust", 7.0, False),
    MarkerKind("exhaust_down", "exhaust↓", False, 3, "marker_exhaust", 7.0, False),
    MarkerKind("cwave_up", "C-wave↑", True, 4, "marker_cwave", 6.0, True),
    MarkerKind("cwave_down", "C-wave↓", False, 4, "marker_cwave", 6.0, True),
)
ROW_PX = 9.0


class PatternMarkersItem(ChartItem):
    """Push, refresh, exhaust and C-wave markers stacked outside each bar's range."""

    pad_px = ROW_PX * 5
    min_bar_px = 4.0  # glyphs on narrower bars would hide the candles

    def __init__(self, style: ChartStyle = DARK) -> None:
        super().__init__()
        self.indices: dict[str, I64] = {}
        self._high: F64 = np.empty(0)
        self._low: F64 = np.empty(0)
        self.set_style(style)

    def set_style(self, style: ChartStyle) -> None:
        sprites = [dot_sprite(qcolor(getattr(style, k.colour)), k.size, k.square)
                   for k in MARKERS]
        self._atlas, lefts = sprite_atlas(sprites)
        self._source = np.array(lefts)
        self._side = np.array([float(pm.width()) for pm in sprites])
        self.invalidate()

    def set_data(self, result: DGResult) -> None:
        self.indices = {k.field: np.flatnonzero(getattr(result, k.field)) for k in MARKERS}
        self._high, self._low = result.bars.high, result.bars.low
        n = len(result)
        yb = (float(self._low.min()), float(self._high.max())) if n else None
        self._set_bounds((-0.5, n - 0.5) if n else None, yb)

    def info(self, i: int) -> dict[str, float]:
        out = {}
        for k in MARKERS:
            idx = self.indices.get(k.field)
            if idx is not None and idx.size:
                j = int(np.searchsorted(idx, i))
                if j < idx.size and idx[j] == i:
                    out[k.field] = 1.0
        return out

    def visible(self, field: str, span: Span) -> I64:
        """The flagged bars of ``field`` in the span, at most one per pixel column."""
        idx = self.indices.get(field, np.empty(0, dtype=np.int64))
        a, b = np.searchsorted(idx, [span.i0, span.i1])
        idx = idx[a:b]
        if span.aggregated and idx.size:
            col = ((idx - span.i0) * span.ncols) // span.count
            idx = idx[np.flatnonzero(np.diff(col, prepend=-1))]
        return idx

    def draw(self, d: DrawList) -> None:
        span = self.last_span = self.visible_span(self._high.shape[0])
        if span is None:
            return
        py = self.pixelHeight() or 0.0
        xs, ys, kinds = [], [], []
        for code, k in enumerate(MARKERS):
            idx = self.visible(k.field, span)
            if not idx.size:
                continue
            off = k.row * ROW_PX * py
            xs.append(idx.astype(np.float64))
            ys.append(self._high[idx] + off if k.above else self._low[idx] - off)
            kinds.append(np.full(idx.size, code))
        if xs:  # every kind in one blit from the atlas
            kind = np.concatenate(kinds)
            d.sprites(self._atlas, np.concatenate(xs), np.concatenate(ys), self._source[kind],
                      self._side[kind])
