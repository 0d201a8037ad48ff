"""Cancel tokens and progress reporting for ``(request, cancel, progress) -> result`` tasks."""

from __future__ import annotations

import threading

import pytest

from drummond_desktop.core.errors import AppError, Cancelled
from drummond_desktop.core.tasks import (
    CancelToken,
    Progress,
    no_progress,
    run_sync,
    sub_progress,
)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[float, float, str]] = []

    def __call__(self, done: float, total: float, message: str = "") -> None:
        self.calls.append((done, total, message))


def count_to(limit: int, cancel: CancelToken, progress: Progress) -> int:
    """A task in the house shape: checks the token between units of work."""
    done = 0
    for i in range(limit):
        cancel.raise_if_cancelled()
        done += 1
        progress(i + 1, limit, f"unit {i + 1}")
    return done


def test_fresh_token_is_not_cancelled() -> None:
    token = CancelToken()
    assert token.cancelled is False
    token.raise_if_cancelled()  # does nothing


def test_cancel_is_sticky_and_idempotent() -> None:
    token = CancelToken()
    token.cancel()
    token.cancel()
    assert token.cancelled is True
    with pytest.raises(Cancelled) as info:
        token.raise_if_cancelled()
    assert isinstance(info.value, AppError)
    assert info.value.user_message == "Cancelled."
    assert "cancelled=True" in repr(token)


def test_task_stops_at_the_next_boundary_after_cancel() -> None:
    token = CancelToken()
    seen = Recorder()

    def progress(done: float, total: float, message: str = "") -> None:
        seen(done, total, message)
        if done == 3:
            token.cancel()  # as if the user pressed Cancel while unit 3 was reported

    with pytest.raises(Cancelled):
        count_to(10, token, progress)
    assert [c[0] for c in seen.calls] == [1, 2, 3]


def test_task_runs_to_the_end_without_cancel() -> None:
    seen = Recorder()
    assert run_sync(count_to, 4, progress=seen) == 4
    assert seen.calls[-1] == (4, 4, "unit 4")
    assert run_sync(count_to, 2) == 2  # no_progress by default


def test_run_sync_honours_a_given_token() -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        run_sync(count_to, 5, token)


def test_cancel_from_another_thread_wakes_a_waiting_task() -> None:
    token = CancelToken()
    result: list[bool] = []
    waiter = threading.Thread(target=lambda: result.append(token.wait(60.0)))
    waiter.start()
    token.cancel()
    waiter.join(timeout=10.0)
    assert not waiter.is_alive(), "wait() did not return on cancel"
    assert result == [True]


def test_wait_times_out_false_when_not_cancelled() -> None:
    token = CancelToken()
    assert token.wait(0.0) is False
    assert token.wait(-1.0) is False  # a negative Retry-After must not raise


def test_no_progress_accepts_every_report() -> None:
    p: Progress = no_progress  # the type checker confirms it satisfies the protocol
    p(1, 2)
    p(0, 0, "indeterminate")


def test_sub_progress_maps_a_step_into_its_slot() -> None:
    parent = Recorder()
    step = sub_progress(parent, start=2, span=1, parent_total=4)
    step(0, 10, "start")
    step(5, 10)
    step(10, 10, "done")
    step(20, 10)  # overshoot is clamped to the slot
    step(3, 0)  # unknown total: the start of the slot
    assert parent.calls == [(2.0, 4, "start"), (2.5, 4, ""), (3.0, 4, "done"), (3.0, 4, ""),
                            (2.0, 4, "")]
