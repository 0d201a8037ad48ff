"""Items of the future slot x = N: the four line terminations and the next-bar zones."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from drummond_desktop.app.chart.base import ChartItem, DrawList, Range
from drummond_desktop.app.chart.style import DARK, ChartStyle, Rgba, dot_sprite, qcolor
from engine.drummond.result import DGResult
from engine.drummond.zones import Zone

ZONE_SLOTS = 3.0  # zones span from the last bar's right edge this many bars into the future
MARK_PX = 7.0


@dataclass(frozen=True)
class LineSegment:
    """A next-bar line: anchors at x = N-2 and N-1, termination at x = N."""

    name: str
    x: tuple[float, float, float]
    y: tuple[float, float, float]

    @property
    def termination(self) -> float:
        return self.y[2]


def line_segments(result: DGResult) -> list[LineSegment]:
    """HH, LL, LH, HL for the next bar, from their anchors (NaN terminations dropped)."""
    n = len(result)
    if n < 2:
        return []
    h, lo = result.bars.high, result.bars.low
    x = (n - 2.0, n - 1.0, float(n))
    out = []
    for name, a, b, term in (("HH", h[-2], h[-1], result.line_hh[n]),
                             ("LL", lo[-2], lo[-1], result.line_ll[n]),
                             ("LH", lo[-2], h[-1], result.line_lh[n]),
                             ("HL", h[-2], lo[-1], result.line_hl[n])):
        if math.isfinite(term):
            out.append(LineSegment(name, x, (float(a), float(b), float(term))))
    return out


class LinesItem(ChartItem):
    """The four next-bar terminations drawn from their anchors through x = N, marked and
    labelled at the termination."""

    pad_px = 40.0

    def __init__(self, style: ChartStyle = DARK) -> None:
        super().__init__()
        self.segments: list[LineSegment] = []
        self.set_style(style)

    def set_style(self, style: ChartStyle) -> None:
        colours: dict[str, Rgba] = {"HH": style.line_hh, "LL": style.line_ll,
                                    "LH": style.line_lh, "HL": style.line_hl}
        self._pens = {k: pg.mkPen(qcolor(c), width=1.5) for k, c in colours.items()}
        self._marks = {k: dot_sprite(qcolor(c), MARK_PX, square=True) for k, c in colours.items()}
        self._texts = {k: QtGui.QStaticText(k) for k in colours}
        self.invalidate()

    def set_data(self, result: DGResult) -> None:
        self.segments = line_segments(result)
        if not self.segments:
            self._set_bounds(None, None)
            return
        ys = [v for s in self.segments for v in s.y]
        n = len(result)
        self._set_bounds((n - 2.0, n + 0.5), (min(ys), max(ys)))

    def y_range(self, i0: int, i1: int) -> Range | None:
        if not self.segments or self._xb is None or i1 <= self._xb[0] or i0 > self._xb[1]:
            return None
        ys = [s.termination for s in self.segments]
        return min(ys), max(ys)

    def info(self, i: int) -> dict[str, float]:
        if self.segments and i == int(self.segments[0].x[2]):
            return {f"line_{s.name.lower()}": s.termination for s in self.segments}
        return {}

    def draw(self, d: DrawList) -> None:
        for s in self.segments:
            d.lines(self._pens[s.name], [s.x[0]], [s.y[0]], [s.x[2]], [s.y[2]])
            d.sprites(self._marks[s.name], [s.x[2]], [s.y[2]])
        labels = []
        for s in self.segments:  # device pixels: the labels keep their size at any zoom
            xd, yd = d.to_px(s.x[2], s.y[2])
            at = QtCore.QPointF(float(xd) + MARK_PX, float(yd) - 8.0)
            labels.append((self._pens[s.name], at, self._texts[s.name]))
        d.call(lambda p: self._labels(p, labels), device=True)

    @staticmethod
    def _labels(p: QtGui.QPainter, labels: list[tuple[QtGui.QPen, QtCore.QPointF,
                                                      QtGui.QStaticText]]) -> None:
        for pen, at, text in labels:
            p.setPen(pen)
            p.drawStaticText(at, text)


@dataclass(frozen=True)
class ZoneBand:
    """A zone as drawn: price range, fill alpha (0-255) from strength, nearby or further out."""

    lo: float
    hi: float
    kind: str
    strength: int
    nearby: bool
    alpha: int


def zone_alpha(strength: int, nearby: bool) -> int:
    """Fill opacity: stronger zones are more opaque; further-out zones are fainter."""
    a = 35 + 30 * min(max(strength, 1), 6)
    return a if nearby else a // 2


class ZonesItem(ChartItem):
    """Next-bar zones as shaded bands right of the last bar; nearby zones are outlined solid and
    wider, further-out zones fainter with a dashed outline."""

    def __init__(self, style: ChartStyle = DARK) -> None:
        super().__init__()
        self.bands: list[ZoneBand] = []
        self.x0 = 0.0
        self.set_style(style)

    def set_style(self, style: ChartStyle) -> None:
        self._colours = {"R": style.zone_resistance, "S": style.zone_support,
                         "P": style.zone_inside}
        self._looks: dict[tuple[str, int, bool], tuple[QtGui.QPen, QtGui.QBrush]] = {}
        self.invalidate()

    def _look(self, b: ZoneBand) -> tuple[QtGui.QPen, QtGui.QBrush]:
        """The outline and fill of a band, made once per kind, opacity and distance."""
        key = (b.kind, b.alpha, b.nearby)
        hit = self._looks.get(key)
        if hit is None:
            colour = self._colours.get(b.kind, self._colours["P"])
            pen = pg.mkPen(qcolor(colour, 230 if b.nearby else 120), width=1)
            if not b.nearby:
                pen.setStyle(QtCore.Qt.PenStyle.DashLine)
            hit = self._looks[key] = (pen, pg.mkBrush(qcolor(colour, b.alpha)))
        return hit

    def set_data(self, result: DGResult, zones: Sequence[Zone]) -> None:
        n = len(result)
        self.x0 = n - 0.5
        self.bands = [ZoneBand(z.lo, z.hi, z.kind, z.strength, z.nearby,
                               zone_alpha(z.strength, z.nearby)) for z in zones]
        if not self.bands or n == 0:
            self._set_bounds(None, None)
            return
        self._set_bounds((self.x0, self.x0 + ZONE_SLOTS + 1.0),
                         (min(b.lo for b in self.bands), max(b.hi for b in self.bands)))

    def y_range(self, i0: int, i1: int) -> Range | None:
        if not self.bands or i1 <= self.x0:
            return None
        near = [b for b in self.bands if b.nearby] or self.bands
        return min(b.lo for b in near), max(b.hi for b in near)

    def info(self, i: int) -> dict[str, float]:
        return {"zones": float(len(self.bands))} if self.bands and i >= self.x0 else {}

    def draw(self, d: DrawList) -> None:
        py = self.pixelHeight() or 0.0
        for b in sorted(self.bands, key=lambda b: b.nearby):
            width = ZONE_SLOTS + (1.0 if b.nearby else 0.0)
            h = max(b.hi - b.lo, 2 * py)  # a one-level zone still shows as a thin band
            pen, brush = self._look(b)
            d.rects(pen, brush, [self.x0], [(b.lo + b.hi) / 2 - h / 2], [width], [h])
