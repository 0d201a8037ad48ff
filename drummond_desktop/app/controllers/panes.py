"""``PanesController``: one ``ChartController`` per chart pane, and the toolbar routed to the
active one.

A new pane (new tab or split) opens on the symbol and interval of the pane it came from; a
closed pane's task is cancelled. The symbol and interval selectors, the next-bar panel and the
sync action act on the active pane. ``apply_tabs`` rebuilds the tabs of a saved layout and
hands each pane's saved dict to ``pane_restored`` (the indicators controller reads its part).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from drummond_desktop.app.controllers.chart_controller import ChartController, IntervalsFor
from drummond_desktop.app.main_window import MainWindow
from drummond_desktop.app.views.chart_area import ChartPage, ChartPane
from drummond_desktop.app.workers import TaskRunner
from drummond_desktop.services.chart_data import ChartDataService
from engine.drummond import DGParams

log = logging.getLogger(__name__)


class PanesController(QObject):
    """Keeps a controller for every pane of ``window.charts``."""

    chart_shown = Signal(object)  # ChartData, from any pane
    chart_failed = Signal(str)  # the message, from any pane
    pane_ready = Signal(object, object)  # ChartPane, ChartController (a new pane is wired)
    pane_restored = Signal(object, object)  # ChartPane, its dict of a saved layout (indicators)

    def __init__(self, window: MainWindow, runner: TaskRunner, service: ChartDataService, *,
                 demo: bool, intervals_for: IntervalsFor) -> None:
        super().__init__(window)
        self.window = window
        self.runner = runner
        self.service = service
        self.demo = demo
        self.intervals_for = intervals_for
        self.params = DGParams()
        self.controllers: dict[int, ChartController] = {}
        self._restoring = False  # apply_tabs: new panes wait for their saved symbol
        charts = window.charts
        charts.pane_added.connect(self._on_pane_added)
        charts.pane_removed.connect(self._on_pane_removed)
        charts.active_changed.connect(self._on_active_changed)
        window.symbol_chosen.connect(self._on_symbol_chosen)
        window.interval_chosen.connect(self._on_interval_chosen)
        for pane in charts.panes():  # the pane the window was built with
            self._wire(pane)

    @property
    def active(self) -> ChartController:
        return self.controllers[self.window.charts.active.pane_id]

    def __iter__(self) -> Iterator[ChartController]:
        return iter(list(self.controllers.values()))

    def set_demo(self, demo: bool) -> None:
        self.demo = demo
        for ctl in self:
            ctl.demo = demo

    def set_params(self, params: DGParams, *, reload: bool = True) -> None:
        """New DG parameters for every pane; ``reload`` recomputes what they show."""
        self.params = params
        for ctl in self:
            ctl.params = params
            if reload:
                ctl.reload()

    def reload_symbol(self, symbol: str) -> None:
        """Panes showing ``symbol`` load it again (after a sync)."""
        for ctl in self:
            if ctl.symbol == symbol:
                ctl.reload()

    def apply_tabs(self, tabs: list[dict[str, Any]], active: list[Any]) -> None:
        """Replace the tabs with ``tabs`` (``ChartArea.describe`` shape)."""
        charts = self.window.charts
        old = [charts.widget(i) for i in range(charts.count())]
        self._restoring = True
        try:
            first_panes = [self._build_tab(tab) for tab in tabs]
        finally:
            self._restoring = False
        for page in old:
            if page is not None:
                charts.close_tab(charts.indexOf(page))
        tab_i, pane_i = [*active, 0, 0][:2] if isinstance(active, list) else (0, 0)
        if isinstance(tab_i, int) and 0 <= tab_i < len(first_panes):
            made = first_panes[tab_i]
            charts.set_active(made[pane_i if isinstance(pane_i, int)
                                    and 0 <= pane_i < len(made) else 0])

    def _build_tab(self, tab: dict[str, Any]) -> list[ChartPane]:
        charts = self.window.charts
        panes = [p for p in tab["panes"] if isinstance(p, dict)]
        orientation = "v" if tab.get("orientation") == "v" else "h"
        pane = charts.new_tab(orientation)
        made = [pane]
        for _ in panes[1:]:
            extra = charts.split(orientation, made[-1])
            if extra is not None:
                made.append(extra)
        for spec, p in zip(panes, made, strict=False):
            if spec.get("symbol"):
                self.controllers[p.pane_id].show(spec["symbol"], spec.get("interval") or None)
            self.pane_restored.emit(p, spec)
        sizes = tab.get("sizes")
        page = charts.page_of(pane)
        if isinstance(page, ChartPage) and isinstance(sizes, list) and all(
                isinstance(s, int) for s in sizes):
            page.setSizes(sizes)
        return made

    # ----------------------------------------------------------------------------- private

    def _wire(self, pane: ChartPane) -> ChartController:
        ctl = ChartController(self.window, self.runner, self.service, demo=self.demo,
                              intervals_for=self.intervals_for, pane=pane)
        ctl.params = self.params
        ctl.chart_shown.connect(self.chart_shown)
        ctl.chart_failed.connect(self.chart_failed)
        self.controllers[pane.pane_id] = ctl
        self.pane_ready.emit(pane, ctl)
        return ctl

    @Slot(object)
    def _on_pane_added(self, pane: ChartPane) -> None:
        active = self.window.charts.active_or_none()
        source = self.controllers.get(active.pane_id) if active is not None else None
        ctl = self._wire(pane)
        if source is not None and source.symbol and not self._restoring:
            ctl.show(source.symbol, source.interval or None)

    @Slot(object)
    def _on_pane_removed(self, pane: ChartPane) -> None:
        ctl = self.controllers.pop(pane.pane_id, None)
        if ctl is not None:
            ctl.close()

    @Slot(object)
    def _on_active_changed(self, pane: ChartPane) -> None:
        ctl = self.controllers.get(pane.pane_id)
        if ctl is not None:
            ctl.show_in_window()

    @Slot(str)
    def _on_symbol_chosen(self, symbol: str) -> None:
        ctl = self.active
        ctl.show(symbol, ctl.interval or None)

    @Slot(str)
    def _on_interval_chosen(self, interval: str) -> None:
        ctl = self.active
        if ctl.symbol:
            ctl.show(ctl.symbol, interval)
