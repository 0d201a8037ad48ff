"""``Bars``: the one columnar container of OHLCV bars that crosses every boundary.

Arrays, never an object per bar. ``ts`` is int64 UTC epoch seconds (daily and longer bars carry
the session date at 00:00 UTC); prices and volume are float64. A ``Bars`` is validated when it is
built and frozen afterwards: its arrays are read-only, so a kernel or a chart can hold them without
copies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from engine._alloc import staggered_empty

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

PRICE_FIELDS = ("open", "high", "low", "close")
FIELDS = ("ts", "open", "high", "low", "close", "volume")


class BarsError(ValueError):
    """Bars that break a rule; ``index`` is the first offending bar, ``rule`` the rule it breaks."""

    def __init__(self, index: int, rule: str, detail: str = "") -> None:
        self.index = index
        self.rule = rule
        self.detail = detail
        text = f"bar {index}: {rule}" if index >= 0 else rule
        super().__init__(f"{text} ({detail})" if detail else text)


def _readonly(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    a.flags.writeable = False
    return a


def _column(name: str, values: Any, dtype: type[np.generic]) -> npt.NDArray[Any]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise BarsError(-1, f"{name} must be one-dimensional", f"got shape {arr.shape}")
    if dtype is np.int64 and arr.dtype.kind not in "iu" and arr.size:
        raise BarsError(-1, "ts must be integer epoch seconds", f"got dtype {arr.dtype}")
    if dtype is np.float64 and arr.dtype.kind not in "iuf":
        raise BarsError(-1, f"{name} must be numeric", f"got dtype {arr.dtype}")
    return arr


def _owned(cols: dict[str, npt.NDArray[Any]]) -> dict[str, npt.NDArray[Any]]:
    # Always copy: the container owns its memory, so freezing it never freezes a caller's array.
    # One staggered block keeps the columns out of each other's cache sets (engine._alloc).
    n = next(iter(cols.values())).shape[0]
    specs = [((n,), np.int64 if k == "ts" else np.float64) for k in cols]
    out = dict(zip(cols, staggered_empty(specs, pool=None), strict=True))
    for k, arr in cols.items():
        out[k][...] = arr
    return out


def _first(mask: npt.NDArray[np.bool_]) -> int:
    return int(np.argmax(mask)) if mask.any() else -1


@dataclass(frozen=True, eq=False)
class Bars:
    """Frozen, validated columnar OHLCV bars.

    >>> b = Bars.from_arrays([0, 60], [1.0, 2.0], [2.0, 3.0], [0.5, 1.5], [1.5, 2.5], [10, 20])
    >>> len(b), float(b.close[-1])
    (2, 2.5)
    """

    ts: I64
    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64
    symbol: str = ""
    timeframe: str = ""
    _validated: bool = field(default=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self._validated:
            raise TypeError("build Bars with Bars.from_arrays(...), which validates the columns")

    @classmethod
    def from_arrays(
        cls,
        ts: Any,
        open: Any,
        high: Any,
        low: Any,
        close: Any,
        volume: Any = None,
        *,
        symbol: str = "",
        timeframe: str = "",
    ) -> Bars:
        """Copy the columns into owned contiguous arrays, validate them, and freeze them.

        Raises ``BarsError`` naming the first bad bar and the rule it breaks.
        """
        cols = {
            "ts": _column("ts", ts, np.int64),
            "open": _column("open", open, np.float64),
            "high": _column("high", high, np.float64),
            "low": _column("low", low, np.float64),
            "close": _column("close", close, np.float64),
        }
        n = cols["ts"].shape[0]
        cols["volume"] = (
            np.zeros(n, dtype=np.float64) if volume is None
            else _column("volume", volume, np.float64)
        )
        for name, arr in cols.items():
            if arr.shape[0] != n:
                raise BarsError(-1, "all columns must have the same length",
                                f"ts has {n}, {name} has {arr.shape[0]}")
        cols = _owned(cols)
        validate_columns(**cols)
        frozen = {k: _readonly(v) for k, v in cols.items()}
        return cls(**frozen, symbol=symbol, timeframe=timeframe, _validated=True)

    @classmethod
    def empty(cls, *, symbol: str = "", timeframe: str = "") -> Bars:
        return cls.from_arrays([], [], [], [], [], [], symbol=symbol, timeframe=timeframe)

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def __getitem__(self, key: slice) -> Bars:
        """A contiguous slice as ``Bars`` (views; slices of valid bars are valid)."""
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("Bars supports contiguous slices only, e.g. bars[:100]")
        cols = {name: getattr(self, name)[key] for name in FIELDS}
        return Bars(**cols, symbol=self.symbol, timeframe=self.timeframe, _validated=True)

    def head(self, n: int) -> Bars:
        return self[:n]

    def tail(self, n: int) -> Bars:
        return self[max(len(self) - n, 0):]


def validate_columns(
    ts: I64, open: F64, high: F64, low: F64, close: F64, volume: F64
) -> None:
    """Raise ``BarsError`` for the first bar (lowest index) that breaks a rule.

    When one bar breaks several rules, the first rule in this order is named: finite values,
    unique and sorted timestamps, high >= low, low <= min(open, close), high >= max(open, close),
    volume >= 0.
    """
    found: list[tuple[int, int, str, str]] = []  # (index, rule order, rule, detail)

    def check(order: int, mask: npt.NDArray[np.bool_], rule: str, offset: int = 0) -> None:
        i = _first(mask)
        if i >= 0:
            found.append((i + offset, order, rule, ""))

    for k, (name, arr) in enumerate((("open", open), ("high", high), ("low", low),
                                     ("close", close), ("volume", volume))):
        check(k, ~np.isfinite(arr), f"{name} must be finite")
    if ts.shape[0] > 1:
        step = np.diff(ts)
        check(10, step == 0, "timestamps must be unique", 1)
        check(11, step < 0, "timestamps must be sorted ascending", 1)
    with np.errstate(invalid="ignore"):
        check(20, high < low, "high >= low")
        check(21, low > np.minimum(open, close), "low <= min(open, close)")
        check(22, high < np.maximum(open, close), "high >= max(open, close)")
        check(23, volume < 0, "volume >= 0")
    if not found:
        return
    i, _, rule, _ = min(found)
    detail = (f"ts={int(ts[i])} open={float(open[i])!r} high={float(high[i])!r} "
              f"low={float(low[i])!r} close={float(close[i])!r} volume={float(volume[i])!r}")
    if rule.startswith("timestamps"):
        detail = f"ts={int(ts[i])} follows ts={int(ts[i - 1])}"
    raise BarsError(i, rule, detail)
