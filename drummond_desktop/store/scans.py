"""Saved scans in the user store: a name, a scanner expression, the universe it runs over
(``all`` or ``watchlist:<name>``) and the interval of its bars.

The expression is parsed (``engine.scan.parse``) and checked against the interval before
anything is written, so a stored scan always parses with the engine that stored it.

Errors, besides the typed database errors of ``store/engines.py``:

* ``InvalidScan`` (a ``DataError`` and a ``ValueError``) - a bad expression (the parse error,
  with its column), universe or interval; nothing was written.
* ``InvalidName`` (from ``workspace_lists``) - a blank or too long name; nothing was written.
* ``DuplicateScanName`` (a ``StoreError``) - another saved scan already has that name.
* ``UnknownScan`` (a ``StoreError``) - no saved scan has that id (deleted meanwhile).

Every change is one transaction. Times are UTC epoch microseconds.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from drummond_desktop.core.errors import DataError, StoreError
from drummond_desktop.store.engines import read_connection, write_transaction
from drummond_desktop.store.schema import user_table
from drummond_desktop.store.workspace_lists import MAX_NAME, clean_name

_SCANS = user_table("saved_scans")
ALL = "all"
WATCHLIST_PREFIX = "watchlist:"
INTERVALS = ("1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w", "1mo")
_INTERVAL_ALIASES = {"1M": "1mo"}


class InvalidScan(DataError, ValueError):
    """A scan that cannot be stored: bad expression, universe or interval."""

    def __init__(self, what: str, detail: str) -> None:
        self.what = what
        self.detail = detail
        super().__init__(f"scan {what}: {detail}", user_message=f"The scan's {what} is not "
                                                                f"valid: {detail}")


class DuplicateScanName(StoreError):
    def __init__(self, where: str, name: str) -> None:
        self.name = name
        super().__init__(where, f"a saved scan named {name!r} already exists",
                         user_message=f"A saved scan named \u201c{name}\u201d already exists; "
                                      "choose another name.")


class UnknownScan(StoreError):
    def __init__(self, where: str, scan_id: str) -> None:
        self.scan_id = scan_id
        super().__init__(where, f"no saved scan has id {scan_id!r}",
                         user_message="That saved scan no longer exists.")


@dataclass(frozen=True)
class StoredScan:
    id: str
    name: str
    expr: str
    universe: str
    interval: str
    created_at: int
    updated_at: int

    @property
    def watchlist(self) -> str | None:
        """The watchlist name of a ``watchlist:<name>`` universe, else None (all symbols)."""
        return self.universe[len(WATCHLIST_PREFIX):] if self.universe != ALL else None


def clean_universe(universe: object) -> str:
    """``all`` or ``watchlist:<name>`` (name stripped, not blank); ``InvalidScan`` otherwise."""
    if not isinstance(universe, str):
        raise InvalidScan("universe", f"must be text, got {type(universe).__name__}")
    u = universe.strip()
    if u.lower() == ALL:
        return ALL
    if u.lower().startswith(WATCHLIST_PREFIX):
        name = u[len(WATCHLIST_PREFIX):].strip()
        if not name:
            raise InvalidScan("universe", "watchlist: needs a watchlist name")
        if len(name) > MAX_NAME:
            raise InvalidScan("universe", f"the watchlist name is longer than {MAX_NAME}")
        return WATCHLIST_PREFIX + name
    raise InvalidScan("universe", f"{universe!r} is neither 'all' nor 'watchlist:<name>'")


def clean_interval(interval: object) -> str:
    if not isinstance(interval, str) or _INTERVAL_ALIASES.get(interval, interval) not in INTERVALS:
        raise InvalidScan("interval", f"{interval!r} is not one of {', '.join(INTERVALS)}")
    return _INTERVAL_ALIASES.get(interval, interval)


def check_expression(expr: object, interval: str) -> str:
    """The expression, parsed and checked against ``interval``; ``InvalidScan`` carries the
    parse error (which names the column and the token)."""
    from engine.scan import ScanSyntaxError, check_timeframes, parse

    if not isinstance(expr, str):
        raise InvalidScan("expression", f"must be text, got {type(expr).__name__}")
    try:
        check_timeframes(parse(expr), interval)
    except ScanSyntaxError as exc:
        raise InvalidScan("expression", str(exc)) from None
    return expr.strip()


def _row(r: Row[Any]) -> StoredScan:
    return StoredScan(r.id, r.name, r.expr, r.universe, r.interval, int(r.created_at),
                      int(r.updated_at))


def _now_us() -> int:
    return time.time_ns() // 1000


class ScanRepository:
    """Saved scans, listed by name."""

    def __init__(self, engine: Engine, where: str) -> None:
        self._engine = engine
        self._where = where

    def all(self) -> list[StoredScan]:
        with read_connection(self._engine, self._where, "reading saved scans") as conn:
            rows = conn.execute(select(_SCANS).order_by(_SCANS.c.name, _SCANS.c.id)).all()
        return [_row(r) for r in rows]

    def get(self, scan_id: str) -> StoredScan:
        """One saved scan (``UnknownScan`` when there is none with that id)."""
        with read_connection(self._engine, self._where, f"reading saved scan {scan_id}") as conn:
            r = conn.execute(select(_SCANS).where(_SCANS.c.id == scan_id)).first()
        if r is None:
            raise UnknownScan(self._where, scan_id)
        return _row(r)

    def by_name(self, name: str) -> StoredScan | None:
        with read_connection(self._engine, self._where, f"reading saved scan {name!r}") as conn:
            r = conn.execute(select(_SCANS).where(_SCANS.c.name == name.strip())).first()
        return None if r is None else _row(r)

    def create(self, name: str, expr: str, universe: str = ALL,
               interval: str = "1d") -> StoredScan:
        """A new saved scan (``DuplicateScanName`` when the name is taken)."""
        name = clean_name("scan name", name)
        universe = clean_universe(universe)
        interval = clean_interval(interval)
        expr = check_expression(expr, interval)
        now = _now_us()
        scan = StoredScan(uuid.uuid4().hex, name, expr, universe, interval, now, now)
        with write_transaction(self._engine, self._where, f"saving scan {name!r}") as conn:
            self._refuse_taken(conn, name)
            with self._unique(name):
                conn.execute(_SCANS.insert().values(
                    id=scan.id, name=name, expr=expr, universe=universe, interval=interval,
                    created_at=now, updated_at=now))
        return scan

    def update(self, scan_id: str, *, name: str | None = None, expr: str | None = None,
               universe: str | None = None, interval: str | None = None) -> StoredScan:
        """Change some fields; the result is validated whole (the expression against the new
        interval) before anything is written."""
        with write_transaction(self._engine, self._where, f"updating scan {scan_id}") as conn:
            r = conn.execute(select(_SCANS).where(_SCANS.c.id == scan_id)).first()
            if r is None:
                raise UnknownScan(self._where, scan_id)
            old = _row(r)
            new_name = clean_name("scan name", name) if name is not None else old.name
            new_interval = clean_interval(interval) if interval is not None else old.interval
            new = StoredScan(
                old.id, new_name,
                check_expression(expr if expr is not None else old.expr, new_interval),
                clean_universe(universe) if universe is not None else old.universe,
                new_interval, old.created_at, max(_now_us(), old.updated_at + 1))
            self._refuse_taken(conn, new.name, scan_id)
            with self._unique(new.name):
                conn.execute(update(_SCANS).where(_SCANS.c.id == scan_id).values(
                    name=new.name, expr=new.expr, universe=new.universe,
                    interval=new.interval, updated_at=new.updated_at))
        return new

    def delete(self, scan_id: str) -> None:
        """Delete a saved scan (``UnknownScan`` when it does not exist)."""
        with write_transaction(self._engine, self._where, f"deleting scan {scan_id}") as conn:
            gone = conn.execute(delete(_SCANS).where(_SCANS.c.id == scan_id)).rowcount
            if not gone:
                raise UnknownScan(self._where, scan_id)

    # -- helpers ------------------------------------------------------------------------------
    def _refuse_taken(self, conn: Connection, name: str, own_id: str | None = None) -> None:
        owner = conn.execute(select(_SCANS.c.id).where(_SCANS.c.name == name)).scalar()
        if owner is not None and owner != own_id:
            raise DuplicateScanName(self._where, name)

    @contextmanager
    def _unique(self, name: str) -> Iterator[None]:
        """A name taken between our check and our write (another app on PostgreSQL) makes the
        unique constraint speak; it is reported as the same ``DuplicateScanName``."""
        try:
            yield
        except IntegrityError as exc:
            if "name" in str(exc.orig):
                raise DuplicateScanName(self._where, name) from None
            raise
