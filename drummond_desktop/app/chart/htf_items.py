"""Higher-timeframe levels on the focal chart (spec §B9), and the timeframes of the next-bar
zones.

``HTFLevelsItem`` draws one higher timeframe's PLdot, ETop and EBot as horizontal segments
across each of its periods (the levels are constant through a period and known at its first
focal bar): the envelope as a faint band, its edges as thin lines, the PLdot as a thicker one
with a step where the period changes, all in the timeframe's colour and labelled at the right.
``HTFZoneTagsItem`` marks, right of the next-bar zones, which higher timeframes each pooled
zone holds levels of (one coloured tag per timeframe).

Like every chart item they paint from caches: ``set_levels``/``set_zones`` are the only data
mutators and turn the arrays into segment geometry once (``htf_segments``); ``paint`` replays
the recorded ``DrawList`` while the view is unchanged and otherwise records the visible
segments only (found by binary search), never recomputing the runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PySide6 import QtCore, QtGui

from drummond_desktop.app.chart.base import F64, ChartItem, DrawList, Range, nan_range
from drummond_desktop.app.chart.projection import ZONE_SLOTS
from drummond_desktop.app.chart.style import Rgba, qcolor
from engine.drummond.zones import Zone

__all__ = ["HTF_COLOURS", "HTFLevelsItem", "HTFSegments", "HTFZoneTagsItem", "htf_colour",
           "htf_segments"]

I64 = npt.NDArray[np.int64]

# One colour per step above the focal timeframe (orange, violet, cyan): apart from the DG
# layer's own colours in both themes.
HTF_COLOURS: tuple[Rgba, ...] = ((255, 152, 0, 255), (186, 104, 255, 255), (0, 188, 212, 255))
FILL_ALPHA = 22
EDGE_ALPHA = 170
PLDOT_PX = 2.0
TAG_WIDTH = 0.3  # bars
TAG_GAP = 0.08


def htf_colour(step: int) -> Rgba:
    """The colour of the timeframe ``step`` steps above the focal one (1 = the HTF)."""
    return HTF_COLOURS[(max(step, 1) - 1) % len(HTF_COLOURS)]


@dataclass(frozen=True, eq=False)
class HTFSegments:
    """Runs of one higher period over the focal slots: run k spans slots ``start[k]`` ..
    ``stop[k] - 1`` (drawn from ``start - 0.5`` to ``stop - 0.5``) with the levels of higher
    period ``period[k]``. Slots before the first period (period -1) make no run."""

    start: I64
    stop: I64
    period: I64
    pldot: F64
    etop: F64
    ebot: F64

    x0: F64  # start - 0.5, kept: paint searches it
    x1: F64  # stop - 0.5

    def __len__(self) -> int:
        return int(self.start.shape[0])


def htf_segments(period: I64, pldot: F64, etop: F64, ebot: F64) -> HTFSegments:
    """The runs of equal ``period`` (one value per focal slot, N+1 with the next bar)."""
    n = int(period.shape[0])
    if n == 0:
        empty_i, empty_f = np.zeros(0, dtype=np.int64), np.zeros(0)
        return HTFSegments(empty_i, empty_i, empty_i, empty_f, empty_f, empty_f, empty_f,
                           empty_f)
    change = np.flatnonzero(np.diff(period)) + 1
    start = np.concatenate([[0], change]).astype(np.int64)
    stop = np.concatenate([change, [n]]).astype(np.int64)
    keep = period[start] >= 0
    start, stop = start[keep], stop[keep]
    return HTFSegments(start, stop, period[start].astype(np.int64),
                       pldot[start].astype(np.float64), etop[start].astype(np.float64),
                       ebot[start].astype(np.float64), start.astype(np.float64) - 0.5,
                       stop.astype(np.float64) - 0.5)


class HTFLevelsItem(ChartItem):
    """One higher timeframe's levels across its periods on the focal bars."""

    pad_px = 4.0

    def __init__(self, label: str, colour: Rgba) -> None:
        super().__init__()
        self.label = label
        self.segments = htf_segments(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0),
                                     np.zeros(0))
        self._text = QtGui.QStaticText(label)
        self.set_colour(colour)

    def set_colour(self, colour: Rgba) -> None:
        self.colour = colour
        self._fill = QtGui.QBrush(qcolor(colour, FILL_ALPHA))
        self._edge = QtGui.QBrush(qcolor(colour, EDGE_ALPHA))
        self._dot = QtGui.QBrush(qcolor(colour))
        self._pen = QtGui.QPen(qcolor(colour))
        self.invalidate()

    def set_levels(self, period: I64, pldot: F64, etop: F64, ebot: F64) -> None:
        """The overlay arrays on the focal slots (N+1 each, element N the next bar)."""
        self.segments = seg = htf_segments(period, pldot, etop, ebot)
        if len(seg) == 0:
            self._set_bounds(None, None)
            return
        self._set_bounds((float(seg.x0[0]), float(seg.x1[-1])),
                         nan_range(seg.pldot, seg.etop, seg.ebot))

    def visible_runs(self, x0: float, x1: float) -> tuple[int, int]:
        """Runs ``k0 .. k1 - 1`` overlapping the x-range."""
        seg = self.segments
        k0 = int(np.searchsorted(seg.x1, x0, side="right"))
        k1 = int(np.searchsorted(seg.x0, x1, side="right"))
        return k0, max(k0, k1)

    def y_range(self, i0: int, i1: int) -> Range | None:
        k0, k1 = self.visible_runs(i0 - 0.5, i1 - 0.5)
        s = self.segments
        return nan_range(s.pldot[k0:k1], s.etop[k0:k1], s.ebot[k0:k1]) if k1 > k0 else None

    def info(self, i: int) -> dict[str, float]:
        k0, k1 = self.visible_runs(i - 0.5, i + 0.5)
        if k1 <= k0:
            return {}
        s, k = self.segments, k1 - 1
        return {f"{self.label}_pldot": float(s.pldot[k]), f"{self.label}_etop": float(s.etop[k]),
                f"{self.label}_ebot": float(s.ebot[k])}

    def draw(self, d: DrawList) -> None:
        vr = self.viewRect()
        if vr is None or len(self.segments) == 0:
            return
        k0, k1 = self.visible_runs(vr.left(), vr.right())
        if k1 <= k0:
            return
        s = self.segments
        x0, x1 = s.x0[k0:k1], s.x1[k0:k1]
        top, bot, dot = s.etop[k0:k1], s.ebot[k0:k1], s.pldot[k0:k1]
        band = np.isfinite(top) & np.isfinite(bot)
        d.pixel_rects(self._fill, x0[band], bot[band], (x1 - x0)[band], (top - bot)[band])
        for edge in (top, bot):
            ok = np.isfinite(edge)
            d.hlines(self._edge, x0[ok], x1[ok], edge[ok])
        ok = np.isfinite(dot)
        d.hlines(self._dot, x0[ok], x1[ok], dot[ok], px=PLDOT_PX)
        step = ok[:-1] & ok[1:] & (x1[:-1] == x0[1:])  # adjacent periods: join the dots
        d.vlines(self._edge, x1[:-1][step], dot[:-1][step], dot[1:][step])
        last = int(np.flatnonzero(ok)[-1]) if ok.any() else -1
        if last >= 0:
            xd, yd = d.to_px(float(x1[last]), float(dot[last]))
            at = QtCore.QPointF(float(xd) + 3.0, float(yd) - 16.0)
            pen, text = self._pen, self._text
            d.call(lambda p: _label(p, pen, at, text), device=True)


