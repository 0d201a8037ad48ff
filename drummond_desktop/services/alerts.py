"""``AlertService``: evaluate the alert rules on stored bars, after each sync and on demand.

``evaluate(request, cancel, progress) -> AlertRun`` reads the enabled rules, resolves each
target (a symbol, or a watchlist's symbols), loads each symbol's bars once per interval, runs the
rule's check (``services/alerts_rules.py``) from the rule's memory, and records the firings and
the new memory together (``AlertRepository.record_evaluation``). Given the same bars and memory
it fires the same events; the store's (rule, symbol, bar) uniqueness makes re-running a no-op.

After a sync, ``request_after_sync(report)`` gives the request for the symbols that changed (or
``None``); the front end submits it like any task. ``scan`` rules run through an injected
``ScanRunner`` (the scanner service's adapter), so this module knows nothing of its internals.

A symbol without data, a deleted watchlist, a scan that fails or a rule that no longer reads is
reported in ``AlertRun.problems`` and the other rules still run. Bars are read as stored and
taken as complete; ``1w``/``1M`` rules on symbols without stored weekly/monthly bars use bars
built from the daily ones, without a still-forming last week or month.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from drummond_desktop.core.errors import AppError, DataError
from drummond_desktop.core.tasks import CancelToken, Progress, no_progress
from drummond_desktop.services.alerts_rules import Series, build_check, run_check
from drummond_desktop.services.timeframes import store_name
from drummond_desktop.store.alerts import AlertEvent, AlertRepository, AlertRule, NewEvent
from drummond_desktop.store.workspace_lists import UnknownWatchlist, WatchlistRepository
from engine.bars import Bars
from engine.drummond import DGParams

if TYPE_CHECKING:
    from drummond_desktop.services.market_data import MarketDataService
    from drummond_desktop.services.market_sync import SyncReport

BarLoader = Callable[[str, str], Bars]  # (symbol, interval) -> bars; DataError when none


@dataclass(frozen=True)
class ScanQuery:
    """What a ``scan`` rule asks: a saved scan (``scan_id``) or an expression (``expr``), on
    ``interval`` bars, over ``symbols``."""

    scan_id: str
    expr: str
    interval: str
    symbols: tuple[str, ...]


class ScanRunner(Protocol):
    """Runs a scan; returns the matching symbols with the ts of the bar each matched on.
    Raises an ``AppError`` or ``ValueError`` for a scan that cannot run."""

    def __call__(self, query: ScanQuery, cancel: CancelToken) -> Mapping[str, int]: ...


@dataclass(frozen=True)
class AlertRequest:
    """Evaluate the enabled rules (only ``rule_ids``, when given) for their symbols (only those
    in ``symbols``, when given). ``catch_up``: at most this many new bars per symbol."""

    symbols: tuple[str, ...] | None = None
    rule_ids: tuple[str, ...] | None = None
    params: DGParams = field(default_factory=DGParams)
    catch_up: int = 10

    def __post_init__(self) -> None:
        if isinstance(self.catch_up, bool) or self.catch_up < 1:
            raise ValueError(f"catch_up must be at least 1, got {self.catch_up!r}")


@dataclass(frozen=True)
class AlertProblem:
    rule_id: str
    rule_name: str
    symbol: str  # "" when the problem is the rule's, not one symbol's
    reason: str


@dataclass(frozen=True)
class AlertRun:
    """What a run did: the new events (newest data last), how many rules and (rule, symbol)
    pairs it evaluated, what it could not evaluate, and rules edited while it ran (their
    results were dropped; the next run evaluates them afresh)."""

    fired: tuple[AlertEvent, ...]
    rules: int
    checks: int
    problems: tuple[AlertProblem, ...] = ()
    stale_rules: tuple[str, ...] = ()
    finished_at: float = 0.0


def request_after_sync(report: SyncReport, params: DGParams | None = None) -> AlertRequest | None:
    """The alert request for the symbols a sync changed (bars inserted or updated), or ``None``
    when it changed nothing."""
    changed = tuple(r.symbol for r in report.results if r.ok and (r.inserted or r.updated))
    if not changed:
        return None
    return AlertRequest(symbols=changed, params=params if params is not None else DGParams())


def store_bar_loader(market: MarketDataService) -> BarLoader:
    """Bars from the market store; ``1w``/``1M`` built from the daily bars when not stored
    (complete periods only)."""

    def load(symbol: str, interval: str) -> Bars:
        try:
            return market.load(symbol, store_name(interval))
        except DataError:
            if interval not in ("1w", "1M"):
                raise
        from engine.resample import resample

        built = resample(market.load(symbol, "1d"), store_name(interval))
        return built.bars if built.last_complete else built.bars[:-1]

    return load


class _Run:
    """The state of one evaluation: bars loaded once per (symbol, interval), problems."""

    def __init__(self, load: BarLoader, params: DGParams) -> None:
        self._load, self._params = load, params
        self._series: dict[tuple[str, str], Series | Exception] = {}
        self.problems: list[AlertProblem] = []
        self.checks = 0

    def series(self, symbol: str, interval: str) -> Series:
        key = (symbol, interval)
        if key not in self._series:
            try:
                self._series[key] = Series(self._load(symbol, interval), self._params)
            except (AppError, ValueError) as exc:
                self._series[key] = exc
        found = self._series[key]
        if isinstance(found, Exception):
            raise found
        return found

    def problem(self, rule: AlertRule, symbol: str, exc: BaseException | str) -> None:
        reason = exc if isinstance(exc, str) else getattr(exc, "user_message", None) or str(exc)
        self.problems.append(AlertProblem(rule.id, rule.name, symbol, reason))


class AlertService:
    def __init__(self, repository: AlertRepository, load_bars: BarLoader,
                 watchlists: WatchlistRepository, scan_runner: ScanRunner | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._repo = repository
        self._load = load_bars
        self._watchlists = watchlists
        self._scan = scan_runner
        self._clock = clock

    def evaluate(self, request: AlertRequest, cancel: CancelToken | None = None,
                 progress: Progress = no_progress) -> AlertRun:
        token = cancel if cancel is not None else CancelToken()
        readable, unreadable = self._repo.rules_for_evaluation()
        run = _Run(self._load, request.params)
        run.problems += [AlertProblem(e.rule_id, "", "", e.reason) for e in unreadable]
        rules = [r for r in readable if request.rule_ids is None or r.id in request.rule_ids]
        fired: list[AlertEvent] = []
        stale: list[str] = []
        for i, rule in enumerate(rules):
            token.raise_if_cancelled()
            progress(i, len(rules), f"checking alert {rule.name}")
            symbols = self._symbols(rule, run)
            if request.symbols is not None:
                symbols = [s for s in symbols if s in request.symbols]
            if not symbols:
                continue
            if rule.kind == "scan":
                memory, events = self._scan_rule(rule, symbols, run, token)
            else:
                memory, events = self._bar_rule(rule, symbols, run, request.catch_up, token)
            if not events and all(rule.memory.get(s) == m for s, m in memory.items()):
                continue  # nothing new: no write
            stored = self._repo.record_evaluation(rule, memory, events)
            if stored is None:
                stale.append(rule.id)
            else:
                fired += stored
        progress(len(rules), len(rules), "alerts checked")
        return AlertRun(tuple(fired), len(rules), run.checks, tuple(run.problems),
                        tuple(stale), self._clock())

    def _symbols(self, rule: AlertRule, run: _Run) -> list[str]:
        if rule.spec.target_kind == "symbol":
            return [rule.spec.target]
        try:
            return list(self._watchlists.get(int(rule.spec.target)).symbols)
        except UnknownWatchlist as exc:
            run.problem(rule, "", exc)
            return []

    def _bar_rule(self, rule: AlertRule, symbols: Sequence[str], run: _Run, catch_up: int,
                  cancel: CancelToken) -> tuple[dict[str, Any], list[NewEvent]]:
        memory: dict[str, Any] = {}
        events: list[NewEvent] = []
        for symbol in symbols:
            cancel.raise_if_cancelled()
            try:
                series = run.series(symbol, rule.spec.interval)
                check = build_check(rule.kind, rule.params, series)
                firings, entry = run_check(check, series.bars, rule.memory.get(symbol),
                                           catch_up)
            except (AppError, ValueError) as exc:
                run.problem(rule, symbol, exc)
                continue
            run.checks += 1
            if entry is not None:
                memory[symbol] = entry
            events += [NewEvent(symbol, f.bar_ts, f.message, {**f.payload, "kind": rule.kind})
                       for f in firings]
        return memory, events

    def _scan_rule(self, rule: AlertRule, symbols: Sequence[str], run: _Run,
                   cancel: CancelToken) -> tuple[dict[str, Any], list[NewEvent]]:
        """A symbol that matches now and did not at the last run fires; the first run of a
        rule (or of a symbol new to it) only notes what matches."""
        if self._scan is None:
            run.problem(rule, "", "no scanner is available to run this alert's scan")
            return {}, []
        p = rule.params
        query = ScanQuery(str(p.get("scan", "")), str(p.get("expr", "")), rule.spec.interval,
                          tuple(symbols))
        try:
            matches = self._scan(query, cancel)
        except (AppError, ValueError) as exc:
            run.problem(rule, "", exc)
            return {}, []
        label = query.expr or f"saved scan {query.scan_id}"
        memory: dict[str, Any] = {}
        events: list[NewEvent] = []
        for symbol in symbols:
            run.checks += 1
            before = rule.memory.get(symbol) or {}
            hit = symbol in matches
            ts = int(matches[symbol]) if hit else before.get("ts", 0)
            memory[symbol] = {"ts": ts, "v": hit}
            if hit and before.get("v") is False:
                events.append(NewEvent(symbol, ts, f"{symbol}: now matches {label}",
                                       {"kind": "scan", "symbol": symbol, "bar_ts": ts,
                                        "interval": query.interval, "scan": query.scan_id,
                                        "expr": query.expr}))
        return memory, events
