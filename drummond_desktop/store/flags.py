"""Soft anomalies of stored bars: recorded beside the bars (same transaction when the caller
passes ``conn``), listed per series and counted for coverage reports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection

from drummond_desktop.store.engines import read_connection, upsert_rows, write_transaction
from drummond_desktop.store.reference import ensure_symbol, symbol_id
from drummond_desktop.store.schema import table

_FLAGS = table("bar_flags")
_SYMBOLS = table("symbols")


@dataclass(frozen=True)
class BarFlag:
    ts: int  # the flagged bar (for a gap: the bar after it)
    kind: str  # "gap", "zero_volume", "missing_volume", "big_move"
    detail: str = ""


class FlagsRepository:
    def __init__(self, engine: Engine, where: str) -> None:
        self._engine = engine
        self._where = where

    def record(self, symbol: str, timeframe: str, flags: Iterable[BarFlag], *,
               conn: Connection | None = None) -> int:
        """Upsert flags by (bar, kind): recording the same anomaly twice keeps one row."""
        unique = {(f.ts, f.kind): f for f in flags}
        if not unique:
            return 0

        def write(c: Connection) -> None:
            sid = ensure_symbol(c, symbol)
            rows = [{"symbol_id": sid, "timeframe": timeframe, "ts": f.ts, "kind": f.kind,
                     "detail": f.detail[:300]} for f in unique.values()]
            upsert_rows(c, _FLAGS, rows, ("symbol_id", "timeframe", "ts", "kind"))

        if conn is not None:
            write(conn)
        else:
            with write_transaction(self._engine, self._where,
                                   f"flagging bars of {symbol}") as tx:
                write(tx)
        return len(unique)

    def list(self, symbol: str, timeframe: str) -> list[BarFlag]:
        with read_connection(self._engine, self._where, f"reading flags of {symbol}") as c:
            sid = symbol_id(c, symbol)
            if sid is None:
                return []
            rows = c.execute(select(_FLAGS.c.ts, _FLAGS.c.kind, _FLAGS.c.detail)
                             .where(_FLAGS.c.symbol_id == sid, _FLAGS.c.timeframe == timeframe)
                             .order_by(_FLAGS.c.ts, _FLAGS.c.kind)).all()
        return [BarFlag(int(ts), kind, detail) for ts, kind, detail in rows]

    def counts(self) -> dict[tuple[str, str], int]:
        """Flag counts per (ticker ``CODE.EXCHANGE``, timeframe)."""
        query = (select(_SYMBOLS.c.code, _SYMBOLS.c.exchange, _FLAGS.c.timeframe, func.count())
                 .join(_SYMBOLS, _SYMBOLS.c.id == _FLAGS.c.symbol_id)
                 .group_by(_SYMBOLS.c.code, _SYMBOLS.c.exchange, _FLAGS.c.timeframe))
        with read_connection(self._engine, self._where, "counting bar flags") as c:
            rows = c.execute(query).all()
        return {(f"{code}.{exch}", tf): int(n) for code, exch, tf, n in rows}
