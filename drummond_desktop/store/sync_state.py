"""Sync state: per-(symbol, timeframe) checkpoints and the ledger of EODHD requests.

A checkpoint records how far a series was synced. When written with bars
(``BarsRepository.upsert(..., checkpoint=...)``) it is in the same transaction as the bars, so a
crash leaves both or neither: a resumed sync can trust it and skip completed symbols.

The ledger keeps one row per request with its call cost; the daily budget is the sum of cost
over the UTC day (EODHD resets its counter at midnight UTC).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection

from drummond_desktop.core.utc import day_start
from drummond_desktop.store.chunks import parse_timeframe
from drummond_desktop.store.engines import read_connection, upsert_rows, write_transaction
from drummond_desktop.store.reference import ensure_symbol, symbol_id
from drummond_desktop.store.schema import table

_CHECKPOINTS = table("sync_checkpoints")
_LEDGER = table("eodhd_requests")
_SYMBOLS = table("symbols")
STATUSES = ("ok", "partial", "error")


@dataclass(frozen=True)
class Checkpoint:
    """A stored checkpoint. Times are UTC epoch seconds."""

    symbol: str
    timeframe: str
    last_ts: int | None  # the newest bar synced
    last_full_fetch: int | None  # when the whole history was last fetched
    status: str  # ok, partial, error
    error: str | None
    updated_at: int


@dataclass(frozen=True)
class CheckpointUpdate:
    """What a sync step writes. ``None`` fields keep what is stored, except ``last_ts`` when
    written together with bars: then ``None`` means "the newest stored bar"."""

    status: str = "ok"
    error: str | None = None
    last_ts: int | None = None
    last_full_fetch: int | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"checkpoint status {self.status!r} is not one of {STATUSES}")


def write_checkpoint(conn: Connection, sid: int, timeframe: str, update: CheckpointUpdate,
                     *, last_ts: int | None = None) -> None:
    """Upsert the checkpoint of (``sid``, ``timeframe``) inside the caller's transaction.
    ``last_ts`` is used when the update leaves it ``None``."""
    key = (_CHECKPOINTS.c.symbol_id == sid) & (_CHECKPOINTS.c.timeframe == timeframe)
    old = conn.execute(select(_CHECKPOINTS.c.last_ts, _CHECKPOINTS.c.last_full_fetch)
                       .where(key)).first()
    row = {
        "symbol_id": sid,
        "timeframe": timeframe,
        "last_ts": _first_set(update.last_ts, last_ts, old[0] if old else None),
        "last_full_fetch": _first_set(update.last_full_fetch, old[1] if old else None),
        "status": update.status,
        "error": update.error,
        "updated_at": int(time.time()),
    }
    upsert_rows(conn, _CHECKPOINTS, [row], ("symbol_id", "timeframe"))


def _first_set(*values: int | None) -> int | None:
    return next((v for v in values if v is not None), None)


class CheckpointRepository:
    """Read and write sync checkpoints by ticker and timeframe."""

    def __init__(self, engine: Engine, where: str) -> None:
        self._engine = engine
        self._where = where

    def get(self, symbol: str, timeframe: str) -> Checkpoint | None:
        with read_connection(self._engine, self._where,
                             f"reading the checkpoint of {symbol} {timeframe}") as conn:
            sid = symbol_id(conn, symbol)
            if sid is None:
                return None
            found = [c for c in self._rows(conn, sid) if c.timeframe == timeframe]
        return found[0] if found else None

    def set(self, symbol: str, timeframe: str, update: CheckpointUpdate,
            *, conn: Connection | None = None) -> None:
        """Write a checkpoint without bars (e.g. a failed sync: ``status="error"``), in the
        caller's transaction ``conn`` or a new one."""
        parse_timeframe(timeframe)
        if conn is not None:
            write_checkpoint(conn, ensure_symbol(conn, symbol), timeframe, update)
            return
        with write_transaction(self._engine, self._where,
                               f"saving the checkpoint of {symbol} {timeframe}") as tx:
            write_checkpoint(tx, ensure_symbol(tx, symbol), timeframe, update)

    def all(self) -> list[Checkpoint]:
        with read_connection(self._engine, self._where, "listing checkpoints") as conn:
            return self._rows(conn, None)

    @staticmethod
    def _rows(conn: Connection, sid: int | None) -> list[Checkpoint]:
        c, s = _CHECKPOINTS.c, _SYMBOLS.c
        query = (select(s.code, s.exchange, c.timeframe, c.last_ts, c.last_full_fetch, c.status,
                        c.error, c.updated_at)
                 .join_from(_CHECKPOINTS, _SYMBOLS, c.symbol_id == s.id)
                 .order_by(s.exchange, s.code, c.timeframe))
        if sid is not None:
            query = query.where(c.symbol_id == sid)
        return [Checkpoint(f"{r.code}.{r.exchange}", r.timeframe, r.last_ts, r.last_full_fetch,
                           r.status, r.error, r.updated_at) for r in conn.execute(query)]


