"""``IndicatorsController``: the indicator instances of every chart pane, computed on the CPU
pool and drawn by the pane's ``IndicatorLayer``; the indicator browser acts on the active pane.

Every computation is ``services.indicator_series.compute_series`` on the task runner, keyed
``indicator:<pane id>:<instance id>`` (latest wins per instance). An add or an edit from the
browser becomes part of the model only once the engine has computed it: a parameter the engine
refuses comes back as ``rejected`` with the engine's message (shown in the browser) and changes
nothing. A chart that loads new bars (symbol or interval switch, reload) recomputes all its
instances; until the new series arrive the old ones are hidden. The instances are part of each
pane's layout state (``pane_state``) and come back with it (``PanesController.pane_restored``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from PySide6.QtCore import QObject, Signal, Slot

from drummond_desktop.app.controllers.chart_controller import ChartController, speak_failure
from drummond_desktop.app.controllers.panes import PanesController
from drummond_desktop.app.main_window import MainWindow
from drummond_desktop.app.models.indicators import (
    IndicatorInstance,
    IndicatorsModel,
    Placement,
    with_values,
)
from drummond_desktop.app.views.chart_area import ChartPane
from drummond_desktop.app.workers import PoolName, TaskFn, TaskRunner
from drummond_desktop.services.indicator_series import (
    IndicatorSeries,
    SeriesRequest,
    bars_stamp,
    compute_series,
    validation_bars,
)
from engine.bars import Bars
from engine.indicators.catalog import catalog, get

if TYPE_CHECKING:
    from drummond_desktop.app.chart.indicator_pane import IndicatorLayer
    from drummond_desktop.app.views.indicator_browser import IndicatorBrowser

log = logging.getLogger(__name__)

Mode = Literal["add", "edit", "compute"]


@dataclass(frozen=True)
class _Pending:
    pane_id: int
    instance: IndicatorInstance
    mode: Mode


def engine_message(exc: BaseException) -> str:
    """The engine's own words: ``str`` of a ``ValueError``, a ``KeyError``'s text unquoted."""
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return str(exc) or type(exc).__name__


class IndicatorsController(QObject):
    """See the module docstring. ``compute`` is the task function (a seam for tests)."""

    KEY = "indicator"

    rejected = Signal(int, str)  # pane id, the engine's message: an add or edit was refused
    applied = Signal(int, int)  # pane id, instance id: its series is on the chart

    def __init__(self, window: MainWindow, runner: TaskRunner, panes: PanesController, *,
                 pool: PoolName = "cpu", compute: TaskFn = compute_series) -> None:
        super().__init__(window)
        self.window, self.runner, self.panes = window, runner, panes
        self.pool: PoolName = pool
        self.compute = compute
        self.models: dict[int, IndicatorsModel] = {}
        self.browser: IndicatorBrowser | None = None
        self._pending: dict[str, _Pending] = {}
        panes.pane_ready.connect(self._on_pane_ready)
        panes.pane_restored.connect(self._on_pane_restored)
        window.charts.pane_removed.connect(self._on_pane_removed)
        window.charts.active_changed.connect(self._on_active_changed)
        runner.finished.connect(self._on_runner_finished)
        runner.failed.connect(self._on_runner_failed)
        for ctl in panes:
            self._on_pane_ready(ctl.pane, ctl)

    # -- public API ---------------------------------------------------------------------------
    def model(self, pane: ChartPane | None = None) -> IndicatorsModel | None:
        target = pane or self.window.charts.active
        return self.models.get(target.pane_id)

    def layer(self, pane: ChartPane | None = None) -> IndicatorLayer | None:
        target = pane or self.window.charts.active
        layer: IndicatorLayer | None = getattr(target.chart, "indicators", None)
        return layer

    def add(self, name: str, params: Mapping[str, Any], placement: Placement, *,
            pane: ChartPane | None = None) -> IndicatorInstance | None:
        """Compute ``name`` with ``params`` for the pane (default: active); it joins the model
        when the engine accepts it. None (and ``rejected``) when refused at once."""
        target = pane or self.window.charts.active
        model = self.models.get(target.pane_id)
        resolved = self._resolve(target.pane_id, name, params)
        if model is None or resolved is None:
            return None
        instance = model.make(name, resolved, placement)
        self._submit(target.pane_id, instance, "add")
        return instance

    def edit(self, instance_id: int, params: Mapping[str, Any], placement: Placement, *,
             pane: ChartPane | None = None) -> bool:
        """New parameters or placement for an instance; applied once the engine accepts them."""
        target = pane or self.window.charts.active
        model = self.models.get(target.pane_id)
        old = model.get(instance_id) if model is not None else None
        resolved = self._resolve(target.pane_id, old.name, params) if old else None
        if old is None or resolved is None:
            return False
        self._submit(target.pane_id, with_values(old, resolved, placement), "edit")
        return True

    def remove(self, instance_id: int, *, pane: ChartPane | None = None) -> bool:
        model = self.model(pane)
        return model.remove(instance_id) if model is not None else False

    def pane_state(self, pane: ChartPane) -> dict[str, Any]:
        """What a layout keeps of the pane beside its symbol: its indicator instances."""
        model = self.models.get(pane.pane_id)
        return {"indicators": model.to_payload()} if model is not None and len(model) else {}

    def open_browser(self) -> IndicatorBrowser:
        """The indicator browser, following the active pane (built on first use)."""
        if self.browser is None:
            from drummond_desktop.app.views.indicator_browser import IndicatorBrowser

            self.browser = IndicatorBrowser(list(catalog().values()), parent=self.window)
            self.browser.add_requested.connect(
                lambda name, params, placement: self.add(name, params, placement))
            self.browser.edit_requested.connect(
                lambda instance_id, params, placement: self.edit(instance_id, params, placement))
            self.browser.remove_requested.connect(lambda instance_id: self.remove(instance_id))
            self.rejected.connect(self._on_rejected)
        self._follow(self.window.charts.active)
        if self.browser.isVisible():  # behind the window: bring it forward
            self.browser.raise_()
            self.browser.activateWindow()
        self.browser.show()  # not modal: the chart stays usable beside it
        return self.browser

    # -- computing ----------------------------------------------------------------------------
    def _key(self, pane_id: int, instance_id: int) -> str:
        return f"{self.KEY}:{pane_id}:{instance_id}"

    def _bars(self, pane_id: int) -> Bars | None:
        ctl = self.panes.controllers.get(pane_id)
        return ctl.current.bars if ctl is not None and ctl.current is not None else None

    def _resolve(self, pane_id: int, name: str,
                 params: Mapping[str, Any]) -> tuple[tuple[str, int | float], ...] | None:
        try:
            return tuple(get(name).resolve(params).items())
        except (KeyError, ValueError) as exc:
            self.rejected.emit(pane_id, engine_message(exc))
            return None

    def _submit(self, pane_id: int, instance: IndicatorInstance, mode: Mode) -> None:
        """Compute ``instance`` for the pane's bars (or, before the pane has any, on a small
        series: the engine still checks the parameters)."""
        bars = self._bars(pane_id)
        key = self._key(pane_id, instance.id)
        self._pending[key] = _Pending(pane_id, instance, mode)
        request = SeriesRequest(bars if bars is not None else validation_bars(), instance.name,
                                instance.params, tag=instance.id)
        self.runner.submit(key, self.compute, request, pool=self.pool)

    def _recompute(self, pane_id: int) -> None:
        """New bars on the pane: every instance again; a pending add or edit keeps its mode."""
        model = self.models.get(pane_id)
        if model is None:
            return
        for instance in model.instances():
            pending = self._pending.get(self._key(pane_id, instance.id))
            if pending is None or pending.mode == "compute":
                self._submit(pane_id, instance, "compute")
        for pending in [p for p in self._pending.values()
                        if p.pane_id == pane_id and p.mode != "compute"]:
            self._submit(pane_id, pending.instance, pending.mode)

    def _apply(self, pending: _Pending, series: IndicatorSeries) -> None:
        model = self.models.get(pending.pane_id)
        if model is None:
            return
        instance = pending.instance
        if pending.mode == "add":
            model.add(instance)
        elif model.get(instance.id) is None:
            return  # removed while it was computed
        elif pending.mode == "edit":
            model.replace(instance)
        else:
            instance = model.get(instance.id) or instance
        ctl = self.panes.controllers.get(pending.pane_id)
        layer = self.layer(ctl.pane) if ctl is not None else None
        bars = self._bars(pending.pane_id)
        if layer is not None and bars is not None and series.stamp == bars_stamp(bars):
            layer.show(instance.id, series, color=instance.color,
                       pane=instance.placement == "pane", title=instance.label)
        if pending.mode != "compute" and self.browser is not None \
                and self.browser.model is model:
            self.browser.accepted_instance(instance.id)
        self.applied.emit(pending.pane_id, instance.id)

    def _keep_current(self, pane_id: int, instance_id: int) -> None:
        """A refused edit leaves the old parameters: draw them for the pane's bars, which may
        have changed while the edit was computed."""
        model, bars = self.models.get(pane_id), self._bars(pane_id)
        ctl = self.panes.controllers.get(pane_id)
        layer = self.layer(ctl.pane) if ctl is not None else None
        old = model.get(instance_id) if model is not None else None
        item = layer.items.get(instance_id) if layer is not None else None
        if old is not None and bars is not None and (
                item is None or item.stamp != bars_stamp(bars)):
            self._submit(pane_id, old, "compute")

    # -- slots --------------------------------------------------------------------------------
    @Slot(str, int, object)
    def _on_runner_finished(self, key: str, generation: int, result: object) -> None:
        if not key.startswith(f"{self.KEY}:") or generation != self.runner.generation(key):
            return
        pending = self._pending.pop(key, None)
        if pending is not None and isinstance(result, IndicatorSeries):
            self._apply(pending, result)

    @Slot(str, int, object)
    def _on_runner_failed(self, key: str, generation: int, exc: object) -> None:
        if not key.startswith(f"{self.KEY}:") or generation != self.runner.generation(key):
            return
        pending = self._pending.pop(key, None)
        if pending is None or not isinstance(exc, BaseException):
            return
        model = self.models.get(pending.pane_id)
        if pending.mode == "add" and model is not None:
            model.discard(pending.instance.id)
        if pending.mode == "edit":
            self._keep_current(pending.pane_id, pending.instance.id)
        if pending.mode != "compute" and isinstance(exc, KeyError | ValueError):
            self.rejected.emit(pending.pane_id, engine_message(exc))
        elif isinstance(exc, KeyError | ValueError):  # e.g. a hand-edited layout's parameters
            self.window.show_message(f"{pending.instance.label}: {engine_message(exc)}")
        else:
            speak_failure(self.window, exc, f"{pending.instance.label} could not be computed")

    @Slot(object, object)
    def _on_pane_ready(self, pane: ChartPane, controller: ChartController) -> None:
        if getattr(pane.chart, "indicators", None) is None:
            return  # the fallback chart draws no indicators
        pane_id = pane.pane_id
        model = IndicatorsModel(self)
        model.removed.connect(lambda instance_id, p=pane_id: self._on_removed(p, instance_id))
        self.models[pane_id] = model
        controller.chart_shown.connect(lambda _data, p=pane_id: self._recompute(p))

    @Slot(object, object)
    def _on_pane_restored(self, pane: ChartPane, spec: object) -> None:
        """A saved layout's pane: its instances (those the catalog still knows)."""
        model = self.models.get(pane.pane_id)
        if model is None or not isinstance(spec, Mapping):
            return
        kept = []
        for instance in model.instances_from_payload(spec.get("indicators")):
            try:
                params = tuple(get(instance.name).resolve(dict(instance.params)).items())
            except (KeyError, ValueError) as exc:
                self.window.show_message(f"Layout: {engine_message(exc)}")
                continue
            kept.append(with_values(instance, params, instance.placement))
        model.set_instances(kept)
        if self._bars(pane.pane_id) is not None:
            self._recompute(pane.pane_id)

    def _on_removed(self, pane_id: int, instance_id: int) -> None:
        key = self._key(pane_id, instance_id)
        if self._pending.get(key) is not None:
            self._pending.pop(key)
            self.runner.cancel(key)
        ctl = self.panes.controllers.get(pane_id)
        layer = self.layer(ctl.pane) if ctl is not None else None
        if layer is not None:
            layer.remove(instance_id)

    @Slot(object)
    def _on_pane_removed(self, pane: ChartPane) -> None:
        model = self.models.pop(pane.pane_id, None)
        for key in [k for k, p in self._pending.items() if p.pane_id == pane.pane_id]:
            del self._pending[key]
            self.runner.cancel(key)
        if model is not None:
            if self.browser is not None and self.browser.model is model:
                self.browser.set_model(None, "")
            model.deleteLater()

    @Slot(object)
    def _on_active_changed(self, pane: ChartPane) -> None:
        if self.browser is not None:
            self._follow(pane)

    def _follow(self, pane: ChartPane) -> None:
        assert self.browser is not None
        title = f"{pane.symbol} {pane.interval}".strip()
        self.browser.set_model(self.models.get(pane.pane_id), title)

    @Slot(int, str)
    def _on_rejected(self, pane_id: int, message: str) -> None:
        if self.browser is not None and self.browser.model is self.models.get(pane_id):
            self.browser.show_error(message)
