"""Qt-free task plumbing: work shaped ``(request, cancel, progress) -> result``.

Services take a ``CancelToken`` and a ``Progress`` callable and know nothing about the thread or
the front end that runs them: the GUI passes a token its worker cancels and a progress callable
that emits a queued signal; the CLI passes a token tied to Ctrl-C and a progress that prints;
tests pass ``CancelToken()`` and ``no_progress``.

Cancellation is cooperative: the service calls ``cancel.raise_if_cancelled()`` between units of
work (a page of a download, a symbol of a scan), so a cancelled task stops at a clean boundary
with nothing half-written, and the ``Cancelled`` it raises is not reported as a failure.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol, TypeVar

from drummond_desktop.core.errors import Cancelled

RequestT = TypeVar("RequestT", contravariant=True)
ResultT = TypeVar("ResultT", covariant=True)


class CancelToken:
    """A one-way flag, set from any thread, read by the task.

    >>> token = CancelToken()
    >>> token.cancelled
    False
    >>> token.cancel()
    >>> token.cancelled
    True
    """

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the task to stop; safe to call more than once and from any thread."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise ``Cancelled`` if ``cancel()`` has been called."""
        if self._event.is_set():
            raise Cancelled("the task was cancelled")

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds, waking at once on cancel; return ``cancelled``.

        For waits inside a task (a retry back-off, a ``Retry-After``) that must not hold a
        cancelled task alive.
        """
        return self._event.wait(max(timeout, 0.0))

    def __repr__(self) -> str:
        return f"CancelToken(cancelled={self.cancelled})"


class Progress(Protocol):
    """Report how far a task has got: ``done`` of ``total`` units, with an optional message.

    ``total`` may be 0 when the amount of work is not known yet (an indeterminate bar).
    Implementations must be cheap and thread-safe: tasks call them from worker threads.
    """

    def __call__(self, done: float, total: float, message: str = "") -> None: ...


def no_progress(done: float, total: float, message: str = "") -> None:
    """A ``Progress`` that ignores every report."""


class Task(Protocol[RequestT, ResultT]):
    """The shape of a unit of work the GUI workers and the CLI both run."""

    def __call__(self, request: RequestT, cancel: CancelToken, progress: Progress) -> ResultT: ...


def sub_progress(progress: Progress, start: float, span: float, parent_total: float) -> Progress:
    """A ``Progress`` for one step of a larger task.

    The step reports on its own scale (``done`` of its ``total``); the parent sees the step
    occupying ``start .. start + span`` of ``parent_total``. A service that syncs ten symbols
    gives the i-th one ``sub_progress(progress, i, 1, 10)``.
    """

    def report(done: float, total: float, message: str = "") -> None:
        fraction = min(max(done / total, 0.0), 1.0) if total > 0 else 0.0
        progress(start + span * fraction, parent_total, message)

    return report


def run_sync(task: Callable[[RequestT, CancelToken, Progress], ResultT], request: RequestT,
             cancel: CancelToken | None = None, progress: Progress = no_progress) -> ResultT:
    """Run a task on the calling thread (CLI, tests) with a fresh token unless one is given."""
    return task(request, cancel if cancel is not None else CancelToken(), progress)
