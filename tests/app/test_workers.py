"""``TaskRunner``: latest wins per key, failures and progress reach the GUI thread, clean exit."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread

from drummond_desktop.app.workers import TaskRunner
from drummond_desktop.core.errors import AppError, Cancelled
from drummond_desktop.core.tasks import CancelToken, Progress


@pytest.fixture
def runner(qtbot):
    r = TaskRunner(io_threads=2, cpu_threads=1)
    yield r
    assert r.shutdown(5.0)
    assert r.pool("io").activeThreadCount() == 0
    assert r.pool("cpu").activeThreadCount() == 0


def echo(request: object, cancel: CancelToken, progress: Progress) -> object:
    progress(1, 1, "echo")
    return request


def test_result_arrives_on_the_gui_thread(qtbot, runner):
    seen: list[tuple[str, int, object, bool]] = []
    runner.finished.connect(lambda k, g, r: seen.append(
        (k, g, r, QThread.currentThread() is qtbot_thread)))
    qtbot_thread = QThread.currentThread()
    with qtbot.waitSignal(runner.finished, timeout=5000):
        gen = runner.submit("k", echo, 42, pool="io")
    assert seen == [("k", gen, 42, True)]
    assert gen == 1 and runner.pending() == 0 and not runner.is_running("k")


def test_latest_wins(qtbot, runner):
    gate = threading.Event()
    started = threading.Event()

    def slow(request: object, cancel: CancelToken, progress: Progress) -> object:
        started.set()
        gate.wait(5.0)  # ignores the cancel on purpose: its result must still be dropped
        return request

    results: list[tuple[int, object]] = []
    runner.finished.connect(lambda k, g, r: results.append((g, r)))
    first = runner.submit("chart", slow, "first", pool="io")
    assert started.wait(5.0)
    with qtbot.waitSignal(runner.finished, timeout=5000):
        second = runner.submit("chart", echo, "second", pool="io")
    gate.set()
    qtbot.waitUntil(lambda: runner.pending() == 0, timeout=5000)
    assert second == first + 1
    assert results == [(second, "second")]


def test_failure_and_cancel(qtbot, runner):
    def boom(request: object, cancel: CancelToken, progress: Progress) -> object:
        raise AppError("detail", user_message="it broke")

    with qtbot.waitSignal(runner.failed, timeout=5000) as blocker:
        runner.submit("x", boom, None)
    key, gen, exc = blocker.args
    assert key == "x" and gen == 1 and exc.user_message == "it broke"

    def cancelled(request: object, cancel: CancelToken, progress: Progress) -> object:
        raise Cancelled()

    failures: list[object] = []
    runner.failed.connect(lambda *a: failures.append(a))
    runner.submit("y", cancelled, None)
    qtbot.waitUntil(lambda: runner.pending() == 0, timeout=5000)
    assert failures == []  # Cancelled is not a failure


def test_cancel_drops_the_result(qtbot, runner):
    gate = threading.Event()

    def waits(request: object, cancel: CancelToken, progress: Progress) -> object:
        gate.wait(5.0)
        cancel.raise_if_cancelled()
        return request

    got: list[object] = []
    runner.finished.connect(lambda *a: got.append(a))
    runner.submit("k", waits, 1)
    runner.cancel("k")
    gate.set()
    qtbot.waitUntil(lambda: runner.pending() == 0, timeout=5000)
    assert got == [] and runner.generation("k") == 2


def test_progress_is_reported(qtbot, runner):
    def steps(request: object, cancel: CancelToken, progress: Progress) -> object:
        progress(0, 2, "start")
        progress(2, 2, "end")
        return None

    reports: list[tuple[float, float, str]] = []
    runner.progress.connect(lambda k, d, t, m: reports.append((d, t, m)))
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.submit("p", steps, None)
    assert reports[0] == (0.0, 2.0, "start") and reports[-1] == (2.0, 2.0, "end")


def test_shutdown_cancels_and_joins(qtbot):
    r = TaskRunner()

    def until_cancelled(request: object, cancel: CancelToken, progress: Progress) -> object:
        cancel.wait(30.0)
        cancel.raise_if_cancelled()
        return None

    for i in range(3):
        r.submit(f"k{i}", until_cancelled, None, pool="io")
    assert r.shutdown(5.0)
    assert r.pool("io").activeThreadCount() == 0
    with pytest.raises(RuntimeError):
        r.submit("late", echo, None)
