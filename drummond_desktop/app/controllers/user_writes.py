"""``SerialWriter``: the user store's writes, in order, off the GUI thread.

Edits of watchlists and layouts are applied to the view at once and written behind it. The
task runner is latest-wins per key and its I/O pool runs several threads, so neither one key
per write (order lost) nor one shared key (a queued write cancelled) would do: the writer keeps
its own queue and runs one batch at a time as the ``userdb`` task. ``flush()`` writes whatever
is left synchronously (the window is closing; the runner is about to cancel everything).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot

from drummond_desktop.app.workers import TaskRunner
from drummond_desktop.core.errors import AppError
from drummond_desktop.core.tasks import CancelToken, Progress

log = logging.getLogger(__name__)

Write = Callable[[], None]


def _run_batch(batch: list[tuple[str, Write]], cancel: CancelToken,
               progress: Progress) -> int:
    # Never checks ``cancel``: a write that started is finished, or the store would hold half
    # an edit the view already shows.
    for i, (what, write) in enumerate(batch):
        progress(i, len(batch), what)
        write()
    return len(batch)


class SerialWriter(QObject):
    """Runs queued writes one batch at a time; ``failed(message)`` when one raised."""

    KEY = "userdb"

    failed = Signal(str)

    def __init__(self, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self._queue: list[tuple[str, Write]] = []
        self._running = False
        runner.finished.connect(self._on_runner_finished)
        runner.failed.connect(self._on_runner_failed)

    def enqueue(self, what: str, write: Write) -> None:
        """Write later, after every write queued before it."""
        self._queue.append((what, write))
        self._start()

    def busy(self) -> bool:
        return self._running or bool(self._queue)

    def flush(self) -> None:
        """Run what is still queued, here and now (shutdown)."""
        batch, self._queue = self._queue, []
        for what, write in batch:
            try:
                write()
            except AppError as exc:
                log.warning("could not finish %s: %s", what, exc.user_message)

    def _start(self) -> None:
        if self._running or not self._queue:
            return
        batch, self._queue = self._queue, []
        self._running = True
        self.runner.submit(self.KEY, _run_batch, batch, pool="io")

    @Slot(str, int, object)
    def _on_runner_finished(self, key: str, generation: int, result: object) -> None:
        if key == self.KEY:
            self._running = False
            self._start()

    @Slot(str, int, object)
    def _on_runner_failed(self, key: str, generation: int, exc: object) -> None:
        if key != self.KEY:
            return
        self._running = False
        message = exc.user_message if isinstance(exc, AppError) else f"{type(exc).__name__}: {exc}"
        self.failed.emit(f"Could not save your change: {message}")
        self._start()
