"""``ScanService``: run a scanner expression over the stored universe (or a watchlist).

``run(request, cancel, progress) -> ScanResult`` is a pure task in the house shape: it loads the
bars of the universe's symbols from the market store in groups of ``CHUNK`` (checking
``cancel`` between symbols) and hands each group to ``engine.scan.scan`` (batch prefilter with
the parallel DG kernel, full evaluation of the survivors). Progress counts each symbol twice:
loaded, then evaluated.

Bars of the scan's interval come from the store; when a symbol has none, ``1w``/``1mo`` are
built from its stored ``1d`` bars (and intraday intervals from ``1m``) with ``engine.resample``,
keeping completed bars only - a still-forming bar is never scanned as if it were complete.

Errors: ``InvalidScan`` (``store.scans``; a ``DataError``) for a bad expression - its message
names the column and the token, and its ``__cause__`` is the ``ScanSyntaxError`` - or a bad
universe/interval; ``DataError`` for an unknown watchlist or saved scan name; ``Cancelled``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from drummond_desktop.core.errors import DataError
from drummond_desktop.core.tasks import CancelToken, Progress, no_progress, sub_progress
from drummond_desktop.store import MarketStore, UserStore
from drummond_desktop.store.scans import (
    ALL,
    InvalidScan,
    ScanRepository,
    StoredScan,
    clean_interval,
    clean_universe,
)
from drummond_desktop.store.workspace_lists import WatchlistRepository
from engine.bars import Bars
from engine.drummond import DGParams
from engine.scan import ScanExpr, ScanHit, ScanSyntaxError, check_timeframes, parse, scan

CHUNK = 500  # symbols loaded and scanned together
_BUILT_FROM = {"1w": "1d", "1mo": "1d", "5m": "1m", "15m": "1m", "30m": "1m", "1h": "1m",
               "4h": "1m"}


@dataclass(frozen=True)
class ScanRequest:
    """Scan ``expr`` over ``universe`` (``all`` or ``watchlist:<name>``) on ``interval`` bars;
    a symbol matches when the condition holds at one of its last ``lookback`` bars."""

    expr: str
    universe: str = ALL
    interval: str = "1d"
    lookback: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "universe", clean_universe(self.universe))
        object.__setattr__(self, "interval", clean_interval(self.interval))
        if isinstance(self.lookback, bool) or not isinstance(self.lookback, int) or not (
                1 <= self.lookback <= 500):
            raise InvalidScan("lookback", f"must be a whole number from 1 to 500, got "
                                          f"{self.lookback!r}")

    def parsed(self) -> ScanExpr:
        """The expression parsed and checked against the interval (``InvalidScan``)."""
        try:
            expr = parse(self.expr)
            check_timeframes(expr, self.interval)
        except ScanSyntaxError as exc:
            raise InvalidScan("expression", str(exc)) from exc
        return expr


@dataclass(frozen=True)
class ScanResult:
    """The hits in universe order (``engine.scan.ScanHit``: symbol, signal bar, last close and
    state, every term's value), the term labels as table columns, and what was scanned."""

    request: ScanRequest
    hits: tuple[ScanHit, ...]
    terms: tuple[str, ...]
    scanned: int
    without_data: tuple[str, ...] = ()
    seconds: float = field(default=0.0, compare=False)


class ScanQueryLike(Protocol):
    """What an alert's scan rule asks (``services.alerts.ScanQuery`` has this shape)."""

    @property
    def scan_id(self) -> str: ...

    @property
    def expr(self) -> str: ...

    @property
    def interval(self) -> str: ...

    @property
    def symbols(self) -> tuple[str, ...]: ...


class ScanService:
    """Scans over the market store; ``user`` (watchlists, saved scans) is optional for scans
    of ``all`` symbols."""

    def __init__(self, market: MarketStore, user: UserStore | None = None,
                 params: DGParams | None = None, threads: int | None = None) -> None:
        self._market = market
        self._user = user
        self._params = DGParams() if params is None else params
        self._threads = threads

    # -- tasks ----------------------------------------------------------------------------
    def run(self, request: ScanRequest, cancel: CancelToken | None = None,
            progress: Progress = no_progress) -> ScanResult:
        """Load and scan the universe in groups of ``CHUNK`` symbols, so memory holds one
        group's bars at a time whatever the size of the store."""
        token = cancel if cancel is not None else CancelToken()
        t0 = time.perf_counter()
        expr = request.parsed()
        symbols = self.universe(request.universe)
        units = 2 * max(len(symbols), 1)  # each symbol: loaded, then evaluated
        hits: list[ScanHit] = []
        missing: list[str] = []
        scanned = 0
        done = 0.0
        for start in range(0, len(symbols), CHUNK):
            group = symbols[start:start + CHUNK]
            series, absent = self._load_all(group, request.interval, token,
                                            sub_progress(progress, done, len(group), units))
            done += len(group)
            step = sub_progress(progress, done, len(group), units)

            def on_symbol(i: int, total: int, step: Progress = step) -> None:
                token.raise_if_cancelled()
                step(i, total, f"evaluating {i} of {total}")

            hits += scan(series, expr, request.interval, lookback=request.lookback,
                         params=self._params, threads=self._threads, on_symbol=on_symbol)
            done += len(group)
            missing += absent
            scanned += len(series)
        progress(units, units, f"{len(hits)} match(es)")
        labels = tuple(t.label for t in expr.terms if t.info.constant is None)
        return ScanResult(request, tuple(hits), labels, scanned, tuple(missing),
                          time.perf_counter() - t0)

    def run_saved(self, name_or_id: str, cancel: CancelToken | None = None,
                  progress: Progress = no_progress, lookback: int = 1) -> ScanResult:
        """Run a saved scan, found by name or by id."""
        saved = self.saved(name_or_id)
        return self.run(ScanRequest(saved.expr, saved.universe, saved.interval, lookback),
                        cancel, progress)

    def matches(self, query: ScanQueryLike, cancel: CancelToken) -> Mapping[str, int]:
        """Symbol -> ts of the bar it matched on, for an alert's scan rule (the saved scan's
        expression when ``scan_id`` is set) over ``query.symbols``."""
        expr = self.saved(query.scan_id).expr if query.scan_id else query.expr
        request = ScanRequest(expr, ALL, query.interval)
        series, _ = self._load_all(list(query.symbols), request.interval, cancel, no_progress)
        hits = scan(series, request.parsed(), request.interval, params=self._params,
                    threads=self._threads, on_symbol=lambda *_: cancel.raise_if_cancelled())
        return {h.symbol: h.ts for h in hits}

    # -- universe and bars ----------------------------------------------------------------
    def universe(self, universe: str) -> list[str]:
        """The symbols of ``all`` (every symbol the store knows) or ``watchlist:<name>``."""
        u = clean_universe(universe)
        if u == ALL:
            return [s.ticker for s in self._market.symbols.all()]
        name = u.split(":", 1)[1]
        for w in WatchlistRepository(self._user_store().engine, self._user_store().where).all():
            if w.name == name:
                return list(w.symbols)
        raise DataError(f"no watchlist named {name!r}",
                        user_message=f"There is no watchlist named \u201c{name}\u201d.")

    def saved(self, name_or_id: str) -> StoredScan:
        repo = ScanRepository(self._user_store().engine, self._user_store().where)
        found = repo.by_name(name_or_id)
        if found is None:
            found = next((s for s in repo.all() if s.id == name_or_id), None)
        if found is None:
            raise DataError(f"no saved scan {name_or_id!r}",
                            user_message=f"There is no saved scan \u201c{name_or_id}\u201d.")
        return found

    def load(self, symbol: str, interval: str) -> Bars:
        """Stored ``interval`` bars of ``symbol``, or completed bars built from a finer stored
        series; empty when there is neither."""
        bars = self._market.bars.load(symbol, interval)
        base = _BUILT_FROM.get(interval)
        if len(bars) or base is None:
            return bars
        finer = self._market.bars.load(symbol, base)
        if not len(finer):
            return bars
        from engine.resample import resample

        built = resample(finer, interval)
        return built.bars if built.last_complete else built.bars[:-1]

    def _load_all(self, symbols: Sequence[str], interval: str, cancel: CancelToken,
                  progress: Progress) -> tuple[list[Bars], list[str]]:
        series: list[Bars] = []
        missing: list[str] = []
        for i, symbol in enumerate(symbols):
            cancel.raise_if_cancelled()
            progress(i, len(symbols), f"loading {symbol}")
            bars = self.load(symbol, interval)
            if len(bars):
                series.append(bars)
            else:
                missing.append(symbol)
        progress(len(symbols), len(symbols), "loaded")
        return series, missing

    def _user_store(self) -> UserStore:
        if self._user is None:
            raise DataError("this scanner has no user store",
                            user_message="Watchlists and saved scans need the user database.")
        return self._user
