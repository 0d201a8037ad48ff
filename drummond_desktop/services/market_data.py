"""``MarketDataService``: CSV files into the store, bars out of it, and what the store holds.

Import reads a file (layout detected, or mapped by the user; see ``feeds.csv_import``) with the
same validation as every other path into ``Bars`` (a bad file writes nothing) and upserts it;
``preview_import`` shows how a file would be read without opening the store; export writes raw
or adjusted bars (adjusted from the stored splits and dividends, never from a vendor's adjusted
close); coverage and quota read the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from drummond_desktop.core.errors import BadFile, DataError
from drummond_desktop.core.tasks import CancelToken, Progress, no_progress
from drummond_desktop.core.utc import day_start
from drummond_desktop.feeds.csv_import import ImportPreview, preview, read_import
from drummond_desktop.feeds.csv_mapping import ColumnMapping, Hints, parse_map
from drummond_desktop.services.bar_source import stored_or_built
from drummond_desktop.services.csv_out import atomic_text, cells, is_intraday, rows_text, ts_text
from drummond_desktop.services.sessions import SessionLookup, default_session
from drummond_desktop.store import Coverage, DailyUsage, MarketStore, adjust
from drummond_desktop.store.adjust import AdjustMode
from engine.bars import Bars

ReadBars = Callable[..., Bars]
EXPORT_COLUMNS = ("ts", "open", "high", "low", "close", "volume")
_CHUNK = 65_536


@dataclass(frozen=True)
class ImportRequest:
    """A file to import. ``mapping`` is a whole ``ColumnMapping`` (e.g. a preview's, edited),
    or column overrides in ``--map`` form (``"date=0,time=1,open=2,..."``) applied on top of
    detection; ``date_format`` and ``no_header`` override those parts."""

    path: Path
    symbol: str
    interval: str = "1d"
    tz: str = "UTC"
    mapping: ColumnMapping | str | None = None
    date_format: str | None = None
    no_header: bool = False

    def column_mapping(self) -> ColumnMapping | None:
        """The whole mapping to read with, if one was given (with the overrides applied)."""
        if not isinstance(self.mapping, ColumnMapping):
            return None
        m = self.mapping
        if self.date_format is not None:
            m = replace(m, date_format=self.date_format)
        return replace(m, has_header=False) if self.no_header else m

    def hints(self) -> Hints | None:
        """Overrides for detection, or ``None`` when the file is left to detection alone."""
        if isinstance(self.mapping, ColumnMapping):
            return None
        columns = parse_map(self.mapping) if self.mapping else {}
        if not columns and self.date_format is None and not self.no_header:
            return None
        return Hints(columns, self.date_format, False if self.no_header else None)

    def reader_options(self) -> dict[str, ColumnMapping | Hints]:
        mapping, hints = self.column_mapping(), self.hints()
        return {"mapping": mapping} if mapping else {"hints": hints} if hints else {}


@dataclass(frozen=True)
class ImportReport:
    symbol: str
    interval: str
    received: int
    inserted: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class ExportRequest:
    symbol: str
    out: Path
    interval: str = "1d"
    adjust: AdjustMode = "none"
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class QuotaReport:
    used_today: int
    budget: int
    days: tuple[DailyUsage, ...]

    @property
    def remaining(self) -> int:
        return max(self.budget - self.used_today, 0)


def preview_import(request: ImportRequest, rows: int = 10) -> ImportPreview:
    """How ``request``'s file would be read: mapping, format, first rows, row count, warnings.
    Reads the file only; no store is opened and nothing is written."""
    return preview(request.path, request.column_mapping(), rows, tz=request.tz,
                   hints=request.hints())


@dataclass(frozen=True)
class ExportReport:
    rows: int
    built_from: str = ""  # the stored interval the bars were built from; "" when stored
    last_complete: bool = True


class MarketDataService:
    """``sessions`` gives a symbol's exchange session for building intervals that are not
    stored (default: the engine's built-in calendar); ``clock`` decides whether a built last
    bar is complete."""

    def __init__(self, store: MarketStore, read_bars: ReadBars = read_import,
                 sessions: SessionLookup = default_session,
                 clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._read_bars = read_bars
        self._sessions = sessions
        self._clock = clock

    def import_file(self, request: ImportRequest, cancel: CancelToken | None = None,
                    progress: Progress = no_progress) -> ImportReport:
        """Validate the whole file, then store it in one transaction (idempotent)."""
        progress(0, 2, f"reading {request.path}")
        bars = self._read_bars(request.path, symbol=request.symbol, tz=request.tz,
                               **request.reader_options())
        if bars.timeframe and bars.timeframe != request.interval:
            raise BadFile(request.path, 0, f"the file holds {bars.timeframe} bars, not "
                          f"{request.interval} (use --interval {bars.timeframe})")
        if cancel is not None:
            cancel.raise_if_cancelled()
        progress(1, 2, f"storing {len(bars)} bars of {request.symbol}")
        stored = Bars.from_arrays(bars.ts, bars.open, bars.high, bars.low, bars.close,
                                  bars.volume, symbol=request.symbol, timeframe=request.interval)
        up = self._store.bars.upsert(request.symbol, request.interval, stored)
        progress(2, 2, "done")
        return ImportReport(request.symbol, request.interval, up.received, up.inserted,
                            up.updated, up.unchanged)

    def load(self, symbol: str, interval: str, start: date | None = None,
             end: date | None = None, adjust_mode: AdjustMode = "none") -> Bars:
        """Stored bars (inclusive dates, UTC), adjusted when asked; ``DataError`` when none."""
        lo = day_start(start) if start else None
        hi = day_start(end + timedelta(days=1)) - 1 if end else None
        bars = self._store.bars.load(symbol, interval, lo, hi)
        if not len(bars):
            raise DataError(f"no data for {symbol} {interval}",
                            user_message=f"no data for {symbol}")
        if adjust_mode != "none":
            bars = adjust(bars, self._store.actions.splits(symbol),
                          self._store.actions.dividends(symbol), adjust_mode)
        return bars

    def export_bars(self, request: ExportRequest) -> ExportReport:
        """Write ``ts,open,high,low,close,volume`` rows, oldest first. An interval that is not
        stored is built from the stored bars (``services.bar_source``; the base is read over
        the requested dates and adjusted first); a still-forming last bar is written and
        reported (``ExportReport.last_complete``)."""

        def stored(interval: str) -> Bars | None:
            try:
                return self.load(request.symbol, interval, request.start, request.end,
                                 request.adjust)
            except DataError:
                return None

        bars, built = stored_or_built(stored, request.symbol, request.interval,
                                      lambda: self._sessions(request.symbol), self._clock())
        intraday = is_intraday(bars.ts)
        with atomic_text(request.out) as fh:
            fh.write(",".join(EXPORT_COLUMNS) + "\n")
            for i in range(0, len(bars), _CHUNK):
                part = slice(i, min(i + _CHUNK, len(bars)))
                cols = [ts_text(bars.ts[part], intraday),
                        *(cells(getattr(bars, k)[part]) for k in EXPORT_COLUMNS[1:])]
                fh.write(rows_text(cols))
        if built is None:
            return ExportReport(len(bars))
        return ExportReport(len(bars), built.base, built.last_complete)

    def coverage(self) -> list[Coverage]:
        return self._store.coverage()

    def flag_counts(self) -> dict[tuple[str, str], int]:
        """Soft-anomaly flags per (symbol, timeframe): gaps, zero volume, big moves."""
        return self._store.flags.counts()

    def quota(self, budget: int, days: int = 7, now: float | None = None) -> QuotaReport:
        """Calls used today (UTC) from the local ledger, against ``budget``, plus recent days."""
        today = datetime.fromtimestamp(now, UTC).date() if now else datetime.now(UTC).date()
        used = self._store.ledger.cost_on(today)
        history = self._store.ledger.daily_totals(today - timedelta(days=days - 1), today)
        return QuotaReport(used, budget, tuple(history))
