"""``BarsRepository``: raw bars in and out as ``engine.Bars``, stored as columnar chunks.

Upsert (idempotent): the incoming bars are cut by chunk; each chunk they touch is read, merged by
``ts`` (incoming bars win, every other stored bar is kept) and written back only if its bytes
changed, so re-sending the same payload writes nothing. All chunks of one call and, when given,
the symbol's sync checkpoint are written in ONE transaction: after a crash either all of it is
stored or none of it.

Bulk writes never go through the ORM: new chunk rows are written with one ``COPY ... FORMAT
BINARY`` on PostgreSQL and one driver ``executemany`` on SQLite; changed chunks with one
``executemany`` of ``UPDATE``. On PostgreSQL writers of the same symbol queue on an advisory
lock (SQLite's ``BEGIN IMMEDIATE`` already serialises writers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Engine, bindparam, delete, select, text, update
from sqlalchemy.engine import Connection

from drummond_desktop.store.chunks import (
    COLUMNS,
    Columns,
    MergeCounts,
    Timeframe,
    chunk_key,
    columns_of,
    decode,
    encode,
    merge,
    parse_timeframe,
    split_by_chunk,
)
from drummond_desktop.store.engines import fetch_all, read_connection, write_transaction
from drummond_desktop.store.reference import ensure_symbol, symbol_id
from drummond_desktop.store.schema import table
from drummond_desktop.store.sync_state import CheckpointUpdate, write_checkpoint
from engine.bars import Bars

_T = table("bar_chunks")
_C = _T.c
_ROW_COLUMNS = ("symbol_id", "timeframe", "chunk_key", "n", "first_ts", "last_ts", *COLUMNS)
_COPY_TYPES = ("int4", "varchar", "int8", "int4", "int8", "int8", *(["bytea"] * len(COLUMNS)))
# pg_advisory_xact_lock(namespace, symbol id): bar writers of one symbol queue up
_PG_LOCK_BARS = 0x4442  # "DB"


@dataclass(frozen=True)
class UpsertResult:
    """What an upsert did. ``inserted``: bars with a new ``ts``; ``updated``: stored bars whose
    values changed; ``unchanged``: stored bars sent again identical; ``chunks_written``: rows
    rewritten (0 when the payload was already stored)."""

    symbol: str
    timeframe: str
    received: int
    inserted: int
    updated: int
    unchanged: int
    chunks_written: int
    last_ts: int | None  # the newest stored bar after the upsert

    @property
    def changed(self) -> bool:
        return self.chunks_written > 0


def _row(sid: int, timeframe: str, key: int, cols: Columns) -> tuple[Any, ...]:
    return (sid, timeframe, key, cols.n, int(cols.ts[0]), int(cols.ts[-1]), *encode(cols))


class BarsRepository:
    """Raw OHLCV bars by ticker (``AAPL.US``) and timeframe (``1d``, ``1h``, ``5m``, ``1m``)."""

    def __init__(self, engine: Engine, where: str) -> None:
        self._engine = engine
        self._where = where

    # ------------------------------------------------------------------------------ write
    def upsert(self, symbol: str, timeframe: str, bars: Bars, *,
               checkpoint: CheckpointUpdate | None = None,
               conn: Connection | None = None) -> UpsertResult:
        """Store raw ``bars`` of ``symbol`` and, when given, its ``checkpoint`` (``last_ts``
        left ``None`` = the newest stored bar) in one transaction: ``conn``'s, or a new one.

        Raises ``ValueError`` for a bad ticker or timeframe, or bars labelled with another
        timeframe; ``StoreFull``/``StoreError`` when the database fails (nothing written).
        """
        tf = parse_timeframe(timeframe)
        if bars.timeframe and bars.timeframe != timeframe:
            raise ValueError(f"{symbol}: bars of timeframe {bars.timeframe!r} cannot be stored "
                             f"as {timeframe!r}")
        if conn is not None:
            return self._upsert(conn, symbol, tf, bars, checkpoint)
        with write_transaction(self._engine, self._where,
                               f"writing {len(bars)} {timeframe} bars of {symbol}") as tx:
            return self._upsert(tx, symbol, tf, bars, checkpoint)

    def _upsert(self, conn: Connection, symbol: str, tf: Timeframe, bars: Bars,
                checkpoint: CheckpointUpdate | None) -> UpsertResult:
        sid = ensure_symbol(conn, symbol)
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            conn.execute(text("SELECT pg_advisory_xact_lock(:ns, :id)"),
                         {"ns": _PG_LOCK_BARS, "id": sid})
        pieces = split_by_chunk(tf, columns_of(bars))
        stored = self._chunks(conn, sid, tf, pieces[0][0], pieces[-1][0]) if pieces else {}
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        counts = MergeCounts()
        for key, cols in pieces:
            old = stored.get(key)
            if old is None:
                inserts.append(_row(sid, tf.name, key, cols))
                counts += MergeCounts(inserted=cols.n)
                continue
            merged, done = merge(old, cols)
            counts += done
            if not merged.same_as(old):
                updates.append(_row(sid, tf.name, key, merged))
        if inserts:
            (_copy_rows if postgres else _insert_rows)(conn, inserts)
        if updates:
            _update_rows(conn, updates)
        last_ts = self._last_ts(conn, sid, tf.name)
        if checkpoint is not None:
            write_checkpoint(conn, sid, tf.name, checkpoint, last_ts=last_ts)
        return UpsertResult(symbol, tf.name, len(bars), counts.inserted, counts.updated,
                            counts.unchanged, len(inserts) + len(updates), last_ts)

    @staticmethod
    def _chunks(conn: Connection, sid: int, tf: Timeframe, first: int,
                last: int) -> dict[int, Columns]:
        rows = fetch_all(conn, select(_C.chunk_key, *(_C[c] for c in COLUMNS)).where(
            _C.symbol_id == sid, _C.timeframe == tf.name,
            _C.chunk_key >= first, _C.chunk_key <= last))
        return {int(r[0]): decode(r[1:]) for r in rows}

    @staticmethod
    def _last_ts(conn: Connection, sid: int, timeframe: str) -> int | None:
        found = conn.execute(select(_C.last_ts).where(
            _C.symbol_id == sid, _C.timeframe == timeframe)
            .order_by(_C.chunk_key.desc()).limit(1)).scalar()
        return None if found is None else int(found)

    def delete(self, symbol: str, timeframe: str | None = None) -> int:
        """Remove the bars of ``symbol`` (one timeframe, or all); returns how many were removed.
        Its checkpoints go too, so the next sync fetches the whole history again."""
        cp = table("sync_checkpoints")
        with write_transaction(self._engine, self._where, f"deleting bars of {symbol}") as conn:
            sid = symbol_id(conn, symbol)
            if sid is None:
                return 0
            where = [_C.symbol_id == sid] + ([_C.timeframe == timeframe] if timeframe else [])
            n = conn.execute(select(_C.n).where(*where)).scalars().all()
            conn.execute(delete(_T).where(*where))
            cp_where = [cp.c.symbol_id == sid] + \
                ([cp.c.timeframe == timeframe] if timeframe else [])
            conn.execute(delete(cp).where(*cp_where))
        return int(sum(n))

    # ------------------------------------------------------------------------------- read
    def load(self, symbol: str, timeframe: str, start: int | None = None,
             end: int | None = None) -> Bars:
        """Raw bars of ``symbol`` with ``start <= ts <= end`` (UTC epoch seconds, both
        inclusive, either open), ascending. Empty ``Bars`` when nothing is stored."""
        tf = parse_timeframe(timeframe)
        query = select(*(_C[c] for c in COLUMNS)).where(_C.timeframe == tf.name)
        if start is not None:
            query = query.where(_C.chunk_key >= chunk_key(tf, start), _C.last_ts >= start)
        if end is not None:
            query = query.where(_C.chunk_key <= chunk_key(tf, end), _C.first_ts <= end)
        with read_connection(self._engine, self._where,
                             f"reading {timeframe} bars of {symbol}") as conn:
            sid = symbol_id(conn, symbol)
            if sid is None:
                return Bars.empty(symbol=symbol, timeframe=tf.name)
            rows = fetch_all(conn, query.where(_C.symbol_id == sid).order_by(_C.chunk_key))
        cols = _concat([decode(r) for r in rows])
        lo = 0 if start is None else int(np.searchsorted(cols.ts, start, side="left"))
        hi = cols.n if end is None else int(np.searchsorted(cols.ts, end, side="right"))
        return Bars.from_arrays(*cols.take(slice(lo, hi)), symbol=symbol, timeframe=tf.name)

    def count(self, symbol: str, timeframe: str) -> int:
        """Stored bars of ``symbol`` in ``timeframe`` (from the chunk headers, nothing decoded)."""
        with read_connection(self._engine, self._where, f"counting bars of {symbol}") as conn:
            sid = symbol_id(conn, symbol)
            if sid is None:
                return 0
            total = conn.execute(select(_C.n).where(
                _C.symbol_id == sid, _C.timeframe == timeframe)).scalars().all()
        return int(sum(total))

    def last_ts(self, symbol: str, timeframe: str) -> int | None:
        """The newest stored ``ts`` of the series, or ``None``."""
        with read_connection(self._engine, self._where, f"reading bars of {symbol}") as conn:
            sid = symbol_id(conn, symbol)
            return None if sid is None else self._last_ts(conn, sid, timeframe)


def _concat(parts: list[Columns]) -> Columns:
    """One ``Columns`` from consecutive chunks, all six columns carved from one allocation
    (one large block faults in fewer pages than six; it is copied into ``Bars`` right after)."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        empty = np.empty(0, dtype=np.float64)
        return Columns(np.empty(0, dtype=np.int64), empty, empty, empty, empty, empty)
    n = sum(p.n for p in parts)
    block = np.empty(6 * n, dtype=np.float64)
    ts = block[:n].view(np.int64)  # same bytes, int64: the copy below stays bit-exact
    prices = [block[k * n:(k + 1) * n] for k in range(1, 6)]
    for k, dst in enumerate([ts, *prices]):
        np.concatenate([p[k] for p in parts], out=dst, casting="no")
    return Columns(ts, *prices)


def _insert_rows(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    conn.execute(_T.insert(), [dict(zip(_ROW_COLUMNS, r, strict=True)) for r in rows])


def _copy_rows(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    """New chunk rows by binary ``COPY`` on the transaction's own psycopg connection."""
    raw: Any = conn.connection.driver_connection
    columns = ", ".join(f'"{c}"' for c in _ROW_COLUMNS)
    with raw.cursor() as cur, cur.copy(
            f"COPY bar_chunks ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(_COPY_TYPES)
        for row in rows:
            copy.write_row(row)


def _update_rows(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    stmt = update(_T).where(_C.symbol_id == bindparam("k_sid"),
                            _C.timeframe == bindparam("k_tf"),
                            _C.chunk_key == bindparam("k_key"))
    params = [{"k_sid": r[0], "k_tf": r[1], "k_key": r[2],
               **dict(zip(_ROW_COLUMNS[3:], r[3:], strict=True))} for r in rows]
    conn.execute(stmt, params)
