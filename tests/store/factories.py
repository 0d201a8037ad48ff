"""Test data for the store tests: valid random bars and a table checksum."""

from __future__ import annotations

import hashlib

import numpy as np
from sqlalchemy import text

from drummond_desktop.store import MarketStore
from engine.bars import Bars

DAY = 86_400
T2020 = 1_577_836_800  # 2020-01-01 00:00 UTC (a Wednesday)


def make_bars(n: int, *, start: int = T2020, step: int = DAY, seed: int = 1,
              timeframe: str = "1d", ts: np.ndarray | None = None) -> Bars:
    """``n`` valid random-walk bars at ``start + i*step`` (or at ``ts``)."""
    rng = np.random.default_rng(seed)
    stamps = np.asarray(ts, dtype=np.int64) if ts is not None else \
        start + np.arange(n, dtype=np.int64) * step
    n = stamps.shape[0]
    close = 100.0 * np.exp(np.cumsum(rng.standard_normal(n) * 0.01))
    open_ = close * np.exp(rng.standard_normal(n) * 0.002)
    high = np.maximum(open_, close) * (1 + rng.random(n) * 0.01)
    low = np.minimum(open_, close) * (1 - rng.random(n) * 0.01)
    volume = np.floor(rng.gamma(2.0, 1e5, n))
    return Bars.from_arrays(stamps, open_, high, low, close, volume, timeframe=timeframe)


def weekdays(n: int, start: int = T2020) -> np.ndarray:
    """``n`` Monday-Friday dates at 00:00 UTC from ``start`` on."""
    days = np.arange(start // DAY, start // DAY + 2 * n + 7, dtype=np.int64)
    days = days[(days + 3) % 7 < 5][:n]
    return days * DAY


def table_checksum(store: MarketStore, table: str = "bar_chunks") -> tuple[int, str]:
    """Row count and SHA-256 of every row of ``table`` in primary-key order."""
    order = {"bar_chunks": "symbol_id, timeframe, chunk_key",
             "sync_checkpoints": "symbol_id, timeframe"}[table]
    digest = hashlib.sha256()
    count = 0
    with store.engine.connect() as conn:
        for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}")):
            count += 1
            for value in row:
                digest.update(bytes(value) if isinstance(value, (bytes, memoryview))
                              else repr(value).encode())
    return count, digest.hexdigest()


def same_bits(a: Bars, b: Bars) -> bool:
    """Bit-for-bit equal columns (not just equal values)."""
    return len(a) == len(b) and all(
        getattr(a, f).tobytes() == getattr(b, f).tobytes()
        for f in ("ts", "open", "high", "low", "close", "volume"))
