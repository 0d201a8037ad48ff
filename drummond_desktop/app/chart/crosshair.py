"""Crosshair across the panes and the text of its readout, with rate-limited mouse moves."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pyqtgraph as pg
from PySide6 import QtCore

from drummond_desktop.app.chart.style import ChartStyle, qcolor
from engine.bars import Bars
from engine.drummond.result import DGResult, State

RATE_HZ = 60  # mouse moves handled per second at most

_STATE = {State.UNDEF: "undefined", State.TREND: "trend", State.CONG_ENTRANCE: "cong. entrance",
          State.CONG_ACTION: "cong. action", State.CONG_EXIT: "cong. exit",
          State.TREND_REVERSAL: "trend reversal"}


def price_digits(price: float) -> int:
    """Decimals that show a price sensibly (2 for 100.25, 4 for 1.2345, 0 for 25000)."""
    if not math.isfinite(price) or price == 0:
        return 2
    mag = math.floor(math.log10(abs(price)))
    return int(min(max(4 - mag, 0), 6)) if mag < 2 else (2 if mag < 4 else 0)


def _fmt(v: float, d: int) -> str:
    return f"{v:.{d}f}" if math.isfinite(v) else "—"


def readout_text(bars: Bars | None, result: DGResult | None, i: int) -> str:
    """One line for bar ``i``: date, OHLCV, and the DG values (``i == N`` is the next bar)."""
    if bars is None or len(bars) == 0:
        return ""
    n = len(bars)
    d = price_digits(float(bars.close[-1]))
    parts: list[str] = []
    if 0 <= i < n:
        when = datetime.fromtimestamp(int(bars.ts[i]), tz=UTC)
        stamp = when.strftime("%Y-%m-%d" if not when.hour and not when.minute
                              else "%Y-%m-%d %H:%M")
        parts.append(f"{stamp}  O {_fmt(bars.open[i], d)}  H {_fmt(bars.high[i], d)}  "
                     f"L {_fmt(bars.low[i], d)}  C {_fmt(bars.close[i], d)}  "
                     f"V {bars.volume[i]:,.0f}")
    elif i == n:
        parts.append("next bar")
    else:
        return ""
    if result is not None and 0 <= i <= n:
        parts.append(f"PL {_fmt(result.pldot[i], d)}  ET {_fmt(result.etop[i], d)}  "
                     f"EB {_fmt(result.ebot[i], d)}  1-1 {_fmt(result.one_one_high[i], d)}/"
                     f"{_fmt(result.one_one_low[i], d)}")
        if i == n:
            parts.append("  ".join(f"{k.upper()} {_fmt(getattr(result, 'line_' + k)[n], d)}"
                                   for k in ("hh", "ll", "lh", "hl")))
        else:
            st = State(int(result.state[i]))
            arrow = {1: "↑", -1: "↓"}.get(int(result.trend_dir[i]), "")
            parts.append(f"{_STATE[st]}{arrow}")
    return "   |   ".join(parts)


class Crosshair(QtCore.QObject):
    """A vertical line in every pane and a horizontal one in the first; ``moved(i, y)`` fires at
    most ``RATE_HZ`` times a second with the bar index under the mouse."""

    moved = QtCore.Signal(int, float)

    def __init__(self, scene: Any, plots: Sequence[pg.PlotItem], style: ChartStyle) -> None:
        super().__init__()
        self._plots = list(plots)
        self.vlines = [pg.InfiniteLine(angle=90, movable=False) for _ in self._plots]
        self.hline = pg.InfiniteLine(angle=0, movable=False)
        for plot, line in zip(self._plots, self.vlines, strict=True):
            plot.addItem(line, ignoreBounds=True)
        self._plots[0].addItem(self.hline, ignoreBounds=True)
        self.set_style(style)
        self.set_visible(False)
        self._proxy = pg.SignalProxy(scene.sigMouseMoved, rateLimit=RATE_HZ,
                                     slot=self._on_scene_mouse_moved)

    def add_plot(self, plot: pg.PlotItem) -> pg.InfiniteLine:
        """Track one more pane (an indicator pane): its own vertical line, and the mouse over
        it moves the crosshair too."""
        line = pg.InfiniteLine(angle=90, movable=False, pen=self.vlines[0].pen)
        line.setVisible(False)
        plot.addItem(line, ignoreBounds=True)
        self._plots.append(plot)
        self.vlines.append(line)
        return line

    def remove_plot(self, plot: pg.PlotItem) -> None:
        if plot in self._plots:
            k = self._plots.index(plot)
            del self._plots[k]
            plot.removeItem(self.vlines.pop(k))

    def set_style(self, style: ChartStyle) -> None:
        pen = pg.mkPen(qcolor(style.crosshair), width=1, style=QtCore.Qt.PenStyle.DashLine)
        for line in [*self.vlines, self.hline]:
            line.setPen(pen)

    def set_visible(self, on: bool) -> None:
        for line in [*self.vlines, self.hline]:
            line.setVisible(on)

    def place(self, i: int, y: float | None = None) -> None:
        """Put the crosshair on bar ``i`` (and price ``y`` when given)."""
        for line in self.vlines:
            line.setPos(i)
        if y is not None:
            self.hline.setPos(y)
        self.set_visible(True)

    def _on_scene_mouse_moved(self, event: tuple[QtCore.QPointF]) -> None:
        pos = event[0]
        for k, plot in enumerate(self._plots):
            vb = plot.getViewBox()
            if vb.sceneBoundingRect().contains(pos):
                pt = vb.mapSceneToView(pos)
                i = round(pt.x())
                self.place(i, pt.y() if k == 0 else None)
                self.hline.setVisible(k == 0)
                self.moved.emit(i, pt.y())
                return
        self.set_visible(False)
