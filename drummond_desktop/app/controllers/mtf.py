"""``MTFController``: the three-timeframe workspace (View ▸ Three timeframes, spec §B9).

Turning the mode on shows ``MTFWorkspaceView`` in place of the chart tabs (which keep their
panes) on the active pane's symbol. The active pane keeps following the symbol behind it, so
whatever shows a symbol (the selector, the watchlist, a search, a sync) and new DG parameters
load the workspace too; the interval selector gives way to the view's ladder picker (presets, or
a custom ladder the engine checks). Every load is one ``MTFDataService.build`` task on the CPU
pool under the key ``mtf`` (latest wins). The next-bar panel shows the summary, the confluence
list and the coordination flags while the mode is on; turning it off gives the panel back to
the active pane.

The mode, the ladder, the symbol and the hidden higher-timeframe layers are part of a named
layout (``state``/``apply_state``, registered with the ``LayoutsController``) and of the
session the workspace restores at the next start (``save_session``/``restore_session``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QSettings, Signal, Slot

from drummond_desktop.app.controllers.chart_controller import speak_failure
from drummond_desktop.app.controllers.panes import PanesController
from drummond_desktop.app.main_window import MainWindow
from drummond_desktop.app.workers import PoolName, TaskRunner
from drummond_desktop.core.errors import DataError
from drummond_desktop.services.chart_data import ChartData
from drummond_desktop.services.mtf_data import PRESETS, MTFData, MTFDataService, MTFRequest
from drummond_desktop.services.report import price_decimals

if TYPE_CHECKING:  # the view loads pyqtgraph; the store SQLAlchemy: both on first use
    from drummond_desktop.app.views.mtf_workspace import MTFWorkspaceView
    from drummond_desktop.services.market_data import MarketDataService
    from drummond_desktop.store import MarketStore

log = logging.getLogger(__name__)

SESSION_KEY = "workspace/mtf"
DEFAULT_CUSTOM = ("1d", "1w", "1M")
INTERVAL_TOOLTIP = "Three timeframes: the ladder picker above the charts chooses the timeframes"


class StoreContext(Protocol):
    """What the service needs of the application context (``bootstrap.AppContext``)."""

    def market_data(self) -> MarketDataService: ...

    def market_store(self) -> MarketStore: ...


def _no_store() -> MarketDataService:
    raise DataError("no market store in this window",
                    user_message="No local store is open in this window: three timeframes "
                                 "work on the demo data only")


def mtf_service(context: StoreContext | None) -> MTFDataService:
    """The service over the context's store and its exchange calendars (as the charts')."""
    if context is None:
        return MTFDataService(_no_store)
    from drummond_desktop.services.sessions import store_sessions

    return MTFDataService(context.market_data, sessions=store_sessions(context.market_store))


@dataclass(frozen=True)
class LadderChoice:
    """A preset (``auto``, ``intraday``, ``swing``, ``position``) or ``custom`` with its three
    steps (lower, focal, higher, as the interval switch names them)."""

    preset: str = "auto"
    custom: tuple[str, str, str] = DEFAULT_CUSTOM

    def request(self) -> tuple[str | tuple[str, ...], str]:
        """(ladder, focal) of an ``MTFRequest``."""
        return (self.custom, self.custom[1]) if self.preset == "custom" else (self.preset, "")

    @classmethod
    def parse(cls, preset: object, custom: object) -> LadderChoice:
        """From saved values; anything unusable falls back to the defaults."""
        steps = tuple(custom) if isinstance(custom, list | tuple) else ()
        ok = len(steps) == 3 and all(isinstance(s, str) for s in steps)
        good = preset if isinstance(preset, str) and preset in (*PRESETS, "custom") else "auto"
        return cls(good, (steps[0], steps[1], steps[2]) if ok else DEFAULT_CUSTOM)


class MTFController(QObject):
    """See the module docstring. ``service`` is the task's owner (a seam for tests)."""

    KEY = "mtf"

    shown = Signal(object)  # MTFData, once on screen
    failed = Signal(str)  # the message shown
    mode_changed = Signal(bool)

    def __init__(self, window: MainWindow, runner: TaskRunner, panes: PanesController,
                 service: MTFDataService, *, demo: Callable[[], bool],
                 chart_settings: Callable[[], Any] = lambda: None,
                 pool: PoolName = "cpu") -> None:
        super().__init__(window)
        self.window, self.runner, self.panes, self.service = window, runner, panes, service
        self.demo = demo
        self.chart_settings = chart_settings  # -> core.settings.Settings | None
        self.pool: PoolName = pool
        self.view: MTFWorkspaceView | None = None
        self.on = False
        self.symbol = ""
        self.choice = LadderChoice()
        self.current: MTFData | None = None
        self._hidden: set[str] = set()  # kept until the view exists
        self._params: object = None  # the DG parameters of the last load
        window.mtf_action.toggled.connect(self.set_mode)
        window.symbol_chosen.connect(self._on_symbol_chosen)
        panes.chart_shown.connect(self._on_chart_shown)
        runner.finished.connect(self._on_runner_finished)
        runner.failed.connect(self._on_runner_failed)

    # ------------------------------------------------------------------------------ mode

    @Slot(bool)
    def set_mode(self, on: bool) -> None:
        """Show the three-timeframe workspace (on the active pane's symbol) or the tabs."""
        if self.window.mtf_action.isChecked() != on:
            self.window.mtf_action.setChecked(on)  # re-enters once, then returns below
            return
        if on == self.on:
            return
        self.on = on
        self.window.interval_box.setEnabled(not on)
        self.window.interval_box.setToolTip(INTERVAL_TOOLTIP if on else "")
        if on:
            view = self._ensure_view()
            self._apply_chart_settings(view)
            self.window.set_central_view(view)
            # the pane behind follows the workspace's symbol: it is the one to show
            self.load(self.panes.active.symbol if self.panes.controllers else None)
        else:
            self.runner.cancel(self.KEY)
            self.window.set_central_view(None)
            self.window.next_bar.show_confluence(False)
            if self.panes.controllers:
                self.panes.active.show_in_window()
        self.mode_changed.emit(on)

    def load(self, symbol: str | None = None) -> int | None:
        """Load ``symbol`` (default: the one shown, else the active pane's) through the ladder;
        returns the task's generation (None with no symbol or the mode off)."""
        chosen = symbol or self.symbol or (self.panes.active.symbol if self.panes.controllers
                                           else "")
        if not chosen or not self.on or self.view is None:
            self.symbol = chosen or self.symbol
            return None
        self.symbol = chosen
        self.view.show_message(f"loading {chosen}…")
        ladder, focal = self.choice.request()
        self._params = self.panes.params
        request = MTFRequest(chosen, ladder, focal, demo=self.demo(), params=self.panes.params)
        return self.runner.submit(self.KEY, self.service.build, request, pool=self.pool)

    def choose_ladder(self, preset: str, custom: tuple[str, str, str] | None = None) -> None:
        """Use ``preset`` (or ``custom`` steps) and reload."""
        self.choice = LadderChoice.parse(preset, custom or self.choice.custom)
        if self.view is not None:
            self.view.picker.set_choice(self.choice.preset, self.choice.custom)
        self.load()

    # ---------------------------------------------------------------------------- layout

    def state(self) -> dict[str, Any]:
        """What a layout keeps of the mode (plain JSON)."""
        hidden = self.view.hidden if self.view is not None else self._hidden
        return {"on": self.on, "preset": self.choice.preset, "custom": list(self.choice.custom),
                "symbol": self.symbol, "hidden": sorted(hidden)}

    def apply_state(self, state: object, known: set[str] | None = None) -> None:
        """Put a saved ``state`` back (None or a broken one: the mode off); a symbol not in
        ``known`` (when given) is replaced by the active pane's."""
        st = state if isinstance(state, dict) else {}
        self.choice = LadderChoice.parse(st.get("preset"), st.get("custom"))
        symbol = st.get("symbol")
        if isinstance(symbol, str) and symbol and (known is None or symbol in known):
            self.symbol = symbol
        hidden = st.get("hidden")
        self._hidden = {h for h in hidden if isinstance(h, str)} if isinstance(
            hidden, list) else set()
        if self.view is not None:
            self.view.picker.set_choice(self.choice.preset, self.choice.custom)
            for key in {*self.view.hidden, *self._hidden}:
                self.view.set_shown(key, key not in self._hidden)
        if bool(st.get("on")) and self.on:
            self.load()
        else:
            self.set_mode(bool(st.get("on")))

    def save_session(self, settings: QSettings) -> None:
        settings.setValue(SESSION_KEY, json.dumps(self.state()))

    def restore_session(self, settings: QSettings, known: set[str] | None = None) -> None:
        raw = settings.value(SESSION_KEY)
        try:
            state = json.loads(raw) if isinstance(raw, str) else None
        except ValueError:
            state = None
        if isinstance(state, dict):
            self.apply_state(state, known)

    # --------------------------------------------------------------------------- private

    def _ensure_view(self) -> MTFWorkspaceView:
        if self.view is None:
            from drummond_desktop.app.views.mtf_workspace import MTFWorkspaceView

            view = self.view = MTFWorkspaceView()
            view.hidden = set(self._hidden)
            view.picker.set_choice(self.choice.preset, self.choice.custom)
            view.picker.ladder_chosen.connect(self._on_ladder_chosen)
        return self.view

    def _apply_chart_settings(self, view: MTFWorkspaceView) -> None:
        settings = self.chart_settings()
        if settings is None:
            return
        from drummond_desktop.app.theme import apply_chart_settings

        for chart in view.charts():
            try:
                apply_chart_settings(chart, settings)
            except ValueError as exc:
                self.window.show_message(f"Chart settings not applied: {exc}")

    def _show_panel(self, data: MTFData) -> None:
        panel = self.window.next_bar
        tag = "  (synthetic)" if data.synthetic else ""
        panel.show_map(f"{data.symbol} {data.focal.label}: next bar, {data.ladder.name} "
                       f"ladder{tag}", data.summary)
        decimals = price_decimals(float(data.focal.bars.close[-1]))
        steps = " / ".join(f.label for f in data.frames)
        panel.confluence.show_rows(f"Confluence for the next {data.focal.label} bar ({steps})",
                                   data.confluence, data.flags, decimals)
        panel.show_confluence(True)

    @Slot(str, object)
    def _on_ladder_chosen(self, preset: str, custom: object) -> None:
        steps = custom if isinstance(custom, tuple) and len(custom) == 3 else None
        self.choose_ladder(preset, steps)

    @Slot(str)
    def _on_symbol_chosen(self, symbol: str) -> None:
        if self.on:
            self.load(symbol)

    @Slot(object)
    def _on_chart_shown(self, data: object) -> None:
        # The active pane behind the workspace loaded: another symbol (a search, a sync) or new
        # DG parameters reload the workspace; else the panel stays the workspace's.
        if not self.on:
            return
        symbol = data.symbol if isinstance(data, ChartData) else ""
        if symbol and symbol != self.symbol and self.panes.active.symbol == symbol:
            self.load(symbol)
        elif self.panes.params != self._params:
            self.load()
        elif self.current is not None:
            self._show_panel(self.current)

    @Slot(str, int, object)
    def _on_runner_finished(self, key: str, generation: int, result: object) -> None:
        if key != self.KEY or generation != self.runner.generation(key) or not self.on:
            return
        assert isinstance(result, MTFData) and self.view is not None
        data = replace(result, generation=generation)
        self.current = data
        self.view.set_data(data)
        self.view.show_message("")
        self.view.picker.show_error("")
        self._show_panel(data)
        self.shown.emit(data)

    @Slot(str, int, object)
    def _on_runner_failed(self, key: str, generation: int, exc: object) -> None:
        if key == self.KEY and generation == self.runner.generation(key):
            assert isinstance(exc, BaseException)
            self._on_failed(exc)

    def _on_failed(self, exc: BaseException) -> None:
        """The one place the workspace speaks about a failed load: the status bar and, next
        to the ladder picker, inline."""
        message = speak_failure(self.window, exc, f"Could not show {self.symbol} in three "
                                                  "timeframes: unexpected error")
        if self.view is not None:
            self.view.show_message("")
            self.view.picker.show_error(message)
        self.failed.emit(message)
