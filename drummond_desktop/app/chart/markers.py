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
        self._run_start: I64 = np.zeros(0, dtype=np.int64)
        self.set_style(style)

    def set_style(self, style: ChartStyle) -> None:
        colours = (style.state_undefined, style.state_trend_up, style.state_trend_down,
                   style.state_entrance, style.state_action, style.state_exit,
                   style.state_reversal)
        self._brushes = [QtGui.QBrush(qcolor(c)) for c in colours]
        self._argb = np.array([qcolor(c).rgba() for c in colours], dtype=np.uint32)
        self.invalidate()

    def set_data(self, result: DGResult) -> None:
        self.categories = state_categories(result.state, result.trend_dir)
        self._run_start = np.flatnonzero(np.diff(self.categories, prepend=-1)).astype(np.int64)
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
        if span.aggregated:  # each pixel column shows the state its last bar ends on
            cat = self.categories[column_last_bars(span)]
        else:
            cat = self.categories[span.i0:span.i1]
        d.image_row(self._argb[cat], span.i0 - 0.5, span.i1 - 0.5, 0.0, 1.0)

    def runs(self, span: Span) -> tuple[F64, F64, I8]:
        """``(left, width, category)`` of the runs of one state over the span's bars, from the
        runs found once in ``set_data``."""
        a = int(np.searchsorted(self._run_start, span.i0, side="right")) - 1
        b = int(np.searchsorted(self._run_start, span.i1, side="left"))
        start = self._run_start[max(a, 0):b].copy()
        end = np.append(start[1:], span.i1)
        start[0] = max(start[0], span.i0)
        return (start - 0.5).astype(np.float64), (end - start).astype(np.float64), \
            self.categories[start]


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
        self._bars: I64 = np.zeros(0, dtype=np.int64)
        self._kinds: I64 = np.zeros(0, dtype=np.int64)
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
        # every flag of every kind in one bar-sorted array: a frame is one searchsorted
        bars = np.concatenate([self.indices[k.field] for k in MARKERS])
        kinds = np.concatenate([np.full(self.indices[k.field].size, c, dtype=np.int64)
                                for c, k in enumerate(MARKERS)])
        order = np.argsort(bars, kind="stable")
        self._bars, self._kinds = bars[order], kinds[order]
        self._high, self._low = result.bars.high, result.bars.low
        n = len(result)
        yb = (float(self._low.min()), float(self._high.max())) if n else None
        self._set_bounds((-0.5, n - 0.5) if n else None, yb)

    def info(self, i: int) -> dict[str, float]:
        a, b = np.searchsorted(self._bars, [i, i + 1])
        return {MARKERS[int(c)].field: 1.0 for c in self._kinds[a:b]}

    def draw(self, d: DrawList) -> None:
        """Never aggregated (``min_bar_px``): every flagged bar in view, one blit of the atlas."""
        span = self.last_span = self.visible_span(self._high.shape[0])
        if span is None:
            return
        a, b = np.searchsorted(self._bars, [span.i0, span.i1])
        if a == b:
            return
        idx, kind = self._bars[a:b], self._kinds[a:b]
        off = _ROWS[kind] * ROW_PX * (self.pixelHeight() or 0.0)
        y = np.where(_ABOVE[kind], self._high[idx] + off, self._low[idx] - off)
        d.sprites(self._atlas, idx.astype(np.float64), y, self._source[kind], self._side[kind])


_ROWS = np.array([k.row for k in MARKERS], dtype=np.float64)
_ABOVE = np.array([k.above for k in MARKERS], dtype=bool)
