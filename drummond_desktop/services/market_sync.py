"""``MarketSyncService``: EODHD -> validated ``Bars`` -> the local store, incremental and resumable.

* A series is fetched from its checkpoint on, with a few bars of overlap so vendor corrections
  of the last bars are picked up; a new series is fetched whole (daily) or over the requested
  or default window (intraday).
* Daily: the symbol's splits and dividends are fetched first; one newer than the stored ones
  triggers a full re-fetch (EODHD's volumes and past closes are rescaled by new actions).
* Soft anomalies (gaps, zero volume, big moves) are stored as flags beside the bars they
  concern; the bars themselves are kept as delivered.
* Bars, corporate actions, flags and the checkpoint of a symbol go in one transaction;
  intraday ranges commit window by window, so a killed sync loses at most one window.
* The exchange's trading hours and holidays are stored the first time one of its symbols is
  synced (``CalendarSync``).
* A job that stops part-way (killed, quota) is remembered in ``SyncJournal``: running the same
  request again skips the symbols it already completed instead of asking EODHD again.
* Quota, budget, rate-limit and provider-unreachable failures end the job (later symbols are
  reported as not synced, and the job stays resumable); any other failure is that symbol's.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from drummond_desktop.core.errors import AppError
from drummond_desktop.core.tasks import CancelToken, Progress, no_progress
from drummond_desktop.core.utc import day_start, utc_day
from drummond_desktop.feeds.eodhd import EodhdClient, intraday_windows
from drummond_desktop.feeds.eodhd_models import Dividend as FeedDividend
from drummond_desktop.feeds.eodhd_models import Split as FeedSplit
from drummond_desktop.feeds.errors import (
    BudgetExceeded,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from drummond_desktop.feeds.validate import Anomaly
from drummond_desktop.services.calendar_sync import CalendarSync
from drummond_desktop.services.sync_journal import SyncJournal
from drummond_desktop.store import BarFlag, CheckpointUpdate, MarketStore
from drummond_desktop.store.adjust import Dividend, Split
from engine.bars import Bars

INTERVALS = ("1d", "1h", "5m", "1m")
INTERVAL_SECONDS = {"1h": 3600, "5m": 300, "1m": 60}
OVERLAP_BARS = 5  # re-fetched at the end of a stored series to catch vendor corrections
OVERLAP_DAYS = 7  # the same for daily bars, in calendar days (5 sessions)
DEFAULT_INTRADAY_DAYS = 120  # EODHD's own default window when no range is given
# These end the job: later symbols would hit the same wall (spent quota, offline provider).
_JOB_STOPS = (QuotaExhausted, BudgetExceeded, RateLimited, ProviderUnavailable)


@dataclass(frozen=True)
class SyncRequest:
    """Sync ``symbols`` at ``interval``; ``start``/``end`` are inclusive dates (UTC)."""

    symbols: tuple[str, ...]
    interval: str = "1d"
    start: date | None = None
    end: date | None = None

    def __post_init__(self) -> None:
        if self.interval not in INTERVALS:
            raise ValueError(f"interval must be one of {', '.join(INTERVALS)}, "
                             f"got {self.interval!r}")
        if not self.symbols:
            raise ValueError("name at least one symbol to sync")
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"--from {self.start} is after --to {self.end}")


@dataclass(frozen=True)
class SymbolSync:
    """How one symbol went. ``error`` is the user-facing reason when ``ok`` is False."""

    symbol: str
    ok: bool
    received: int = 0
    inserted: int = 0
    updated: int = 0
    full_refetch: bool = False
    resumed: bool = False  # completed by an earlier run of the same job: nothing requested
    anomalies: tuple[str, ...] = ()
    error: str = ""


@dataclass(frozen=True)
class SyncReport:
    interval: str
    results: tuple[SymbolSync, ...] = field(default_factory=tuple)

    @property
    def failed(self) -> tuple[SymbolSync, ...]:
        return tuple(r for r in self.results if not r.ok)

    @property
    def ok(self) -> bool:
        return not self.failed


def to_store_split(s: FeedSplit) -> Split:
    return Split(s.date, s.new, s.old)


def to_store_dividend(d: FeedDividend) -> Dividend:
    return Dividend(ex_date=d.date, value=d.value, unadjusted_value=d.unadjusted_value,
                    currency=d.currency or "", declaration_date=d.declaration_date,
                    record_date=d.record_date, payment_date=d.payment_date,
                    period=d.period or "")


class MarketSyncService:
    """Syncs bars from EODHD into the market store. ``client`` builds (or returns) the shared
    EODHD client; it is only called when a request must really be sent."""

    def __init__(self, store: MarketStore, client: Callable[[], EodhdClient],
                 journal: SyncJournal, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._client = client
        self._journal = journal
        self._clock = clock

    def sync(self, request: SyncRequest, cancel: CancelToken | None = None,
             progress: Progress = no_progress) -> SyncReport:
        """Sync every symbol; never raises for a symbol's failure (see ``SyncReport.failed``)."""
        token = cancel if cancel is not None else CancelToken()
        job = self._journal.begin(request, self._clock())
        calendars = CalendarSync(self._store, self._client)
        results: list[SymbolSync] = []
        stop: AppError | None = None
        for i, symbol in enumerate(request.symbols):
            token.raise_if_cancelled()
            progress(i, len(request.symbols), f"syncing {symbol} {request.interval}")
            if stop is not None:
                results.append(SymbolSync(symbol, False, error=f"not synced: {stop.user_message}"))
                continue
            if job.completed(self._store, symbol, request.interval):
                results.append(SymbolSync(symbol, True, resumed=True))
                continue
            try:
                calendars.ensure(symbol)
                results.append(self._sync_one(symbol, request, token))
            except _JOB_STOPS as exc:
                stop = exc
                results.append(SymbolSync(symbol, False, error=exc.user_message))
            except AppError as exc:
                results.append(SymbolSync(symbol, False, error=exc.user_message))
                self._mark_failed(symbol, request.interval, exc)
        progress(len(request.symbols), len(request.symbols), "done")
        if stop is None:
            self._journal.finish(job)
        return SyncReport(request.interval, tuple(results))

    def _sync_one(self, symbol: str, request: SyncRequest, token: CancelToken) -> SymbolSync:
        if request.interval == "1d":
            return self._daily(symbol, request)
        return self._intraday(symbol, request, token)

    def _mark_failed(self, symbol: str, interval: str, exc: AppError) -> None:
        # A bad ticker cannot hold a checkpoint either; its failure is reported all the same.
        with contextlib.suppress(AppError, ValueError):
            self._store.checkpoints.set(symbol, interval,
                                        CheckpointUpdate(status="error", error=exc.user_message))

    # ------------------------------------------------------------------------------ daily
    def _daily(self, symbol: str, request: SyncRequest) -> SymbolSync:
        client = self._client()
        splits = [to_store_split(s) for s in client.splits(symbol)]
        dividends = [to_store_dividend(d) for d in client.dividends(symbol)]
        last = self._store.bars.last_ts(symbol, "1d")
        full = last is None or self._has_new_actions(symbol, splits, dividends)
        start = request.start
        if not full and last is not None:
            # The gap after the checkpoint (with overlap), unless --from asks for older history
            # than the store holds: then everything from --from.
            start = utc_day(last) - timedelta(days=OVERLAP_DAYS)
            if request.start is not None and request.start < self._first_day(symbol):
                start = request.start
        result = client.eod(symbol, start=start, end=request.end)
        bars = _labelled(result.bars, "1d")
        now = int(self._clock())
        with self._store.transaction(f"syncing {symbol} 1d") as conn:
            self._store.actions.upsert_splits(symbol, splits, conn=conn)
            self._store.actions.upsert_dividends(symbol, dividends, conn=conn)
            up = self._store.bars.upsert(symbol, "1d", bars, conn=conn, checkpoint=CheckpointUpdate(
                status="ok", last_full_fetch=now if full else None))
            self._store.flags.record(symbol, "1d", _flags(result.anomalies), conn=conn)
        return SymbolSync(symbol, True, len(bars), up.inserted, up.updated,
                          full_refetch=full and last is not None,
                          anomalies=tuple(f"{a.kind}: {a.detail}" for a in result.anomalies))

    def _first_day(self, symbol: str) -> date:
        cov = self._store.coverage(symbol, "1d")
        return utc_day(cov[0].first_ts) if cov else date.max

    def _has_new_actions(self, symbol: str, splits: list[Split],
                         dividends: list[Dividend]) -> bool:
        """A split or dividend the store does not hold yet (and dated within its history)."""
        known_s = {(s.date, s.ratio) for s in self._store.actions.splits(symbol)}
        known_d = {d.ex_date for d in self._store.actions.dividends(symbol)}
        return (any((s.date, s.ratio) not in known_s for s in splits)
                or any(d.ex_date not in known_d for d in dividends))

    # ------------------------------------------------------------------------------ intraday
    def _intraday(self, symbol: str, request: SyncRequest, token: CancelToken) -> SymbolSync:
        iv = request.interval
        now = int(self._clock())
        end = min(day_start(request.end) + 86_399, now) if request.end else now
        last = self._store.bars.last_ts(symbol, iv)
        if last is None:
            start = (day_start(request.start) if request.start
                     else now - DEFAULT_INTRADAY_DAYS * 86_400)
        else:
            start = last - OVERLAP_BARS * INTERVAL_SECONDS[iv]
            if request.start is not None:
                start = min(start, day_start(request.start))
        received = inserted = updated = 0
        anomalies: list[str] = []
        client = self._client()
        for lo, hi in intraday_windows(iv, start, end) if start < end else []:
            token.raise_if_cancelled()
            result = client.intraday(symbol, iv, start=lo, end=hi, cancel=token)
            bars = _labelled(result.bars, iv)
            if len(bars):
                with self._store.transaction(f"syncing {symbol} {iv}") as conn:
                    up = self._store.bars.upsert(symbol, iv, bars, conn=conn,
                                                 checkpoint=CheckpointUpdate())
                    self._store.flags.record(symbol, iv, _flags(result.anomalies), conn=conn)
                received += len(bars)
                inserted += up.inserted
                updated += up.updated
            anomalies += [f"{a.kind}: {a.detail}" for a in result.anomalies]
        self._store.checkpoints.set(symbol, iv, CheckpointUpdate(status="ok"))
        return SymbolSync(symbol, True, received, inserted, updated,
                          anomalies=tuple(anomalies))


def _flags(anomalies: tuple[Anomaly, ...]) -> list[BarFlag]:
    """Soft anomalies as per-bar flags: the bars are stored as delivered, and flagged."""
    return [BarFlag(int(ts), a.kind, a.detail) for a in anomalies for ts in a.ts.tolist()]


def _labelled(bars: Bars, timeframe: str) -> Bars:
    """The client labels bars by what it asked for; make sure the store sees ``timeframe``."""
    if bars.timeframe == timeframe:
        return bars
    return Bars.from_arrays(bars.ts, bars.open, bars.high, bars.low, bars.close, bars.volume,
                            symbol=bars.symbol, timeframe=timeframe)
