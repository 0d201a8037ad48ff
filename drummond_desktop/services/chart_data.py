"""``ChartDataService``: everything one chart view shows, built off the GUI thread.

``build`` loads the bars (the synthetic demo universe, or the local store), runs the engine and
the next-bar map, and returns one frozen ``ChartData``; ``watchlist`` summarises many symbols
(last close, change, DG state) for the watchlist panel. Both are shaped
``(request, cancel, progress) -> result`` so the GUI's task runner, the CLI and tests run them
the same way. Qt-free: the app layer hands the result to its widgets.

An interval that is not stored is built from the stored bars (``services.timeframes``): e.g.
``1w`` from daily bars, ``15m`` from minute bars, anchored to the session open in the symbol's
exchange time zone (``SessionLookup``; ``services.sessions.store_sessions`` reads the exchange's
calendar - hours, holidays, early closes - from the market store). A
built series whose last bar is still forming says so (``ChartData.last_complete``, ``note``).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from drummond_desktop.core.errors import AppError, Cancelled, DataError
from drummond_desktop.core.tasks import CancelToken, Progress, no_progress, sub_progress
from drummond_desktop.feeds import demo
from drummond_desktop.services import timeframes
from drummond_desktop.services.analysis import AnalysisReport, AnalysisService
from drummond_desktop.services.bar_source import stored_or_built
from drummond_desktop.services.report import format_text
from drummond_desktop.services.sessions import UTC_SESSION, SessionLookup, default_session
from drummond_desktop.services.timeframes import BuiltBars
from engine.bars import Bars
from engine.drummond import DGParams, DGResult, NextBarMap, State, Zone
from engine.resample import Session

if TYPE_CHECKING:  # the store pulls in SQLAlchemy: loaded on the worker that first reads it
    from drummond_desktop.services.market_data import MarketDataService

log = logging.getLogger(__name__)

MarketDataProvider = Callable[[], "MarketDataService"]
DemoBars = Callable[[str], Bars]

_DIRECTION = {1: "up", -1: "down"}


@dataclass(frozen=True)
class ChartRequest:
    """One chart: ``symbol`` at ``interval`` (stored, or built from stored bars: see
    ``intervals_for``), from the demo universe or the local store."""

    symbol: str
    interval: str = "1d"
    demo: bool = True
    params: DGParams = field(default_factory=DGParams)


@dataclass(frozen=True, eq=False)
class ChartData:
    """What a chart view draws and its next-bar panel reads. ``generation`` is the task
    runner's stamp (0 until the controller sets it); stale generations are never shown.

    ``built_from`` names the interval the bars were built from (empty: shown as stored). When
    ``last_complete`` is False the last bar is still forming: the chart shows it, but the
    next-bar map was computed with it as it stands, and ``note`` (also the report's first line)
    says so, e.g. ``last 1w bar (2026-01-07) still forming: it changes until it closes``."""

    bars: Bars
    result: DGResult
    zones: tuple[Zone, ...]
    next_bar_map: NextBarMap
    source: str
    synthetic: bool
    report_text: str = ""
    generation: int = 0
    built_from: str = ""
    last_complete: bool = True
    note: str = ""

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


@dataclass(frozen=True, eq=False)
class _Loaded:
    """Bars ready to analyse, with where they came from and whether the last one is final."""

    bars: Bars
    source: str
    synthetic: bool
    built: BuiltBars | None = None


class ChartDataService:
    """Builds chart data from the demo universe or the store (opened on first store use).

    ``sessions`` gives a symbol's session anchor for intraday buckets (default: ``US``
    symbols anchor at 09:30 New York, others at 00:00 UTC; ``store_sessions`` reads the store);
    ``clock`` (epoch seconds) decides whether a built series' last bar is complete."""

    def __init__(self, analysis: AnalysisService, market_data: MarketDataProvider, *,
                 sessions: SessionLookup | None = None, clock: Callable[[], float] = time.time,
                 demo_bars: DemoBars = demo.demo_bars) -> None:
        self._analysis = analysis
        self._market_data = market_data
        self._sessions = sessions or default_session
        self._clock = clock
        self._demo_bars = demo_bars

    def build(self, request: ChartRequest, cancel: CancelToken | None = None,
              progress: Progress = no_progress) -> ChartData:
        """Load (or build), analyse and map ``request``'s bars; ``AppError`` with a user
        message on unknown symbols, intervals not offered, empty stores or too few bars."""
        token = cancel or CancelToken()
        loaded = self._load(request, token, progress)
        report = self._analyse(loaded, request.params, token, progress)
        built = loaded.built
        note = forming_note(built.bars) if built is not None and not built.last_complete else ""
        text = format_text(report)
        return ChartData(bars=report.bars, result=report.result, zones=report.map.zones,
                         next_bar_map=report.map, source=report.source,
                         synthetic=report.synthetic,
                         report_text=f"Note: {note}\n{text}" if note else text,
                         built_from=built.base if built is not None else "",
                         last_complete=built is None or built.last_complete, note=note)

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
        """What the local store holds: symbol -> its stored intervals, ``1m`` ... ``1M`` (the
        store's ``1mo`` named ``1M``); ``intervals_for`` adds what can be built. Opens the
        store: run it on the I/O pool."""
        progress(0, 1, "reading the local store")
        series: dict[str, set[str]] = {}
        for cov in self._market_data().coverage():
            if cov.count:
                series.setdefault(cov.symbol, set()).add(timeframes.canonical(cov.timeframe))
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
        return self._analyse(self._load(request, cancel, progress), request.params, cancel,
                             progress)

    def _analyse(self, loaded: _Loaded, params: DGParams, cancel: CancelToken,
                 progress: Progress) -> AnalysisReport:
        report = self._analysis.analyze_bars(loaded.bars, loaded.source, params, cancel,
                                             progress)
        return replace(report, synthetic=True) if loaded.synthetic else report

    def _load(self, request: ChartRequest, cancel: CancelToken, progress: Progress) -> _Loaded:
        interval = timeframes.canonical(request.interval)
        if request.demo:
            return self._demo(request.symbol, interval, cancel, progress)
        progress(0, 3, f"loading {request.symbol} {interval}")
        bars, built = self._store_bars(request.symbol, interval, cancel)
        return _Loaded(bars, "local store", False, built)

    def _demo(self, code: str, interval: str, cancel: CancelToken,
              progress: Progress) -> _Loaded:
        progress(0, 3, f"generating {code}")
        try:
            native = demo_interval(code)
            bars = self._demo_bars(code)
        except KeyError as exc:  # demo_symbol names the code and the valid ones
            raise AppError(str(exc), user_message=str(exc.args[0]) if exc.args else str(exc)
                           ) from None
        cancel.raise_if_cancelled()
        if interval == native:
            return _Loaded(bars, demo.DEMO_LABEL, True)
        offered = intervals_for(code, True)
        if interval not in offered:
            raise DataError(f"{code}: {interval} not offered", user_message=(
                f"{code} has no {interval} bars (offered: {', '.join(offered)})"))
        cal = demo.demo_symbol(code).calendar
        session = Session(cal.timezone, cal.session_open, cal.session_close, name="DEMO")
        built = self._built(bars, interval, session)
        return _Loaded(built.bars, demo.DEMO_LABEL, True, built)

    def _store_bars(self, symbol: str, interval: str,
                    cancel: CancelToken) -> tuple[Bars, BuiltBars | None]:
        """The stored ``interval`` series, else one built from the finest stored series it can
        be built from (``services.bar_source``)."""
        return stored_or_built(partial(self._stored, symbol), symbol, interval,
                               partial(self._session, symbol), self._clock(), cancel)

    def _stored(self, symbol: str, interval: str) -> Bars | None:
        try:
            return self._market_data().load(symbol, interval)
        except DataError:  # nothing stored at this interval
            return None

    def _built(self, bars: Bars, interval: str, session: Session) -> BuiltBars:
        return timeframes.build(bars, interval, session, now=self._clock())

    def _session(self, symbol: str) -> Session:
        try:
            return self._sessions(symbol)
        except (ValueError, AppError) as exc:  # an unknown time zone, an unreadable store
            log.warning("%s: session hours unknown (%s); building bars on UTC days", symbol, exc)
            return UTC_SESSION


