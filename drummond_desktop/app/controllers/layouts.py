"""``LayoutsController``: named layouts (docks, window, chart tabs and panes) in the user store.

A layout is plain JSON: the window's geometry and dock state (``QMainWindow.saveState``, base64)
and the chart area's tabs with each pane's symbol and interval (``ChartArea.describe``) plus
what ``pane_state`` adds per pane (its indicator instances, ``describe_tabs``). The
Layouts menu offers *Save layout as…*, one entry per saved layout, and *Delete*. Restoring puts
the docks back here and hands the tabs to the workspace (``tabs_requested``), which owns the
panes' controllers. Names load on the I/O pool; saves go through the ``SerialWriter``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QObject, Signal, Slot

from drummond_desktop.app.controllers.chart_controller import speak_failure
from drummond_desktop.app.controllers.user_writes import SerialWriter
from drummond_desktop.app.main_window import LAYOUT_VERSION, MainWindow
from drummond_desktop.app.views.chart_area import ChartPage, ChartPane
from drummond_desktop.app.views.prompts import AskText, ask_text
from drummond_desktop.app.workers import TaskRunner
from drummond_desktop.core.tasks import CancelToken, Progress

if TYPE_CHECKING:  # the store module pulls in SQLAlchemy: not at start-up
    from drummond_desktop.store.workspace_lists import LayoutRepository

PAYLOAD_VERSION = 1
LayoutProvider = Callable[[], "LayoutRepository"]
PaneState = Callable[[ChartPane], dict[str, Any]]  # more of a pane to keep, e.g. indicators
# More of the window to keep under a key of its own: (capture -> JSON value, apply(value or None))
Extra = tuple[Callable[[], Any], Callable[[Any], None]]


def _b64(data: QByteArray) -> str:
    return base64.b64encode(bytes(data.data())).decode("ascii")


def _unb64(text: object) -> QByteArray | None:
    if not isinstance(text, str):
        return None
    try:
        return QByteArray(base64.b64decode(text.encode("ascii"), validate=True))
    except ValueError:
        return None


def describe_tabs(window: MainWindow, pane_state: PaneState | None = None
                  ) -> list[dict[str, Any]]:
    """``ChartArea.describe`` with each pane's ``pane_state`` merged into its dict."""
    charts = window.charts
    tabs = charts.describe()
    if pane_state is not None:
        pages = [p for i in range(charts.count()) if isinstance(p := charts.widget(i), ChartPage)]
        for tab, page in zip(tabs, pages, strict=True):
            for described, pane in zip(tab["panes"], page.panes(), strict=True):
                described.update(pane_state(pane))
    return tabs


def capture(window: MainWindow, pane_state: PaneState | None = None) -> dict[str, Any]:
    """The window as a layout payload."""
    tab, pane = window.charts.active_position()
    return {"version": PAYLOAD_VERSION, "geometry": _b64(window.saveGeometry()),
            "state": _b64(window.saveState(LAYOUT_VERSION)),
            "tabs": describe_tabs(window, pane_state), "active": [tab, pane]}


