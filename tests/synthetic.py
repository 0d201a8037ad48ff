"""Synthetic bars shared by tests: a seeded random walk on the given timestamps."""

from __future__ import annotations

import numpy as np

from engine import Bars


def walk_bars(ts: list[int] | np.ndarray, seed: int = 1, timeframe: str = "1m",
              symbol: str = "X.US") -> Bars:
    """OHLCV bars on ``ts`` (UTC epoch seconds): closes walk from 100, highs and lows straddle
    open and close, integer volumes."""
    ts = np.asarray(ts, dtype=np.int64)
    rng = np.random.default_rng(seed)
    close = 100 + np.cumsum(rng.normal(0, 0.2, ts.shape[0]))
    open_ = np.r_[100.0, close[:-1]]
    high = np.maximum(open_, close) + rng.uniform(0, 0.3, ts.shape[0])
    low = np.minimum(open_, close) - rng.uniform(0, 0.3, ts.shape[0])
    volume = rng.integers(1, 1000, ts.shape[0]).astype(float)
    return Bars.from_arrays(ts, open_, high, low, close, volume, symbol=symbol,
                            timeframe=timeframe)
