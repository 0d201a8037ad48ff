"""``DrawingsController``: a ``DrawingsModel`` and a ``DrawingLayer`` for every chart pane, and
one drawing toolbar that drives the active pane's layer.

Each pane's model follows the symbol its chart shows (drawings are stored per symbol, anchored
to time and price, so they survive interval changes). The user store opens on the worker that
first reads or writes drawings (``_LazyDrawings``), never on the GUI thread. ``flush()`` writes
what is still pending before the task runner shuts down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Slot

from drummond_desktop.app.controllers.chart_controller import ChartController, speak_failure
from drummond_desktop.app.controllers.panes import PanesController
from drummond_desktop.app.main_window import MainWindow
from drummond_desktop.app.models.drawings import DrawingsModel
from drummond_desktop.app.views.chart_area import ChartPane
from drummond_desktop.app.views.drawing_toolbar import DrawingToolBar
from drummond_desktop.app.workers import TaskRunner

if TYPE_CHECKING:
    from drummond_desktop.app.chart.drawing_tools import DrawingLayer
    from drummond_desktop.store import UserStore
    from drummond_desktop.store.drawings import DrawingRecord

log = logging.getLogger(__name__)


class _LazyDrawings:
    """The user store's drawings repository, reached on first use (on a worker thread)."""

    def __init__(self, store: Callable[[], UserStore]) -> None:
        self._store = store

    def for_symbol(self, symbol: str) -> list[DrawingRecord]:
        return self._store().drawings.for_symbol(symbol)

    def replace_symbol(self, symbol: str, records: Sequence[DrawingRecord]) -> None:
        self._store().drawings.replace_symbol(symbol, records)


class DrawingsController(QObject):
    """Drawings on every pane; the toolbar follows the active one."""

    def __init__(self, window: MainWindow, runner: TaskRunner, panes: PanesController,
                 user_store: Callable[[], UserStore] | None) -> None:
        super().__init__(window)
        self.window = window
        self.runner = runner
        self.store = _LazyDrawings(user_store) if user_store is not None else None
        self.models: dict[int, DrawingsModel] = {}
        self.layers: dict[int, DrawingLayer] = {}
        self.toolbar = DrawingToolBar(parent=window)
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        panes.pane_ready.connect(self._on_pane_ready)
        window.charts.pane_removed.connect(self._on_pane_removed)
        window.charts.active_changed.connect(self._on_active_changed)
        for ctl in panes:
            self._on_pane_ready(ctl.pane, ctl)

    def layer(self, pane: ChartPane | None = None) -> DrawingLayer | None:
        """The drawing layer of ``pane`` (default: the active pane)."""
        target = pane or self.window.charts.active
        return self.layers.get(target.pane_id)

    def model(self, pane: ChartPane | None = None) -> DrawingsModel | None:
        target = pane or self.window.charts.active
        return self.models.get(target.pane_id)

    def flush(self) -> None:
        """Write pending drawings here and now (the window is closing)."""
        for model in self.models.values():
            model.flush()

    # ----------------------------------------------------------------------------- private

    @Slot(object, object)
    def _on_pane_ready(self, pane: ChartPane, controller: ChartController) -> None:
        if not hasattr(pane.chart, "data_changed"):
            return  # the fallback chart has nothing to draw on
        from drummond_desktop.app.chart.drawing_tools import DrawingLayer

        model = DrawingsModel(self.store, self.runner, parent=self)
        model.failed.connect(self._on_model_failed)
        layer = DrawingLayer(pane.chart, model)  # type: ignore[arg-type]
        self.models[pane.pane_id] = model
        self.layers[pane.pane_id] = layer
        controller.chart_shown.connect(lambda data, m=model: m.set_symbol(data.symbol))
        if controller.current is not None:
            model.set_symbol(controller.current.symbol)
        if self.window.charts.active_or_none() is pane:
            self.toolbar.set_layer(layer)

    @Slot(object)
    def _on_pane_removed(self, pane: ChartPane) -> None:
        model = self.models.pop(pane.pane_id, None)
        layer = self.layers.pop(pane.pane_id, None)
        if layer is not None:
            if self.toolbar.layer is layer:
                self.toolbar.set_layer(None)
            layer.detach()
        if model is not None:
            model.flush()
            model.deleteLater()

    @Slot(object)
    def _on_active_changed(self, pane: ChartPane) -> None:
        self.toolbar.set_layer(self.layers.get(pane.pane_id))

    @Slot(object)
    def _on_model_failed(self, exc: object) -> None:
        assert isinstance(exc, BaseException)
        speak_failure(self.window, exc, "Your drawings could not be saved or read")
