"""GUI tests: skipped where PySide6 is not installed; every test must leave no thread behind."""

from __future__ import annotations

import threading
import time

import pytest

pytest.importorskip("PySide6")


def _live_threads() -> set[threading.Thread]:
    # Qt's pool threads that ran Python code appear as _DummyThread and are never removed from
    # threading's table; the runners' own shutdown checks (activeThreadCount) cover them.
    return {t for t in threading.enumerate()
            if t.is_alive() and not isinstance(t, threading._DummyThread)}  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _no_leaked_threads():
    """Fail a test that leaves a Python thread running (joined with a short grace period)."""
    before = _live_threads()
    yield
    deadline = time.monotonic() + 5.0
    leaked = _live_threads() - before
    while leaked and time.monotonic() < deadline:
        for t in leaked:
            t.join(timeout=0.1)
        leaked = _live_threads() - before
    assert not leaked, f"threads left running: {sorted(t.name for t in leaked)}"
