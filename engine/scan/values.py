"""Where a scan's term values come from.

``SeriesValues`` reads one symbol at chosen bars (the rows): the focal series through
``analyze``, the indicator table and ``zones``, and each timeframe prefix through
``engine.resample`` on the last **completed** higher-timeframe bar.

Which element a term reads (the same rule ``engine.mtf`` overlays follow):

* scan bars (no prefix, or the prefix of the scan's own interval), at bar t: bar fields, per-bar
  fields and indicators at t; projected fields at element t (the value plotted on bar t, made
  from bars before it); zone sets = ``zones(result, t)``, the next-bar map published at the close
  of bar t-1, with support/resistance judged against that close;
* a higher timeframe, at bar t: resample ``bars[:t+1]``; its still-forming last bar is never
  used. With m completed bars, bar fields, per-bar fields and indicators read element m-1 (the
  last completed bar), projected fields element m (the levels for the bar in progress, made
  from completed bars only) and zone sets ``zones(result, m)``. Before the first completed
  bar every such term is unknown.

``BatchValues`` gives the batch prefilter what the batch kernel computed (DG core, side, states
and bar fields at the last k bars of every symbol); every other term is unknown there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.bars import Bars
from engine.drummond import DGParams, DGResult, State, analyze, zones
from engine.resample import resample
from engine.scan.batch import DGTail
from engine.scan.evaluate import ZoneRows
from engine.scan.syntax import Term
from engine.scan.terms import TIMEFRAMES, ZONES

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

_ALIASES = {"1M": "1mo", "1D": "1d", "1W": "1w", "60m": "1h", "240m": "4h"}
_SECONDS = {"1m": 60, "2m": 120, "5m": 300, "10m": 600, "15m": 900, "30m": 1_800, "1h": 3_600,
            "2h": 7_200, "4h": 14_400, "1d": 86_400, "1w": 7 * 86_400, "1mo": 31 * 86_400,
            "1q": 92 * 86_400, "1y": 366 * 86_400}
RESAMPLE_INPUTS = ("1m", "2m", "5m", "10m", "15m", "30m", "1h", "2h", "4h", "1d")
_CONGESTION = (float(State.CONG_ENTRANCE), float(State.CONG_ACTION))


def canonical_interval(interval: str) -> str:
    return _ALIASES.get(interval, interval)


def interval_seconds(interval: str) -> int | None:
    return _SECONDS.get(canonical_interval(interval))


def is_focal(tf: str | None, interval: str) -> bool:
    """True when terms with prefix ``tf`` read the scan's own bars."""
    return tf is None or TIMEFRAMES[tf] == canonical_interval(interval)


def _derived(name: str, trend_dir: F64, state: F64) -> F64:
    with np.errstate(invalid="ignore"):
        if name == "trend_up":
            hit = trend_dir == 1
        elif name == "trend_down":
            hit = trend_dir == -1
        else:
            hit = (state == _CONGESTION[0]) | (state == _CONGESTION[1])
    return np.where(np.isnan(state), np.nan, hit.astype(np.float64))


def _zone_array(result: DGResult, t: int, kinds: str) -> F64 | None:
    if t < 1 or t > len(result):
        return None
    try:
        found = zones(result, t)
    except ValueError:  # AR3 not defined yet for that bar
        return None
    rows = [(z.lo, z.hi) for z in found if z.kind in kinds]
    return np.array(rows, dtype=np.float64).reshape(-1, 2)


class _Series:
    """One bar series (focal or built) with its lazily computed analysis and indicators."""

    def __init__(self, bars: Bars, params: DGParams) -> None:
        self.bars = bars
        self.params = params
        self._result: DGResult | None = None
        self._functions: dict[str, F64] = {}

    @property
    def result(self) -> DGResult:
        if self._result is None:
            self._result = analyze(self.bars, self.params)
        return self._result

    def read(self, term: Term, bar: I64, proj: I64) -> F64:
        """``term`` at per-bar indices ``bar`` and projected indices ``proj`` (-1 = unknown)."""
        info = term.info
        if info.source == "bar":
            arr: npt.NDArray[Any] = getattr(self.bars, term.name)
            idx = bar
        elif info.source == "function":
            arr = self._function(term)
            idx = bar
        elif info.source == "projected":
            arr, idx = getattr(self.result, term.name), proj
        elif info.source == "per_bar":
            arr, idx = getattr(self.result, term.name), bar
        elif info.source == "derived":
            return _derived(term.name, self._take(self.result.trend_dir, bar),
                            self._take(self.result.state, bar))
        else:
            raise ValueError(f"{term.label} is not a number or a flag")
        return self._take(arr, idx)

    @staticmethod
    def _take(arr: npt.NDArray[Any], idx: I64) -> F64:
        out = np.full(idx.shape[0], np.nan)
        ok = idx >= 0
        out[ok] = arr[idx[ok]].astype(np.float64)
        return out

    def _function(self, term: Term) -> F64:
        got = self._functions.get(term.label)
        if got is None:
            fn = term.info.function
            assert fn is not None
            got = np.asarray(fn.compute(self.bars, term.args), dtype=np.float64)
            if got.shape != (len(self.bars),):
                raise ValueError(f"{term.label}: the indicator gave {got.shape} values for "
                                 f"{len(self.bars)} bars")
            self._functions[term.label] = got
        return got


