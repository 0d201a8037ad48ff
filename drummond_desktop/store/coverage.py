"""What the store holds: per (symbol, timeframe) the first and last bar, the bar count and the
gaps (``drummond data coverage``).

A **gap** is where bars are missing that should be there:

* **Daily and longer**: two consecutive bars more than 4 calendar days apart (a weekend plus a
  holiday is at most 4 days: Friday to Tuesday); for weekly bars more than 14 days, for monthly
  more than 62 days.
* **Intraday**: a missing session day - a working day of the exchange (``exchange_hours``
  ``working_days``, Monday-Friday when unknown) between the first and the last bar, in the
  exchange's time zone (``exchanges.timezone``, UTC when unknown), that is not a stored full-day
  holiday and has no bar. Consecutive missing session days form one gap. A bar's local day uses
  the UTC offset at noon UTC of its UTC day (exact except within hours of a DST switch, which
  happen at night).

Counts and first/last come from the chunk headers; only the ``ts`` column is decoded for gaps.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from drummond_desktop.store.chunks import DAY, decode_ts, parse_timeframe
from drummond_desktop.store.engines import fetch_all, read_connection
from drummond_desktop.store.reference import split_ticker
from drummond_desktop.store.schema import Exchange, ExchangeHoliday, ExchangeHours, table

I64 = npt.NDArray[np.int64]
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Gap:
    """Bars missing between the bar at ``after_ts`` and the next one at ``before_ts``;
    ``missing_days``: session days missing (intraday) or calendar days between (daily)."""

    after_ts: int
    before_ts: int
    missing_days: int


@dataclass(frozen=True)
class Coverage:
    symbol: str
    timeframe: str
    first_ts: int
    last_ts: int
    count: int
    gaps: tuple[Gap, ...]


def daily_gaps(ts: I64, max_days: int = 4) -> list[Gap]:
    """Consecutive bars more than ``max_days`` calendar days apart."""
    step = np.diff(ts)
    idx = np.flatnonzero(step > max_days * DAY)
    return [Gap(int(ts[i]), int(ts[i + 1]), int(step[i] // DAY)) for i in idx]


def _local_days(ts: I64, tz: zoneinfo.ZoneInfo | None) -> I64:
    utc_days = np.floor_divide(ts, DAY)
    if tz is None:
        return utc_days.astype(np.int64)
    days, inverse = np.unique(utc_days, return_inverse=True)
    offsets = np.array([
        int(dt.datetime.fromtimestamp(int(d) * DAY + DAY // 2, tz).utcoffset()
            .total_seconds())  # type: ignore[union-attr]  # aware datetimes have an offset
        for d in days], dtype=np.int64)
    local: I64 = np.floor_divide(ts + offsets[inverse], DAY)
    return local


def session_gaps(ts: I64, tz: zoneinfo.ZoneInfo | None, holidays: set[int],
                 working_days: frozenset[int] = frozenset(range(5))) -> list[Gap]:
    """Runs of missing session days between the first and last bar. ``holidays`` are epoch day
    numbers of full-day closures; ``working_days`` are weekday numbers (Monday = 0)."""
    if ts.shape[0] < 2:
        return []
    local = _local_days(ts, tz)
    present = np.unique(local)
    span = np.arange(present[0], present[-1] + 1, dtype=np.int64)
    weekday = (span + 3) % 7  # 1970-01-01 (day 0) was a Thursday
    sessions = span[np.isin(weekday, list(working_days)) & ~np.isin(span, list(holidays))]
    missing = np.flatnonzero(~np.isin(sessions, present))
    if missing.size == 0:
        return []
    # consecutive positions in the session list form one gap
    breaks = np.flatnonzero(np.diff(missing) > 1) + 1
    gaps = []
    for run in np.split(missing, breaks):
        first_day, last_day = sessions[run[0]], sessions[run[-1]]
        before = int(np.searchsorted(local, first_day, side="left")) - 1
        after = int(np.searchsorted(local, last_day, side="right"))
        gaps.append(Gap(int(ts[before]), int(ts[after]), int(run.size)))
    return gaps


@dataclass(frozen=True)
class _Calendar:
    tz: zoneinfo.ZoneInfo | None
    holidays: set[int]
    working_days: frozenset[int]


def _calendar(conn: Connection, exchange: str) -> _Calendar:
    tz_name = conn.execute(select(Exchange.timezone).where(Exchange.code == exchange)).scalar()
    try:
        tz = zoneinfo.ZoneInfo(tz_name) if tz_name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = None
    days = conn.execute(select(ExchangeHoliday.date).where(
        ExchangeHoliday.exchange == exchange, ExchangeHoliday.close_local.is_(None))).scalars()
    holidays = {(d - dt.date(1970, 1, 1)).days for d in days}
    names = conn.execute(select(ExchangeHours.working_days).where(
        ExchangeHours.exchange == exchange)).scalar()
    working = frozenset(_WEEKDAYS.index(w.strip()[:3].title()) for w in (names or "").split(",")
                        if w.strip()[:3].title() in _WEEKDAYS) or frozenset(range(5))
    return _Calendar(tz, holidays, working)


def coverage(engine: Engine, where: str, symbol: str | None = None,
             timeframe: str | None = None) -> list[Coverage]:
    """Coverage of every stored series, or of one ``symbol`` and/or ``timeframe``, sorted by
    exchange, code and timeframe."""
    chunks_t, symbols_t = table("bar_chunks"), table("symbols")
    s, c = symbols_t.c, chunks_t.c
    query = (select(s.code, s.exchange, c.timeframe, c.n, c.first_ts, c.last_ts, c.ts)
             .join_from(chunks_t, symbols_t, c.symbol_id == s.id)
             .order_by(s.exchange, s.code, c.timeframe, c.chunk_key))
    if symbol is not None:
        code, exchange = split_ticker(symbol)
        query = query.where(s.code == code, s.exchange == exchange)
    if timeframe is not None:
        query = query.where(c.timeframe == timeframe)
    out: list[Coverage] = []
    calendars: dict[str, _Calendar] = {}
    with read_connection(engine, where, "computing coverage") as conn:
        series: dict[tuple[str, str, str], list[tuple[int, int, int, I64]]] = {}
        for code, exchange, tf_name, n, first_ts, last_ts, blob in fetch_all(conn, query):
            series.setdefault((exchange, code, tf_name), []).append(
                (n, first_ts, last_ts, decode_ts(blob)))
        for (exchange, code, tf_name), chunks in series.items():
            if exchange not in calendars:
                calendars[exchange] = _calendar(conn, exchange)
            out.append(_one(f"{code}.{exchange}", tf_name, chunks, calendars[exchange]))
    return out


def _one(ticker: str, tf_name: str, chunks: list[tuple[int, int, int, I64]],
         cal: _Calendar) -> Coverage:
    ts = np.concatenate([ch[3] for ch in chunks])
    tf = parse_timeframe(tf_name)
    if tf.intraday:
        gaps = session_gaps(ts, cal.tz, cal.holidays, cal.working_days)
    else:
        max_days = 62 if tf.seconds == 0 else max(4, 2 * tf.seconds // DAY)
        gaps = daily_gaps(ts, max_days)
    return Coverage(ticker, tf_name, int(chunks[0][1]), int(chunks[-1][2]),
                    int(sum(ch[0] for ch in chunks)), tuple(gaps))
