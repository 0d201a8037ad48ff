"""``JobsController``: every task's progress in the status bar and the jobs/log panel."""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from drummond_desktop.app.main_window import MainWindow
from drummond_desktop.app.workers import TaskRunner
from drummond_desktop.core.errors import AppError


class JobsController(QObject):
    """Task progress to the status bar's progress indicator and the jobs/log panel."""

    def __init__(self, window: MainWindow, runner: TaskRunner) -> None:
        super().__init__(window)
        self.window = window
        self.runner = runner
        self._running: dict[str, tuple[float, float]] = {}
        runner.progress.connect(self._on_runner_progress)
        runner.finished.connect(self._on_runner_finished)
        runner.failed.connect(self._on_runner_failed)

    @Slot(str, float, float, str)
    def _on_runner_progress(self, key: str, done: float, total: float, message: str) -> None:
        first = key not in self._running
        self._running[key] = (done, total)
        if first and message:
            self.window.jobs.add(f"[{key}] {message}")
        # One bar for every task: a task reaching its end must not hide another's progress.
        busy = [(d, t) for d, t in self._running.values() if t <= 0 or d < t]
        if not busy:
            self.window.hide_progress()
        else:
            self.window.show_progress(*((done, total) if (done, total) in busy else busy[0]))

    @Slot(str, int, object)
    def _on_runner_finished(self, key: str, generation: int, result: object) -> None:
        self._end(key, f"[{key}] done")

    @Slot(str, int, object)
    def _on_runner_failed(self, key: str, generation: int, exc: object) -> None:
        text = exc.user_message if isinstance(exc, AppError) else f"{type(exc).__name__}: {exc}"
        self._end(key, f"[{key}] failed: {text}")

    def cancelled(self, key: str) -> None:
        """``key``'s task was cancelled: it will report nothing more."""
        if key in self._running:
            self._end(key, f"[{key}] cancelled")

    def _end(self, key: str, line: str) -> None:
        self._running.pop(key, None)
        self.window.jobs.add(line)
        if not self._running:
            self.window.hide_progress()
