"""Opening the two stores: ``open_market_store`` and ``open_user_store``.

Each returns an object holding the store's one ``Engine`` and its repositories. The caller
resolves which database to use (``--db-url``, the settings file, ``DRUMMOND_MARKET_DB_URL``) and
passes the URL; without one, the SQLite file under ``core.paths.user_data_dir()`` is used.
Opening runs the checks and upgrades of ``store/migrate.py``; a damaged file that was set aside
is reported on ``store.notice`` (a ``CorruptStoreRecovered``) so the front end can tell the user.
Close a store (or use it as a context manager) to dispose of its connections.
"""

from __future__ import annotations

import logging
import os
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from drummond_desktop.core import paths
from drummond_desktop.core.errors import CorruptStoreRecovered, StoreUnavailable
from drummond_desktop.store import migrate
from drummond_desktop.store.actions import CorporateActionsRepository
from drummond_desktop.store.bars import BarsRepository
from drummond_desktop.store.coverage import Coverage, coverage
from drummond_desktop.store.drawings import DrawingsRepository
from drummond_desktop.store.engines import (
    MARKET_MMAP_BYTES,
    StoreTarget,
    create_store_engine,
    resolve_target,
    write_transaction,
)
from drummond_desktop.store.flags import FlagsRepository
from drummond_desktop.store.reference import (
    CalendarRepository,
    ExchangeRepository,
    SymbolRepository,
)
from drummond_desktop.store.scans import ScanRepository
from drummond_desktop.store.sync_state import CheckpointRepository, LedgerRepository
from drummond_desktop.store.workspace_lists import LayoutRepository, WatchlistRepository

log = logging.getLogger(__name__)

MARKET_FILE = "market.sqlite"
USER_FILE = "user.sqlite"


class _Store:
    """What both stores share: the target, the engine, and what happened while opening."""

    def __init__(self, target: StoreTarget, engine: Engine, notice: CorruptStoreRecovered | None,
                 backup: Path | None, upgraded: bool) -> None:
        self.target = target
        self.engine = engine
        self.notice = notice  # set when a damaged file was moved aside and replaced
        self.backup = backup  # the copy taken before an upgrade, if one ran
        self.upgraded = upgraded

    @property
    def where(self) -> str:
        """The file path, or the server URL without its password (for messages)."""
        return self.target.where

    def transaction(self, what: str = "writing") -> AbstractContextManager[Connection]:
        """A write unit of work: pass the connection as ``conn=`` to repository writes so they
        commit together (or not at all)."""
        return write_transaction(self.engine, self.where, what)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> _Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.where!r})"


class MarketStore(_Store):
    """The market data store: bars, symbols, exchanges, calendars, corporate actions, sync
    checkpoints and the EODHD request ledger."""

    def __init__(self, target: StoreTarget, engine: Engine, notice: CorruptStoreRecovered | None,
                 backup: Path | None, upgraded: bool) -> None:
        super().__init__(target, engine, notice, backup, upgraded)
        where = self.where
        self.bars = BarsRepository(engine, where)
        self.symbols = SymbolRepository(engine, where)
        self.exchanges = ExchangeRepository(engine, where)
        self.calendar = CalendarRepository(engine, where)
        self.actions = CorporateActionsRepository(engine, where)
        self.checkpoints = CheckpointRepository(engine, where)
        self.ledger = LedgerRepository(engine, where)
        self.flags = FlagsRepository(engine, where)

    def __enter__(self) -> MarketStore:
        return self

    def coverage(self, symbol: str | None = None, timeframe: str | None = None) -> list[Coverage]:
        """First, last, count and gaps per (symbol, timeframe); see ``store/coverage.py``."""
        return coverage(self.engine, self.where, symbol, timeframe)


class UserStore(_Store):
    """The user data store (``synchronous=FULL``): chart drawings, watchlists, layouts and
    saved scans."""

    def __init__(self, target: StoreTarget, engine: Engine, notice: CorruptStoreRecovered | None,
                 backup: Path | None, upgraded: bool) -> None:
        super().__init__(target, engine, notice, backup, upgraded)
        where = self.where
        self.drawings = DrawingsRepository(engine, where)
        self.watchlists = WatchlistRepository(engine, where)
        self.layouts = LayoutRepository(engine, where)
        self.scans = ScanRepository(engine, where)

    def __enter__(self) -> UserStore:
        return self


def open_market_store(url: str | None = None) -> MarketStore:
    """Open (creating or upgrading as needed) the market store at ``url``, or
    ``<user data dir>/market.sqlite`` when ``url`` is empty.

    Raises ``SchemaTooNew`` (file untouched), ``MigrationFailed`` (names the backup),
    ``StoreUnavailable``. A damaged SQLite file is set aside and reported on ``.notice``.
    """
    return MarketStore(*_open(url, MARKET_FILE, "market", durable=False,
                              mmap_bytes=MARKET_MMAP_BYTES))


def open_user_store(url: str | None = None) -> UserStore:
    """Open the user store at ``url`` or ``<user data dir>/user.sqlite`` (same rules)."""
    return UserStore(*_open(url, USER_FILE, "user", durable=True))


def _open(url: str | None, filename: str, store: str, *, durable: bool, mmap_bytes: int = 0
          ) -> tuple[StoreTarget, Engine, CorruptStoreRecovered | None, Path | None, bool]:
    default = paths.user_data_dir(create=False) / filename
    target = resolve_target(url, default)
    notice = backup = None
    if target.path is not None:
        notice, backup = _prepare_file(target.path, store)
    engine = create_store_engine(target, durable=durable, mmap_bytes=mmap_bytes)
    try:
        upgraded = migrate.upgrade(engine, target, store, backup)
    except BaseException:
        engine.dispose()
        raise
    return target, engine, notice, backup, upgraded


def _prepare_file(path: Path, store: str) -> tuple[CorruptStoreRecovered | None, Path | None]:
    """Checks before the engine touches the file: damaged -> set aside; too new -> refused;
    older with content -> backed up."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreUnavailable(path, f"cannot create its folder: {exc}") from None
    if not path.exists():
        _set_aside_orphans(path)
        return None, None
    problem = migrate.sqlite_problem(path)
    if problem is not None:
        moved = migrate.set_aside(path)
        notice = CorruptStoreRecovered(path, moved, problem)
        log.warning("%s", notice)
        return notice, None
    if migrate.check_known(migrate.sqlite_revisions(path, store), store, str(path)):
        return None, None
    return None, (migrate.backup_sqlite(path) if migrate.sqlite_has_tables(path) else None)


def _set_aside_orphans(path: Path) -> None:
    """A ``-wal``/``-shm`` without its database belongs to a file that is gone; SQLite would
    replay such a WAL into the new file, so move it out of the way first."""
    for suffix in ("-wal", "-shm", "-journal"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            dest = side.with_name(f"{side.name}.orphan-{os.getpid()}-{side.stat().st_mtime_ns}")
            try:
                os.replace(side, dest)
            except OSError as exc:
                raise StoreUnavailable(path, f"cannot move the stray {side.name}: {exc}") from None
            log.warning("%s: moved the stray %s to %s", path, side.name, dest)