def _label(p: QtGui.QPainter, pen: QtGui.QPen, at: QtCore.QPointF,
           text: QtGui.QStaticText) -> None:
    p.setPen(pen)
    p.drawStaticText(at, text)


@dataclass(frozen=True)
class ZoneTag:
    """A tag right of zone band: timeframe ``step`` above the focal holds a level in it."""

    x: float
    lo: float
    hi: float
    step: int


def zone_tags(zones: Sequence[Zone], n: int) -> list[ZoneTag]:
    """One tag per (zone, higher timeframe it holds a level of), right of the zone bands that
    ``ZonesItem`` draws from ``n - 0.5``."""
    left = n - 0.5 + ZONE_SLOTS + 1.0 + TAG_GAP
    tags = []
    for z in zones:
        for step in sorted({lv.tf for lv in z.sources if lv.tf > 0}):
            tags.append(ZoneTag(left + (step - 1) * (TAG_WIDTH + TAG_GAP), z.lo, z.hi, step))
    return tags


class HTFZoneTagsItem(ChartItem):
    """Which higher timeframes each next-bar zone holds levels of, as coloured tags."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[ZoneTag] = []
        self._brushes: dict[int, QtGui.QBrush] = {}

    def set_zones(self, zones: Sequence[Zone], n: int,
                  colours: dict[int, Rgba] | None = None) -> None:
        """Tags for ``zones`` of the next bar after ``n`` focal bars; ``colours`` by step."""
        self.tags = zone_tags(zones, n)
        steps = {t.step for t in self.tags}
        self._brushes = {s: QtGui.QBrush(qcolor((colours or {}).get(s, htf_colour(s)), 200))
                         for s in steps}
        if not self.tags:
            self._set_bounds(None, None)
            return
        right = max(t.x for t in self.tags) + TAG_WIDTH
        self._set_bounds((min(t.x for t in self.tags), right),
                         (min(t.lo for t in self.tags), max(t.hi for t in self.tags)))

    def draw(self, d: DrawList) -> None:
        py = self.pixelHeight() or 0.0
        for step, brush in self._brushes.items():
            mine = [t for t in self.tags if t.step == step]
            h = [max(t.hi - t.lo, 3 * py) for t in mine]
            y = [(t.lo + t.hi) / 2 - hh / 2 for t, hh in zip(mine, h, strict=True)]
            d.pixel_rects(brush, [t.x for t in mine], y, [TAG_WIDTH] * len(mine), h)
