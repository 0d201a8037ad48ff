"""Database engines: where a store lives, how its connections are set up, how writes begin, and
how driver errors become the app's typed ``StoreError`` exceptions.

SQLite (the default) follows ``../shared/docs/reliability.md`` §3.3-3.4: WAL, ``synchronous``
NORMAL for the re-downloadable market data and FULL for user data, foreign keys on, a 5 s busy
timeout. pysqlite's own implicit ``BEGIN`` is switched off so the store emits its own: ``BEGIN
IMMEDIATE`` for writes (the write lock is taken up front; a deferred transaction that reads and
then writes cannot upgrade once another writer committed, and ``busy_timeout`` does not help
then), a plain deferred ``BEGIN`` for reads, which WAL runs beside the writer.

PostgreSQL is used when a URL is given; only the psycopg (3) driver is accepted, because the
bulk path writes with ``COPY``. One ``Engine`` per database; every unit of work takes its own
connection from the pool.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Select, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from drummond_desktop.core.errors import (
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreUnavailable,
)

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5_000
# Reads of the market store memory-map the file (up to 1 GiB): SQLite then copies blob pages
# straight from the OS cache instead of one read() per 4 KiB page, which halves the time to
# load a million bars. Writes still go through write(), so a full disk stays an error code;
# the cost is that a failing disk under a read raises SIGBUS rather than an error - acceptable
# for re-downloadable market data, not for the user store, which keeps plain reads.
MARKET_MMAP_BYTES = 1 << 30
_WRITE = "drummond_store_write"  # execution option: this connection's transaction writes

# sqlite3 primary result codes (the extended code's low byte)
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 11, 13, 14, 26
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


@dataclass(frozen=True)
class StoreTarget:
    """Where a store lives: a SQLite file, or a PostgreSQL database."""

    url: URL
    path: Path | None  # the SQLite file; None on PostgreSQL

    @property
    def dialect(self) -> str:
        return "sqlite" if self.path is not None else "postgresql"

    @property
    def where(self) -> str:
        """What messages name: the file path, or the URL with its password hidden."""
        return str(self.path) if self.path is not None else \
            self.url.render_as_string(hide_password=True)


def resolve_target(url: str | None, default_file: Path) -> StoreTarget:
    """The store at ``url`` (``postgresql://``, ``postgres://``, ``postgresql+psycopg://`` or
    ``sqlite:///FILE``), or the SQLite file ``default_file`` when ``url`` is empty."""
    if not url:
        path = default_file.absolute()
        return StoreTarget(URL.create("sqlite+pysqlite", database=str(path)), path)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreUnavailable("(database URL)", f"not a database URL: {exc}") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        return StoreTarget(parsed.set(drivername="postgresql+psycopg"), None)
    if backend == "sqlite" and driver in ("", "pysqlite"):
        if not parsed.database or parsed.database == ":memory:":
            raise StoreUnavailable(url, "a SQLite store needs a file path: sqlite:///PATH")
        path = Path(parsed.database).expanduser().absolute()
        return StoreTarget(parsed.set(drivername="sqlite+pysqlite", database=str(path)), path)
    shown = parsed.render_as_string(hide_password=True)
    raise StoreUnavailable(shown, "unsupported database: use postgresql+psycopg://USER@HOST/DB "
                                  "or sqlite:///PATH")


def create_store_engine(target: StoreTarget, *, durable: bool, mmap_bytes: int = 0) -> Engine:
    """The one ``Engine`` of a store. On SQLite ``durable`` selects ``synchronous=FULL`` and
    ``mmap_bytes`` sets ``mmap_size``."""
    if target.path is None:
        return create_engine(target.url, pool_pre_ping=True,
                             connect_args={"connect_timeout": 10})
    engine = create_engine(target.url)
    sync = "FULL" if durable else "NORMAL"

    @event.listens_for(engine, "connect")
    def _configure(dbapi_con: sqlite3.Connection, _record: Any) -> None:
        dbapi_con.isolation_level = None  # the "begin" listener below emits BEGIN itself
        mode = dbapi_con.execute("PRAGMA journal_mode=WAL").fetchone()
        if mode is None or str(mode[0]).lower() != "wal":
            # e.g. a network file system: still correct, only slower and less concurrent
            log.warning("%s: WAL not available, journal_mode is %s", target.where, mode)
        dbapi_con.execute(f"PRAGMA synchronous={sync}")
        dbapi_con.execute("PRAGMA foreign_keys=ON")
        dbapi_con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        dbapi_con.execute(f"PRAGMA mmap_size={int(mmap_bytes)}")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _primary_sqlite_code(orig: BaseException) -> int | None:
    code = getattr(orig, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def translate(orig: BaseException, where: str, what: str, *,
              invalidated: bool = False) -> StoreError:
    """The typed error for a driver error (``sqlite3`` or psycopg, as raised or as wrapped by
    SQLAlchemy's ``.orig``) that happened while doing ``what`` at ``where``."""
    code = _primary_sqlite_code(orig)
    sqlstate = str(getattr(orig, "sqlstate", "") or "")
    reason = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    if code == _SQLITE_FULL or sqlstate == "53100":
        return StoreFull(where, what)
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or sqlstate == "XX001":
        return StoreCorrupt(where, what)
    # psycopg raises a bare OperationalError (no SQLSTATE) when the server cannot be reached
    unreachable = type(orig).__name__ == "OperationalError" and code is None and not sqlstate
    if code == _SQLITE_CANTOPEN or sqlstate.startswith("08") or unreachable or invalidated:
        return StoreUnavailable(where, f"{reason} (while {what})")
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return StoreError(where, f"busy: another program holds the write lock (while {what})",
                          user_message=f"The database {where} is busy; try again.")
    return StoreError(where, f"{reason} (while {what})",
                      user_message=f"The database {where} failed while {what}: {reason}")


def _is_driver_error(exc: BaseException) -> bool:
    # errors of driver calls made beside SQLAlchemy (COPY, binary cursors, pragmas)
    return isinstance(exc, sqlite3.Error) or type(exc).__module__.startswith("psycopg")


@contextmanager
def translate_errors(where: str, what: str) -> Iterator[None]:
    """Turn driver errors raised inside the block into typed ``StoreError`` exceptions."""
    try:
        yield
    except DBAPIError as exc:
        orig = exc.orig if exc.orig is not None else exc
        raise translate(orig, where, what, invalidated=exc.connection_invalidated) from exc
    except Exception as exc:
        if _is_driver_error(exc):
            raise translate(exc, where, what) from exc
        raise


@contextmanager
def write_transaction(engine: Engine, where: str, what: str, *,
                      foreign_keys: bool = True) -> Iterator[Connection]:
    """One write transaction (``BEGIN IMMEDIATE`` on SQLite): committed when the block ends,
    rolled back whole when it raises. Errors, those of the commit included, come out typed.

    SQLite rolls some failures back by itself (``SQLITE_FULL``, ``SQLITE_IOERR``); the rollback
    that follows is then a no-op in the driver, never a second error.

    ``foreign_keys=False`` (SQLite, for schema upgrades) switches enforcement off for this one
    transaction - the pragma only works outside a transaction, so it is set on the driver
    connection before ``BEGIN`` and restored before the connection returns to the pool.
    """
    with translate_errors(where, what), engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        toggle = not foreign_keys and conn.dialect.name == "sqlite"
        if toggle:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                yield conn
        finally:
            if toggle:
                raw.execute("PRAGMA foreign_keys=ON")


@contextmanager
def read_connection(engine: Engine, where: str, what: str) -> Iterator[Connection]:
    """A connection for reads (one deferred transaction, a consistent snapshot in WAL)."""
    with translate_errors(where, what), engine.connect() as conn:
        yield conn


def fetch_all(conn: Connection, query: Select[Any]) -> Sequence[Sequence[Any]]:
    """Rows of ``query``. On PostgreSQL through a binary-format psycopg cursor: ``bytea`` then
    arrives as raw bytes instead of hex text, 2.5x faster for a million bars."""
    if conn.dialect.name != "postgresql":
        return conn.execute(query).all()
    compiled = query.compile(dialect=conn.dialect)
    raw: Any = conn.connection.driver_connection
    with raw.cursor(binary=True) as cur:
        cur.execute(str(compiled), compiled.params)
        rows: list[tuple[Any, ...]] = cur.fetchall()
    return rows


def upsert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]],
                keys: tuple[str, ...], *, update: bool = True) -> None:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE`` of whole rows (``DO NOTHING`` when not
    ``update``), on SQLite and PostgreSQL; executemany, for the small tables, not for bars."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    changes = {c: stmt.excluded[c] for c in rows[0] if c not in keys} if update else {}
    if changes:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=changes)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    conn.execute(stmt, rows)
