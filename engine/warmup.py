"""Compile (or load from the on-disk cache) every engine kernel on tiny arrays.

Run it on a worker thread at start-up so the first chart never waits for the JIT. The tiny
inputs go through the same public path (and so the same numba signatures: ``analyze`` and
``compute_into`` both hand the kernels read-only inputs) that real data takes.
"""

from __future__ import annotations

import time

import numpy as np

from engine.bars import Bars


def _tiny_bars() -> Bars:
    close = np.array([10.0, 10.5, 10.2, 10.8, 11.1, 10.9, 10.4, 10.6])
    return Bars.from_arrays(np.arange(close.size, dtype=np.int64) * 60, close, close + 0.3,
                            close - 0.3, close, np.ones(close.size))


def warmup() -> dict[str, float]:
    """Compile or load every kernel; return seconds spent per step (for the status bar/logs)."""
    from engine.drummond import DGParams, analyze, next_bar_map

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    result = analyze(_tiny_bars(), DGParams(extended_lines=True))
    timings["analyze"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    next_bar_map(result)
    timings["next_bar_map"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    from engine.mtf import analyze_ladder  # also compiles the resampling kernels

    b = _tiny_bars()
    days = Bars.from_arrays(b.ts * 1_440, b.open, b.high, b.low, b.close, b.volume)
    analyze_ladder(days, ("1d", "1w"), live=True)
    timings["mtf"] = time.perf_counter() - t2
    return timings