def valid_tabs(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The payload's tabs that are well formed (a hand-edited or older payload loses only the
    tabs it broke)."""
    tabs = payload.get("tabs")
    out = []
    for tab in tabs if isinstance(tabs, list) else []:
        panes = tab.get("panes") if isinstance(tab, dict) else None
        if isinstance(panes, list) and panes and all(
                isinstance(p, dict) and isinstance(p.get("symbol", ""), str) for p in panes):
            out.append(tab)
    return out


def _names(request: LayoutProvider, cancel: CancelToken, progress: Progress) -> list[str]:
    return request().names()


def _load(request: tuple[LayoutProvider, str], cancel: CancelToken,
          progress: Progress) -> dict[str, Any] | None:
    provider, name = request
    return provider().load(name)


class LayoutsController(QObject):
    """The Layouts menu."""

    KEY = "layouts"

    tabs_requested = Signal(object, object)  # list of tab dicts, [tab, pane] to activate

    def __init__(self, window: MainWindow, runner: TaskRunner, writer: SerialWriter,
                 repository: LayoutProvider | None, ask: AskText = ask_text) -> None:
        super().__init__(window)
        self.window = window
        self.runner = runner
        self.writer = writer
        self.repository = repository
        self.ask = ask
        self.names: list[str] = []
        self.pane_state: PaneState | None = None  # set by the workspace (indicators)
        self.extras: dict[str, Extra] = {}  # e.g. "mtf": the three-timeframe mode
        runner.finished.connect(self._on_runner_finished)
        runner.failed.connect(self._on_runner_failed)
        self._rebuild_menu()

    def load_names(self) -> None:
        if self.repository is not None:
            self.runner.submit(self.KEY, _names, self.repository, pool="io")

    def save_as(self, name: str) -> None:
        name = name.strip()
        if not name or self.repository is None:
            return
        payload, provider = self.payload(), self.repository
        self.writer.enqueue(f"saving layout {name}", lambda: provider().save(name, payload))
        if name not in self.names:
            self.names = sorted([*self.names, name], key=str.casefold)
        self._rebuild_menu()
        self.window.show_message(f"Layout {name!r} saved.", 4000)

    def payload(self) -> dict[str, Any]:
        """The window as a layout payload, with every registered extra."""
        payload = capture(self.window, self.pane_state)
        for key, (get, _put) in self.extras.items():
            payload[key] = get()
        return payload

    def restore(self, name: str) -> None:
        if self.repository is not None:
            self.runner.submit(f"{self.KEY}:load", _load, (self.repository, name), pool="io")

    def delete(self, name: str) -> None:
        if self.repository is None or name not in self.names:
            return
        provider = self.repository
        self.writer.enqueue(f"deleting layout {name}", lambda: provider().delete(name))
        self.names.remove(name)
        self._rebuild_menu()

    def apply(self, payload: dict[str, Any]) -> None:
        """Put a payload's docks and tabs back (bad parts are skipped, never fatal)."""
        geometry, state = _unb64(payload.get("geometry")), _unb64(payload.get("state"))
        if geometry is not None:
            self.window.restoreGeometry(geometry)
        if state is not None:
            self.window.restoreState(state, LAYOUT_VERSION)
        tabs = valid_tabs(payload)
        if tabs:
            active = payload.get("active")
            self.tabs_requested.emit(tabs, active if isinstance(active, list) else [0, 0])
        for key, (_get, put) in self.extras.items():
            put(payload.get(key))  # None: a layout saved without it

    # ----------------------------------------------------------------------------- private

    def _rebuild_menu(self) -> None:
        menu = self.window.layouts_menu
        menu.clear()
        save = menu.addAction("Save layout as…")
        save.setEnabled(self.repository is not None)
        save.triggered.connect(self._on_save_triggered)
        if self.names:
            menu.addSeparator()
            for name in self.names:
                menu.addAction(name).triggered.connect(lambda _=False, n=name: self.restore(n))
            delete = menu.addMenu("Delete")
            for name in self.names:
                delete.addAction(name).triggered.connect(lambda _=False, n=name: self.delete(n))

    @Slot()
    def _on_save_triggered(self) -> None:
        name = self.ask(self.window, "Save layout", "Layout name:", "")
        if name:
            self.save_as(name)

    @Slot(str, int, object)
    def _on_runner_finished(self, key: str, generation: int, result: object) -> None:
        if key == self.KEY and isinstance(result, list):
            self.names = sorted((str(n) for n in result), key=str.casefold)
            self._rebuild_menu()
        elif key == f"{self.KEY}:load":
            if isinstance(result, dict):
                self.apply(result)
            else:
                self.window.show_message("That layout is no longer saved.")

    @Slot(str, int, object)
    def _on_runner_failed(self, key: str, generation: int, exc: object) -> None:
        if key.startswith(self.KEY):
            assert isinstance(exc, BaseException)
            speak_failure(self.window, exc, "The layouts could not be read")
