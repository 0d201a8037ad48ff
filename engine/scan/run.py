"""``scan``: evaluate an expression for many symbols at their last bar(s).

1. The timeframe prefixes are checked against the scan's interval.
2. **Prefilter** (when the expression names a DG core/state term or a bar field of the scan's
   own bars): the batch kernel computes those for the last ``lookback`` bars of every symbol in
   parallel, and the expression is evaluated with every other term unknown. A symbol whose
   condition is false at every row cannot match (Kleene logic is monotone) and is dropped.
3. Every remaining symbol is evaluated in full (``SeriesValues``: ``analyze``, indicators,
   zones, higher timeframes). It matches when the condition is true at one of its last
   ``lookback`` bars; the newest such bar is the signal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from engine.bars import Bars
from engine.drummond import DGParams, State
from engine.scan.batch import Ragged, dg_tail
from engine.scan.evaluate import Value, evaluate, explain
from engine.scan.syntax import ScanExpr, ScanSyntaxError, parse
from engine.scan.terms import TIMEFRAMES
from engine.scan.values import (
    RESAMPLE_INPUTS,
    BatchValues,
    SeriesValues,
    canonical_interval,
    interval_seconds,
    is_focal,
)

MAX_LOOKBACK = 500
OnSymbol = Callable[[int, int], None]


@dataclass(frozen=True)
class ScanHit:
    """A matching symbol. ``bar``/``ts``: the signal bar (the newest of the last ``lookback``
    bars where the condition is true), ``bars_ago`` its distance from the last bar;
    ``close``/``state``: the last bar's close and market state; ``values``: every term of the
    expression at the signal bar, by its canonical text (see ``evaluate.explain``)."""

    symbol: str
    bar: int
    ts: int
    bars_ago: int
    close: float
    state: State
    values: Mapping[str, Value]


def check_timeframes(expr: ScanExpr, interval: str) -> None:
    """``ScanSyntaxError`` at the first prefixed term the scan's ``interval`` cannot build."""
    base = interval_seconds(interval)
    if base is None:
        raise ValueError(f"unknown scan interval {interval!r}")
    for term in expr.terms:
        if term.tf is None or is_focal(term.tf, interval):
            continue
        rule = TIMEFRAMES[term.tf]
        need = interval_seconds(rule) or 0
        if need < base:
            msg = (f"{term.tf} terms need bars of {rule} or finer; this scan runs on "
                   f"{interval} bars")
        elif canonical_interval(interval) not in RESAMPLE_INPUTS:
            msg = f"{term.tf} bars cannot be built from {interval} bars (use 1d or finer)"
        else:
            continue
        raise ScanSyntaxError(expr.text, term.column, term.label, msg)


def _prefilter_needed(expr: ScanExpr, interval: str) -> bool:
    return any(t.info.batch and t.info.constant is None and is_focal(t.tf, interval)
               for t in expr.terms)


def candidates(expr: ScanExpr, series: Sequence[Bars], interval: str, lookback: int,
               params: DGParams, threads: int | None = None) -> list[int]:
    """Indexes of the symbols the batch prefilter cannot rule out."""
    keep = [i for i, b in enumerate(series) if len(b)]
    if not keep or not _prefilter_needed(expr, interval):
        return keep
    chosen = [series[i] for i in keep]
    tail = dg_tail(Ragged.from_bars(chosen), lookback, params, threads=threads)
    truth = evaluate(expr, BatchValues(chosen, tail, interval)).reshape(len(chosen), lookback)
    possible = (truth != 0.0).any(axis=1)  # true or unknown somewhere
    return [i for i, ok in zip(keep, possible, strict=True) if ok]


def evaluate_symbol(expr: ScanExpr, bars: Bars, interval: str, lookback: int = 1,
                    params: DGParams | None = None) -> ScanHit | None:
    """The full evaluation of one symbol at its last ``lookback`` bars (None: no match)."""
    n = len(bars)
    if n == 0:
        return None
    index = np.arange(max(n - lookback, 0), n, dtype=np.int64)
    values = SeriesValues(bars, index, interval, params)
    truth = evaluate(expr, values)
    hits = np.flatnonzero(truth == 1.0)
    if hits.size == 0:
        return None
    row = int(hits[-1])
    t = int(index[row])
    state = State(int(values.result.state[n - 1]))
    return ScanHit(bars.symbol, t, int(bars.ts[t]), n - 1 - t, float(bars.close[n - 1]), state,
                   MappingProxyType(explain(expr, values, row)))


def scan(universe: Sequence[Bars], expr: ScanExpr | str, interval: str, *, lookback: int = 1,
         params: DGParams | None = None, threads: int | None = None,
         on_symbol: OnSymbol | None = None, prefilter: bool = True) -> tuple[ScanHit, ...]:
    """Every symbol of ``universe`` whose condition holds at one of its last ``lookback`` bars.

    ``expr`` is text (parsed here; ``ScanSyntaxError`` names the column) or a ``ScanExpr``.
    ``interval`` is the bars' timeframe (``1d``, ``1h``, ``1w``...). ``on_symbol(done, total)``
    is called before each full evaluation; it may raise to stop the scan (a cancel).
    Symbols without bars never match. Hits keep the universe's order.

    >>> import numpy as np
    >>> from engine import Bars
    >>> c = np.array([10., 11, 12, 13, 14, 15, 16])
    >>> b = Bars.from_arrays(np.arange(7) * 86400, c, c + 1, c - 1, c, symbol="UP")
    >>> [h.symbol for h in scan([b], "close > pldot and trend_up", "1d")]
    ['UP']
    """
    ex = parse(expr) if isinstance(expr, str) else expr
    if isinstance(lookback, bool) or not isinstance(lookback, int) or not (
            1 <= lookback <= MAX_LOOKBACK):
        raise ValueError(f"lookback must be an integer from 1 to {MAX_LOOKBACK}, got "
                         f"{lookback!r}")
    check_timeframes(ex, interval)
    p = DGParams() if params is None else params
    series = list(universe)
    chosen = (candidates(ex, series, interval, lookback, p, threads) if prefilter
              else [i for i, b in enumerate(series) if len(b)])
    hits: list[ScanHit] = []
    for done, i in enumerate(chosen):
        if on_symbol is not None:
            on_symbol(done, len(chosen))
        hit = evaluate_symbol(ex, series[i], interval, lookback, p)
        if hit is not None:
            hits.append(hit)
    if on_symbol is not None:
        on_symbol(len(chosen), len(chosen))
    return tuple(hits)