@dataclass(frozen=True)
class LedgerEntry:
    """One EODHD request: when (UTC epoch s), which endpoint and symbol, its call cost, the HTTP
    status (0: no response), the response size and whether it succeeded."""

    endpoint: str
    cost: int
    status_code: int
    ok: bool
    symbol: str = ""
    response_bytes: int = 0
    ts: int = 0  # 0: now


@dataclass(frozen=True)
class DailyUsage:
    day: dt.date  # UTC
    requests: int
    cost: int
    failed: int


class LedgerRepository:
    """The request ledger and the daily call budget it adds up to."""

    def __init__(self, engine: Engine, where: str) -> None:
        self._engine = engine
        self._where = where

    def record(self, *entries: LedgerEntry) -> None:
        now = int(time.time())
        rows = [{"ts": e.ts or now, "endpoint": e.endpoint, "symbol": e.symbol, "cost": e.cost,
                 "status_code": e.status_code, "response_bytes": e.response_bytes, "ok": e.ok}
                for e in entries]
        if rows:
            with write_transaction(self._engine, self._where, "recording EODHD requests") as c:
                c.execute(_LEDGER.insert(), rows)

    def cost_on(self, day: dt.date) -> int:
        """Call cost used on the UTC ``day``."""
        start = day_start(day)
        with read_connection(self._engine, self._where, "reading the request ledger") as conn:
            total = conn.execute(select(func.coalesce(func.sum(_LEDGER.c.cost), 0)).where(
                _LEDGER.c.ts >= start, _LEDGER.c.ts < start + 86_400)).scalar_one()
        return int(total)

    def cost_today(self, now: float | None = None) -> int:
        """Call cost used since 00:00 UTC today (``now``: epoch seconds, for tests)."""
        moment = dt.datetime.fromtimestamp(time.time() if now is None else now, dt.UTC)
        return self.cost_on(moment.date())

    def daily_totals(self, start: dt.date, end: dt.date) -> list[DailyUsage]:
        """Requests, cost and failures per UTC day from ``start`` to ``end`` inclusive (days
        without requests are left out)."""
        day = (_LEDGER.c.ts // 86_400).label("day")
        query = (select(day, func.count(), func.coalesce(func.sum(_LEDGER.c.cost), 0),
                        func.count().filter(_LEDGER.c.ok.is_(False)))
                 .where(_LEDGER.c.ts >= day_start(start),
                        _LEDGER.c.ts < day_start(end) + 86_400)
                 .group_by(day).order_by(day))
        with read_connection(self._engine, self._where, "reading the request ledger") as conn:
            rows = conn.execute(query).all()
        epoch = dt.date(1970, 1, 1)
        return [DailyUsage(epoch + dt.timedelta(days=int(d)), int(n), int(c), int(f))
                for d, n, c, f in rows]

    def entries(self, since: int = 0, limit: int = 1_000) -> list[LedgerEntry]:
        """The newest ``limit`` requests at or after ``since`` (epoch s), newest first."""
        query = (select(_LEDGER).where(_LEDGER.c.ts >= since)
                 .order_by(_LEDGER.c.ts.desc(), _LEDGER.c.id.desc()).limit(limit))
        with read_connection(self._engine, self._where, "reading the request ledger") as conn:
            return [LedgerEntry(r.endpoint, r.cost, r.status_code, bool(r.ok), r.symbol,
                                r.response_bytes, r.ts) for r in conn.execute(query)]
