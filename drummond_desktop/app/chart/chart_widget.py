"""``ChartWidget``: a price pane (candles, OHLC bars or a close line + the DG layer), a state
strip, indicator panes (``IndicatorLayer``) and a volume pane, linked on x (bar index); y fits
the visible bars, per pane (an "A" button on each); day/session separators; wheel zoom at the
cursor, drag pan, keyboard; a crosshair with a rate-limited readout; PNG export."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from drummond_desktop.app.chart.axis import BarIndexAxis, CachedTicksAxis, CompactAxis
from drummond_desktop.app.chart.base import ChartItem, LodCache
from drummond_desktop.app.chart.candles import BAR_STYLES, CandlestickItem, VolumeItem
from drummond_desktop.app.chart.crosshair import Crosshair, readout_text
from drummond_desktop.app.chart.grid import GridItem
from drummond_desktop.app.chart.indicator_pane import IndicatorLayer
from drummond_desktop.app.chart.overlays import (
    CongestionItem,
    EnvelopeItem,
    LinesItem,
    OneOneItem,
    PatternMarkersItem,
    PLdotItem,
    StateStripItem,
    ZonesItem,
)
from drummond_desktop.app.chart.panes import PANES, AutoFitButton, PaneViewBox
from drummond_desktop.app.chart.projection import ZONE_SLOTS
from drummond_desktop.app.chart.separators import SeparatorItem, SessionBreaks, zone
from drummond_desktop.app.chart.style import DARK, ChartStyle, qcolor
from engine.bars import Bars
from engine.drummond.result import DGResult
from engine.drummond.zones import Zone

# Every element ``toggle`` accepts; all but the PLdot line start visible.
ELEMENTS = ("pldot", "pldot_line", "envelope", "one_one", "lines", "zones", "state",
            "congestion", "patterns", "volume", "separators")
__all__ = ["BAR_STYLES", "ELEMENTS", "PANES", "ChartWidget"]
RIGHT_MARGIN = ZONE_SLOTS + 2.0  # bars of empty space right of the last bar (the future slot)
INITIAL_BARS = 150
Y_PAD = 0.06
AXIS_WIDTH = 72


class ChartWidget(QtWidgets.QWidget):
    """One symbol's chart. ``set_data`` is the only way data gets in; the view state (range,
    follow-latest, auto-fit, visible elements) survives new data."""

    bar_hovered = QtCore.Signal(int)
    data_changed = QtCore.Signal()  # after set_data: overlays keyed on time re-map to indices

    def __init__(self, style: ChartStyle = DARK,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.bars: Bars | None = None
        self.result: DGResult | None = None
        self.follow_latest = True
        self._auto_fit = dict.fromkeys(PANES, True)
        # What the user asked to see: an element toggled on before any data (settings applied
        # at start) shows as soon as a result arrives.
        self._wanted = {name: name != "pldot_line" for name in ELEMENTS}
        self._sep_tz = zone("UTC")
        self._fitting = False
        self._fitted: tuple[float, float] | None = None  # the x-range y was last fitted to
        self.lod = LodCache()  # one level-of-detail pass per frame, shared by every item
        self._build(style)
        self.set_style(style)

    # -- construction -------------------------------------------------------------------------
    def _build(self, style: ChartStyle) -> None:
        self.readout = QtWidgets.QLabel(" ", self)
        self.readout.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.view = pg.GraphicsLayoutWidget(self)
        self.view.ci.layout.setSpacing(0)
        self.view.installEventFilter(self)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.readout)
        lay.addWidget(self.view, 1)
        self.axis = BarIndexAxis("bottom")
        self.price = self.view.addPlot(row=0, col=0, viewBox=PaneViewBox(),
                                       axisItems={"right": CachedTicksAxis("right")})
        self.strip = self.view.addPlot(row=1, col=0)
        self.volume = self.view.addPlot(row=2, col=0, viewBox=PaneViewBox(), axisItems={
            "bottom": self.axis, "right": CompactAxis("right")})
        self.panes = {"price": self.price, "volume": self.volume}
        self._style_panes()
        self.candles, self.vol_item = CandlestickItem(style), VolumeItem(style)
        self.items: dict[str, ChartItem] = {
            "envelope": EnvelopeItem(style), "zones": ZonesItem(style),
            "congestion": CongestionItem(style), "one_one": OneOneItem(style),
            "pldot": PLdotItem(style), "lines": LinesItem(style),
            "patterns": PatternMarkersItem(style), "state": StateStripItem(style),
        }
        self.price.addItem(self.items["envelope"])
        self.price.addItem(self.items["zones"])
        self.price.addItem(self.candles)
        for name in ("congestion", "one_one", "pldot", "lines", "patterns"):
            self.price.addItem(self.items[name])
        self.strip.addItem(self.items["state"])
        self.volume.addItem(self.vol_item)
        for item in (self.candles, self.vol_item, *self.items.values()):
            item.lod = self.lod
        # the grid: one light item per pane at the shared x ticks and the pane's y ticks
        self.grids = {"price": GridItem(self.axis, self.price.getAxis("right")),
                      "volume": GridItem(self.axis, self.volume.getAxis("right"))}
        self.separators = {name: SeparatorItem(style) for name in PANES}
        for name, plot in self.panes.items():
            plot.addItem(self.grids[name], ignoreBounds=True)
            plot.addItem(self.separators[name], ignoreBounds=True)
        self.fit_buttons = {name: AutoFitButton(name, plot.getViewBox(), self.view)
                            for name, plot in self.panes.items()}
        for name, button in self.fit_buttons.items():
            button.toggled.connect(lambda on, pane=name: self.set_pane_auto_fit(pane, on))
        self.crosshair = Crosshair(self.view.scene(), [self.price, self.strip, self.volume],
                                   style)
        self.crosshair.moved.connect(self._on_crosshair_moved)
        self.price.getViewBox().sigXRangeChanged.connect(self._on_price_x_range_changed)
        self.indicators = IndicatorLayer(self)  # indicator lines and their own panes

    def _style_panes(self) -> None:
        for plot in (self.price, self.strip, self.volume):
            plot.hideAxis("left")
            plot.showAxis("right")
            plot.getAxis("right").setWidth(AXIS_WIDTH)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.getViewBox().setMouseEnabled(x=True, y=False)
            if plot is not self.volume:
                plot.hideAxis("bottom")
            if plot is not self.price:
                plot.setXLink(self.price)
        self.strip.getAxis("right").setStyle(showValues=False, tickLength=0)
        self.strip.getAxis("right").setTicks([[]])
        self.strip.getViewBox().setYRange(0, 1, padding=0)
        self.view.ci.layout.setRowFixedHeight(1, 8)
        self.view.ci.layout.setRowStretchFactor(0, 4)
        self.view.ci.layout.setRowStretchFactor(2, 1)

    def set_style(self, style: ChartStyle) -> None:
        """Recolour everything (dark/light theme or user colours)."""
        self.chart_style = style
        self.view.setBackground(qcolor(style.background))
        fg = qcolor(style.foreground)
        for plot in (self.price, self.strip, self.volume):
            plot.showGrid(x=False, y=False)  # the GridItems draw it (no per-axis QPicture)
            for side in ("right", "bottom"):
                plot.getAxis(side).setPen(fg)
                plot.getAxis(side).setTextPen(fg)
        for grid in self.grids.values():
            grid.set_color(fg, style.grid_alpha, qcolor(style.background))
        for item in (self.candles, self.vol_item, *self.items.values(),
                     *self.separators.values()):
            item.set_style(style)
        self.crosshair.set_style(style)
        self.indicators.set_style(style)
        self.readout.setStyleSheet(f"color: {fg.name()}; background: "
                                   f"{qcolor(style.background).name()}; padding: 2px 6px;")

    # -- data ---------------------------------------------------------------------------------
    def set_data(self, bars: Bars, result: DGResult | None = None,
                 zones: Sequence[Zone] = ()) -> None:
        """Show ``bars`` with their DG ``result`` and next-bar ``zones`` (computed off the GUI
        thread by the caller). Keeps the view width; with follow-latest, scrolls to the end."""
        first = self.bars is None
        self.bars, self.result = bars, result
        self.lod.clear()
        self.candles.set_data(bars)
        self.vol_item.set_data(bars)
        self.axis.set_timestamps(bars.ts)
        self._set_breaks()
        for name, item in self.items.items():
            if result is None:
                item.setVisible(False)
                continue
            if name == "zones":
                item.set_data(result, zones)
            else:
                item.set_data(result)
            item.setVisible(self._wanted[name])
        self.indicators.on_bars(bars)
        n = len(bars)
        self.price.getViewBox().setLimits(xMin=-RIGHT_MARGIN, xMax=n + RIGHT_MARGIN,
                                          minXRange=5)
        if first or self.follow_latest:
            width = INITIAL_BARS if first else self.visible_bars()
            self._show_latest(width)
        self._fit_y(force=True)
        self.data_changed.emit()

    def toggle(self, element: str, on: bool) -> None:
        """Show or hide one element of ``ELEMENTS``."""
        if element not in ELEMENTS:
            raise ValueError(f"unknown chart element {element!r}; one of {ELEMENTS}")
        self._wanted[element] = on
        if element == "pldot_line":
            pl = self.items["pldot"]
            assert isinstance(pl, PLdotItem)
            pl.set_line_visible(on)
        elif element == "volume":
            self.vol_item.setVisible(on)
        elif element == "separators":
            for sep in self.separators.values():
                sep.setVisible(on)
        elif element == "state":
            self.items["state"].setVisible(on and self.result is not None)
            self.view.ci.layout.setRowFixedHeight(1, 8 if on else 0)
        else:
            self.items[element].setVisible(on and self.result is not None)
        self._fit_y(force=True)

    def is_shown(self, element: str) -> bool:
        if element == "pldot_line":
            return bool(self.items["pldot"].show_line)
        if element == "separators":
            return bool(self.separators["price"].isVisible())
        item = self.vol_item if element == "volume" else self.items[element]
        return bool(item.isVisible())

    # -- bar style and separators -------------------------------------------------------------
    @property
    def bar_style(self) -> str:
        return self.candles.bar_style

    def set_bar_style(self, name: str) -> None:
        """Draw the bars as ``"candles"``, ``"ohlc"`` bars or a close ``"line"``."""
        self.candles.set_bar_style(name)

    def set_separator_tz(self, tz_name: str) -> None:
        """The time zone whose midnight starts a new day for the separators (default UTC);
        an IANA name such as ``"America/New_York"``."""
        self._sep_tz = zone(tz_name)
        self._set_breaks()

    @property
    def separator_tz(self) -> str:
        return str(self._sep_tz.key)

    def _set_breaks(self) -> None:
        bars = self.bars
        n = len(bars) if bars is not None else 0
        breaks = SessionBreaks(bars.ts, self.axis.intraday, self._sep_tz) \
            if bars is not None and n else None
        for sep in self.separators.values():
            sep.set_breaks(breaks, n)

    # -- view range ---------------------------------------------------------------------------
    def x_range(self) -> tuple[float, float]:
        (x0, x1), _ = self.price.getViewBox().viewRange()
        return float(x0), float(x1)

    def visible_bars(self) -> int:
        x0, x1 = self.x_range()
        return max(5, round(x1 - x0 - RIGHT_MARGIN))

    def set_x_range(self, x0: float, x1: float) -> None:
        """Show bars ``x0..x1`` (bar indices; beyond N-1 is the future slot)."""
        self.price.getViewBox().setXRange(x0, x1, padding=0)
        n = len(self.bars) if self.bars is not None else 0
        self.follow_latest = x1 >= n - 1 + RIGHT_MARGIN - 0.5
        self._fit_y()

    def _show_latest(self, width: float) -> None:
        n = len(self.bars) if self.bars is not None else 0
        self.set_x_range(max(-1.0, n - 0.5 - width), n - 0.5 + RIGHT_MARGIN)
        self.follow_latest = True

    def show_latest(self) -> None:
        """End: the newest bars with the future slot, and follow new bars."""
        self._show_latest(self.visible_bars())

    def show_first(self) -> None:
        """Home: the oldest bars."""
        width = self.visible_bars()
        self.set_x_range(-0.5, width - 0.5)

    def show_all(self) -> None:
        n = len(self.bars) if self.bars is not None else 0
        self._show_latest(max(n, 5))

    def pan(self, fraction: float) -> None:
        """Move the view by ``fraction`` of its width (negative: back in time)."""
        x0, x1 = self.x_range()
        dx = (x1 - x0) * fraction
        self.set_x_range(x0 + dx, x1 + dx)

    def zoom(self, factor: float) -> None:
        """Zoom by ``factor`` (< 1 zooms in) anchored at the right edge when following, else at
        the centre."""
        x0, x1 = self.x_range()
        anchor = x1 if self.follow_latest else (x0 + x1) / 2
        self.set_x_range(anchor - (anchor - x0) * factor, anchor + (x1 - anchor) * factor)

    @property
    def auto_fit_y(self) -> bool:
        """True while every pane fits its y to the visible bars."""
        return all(self._auto_fit.values())

    @auto_fit_y.setter
    def auto_fit_y(self, on: bool) -> None:
        self.set_auto_fit_y(on)

    def set_auto_fit_y(self, on: bool) -> None:
        """Fit y to the visible bars in every pane (mouse y-zoom is off while it is on)."""
        for pane in PANES:
            self.set_pane_auto_fit(pane, on)

    def set_pane_auto_fit(self, pane: str, on: bool) -> None:
        """Turn y auto-fit of ``pane`` (``"price"`` or ``"volume"``) on or off. Off, the pane's
        y scales by dragging its right axis or Ctrl+wheel, and stays put while x moves."""
        if pane not in PANES:
            raise ValueError(f"unknown chart pane {pane!r}; one of {PANES}")
        self._auto_fit[pane] = bool(on)
        self.panes[pane].getViewBox().setMouseEnabled(x=True, y=not on)
        button = self.fit_buttons[pane]
        if button.isChecked() != bool(on):
            button.setChecked(bool(on))  # re-enters here once, harmlessly
        self._fit_y(force=True)

    def pane_auto_fit(self, pane: str) -> bool:
        if pane not in PANES:
            raise ValueError(f"unknown chart pane {pane!r}; one of {PANES}")
        return self._auto_fit[pane]

    def _on_price_x_range_changed(self, *_: object) -> None:
        if self.bars is not None and not self._fitting:
            x1 = self.x_range()[1]
            self.follow_latest = x1 >= len(self.bars) - 1 + RIGHT_MARGIN - 0.5
        self._fit_y()

    def _fit_y(self, force: bool = False) -> None:
        """Fit y to the visible bars, once per x-range (``force``: data or elements changed)."""
        if not (any(self._auto_fit.values()) or self.indicators.fits_y) or self.bars is None \
                or self._fitting:
            return
        x0, x1 = self.x_range()
        if not force and self._fitted == (x0, x1):
            return
        self._fitted = (x0, x1)
        i0, i1 = max(0, math.floor(x0)), max(0, math.ceil(x1) + 1)
        self._fitting = True
        try:
            for pane, plot, items in (("price", self.price, [
                    self.candles, *self._price_overlays(), *self.indicators.price_items()]),
                                      ("volume", self.volume, [self.vol_item])):
                if not self._auto_fit[pane]:
                    continue
                ranges = [r for it in items if (r := it.y_range(i0, i1)) is not None]
                if ranges:
                    lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
                    pad = (hi - lo) * Y_PAD or abs(hi) * 0.01 or 1.0
                    lo = 0.0 if plot is self.volume else lo - pad
                    plot.getViewBox().setYRange(lo, hi + pad, padding=0)
            self.indicators.fit_y(i0, i1)
        finally:
            self._fitting = False

    def refit(self) -> None:
        """Fit y again now (an indicator was added, removed or recomputed)."""
        self._fit_y(force=True)

    def _price_overlays(self) -> list[ChartItem]:
        fit = ("envelope", "pldot", "lines", "zones")
        return [self.items[k] for k in fit if self.items[k].isVisible()]

    # -- crosshair, keys, export --------------------------------------------------------------
    def show_bar(self, i: int) -> str:
        """Put the crosshair on bar ``i`` and return the readout text."""
        self.crosshair.place(i)
        return self._on_crosshair_moved(i, math.nan)

    def _on_crosshair_moved(self, i: int, y: float) -> str:
        text = readout_text(self.bars, self.result, i)
        self.readout.setText(text or " ")
        if text:
            self.bar_hovered.emit(i)
        return text

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        if event.type() == QtCore.QEvent.Type.KeyPress and isinstance(event, QtGui.QKeyEvent):
            return self.handle_key(event.key())
        return super().eventFilter(obj, event)

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:  # noqa: N802
        if not self.handle_key(event.key()):
            super().keyPressEvent(event)

    def handle_key(self, key: int) -> bool:
        """Arrows pan, +/- (and up/down) zoom, Home shows the start, End follows the latest."""
        k = QtCore.Qt.Key
        actions = {k.Key_Left: lambda: self.pan(-0.1), k.Key_Right: lambda: self.pan(0.1),
                   k.Key_Plus: lambda: self.zoom(0.8), k.Key_Equal: lambda: self.zoom(0.8),
                   k.Key_Up: lambda: self.zoom(0.8), k.Key_Minus: lambda: self.zoom(1.25),
                   k.Key_Down: lambda: self.zoom(1.25), k.Key_Home: self.show_first,
                   k.Key_End: self.show_latest}
        action = {int(q.value): f for q, f in actions.items()}.get(int(key))
        if action is None:
            return False
        action()
        return True

    def grab_png(self, path: str | Path) -> bool:
        """Save the chart (with its readout) as a PNG; True on success."""
        if not self.isVisible():
            self.ensurePolished()
            lay = self.layout()
            if lay is not None:
                lay.activate()
        return bool(self.grab().save(str(path), "PNG"))
