"""The local store: market data (bars, symbols, exchanges, calendars, corporate actions, sync
checkpoints, the EODHD request ledger) and user data, on SQLite by default or PostgreSQL.

    store = open_market_store()                     # <user data dir>/market.sqlite
    store.bars.upsert("AAPL.US", "1d", bars, checkpoint=CheckpointUpdate())
    bars = store.bars.load("AAPL.US", "1d", start, end)
    adjusted = adjust(bars, store.actions.splits("AAPL.US"),
                      store.actions.dividends("AAPL.US"), "all")

Layout: ``schema`` (tables), ``chunks`` (the columnar bar format), ``engines`` (connections,
transactions, typed errors), ``migrate`` (health, backups, Alembic), ``stores`` (the openers),
one module per repository, ``adjust`` (split/dividend adjustment, pure numpy).
"""

from drummond_desktop.store.actions import CorporateActionsRepository
from drummond_desktop.store.adjust import ADJUST_MODES, AdjustMode, Dividend, Split, adjust
from drummond_desktop.store.bars import BarsRepository, UpsertResult
from drummond_desktop.store.chunks import Timeframe, parse_timeframe
from drummond_desktop.store.coverage import Coverage, Gap
from drummond_desktop.store.flags import BarFlag, FlagsRepository
from drummond_desktop.store.reference import (
    CalendarRepository,
    ExchangeInfo,
    ExchangeRepository,
    Holiday,
    SymbolInfo,
    SymbolRepository,
    TradingHours,
    split_ticker,
)
from drummond_desktop.store.stores import MarketStore, UserStore, open_market_store, open_user_store
from drummond_desktop.store.sync_state import (
    Checkpoint,
    CheckpointRepository,
    CheckpointUpdate,
    DailyUsage,
    LedgerEntry,
    LedgerRepository,
)

__all__ = [
    "ADJUST_MODES",
    "AdjustMode",
    "BarFlag",
    "BarsRepository",
    "CalendarRepository",
    "Checkpoint",
    "CheckpointRepository",
    "CheckpointUpdate",
    "CorporateActionsRepository",
    "Coverage",
    "DailyUsage",
    "Dividend",
    "ExchangeInfo",
    "ExchangeRepository",
    "FlagsRepository",
    "Gap",
    "Holiday",
    "LedgerEntry",
    "LedgerRepository",
    "MarketStore",
    "Split",
    "SymbolInfo",
    "SymbolRepository",
    "Timeframe",
    "TradingHours",
    "UpsertResult",
    "UserStore",
    "adjust",
    "open_market_store",
    "open_user_store",
    "parse_timeframe",
    "split_ticker",
]
