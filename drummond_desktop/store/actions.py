"""Corporate actions (splits and dividends) by symbol, and adjusted bars built from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import asdict, replace

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from drummond_desktop.store.adjust import Dividend, Split
from drummond_desktop.store.engines import read_connection, upsert_rows, write_transaction
from drummond_desktop.store.reference import ensure_symbol, symbol_id
from drummond_desktop.store.schema import table

_SPLITS = table("splits")
_DIVIDENDS = table("dividends")
_Writer = Callable[[Connection, int], None]  # writes rows for a symbol id


def combine_same_day(splits: Iterable[Split] = (), dividends: Iterable[Dividend] = ()
                     ) -> tuple[list[Split], list[Dividend]]:
    """One action per date: same-day splits multiply, same-day dividends (a regular and a
    special one) add up - the table holds one row per date, and that is what the day did."""
    by_day: dict[dt.date, Split] = {}
    for s in splits:
        old = by_day.get(s.date)
        by_day[s.date] = s if old is None else replace(
            old, numerator=old.numerator * s.numerator, denominator=old.denominator * s.denominator)
    paid: dict[dt.date, Dividend] = {}
    for d in dividends:
        prev = paid.get(d.ex_date)
        if prev is None:
            paid[d.ex_date] = d
            continue
        raw = None if prev.unadjusted_value is None or d.unadjusted_value is None \
            else prev.unadjusted_value + d.unadjusted_value
        paid[d.ex_date] = replace(prev, value=prev.value + d.value, unadjusted_value=raw)
    return list(by_day.values()), list(paid.values())


class CorporateActionsRepository:
    """Splits and dividends per ticker, upserted by date (a corrected action replaces the
    stored one of the same date; others are kept; same-day actions in one call combine)."""

    def __init__(self, engine: Engine, where: str) -> None:
        self._engine = engine
        self._where = where

    def upsert_splits(self, symbol: str, splits: Iterable[Split],
                      *, conn: Connection | None = None) -> int:
        rows = [asdict(s) for s in combine_same_day(splits=splits)[0]]
        self._write(symbol, "splits", rows, conn, lambda c, sid: upsert_rows(
            c, _SPLITS, [{"symbol_id": sid, **r} for r in rows], ("symbol_id", "date")))
        return len(rows)

    def upsert_dividends(self, symbol: str, dividends: Iterable[Dividend],
                         *, conn: Connection | None = None) -> int:
        rows = [asdict(d) for d in combine_same_day(dividends=dividends)[1]]
        self._write(symbol, "dividends", rows, conn, lambda c, sid: upsert_rows(
            c, _DIVIDENDS, [{"symbol_id": sid, **r} for r in rows], ("symbol_id", "ex_date")))
        return len(rows)

    def _write(self, symbol: str, what: str, rows: list[dict[str, object]],
               conn: Connection | None, write: _Writer) -> None:
        if not rows:
            return
        if conn is not None:
            write(conn, ensure_symbol(conn, symbol))
            return
        with write_transaction(self._engine, self._where, f"saving {what} of {symbol}") as tx:
            write(tx, ensure_symbol(tx, symbol))

    def splits(self, symbol: str) -> list[Split]:
        """Splits of ``symbol``, oldest first."""
        with read_connection(self._engine, self._where, f"reading splits of {symbol}") as conn:
            sid = symbol_id(conn, symbol)
            if sid is None:
                return []
            rows = conn.execute(select(_SPLITS.c.date, _SPLITS.c.numerator,
                                       _SPLITS.c.denominator)
                                .where(_SPLITS.c.symbol_id == sid)
                                .order_by(_SPLITS.c.date)).all()
        return [Split(r.date, r.numerator, r.denominator) for r in rows]

    def dividends(self, symbol: str) -> list[Dividend]:
        """Dividends of ``symbol``, oldest ex-date first."""
        c = _DIVIDENDS.c
        with read_connection(self._engine, self._where,
                             f"reading dividends of {symbol}") as conn:
            sid = symbol_id(conn, symbol)
            if sid is None:
                return []
            rows = conn.execute(select(c.ex_date, c.value, c.unadjusted_value, c.currency,
                                       c.declaration_date, c.record_date, c.payment_date,
                                       c.period)
                                .where(c.symbol_id == sid).order_by(c.ex_date)).all()
        return [Dividend(*r) for r in rows]

    def latest_date(self, symbol: str) -> dt.date | None:
        """The newest split or dividend date stored for ``symbol`` (a sync compares it with
        the vendor's to decide on a full re-fetch)."""
        dates = [s.date for s in self.splits(symbol)] + \
            [d.ex_date for d in self.dividends(symbol)]
        return max(dates) if dates else None