def forming_note(bars: Bars) -> str:
    """``last 1w bar (2026-01-07) still forming: ...``, dated by the bar's stamp; said wherever
    the map is shown."""
    last = datetime.fromtimestamp(int(bars.ts[-1]), UTC)
    when = last.strftime("%Y-%m-%d" if last.hour == last.minute == 0 else "%Y-%m-%d %H:%M UTC")
    return f"last {bars.timeframe} bar ({when}) still forming: it changes until it closes"


def _interval_order(interval: str) -> tuple[int, str]:
    """``1m`` ... ``1h``, ``1d``, ``1w``, ``1M`` (by nominal length)."""
    return timeframes.interval_order(interval)


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
    """The interval a demo symbol is generated at (``1d`` or ``1m``)."""
    return demo.demo_symbol(code).timeframe


def intervals_for(code: str, demo_mode: bool, stored: Sequence[str] = ()) -> tuple[str, ...]:
    """Intervals the interval switch offers for ``code``, ``1m`` ... ``1M``: the stored ones
    (``catalog``) plus every one that can be built from them. Demo daily symbols offer ``1d``,
    ``1w``, ``1M``; demo minute symbols ``1m`` ... ``1h`` and ``1d``."""
    if demo_mode:
        try:
            return timeframes.DEMO_INTERVALS[demo_interval(code)]
        except KeyError:  # an unknown code: loading it reports the error where the user acted
            return ("1d",)
    return timeframes.derivable(stored) or ("1d",)


def default_interval(intervals: Sequence[str]) -> str:
    """The interval to open a symbol on when none was asked for: ``1d`` when offered (it loads
    fast and shows the most history), else the first offered."""
    return "1d" if "1d" in intervals else intervals[0] if intervals else "1d"