class SeriesValues:
    """Term values of one symbol at bars ``index`` (ascending) of ``bars``."""

    def __init__(self, bars: Bars, index: Sequence[int] | I64, interval: str,
                 params: DGParams | None = None) -> None:
        self.bars = bars
        self.index = np.asarray(index, dtype=np.int64)
        if self.index.size and (self.index.min() < 0 or self.index.max() >= len(bars)):
            raise ValueError(f"rows must be bars 0..{len(bars) - 1} of {bars.symbol or 'the'}"
                             " series")
        self.rows = int(self.index.shape[0])
        self.interval = interval
        self.params = DGParams() if params is None else params
        self._focal = _Series(bars, self.params)
        self._higher: dict[str, tuple[_Series | None, I64]] = {}

    @property
    def result(self) -> DGResult:
        """The focal series' analysis."""
        return self._focal.result

    def number(self, term: Term) -> F64:
        if is_focal(term.tf, self.interval):
            return self._focal.read(term, self.index, self.index)
        series, m = self.higher(term.tf or "")
        if series is None:
            return np.full(self.rows, np.nan)
        return series.read(term, np.where(m > 0, m - 1, -1), np.where(m > 0, m, -1))

    def zones(self, term: Term) -> ZoneRows:
        kinds = ZONES[term.name]
        if is_focal(term.tf, self.interval):
            return [_zone_array(self._focal.result, int(t), kinds) for t in self.index]
        series, m = self.higher(term.tf or "")
        if series is None:
            return [None] * self.rows
        return [_zone_array(series.result, int(k), kinds) if k > 0 else None for k in m]

    def higher(self, tf: str) -> tuple[_Series | None, I64]:
        """The completed bars of timeframe ``tf`` and, per row, how many were complete then."""
        if tf not in self._higher:
            self._higher[tf] = self._build_higher(TIMEFRAMES[tf])
        return self._higher[tf]

    def _build_higher(self, rule: str) -> tuple[_Series | None, I64]:
        if not self.rows:
            return None, np.zeros(0, dtype=np.int64)
        last = int(self.index.max())
        full = resample(self.bars[:last + 1], rule)
        done = len(full.bars) - (0 if full.last_complete else 1)
        counts = np.empty(self.rows, dtype=np.int64)
        for r, t in enumerate(self.index):
            if t == last:
                counts[r] = done
            else:  # a bucket that ended exactly at bar t must be judged by t's own clock
                part = resample(self.bars[:int(t) + 1], rule)
                counts[r] = len(part.bars) - (0 if part.last_complete else 1)
        if done == 0:
            return None, counts
        return _Series(full.bars[:done], self.params), counts


class BatchValues:
    """The prefilter's values: rows are symbol-major (``row = i * k + j``, bar ``n_i - k + j``)
    over the symbols of ``series``; DG core and state fields come from ``tail``."""

    def __init__(self, series: Sequence[Bars], tail: DGTail, interval: str) -> None:
        self.k = tail.k
        self.rows = len(series) * self.k
        self.interval = interval
        self.tail = tail
        j = np.arange(self.k)
        self._bar = (tail.lengths[:, None] - self.k + j[None, :]).reshape(-1)
        self._series = series

    def known(self, term: Term) -> bool:
        return term.info.batch and is_focal(term.tf, self.interval)

    def number(self, term: Term) -> F64:
        if not self.known(term):
            return np.full(self.rows, np.nan)
        info = term.info
        if info.source == "bar":
            return self._bar_field(term.name)
        if info.source == "derived":
            return _derived(term.name, self._field("trend_dir"), self._field("state"))
        return self._field(term.name)

    def _field(self, name: str) -> F64:
        vals = self.tail.field(name).reshape(-1).astype(np.float64)
        return np.where(self._bar >= 0, vals, np.nan)

    def _bar_field(self, name: str) -> F64:
        out = np.full(self.rows, np.nan)
        k = self.k
        for i, b in enumerate(self._series):
            n = len(b)
            take = min(n, k)
            if take:
                out[i * k + k - take:(i + 1) * k] = getattr(b, name)[n - take:]
        return out

    def zones(self, term: Term) -> ZoneRows:
        return [None] * self.rows
