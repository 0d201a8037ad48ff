"""``TaskRunner``: runs ``fn(request, cancel, progress)`` on thread pools, latest wins per key.

The only module that knows about ``QRunnable``. Two pools: ``io`` (network, database; about 4
threads) and ``cpu`` (the engine; 1-2 threads), so a long sync never starves a chart recompute.

Each ``submit(key, ...)`` cancels the previous task of that key (cooperatively, through its
``CancelToken``) and bumps the key's generation; a result, error or progress report whose
generation is no longer current is dropped on arrival. Worker threads only emit signals of
one bridge ``QObject`` owned by the runner; queued connections bring them to the GUI thread,
where the runner re-emits ``finished``, ``failed`` and ``progress``. ``Cancelled`` is never
reported as a failure. Nothing here knows the services.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

from drummond_desktop.core.errors import Cancelled
from drummond_desktop.core.tasks import CancelToken, Progress

log = logging.getLogger(__name__)

PoolName = Literal["io", "cpu"]
TaskFn = Callable[[Any, CancelToken, Progress], Any]

_PROGRESS_INTERVAL = 0.05  # seconds between progress reports that reach the GUI


class _Bridge(QObject):
    """Lives on the GUI thread; worker threads emit its signals with their job."""

    succeeded = Signal(object, object)  # job, result
    errored = Signal(object, object)  # job, exception
    cancelled = Signal(object)  # job
    progressed = Signal(object, float, float, str)  # job, done, total, message


@dataclass(eq=False)
class _Job:
    key: str
    generation: int
    token: CancelToken


class _Runnable(QRunnable):
    def __init__(self, fn: TaskFn, request: Any, job: _Job, bridge: _Bridge) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._request = request
        self._job = job
        self._bridge = bridge
        self._last_report = 0.0

    def run(self) -> None:
        job, bridge = self._job, self._bridge
        try:
            job.token.raise_if_cancelled()
            result = self._fn(self._request, job.token, self._report)
        except Cancelled:
            bridge.cancelled.emit(job)
        except Exception as exc:  # noqa: BLE001 - forwarded to the controller's _on_failed
            bridge.errored.emit(job, exc)
        else:
            bridge.succeeded.emit(job, result)

    def _report(self, done: float, total: float, message: str = "") -> None:
        now = time.monotonic()
        if done < total and now - self._last_report < _PROGRESS_INTERVAL:
            return
        self._last_report = now
        self._bridge.progressed.emit(self._job, float(done), float(total), message)


class TaskRunner(QObject):
    """Latest-wins task runner; results reach the GUI thread through queued signals."""

    finished = Signal(str, int, object)  # key, generation, result
    failed = Signal(str, int, object)  # key, generation, exception
    progress = Signal(str, float, float, str)  # key, done, total, message

    def __init__(self, parent: QObject | None = None, *, io_threads: int = 4,
                 cpu_threads: int = 2) -> None:
        super().__init__(parent)
        self._pools: dict[str, QThreadPool] = {}
        for name, size in (("io", io_threads), ("cpu", cpu_threads)):
            pool = QThreadPool(self)
            pool.setMaxThreadCount(max(1, size))
            pool.setObjectName(f"{name}-pool")
            self._pools[name] = pool
        self._generations: dict[str, int] = {}
        self._current: dict[str, _Job] = {}
        self._live: set[_Job] = set()  # jobs whose terminal signal has not arrived yet
        self._closed = False
        self._bridge = _Bridge(self)
        queued = Qt.ConnectionType.QueuedConnection
        self._bridge.succeeded.connect(self._on_job_succeeded, queued)
        self._bridge.errored.connect(self._on_job_errored, queued)
        self._bridge.cancelled.connect(self._on_job_cancelled, queued)
        self._bridge.progressed.connect(self._on_job_progressed, queued)

    # ------------------------------------------------------------------------- public API

    def submit(self, key: str, fn: TaskFn, request: Any, pool: PoolName = "cpu") -> int:
        """Run ``fn(request, cancel, progress)`` on ``pool``; cancel the previous ``key`` task.
        Returns the new generation of ``key``."""
        if self._closed:
            raise RuntimeError("the task runner has been shut down")
        self._drop(key)
        generation = self._generations.get(key, 0) + 1
        self._generations[key] = generation
        job = _Job(key, generation, CancelToken())
        self._current[key] = job
        self._live.add(job)
        self._pools[pool].start(_Runnable(fn, request, job, self._bridge))
        return generation

    def generation(self, key: str) -> int:
        """The current generation of ``key`` (0 before its first submit)."""
        return self._generations.get(key, 0)

    def is_current(self, key: str, generation: int) -> bool:
        return key in self._current and self._generations.get(key) == generation

    def is_running(self, key: str) -> bool:
        return key in self._current

    def cancel(self, key: str) -> None:
        """Cancel ``key``'s task, if any; its result (if it still arrives) is dropped."""
        if self._drop(key):
            self._generations[key] = self._generations.get(key, 0) + 1

    def _drop(self, key: str) -> bool:
        """Cancel ``key``'s current task and forget it; True when there was one."""
        job = self._current.pop(key, None)
        if job is not None:
            job.token.cancel()
        return job is not None

    def pending(self) -> int:
        """Jobs submitted whose outcome has not reached the GUI thread yet."""
        return len(self._live)

    def pool(self, name: PoolName) -> QThreadPool:
        return self._pools[name]

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Cancel everything, drop queued jobs, wait up to ``timeout`` seconds for the pools'
        threads to exit. True when every thread is gone."""
        self._closed = True
        for key in list(self._current):
            self.cancel(key)
        for job in self._live:
            job.token.cancel()
        deadline = time.monotonic() + max(timeout, 0.0)
        done = True
        for pool in self._pools.values():
            pool.clear()
            left_ms = max(int((deadline - time.monotonic()) * 1000), 0)
            done = pool.waitForDone(left_ms) and done
        self._live.clear()
        if not done:
            log.warning("task runner: threads still running after %.1fs", timeout)
        return done

    # ----------------------------------------------------------------------- GUI-side slots

    @Slot(object)
    def _on_job_cancelled(self, job: _Job) -> None:
        self._on_job_ended(job)

    def _on_job_ended(self, job: _Job) -> bool:
        """Forget ``job``; True when it is still the current task of its key."""
        self._live.discard(job)
        current = self._current.get(job.key) is job
        if current:
            del self._current[job.key]
        return current and not self._closed

    @Slot(object, object)
    def _on_job_succeeded(self, job: _Job, result: object) -> None:
        if self._on_job_ended(job):
            self.finished.emit(job.key, job.generation, result)

    @Slot(object, object)
    def _on_job_errored(self, job: _Job, exc: object) -> None:
        if self._on_job_ended(job):
            self.failed.emit(job.key, job.generation, exc)
        else:
            log.debug("dropped the error of a stale %s task: %r", job.key, exc)

    @Slot(object, float, float, str)
    def _on_job_progressed(self, job: _Job, done: float, total: float, message: str) -> None:
        if self._current.get(job.key) is job and not self._closed:
            self.progress.emit(job.key, done, total, message)
