"""One chart indicator computed for the chart's bars: ``compute_series(request, cancel, progress)``
runs on a worker and returns a frozen ``IndicatorSeries`` the chart draws without computing.

What is drawn of each output of an ``engine.indicators.catalog`` spec:

* a float output is a **line**; one whose output name ends in ``hist`` (MACD's histogram) is a
  **histogram** around 0;
* an integer or boolean output is a set of **markers** when the spec is a candlestick pattern
  (group ``"pattern"``: +100/+80 bullish below the bar's low, -100/-80 bearish above its high)
  or the output is named ``high``/``low`` (swing flags: above the high, below the low);
* any other integer or boolean output (SuperTrend's ``direction``, the swings' ``*_known``
  flags) is listed in ``skipped`` and not drawn.

Markers sit on the price bars, so an instance with markers and no line is drawn over the prices
whatever placement was asked for (the app says so).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from drummond_desktop.core.tasks import CancelToken, Progress
from engine.bars import Bars

if TYPE_CHECKING:
    from engine.indicators.catalog import IndicatorSpec

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Params = tuple[tuple[str, int | float], ...]
Stamp = tuple[int, int, int]
LineKind = Literal["line", "histogram"]


@dataclass(frozen=True)
class SeriesRequest:
    """Compute indicator ``name`` with ``params`` for ``bars``; ``tag`` comes back unchanged
    (the app's instance id)."""

    bars: Bars
    name: str
    params: Params = ()
    tag: int = 0


@dataclass(frozen=True, eq=False)
class Line:
    column: str  # the catalog's column name, e.g. ``sma_20`` or ``macd_12_26_9_macdhist``
    output: str
    kind: LineKind
    values: F64  # one per bar, NaN where undefined (read-only)


@dataclass(frozen=True, eq=False)
class Markers:
    column: str
    index: I64  # the bars that carry a marker, ascending
    above: npt.NDArray[np.bool_]  # above the high (bearish / swing high), else below the low
    anchor: F64  # the bar's high (above) or low (below)
    code: I64  # the engine's value at the bar (e.g. -100, 80, 1)


@dataclass(frozen=True, eq=False)
class IndicatorSeries:
    """Everything the chart draws of one indicator instance for one set of bars."""

    tag: int
    name: str
    title: str
    params: Mapping[str, int | float]  # resolved, in the spec's order
    stamp: Stamp  # ``bars_stamp`` of the bars it was computed for
    lines: tuple[Line, ...]
    markers: tuple[Markers, ...]
    skipped: tuple[str, ...] = field(default=())  # outputs not drawn (see the module docstring)

    @property
    def n(self) -> int:
        return self.stamp[0]

    @property
    def label(self) -> str:
        return series_label(self.name, tuple(self.params.items()))


def bars_stamp(bars: Bars) -> Stamp:
    """What tells one chart's bars from another's: count, first and last timestamp."""
    n = len(bars)
    return (n, int(bars.ts[0]), int(bars.ts[-1])) if n else (0, 0, 0)


def series_label(name: str, params: Params) -> str:
    """``"SMA 20"``, ``"BBANDS 20 2"``: the name and the parameter values, as a legend says."""
    values = " ".join(str(v) if isinstance(v, int) else f"{v:g}" for _, v in params)
    return f"{name.upper()} {values}".strip()


def validation_bars(n: int = 64) -> Bars:
    """A small smooth series to try parameters on before a chart has bars."""
    t = np.arange(n, dtype=np.float64)
    close = 100.0 + 5.0 * np.sin(t / 5.0) + 0.1 * t
    return Bars.from_arrays(1_700_006_400 + np.arange(n, dtype=np.int64) * 86_400,
                            close - 0.2, close + 1.0, close - 1.0, close,
                            np.full(n, 1_000.0))


def compute_series(request: SeriesRequest, cancel: CancelToken,
                   progress: Progress) -> IndicatorSeries:
    """The task: look the indicator up, compute it, split its outputs into what is drawn.
    ``KeyError``/``ValueError`` from the engine (unknown name, bad parameter) propagate with
    the engine's message."""
    from engine.indicators.catalog import get

    spec = get(request.name)
    cancel.raise_if_cancelled()
    series = series_for(spec, request.bars, dict(request.params), tag=request.tag)
    cancel.raise_if_cancelled()
    return series


def series_for(spec: IndicatorSpec, bars: Bars, params: Mapping[str, Any] | None = None, *,
               tag: int = 0) -> IndicatorSeries:
    """``spec`` computed on ``bars`` (the pure core of ``compute_series``)."""
    resolved = spec.resolve(params)
    cols = {k: getattr(bars, k) for k in ("ts", "open", "high", "low", "close", "volume")}
    arrays = spec.compute(cols, resolved)
    n = len(bars)
    lines: list[Line] = []
    markers: list[Markers] = []
    skipped: list[str] = []
    for (column, values), output in zip(arrays.items(), spec.outputs, strict=True):
        a = np.asarray(values)
        if a.shape != (n,):
            raise ValueError(f"{spec.name}: output {output!r} has shape {a.shape}, "
                             f"expected ({n},) for {n} bars")
        if a.dtype.kind == "f":
            kind: LineKind = "histogram" if output.endswith("hist") else "line"
            lines.append(Line(column, output, kind, _readonly(np.asarray(a, np.float64))))
        elif spec.group == "pattern" or output in ("high", "low"):
            markers.append(_markers(column, output, a, bars, pattern=spec.group == "pattern"))
        else:
            skipped.append(column)
    return IndicatorSeries(tag, spec.name, spec.title, MappingProxyType(resolved),
                           bars_stamp(bars), tuple(lines), tuple(markers), tuple(skipped))


def _markers(column: str, output: str, a: npt.NDArray[Any], bars: Bars, *,
             pattern: bool) -> Markers:
    code = a.astype(np.int64)
    index = np.flatnonzero(code != 0).astype(np.int64)
    hit = code[index]
    above = hit < 0 if pattern else np.full(index.size, output == "high")
    anchor = np.where(above, bars.high[index], bars.low[index])
    return Markers(column, _readonly(index), _readonly(above), _readonly(anchor),
                   _readonly(hit))


def _readonly(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    out = np.ascontiguousarray(a)
    if out is a and a.flags.writeable:
        out = a.copy()
    out.flags.writeable = False
    return out
