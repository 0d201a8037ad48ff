"""``--screenshot``: open the workspace, wait for the first chart to be drawn, save a PNG.

Waits on signals (never sleeps): the chart controller's ``chart_shown`` (or ``chart_failed``)
and the watchlist's rows, with a timeout so a headless run can never hang.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from drummond_desktop.app.controllers.workspace import Workspace

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_TIMEOUT = 0, 1, 2


class _Waiter:
    """Ends ``loop`` once the chart is shown and the watchlist (loaded after the chart) has
    its rows."""

    def __init__(self, workspace: Workspace, loop: QEventLoop) -> None:
        self.workspace = workspace
        self.loop = loop
        self.code: int | None = None
        self.chart_done = False
        self.lists_done = False
        self.rows_done = False
        workspace.chart.chart_shown.connect(self._on_chart_shown)
        workspace.chart.chart_failed.connect(self._on_chart_failed)
        workspace.watchlists.lists_loaded.connect(self._on_lists_loaded)
        workspace.watchlist.rows_loaded.connect(self._on_rows_loaded)

    def _on_chart_shown(self, _data: object) -> None:
        self.chart_done = True
        self._maybe_quit()

    def _on_lists_loaded(self, _lists: object) -> None:
        self.lists_done = True
        current = self.workspace.watchlists.current
        self.rows_done = self.rows_done or current is None or not current.symbols
        self._maybe_quit()

    def _on_rows_loaded(self, _rows: object) -> None:
        self.rows_done = True
        self._maybe_quit()

    def _on_chart_failed(self, message: str) -> None:
        log.error("screenshot: the chart could not be drawn: %s", message)
        self.code = EXIT_FAILED
        self.loop.quit()

    def on_timeout(self) -> None:
        log.error("screenshot: no chart after the timeout")
        self.code = EXIT_TIMEOUT
        self.loop.quit()

    def _maybe_quit(self) -> None:
        if (self.chart_done and self.lists_done and self.rows_done
                and not self.workspace.runner.is_running("watchlist")):
            self.code = EXIT_OK
            self.loop.quit()


def capture_after_first_chart(app: QApplication, workspace: Workspace, path: Path,
                              symbol: str | None, interval: str | None,
                              timeout: float = 120.0) -> int:
    """Show the window, load ``symbol``, save the window to ``path``; returns the exit code."""
    loop = QEventLoop()
    waiter = _Waiter(workspace, loop)
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(waiter.on_timeout)
    timer.start(int(timeout * 1000))
    window = workspace.window
    window.show()
    workspace.start(symbol, interval, restore_layout=False)
    if waiter.code is None:
        loop.exec()
    timer.stop()
    if waiter.code != EXIT_OK:
        return waiter.code if waiter.code is not None else EXIT_FAILED
    app.processEvents()  # let layouts and the chart's view range settle before the grab
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path), "PNG"):
        log.error("screenshot: could not write %s", path)
        return EXIT_FAILED
    return EXIT_OK
