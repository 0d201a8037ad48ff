"""``IndicatorLayer``: a chart's indicator instances, drawn over the prices or each in a pane of
its own, and ``IndicatorPane``: such a pane.

An indicator pane is made like the volume pane: a ``PaneViewBox`` plot linked to the price pane
on x (bar index), its own right axis, grid, "A" auto-fit button and a crosshair line, and a
legend label in its top-left corner. Panes sit between the state strip and the volume pane,
which keeps the date axis at the bottom; adding or removing one lays the rows out again. Each
pane fits its y to the visible values of its instance (``fit``), called from the chart's y fit.

Results are shown only while they belong to the bars on the chart (``bars_stamp``): after a
symbol or interval switch an instance stays hidden until its recomputed series arrives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from drummond_desktop.app.chart.axis import CompactAxis
from drummond_desktop.app.chart.base import ChartItem
from drummond_desktop.app.chart.grid import GridItem
from drummond_desktop.app.chart.indicator_items import IndicatorItem
from drummond_desktop.app.chart.panes import AutoFitButton, PaneViewBox
from drummond_desktop.app.chart.style import ChartStyle, qcolor
from drummond_desktop.services.indicator_series import IndicatorSeries, Stamp, bars_stamp
from engine.bars import Bars

if TYPE_CHECKING:
    from drummond_desktop.app.chart.chart_widget import ChartWidget

Y_PAD = 0.06  # as the price pane
PANE_STRETCH = 1  # each indicator pane as tall as the volume pane; the price pane 4
FIRST_ROW = 2  # rows 0 and 1: the price pane and the state strip


class IndicatorPane:
    """One instance's pane; see the module docstring."""

    def __init__(self, chart: ChartWidget, item: IndicatorItem, title: str) -> None:
        self.chart, self.item = chart, item
        self.auto_fit = True
        self.plot = pg.PlotItem(viewBox=PaneViewBox(),
                                axisItems={"right": CompactAxis("right")})
        plot = self.plot
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        plot.showAxis("right")
        plot.getAxis("right").setWidth(chart.price.getAxis("right").width())
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.getViewBox().setMouseEnabled(x=True, y=False)
        plot.setXLink(chart.price)
        self.grid = GridItem(chart.axis, plot.getAxis("right"))
        plot.addItem(self.grid, ignoreBounds=True)
        plot.addItem(item)
        self.vline = chart.crosshair.add_plot(plot)  # placed and hidden with the others
        self.button = AutoFitButton("indicator", plot.getViewBox(), chart.view)
        self.button.toggled.connect(self.set_auto_fit)
        self.label = QtWidgets.QLabel(title, chart.view)
        self.label.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        plot.getViewBox().sigResized.connect(self.place_label)
        self.set_title(title, item.color)
        self.set_style(chart.chart_style)

    def set_title(self, title: str, color: str) -> None:
        self.label.setText(title)
        self.label.setStyleSheet(f"color: {color}; background: transparent; padding: 0 4px;")
        self.label.adjustSize()

    def set_style(self, style: ChartStyle) -> None:
        fg = qcolor(style.foreground)
        for side in ("right", "bottom"):
            self.plot.getAxis(side).setPen(fg)
            self.plot.getAxis(side).setTextPen(fg)
        self.grid.set_color(fg, style.grid_alpha, qcolor(style.background))
        self.plot.showGrid(x=False, y=False)
        pens = self.chart.crosshair.vlines
        if pens and pens[0] is not self.vline:
            self.vline.setPen(pens[0].pen)

    def set_auto_fit(self, on: bool) -> None:
        """Fit y to the visible values (on), or let the user scale it (Ctrl+wheel, axis drag)."""
        self.auto_fit = bool(on)
        self.plot.getViewBox().setMouseEnabled(x=True, y=not on)
        if self.button.isChecked() != bool(on):
            self.button.setChecked(bool(on))
        self.chart.refit()

    def fit(self, i0: int, i1: int) -> None:
        if not self.auto_fit or not self.item.isVisible():
            return
        r = self.item.y_range(i0, i1)
        if r is None:
            return
        lo, hi = r
        pad = (hi - lo) * Y_PAD or abs(hi) * 0.01 or 1.0
        self.plot.getViewBox().setYRange(lo - pad, hi + pad, padding=0)

    def place_label(self, *_: object) -> None:
        rect = self.plot.getViewBox().sceneBoundingRect()
        corner = self.chart.view.mapFromScene(rect.topLeft())
        self.label.move(corner.x() + 2, corner.y() + 1)
        self.label.setVisible(rect.height() > self.label.height())

    def dispose(self) -> None:
        """Leave the chart: the crosshair line, the button and the label go too."""
        self.plot.setXLink(None)
        self.chart.crosshair.remove_plot(self.plot)
        for widget in (self.button, self.label):
            widget.hide()
            widget.deleteLater()


