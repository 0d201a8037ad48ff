"""``ChartDataService``: everything one chart view shows, built off the GUI thread.

``build`` loads the bars (the synthetic demo universe, or the local store), runs the engine and
the next-bar map, and returns one frozen ``ChartData``; ``watchlist`` summarises many symbols
(last close, change, DG state) for the watchlist panel. Both are shaped
``(request, cancel, progress) -> result`` so the GUI's task runner, the CLI and tests run them
the same way. Qt-free: the app layer hands the result to its widgets.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from drummond_desktop.core.errors import Cancelled, DataError
from drummond_desktop.core.tasks import CancelToken, Progress, no_progress, sub_progress
from drummond_desktop.feeds import demo
from drummond_desktop.services.analysis import AnalysisReport, AnalysisService, AnalyzeDemoRequest
from drummond_desktop.services.market_data import MarketDataService
from drummond_desktop.services.report import format_text
from engine.bars import Bars
from engine.drummond import DGParams, DGResult, NextBarMap, State, Zone

MarketDataProvider = Callable[[], MarketDataService]

_DIRECTION = {1: "up", -1: "down"}


@dataclass(frozen=True)
class ChartRequest:
    """One chart: ``symbol`` at ``interval``, from the demo universe or the local store."""

    symbol: str
    interval: str = "1d"
    demo: bool = True
    params: DGParams = field(default_factory=DGParams)


@dataclass(frozen=True, eq=False)
class ChartData:
    """What a chart view draws and its next-bar panel reads. ``generation`` is the task
    runner's stamp (0 until the controller sets it); stale generations are never shown."""

    bars: Bars
    result: DGResult
    zones: tuple[Zone, ...]
    next_bar_map: NextBarMap
    source: str
    synthetic: bool
    report_text: str = ""
    generation: int = 0

    @property
    def symbol(self) -> str:
        return self.bars.symbol


@dataclass(frozen=True)
class WatchlistRequest:
    """Summarise ``symbols`` (at ``interval``) from the demo universe or the store."""

    symbols: tuple[str, ...]
    interval: str = "1d"
    demo: bool = True
    params: DGParams = field(default_factory=DGParams)


@dataclass(frozen=True)
class WatchRow:
    """One watchlist line; ``error`` holds the user message when the symbol could not load."""

    code: str
    last_close: float = math.nan
    change: float = math.nan
    change_pct: float = math.nan
    state: str = ""
    error: str = ""


def state_label(m: NextBarMap) -> str:
    """``TREND up``, ``CONG_ACTION``...: the DG state the last bar left."""
    direction = _DIRECTION.get(m.trend_dir, "") if m.state == State.TREND else ""
    return f"{m.state.name} {direction}".strip()


class ChartDataService:
    """Builds chart data from the demo universe or the store (opened on first store use)."""

    def __init__(self, analysis: AnalysisService, market_data: MarketDataProvider) -> None:
        self._analysis = analysis
        self._market_data = market_data

    def build(self, request: ChartRequest, cancel: CancelToken | None = None,
              progress: Progress = no_progress) -> ChartData:
        """Load, analyse and map ``request``'s bars; ``AppError`` with a user message on
        unknown symbols, empty stores or too few bars."""
        report = self._report(request, cancel or CancelToken(), progress)
        return ChartData(bars=report.bars, result=report.result, zones=report.map.zones,
                         next_bar_map=report.map, source=report.source,
                         synthetic=report.synthetic, report_text=format_text(report))

    def watchlist(self, request: WatchlistRequest, cancel: CancelToken | None = None,
                  progress: Progress = no_progress) -> tuple[WatchRow, ...]:
        """One row per symbol, in order; a symbol that fails gets a row with its message."""
        token = cancel or CancelToken()
        rows: list[WatchRow] = []
        total = len(request.symbols)
        for i, code in enumerate(request.symbols):
            token.raise_if_cancelled()
            progress(i, total, f"watchlist: {code}")
            chart = ChartRequest(code, request.interval, request.demo, request.params)
            rows.append(self._row(chart, token, sub_progress(progress, i, 1, total)))
        progress(total, total, "watchlist ready")
        return tuple(rows)

    def catalog(self, request: object = None, cancel: CancelToken | None = None,
                progress: Progress = no_progress) -> dict[str, tuple[str, ...]]:
        """What the local store holds: symbol -> its intervals (opens the store: run it on
        the I/O pool)."""
        progress(0, 1, "reading the local store")
        series: dict[str, list[str]] = {}
        for cov in self._market_data().coverage():
            if cov.count:
                series.setdefault(cov.symbol, []).append(cov.timeframe)
        progress(1, 1, f"{len(series)} symbols in the local store")
        return {sym: tuple(sorted(tfs, key=_interval_order)) for sym, tfs in sorted(series.items())}

    def _row(self, request: ChartRequest, cancel: CancelToken, progress: Progress) -> WatchRow:
        try:
            report = self._report(request, cancel, progress)
        except Cancelled:
            raise
        except DataError as exc:
            return WatchRow(request.symbol, error=exc.user_message)
        return summarise(report)

    def _report(self, request: ChartRequest, cancel: CancelToken,
                progress: Progress) -> AnalysisReport:
        if request.demo:
            return self._analysis.analyze_demo(AnalyzeDemoRequest(request.symbol,
                                                                  request.params),
                                               cancel, progress)
        progress(0, 3, f"loading {request.symbol} {request.interval}")
        bars = self._market_data().load(request.symbol, request.interval)
        cancel.raise_if_cancelled()
        return self._analysis.analyze_bars(bars, "local store", request.params, cancel,
                                           progress)


def _interval_order(interval: str) -> tuple[int, str]:
    """Daily first, then the rest by name (``1d``, ``1h``, ``1m``, ``5m`` ...)."""
    return (0 if interval == "1d" else 1, interval)


def summarise(report: AnalysisReport) -> WatchRow:
    """The watchlist row of one analysed symbol."""
    close = report.bars.close
    last = float(close[-1])
    prev = float(close[-2]) if len(close) > 1 else math.nan
    change = last - prev
    pct = change / prev * 100.0 if prev else math.nan
    return WatchRow(report.symbol, last, change, pct, state_label(report.map))


def demo_symbols(intraday: bool = True) -> tuple[str, ...]:
    """The demo universe's codes: daily first, then (optionally) the intraday ones."""
    return demo.daily_codes() + (demo.intraday_codes() if intraday else ())


def demo_interval(code: str) -> str:
    """The one interval a demo symbol has (``1d`` or ``1m``)."""
    return demo.demo_symbol(code).timeframe


def intervals_for(code: str, demo_mode: bool, stored: Sequence[str] = ()) -> tuple[str, ...]:
    """Intervals the interval switch offers for ``code`` (higher timeframes: a later issue)."""
    if demo_mode:
        try:
            return (demo_interval(code),)
        except KeyError:  # an unknown code: loading it reports the error where the user acted
            return ("1d",)
    return tuple(stored) or ("1d",)