class IndicatorLayer:
    """The indicator instances of one ``ChartWidget``, by instance id."""

    def __init__(self, chart: ChartWidget) -> None:
        self.chart = chart
        self.items: dict[int, IndicatorItem] = {}
        self.panes: dict[int, IndicatorPane] = {}
        self._stamp: Stamp | None = None

    # -- instances ----------------------------------------------------------------------------
    def show(self, instance_id: int, series: IndicatorSeries, *, color: str, pane: bool,
             title: str = "") -> IndicatorItem:
        """Draw ``series`` for instance ``instance_id`` in ``color``, in a pane of its own
        (``pane``, when it has a line to draw) or over the prices. Replaces what the instance
        showed before, moving it between the price pane and its own when ``pane`` changed."""
        pane = pane and bool(series.lines)  # markers belong on the price bars
        item = self.items.get(instance_id)
        if item is not None and item.overlay == pane:
            self.remove(instance_id)
            item = None
        if item is None:
            item = IndicatorItem(color, overlay=not pane)
            self.items[instance_id] = item
            if pane:
                self.panes[instance_id] = IndicatorPane(self.chart, item, title)
                self._lay_out()
            else:
                self.chart.price.addItem(item)
        item.set_series(series)
        item.set_color(color)
        if instance_id in self.panes:
            self.panes[instance_id].set_title(title or series.label, color)
        item.setVisible(self._current(item))
        self.chart.refit()
        return item

    def remove(self, instance_id: int) -> bool:
        """Take the instance off the chart (its pane too); False when it was not shown."""
        item = self.items.pop(instance_id, None)
        if item is None:
            return False
        pane = self.panes.pop(instance_id, None)
        if pane is None:
            self.chart.price.removeItem(item)
        else:
            pane.dispose()
            self.chart.view.ci.removeItem(pane.plot)
            self._lay_out()
        self.chart.refit()
        return True

    def clear(self) -> None:
        for instance_id in list(self.items):
            self.remove(instance_id)

    # -- what the chart asks ------------------------------------------------------------------
    def on_bars(self, bars: Bars) -> None:
        """New bars on the chart: hide the results computed for other bars."""
        self._stamp = bars_stamp(bars)
        for item in self.items.values():
            item.setVisible(self._current(item))

    def price_items(self) -> list[ChartItem]:
        """The visible instances over the prices (for the price pane's y fit)."""
        return [it for k, it in self.items.items() if k not in self.panes and it.isVisible()]

    @property
    def fits_y(self) -> bool:
        return any(p.auto_fit for p in self.panes.values())

    def fit_y(self, i0: int, i1: int) -> None:
        for pane in self.panes.values():
            pane.fit(i0, i1)

    def set_style(self, style: ChartStyle) -> None:
        for item in self.items.values():
            item.set_style(style)
        for pane in self.panes.values():
            pane.set_style(style)

    # -- private ------------------------------------------------------------------------------
    def _current(self, item: IndicatorItem) -> bool:
        bars = self.chart.bars
        stamp = self._stamp if self._stamp is not None else (
            bars_stamp(bars) if bars is not None else None)
        return stamp is not None and item.stamp == stamp

    def _lay_out(self) -> None:
        """Rows: price, strip, the indicator panes in instance order, then the volume pane
        (with the date axis). Rows left empty get no stretch, so they take no space."""
        ci = self.chart.view.ci
        volume = self.chart.volume
        moving = [volume, *(p.plot for p in self.panes.values())]
        for plot in moving:
            if plot in ci.items:
                ci.removeItem(plot)
        grid = ci.layout
        last = FIRST_ROW + len(self.panes)
        for row in range(FIRST_ROW, max(grid.rowCount(), last + 1)):
            grid.setRowStretchFactor(row, 0)
        for row, key in enumerate(sorted(self.panes), start=FIRST_ROW):
            ci.addItem(self.panes[key].plot, row=row, col=0)
            grid.setRowStretchFactor(row, PANE_STRETCH)
        ci.addItem(volume, row=last, col=0)
        grid.setRowStretchFactor(last, 1)
        for button in self.chart.fit_buttons.values():
            button.place()
        for pane in self.panes.values():
            pane.button.place()
            pane.place_label()
