"""Exchanges, symbols, trading calendars, sync checkpoints and the request ledger."""

from __future__ import annotations

import datetime as dt

import pytest

from drummond_desktop.store import (
    CheckpointUpdate,
    ExchangeInfo,
    Holiday,
    LedgerEntry,
    MarketStore,
    SymbolInfo,
    TradingHours,
    split_ticker,
)
from drummond_desktop.store.stores import open_user_store
from tests.store.factories import make_bars

D = dt.date


def _ts(*args: int) -> int:
    return int(dt.datetime(*args, tzinfo=dt.UTC).timestamp())


def test_split_ticker():
    assert split_ticker("AAPL.US") == ("AAPL", "US")
    assert split_ticker("BRK-B.US") == ("BRK-B", "US")
    assert split_ticker(" EURUSD.FOREX ") == ("EURUSD", "FOREX")
    for bad in ("AAPL", ".US", "AAPL.", ""):
        with pytest.raises(ValueError, match="needs an exchange suffix"):
            split_ticker(bad)


def test_exchanges_and_symbols(store: MarketStore):
    # bars first: the symbol and a placeholder exchange appear
    store.bars.upsert("AAPL.US", "1d", make_bars(3))
    assert store.symbols.get("AAPL.US") == SymbolInfo("AAPL", "US")
    assert store.exchanges.get("US") == ExchangeInfo("US", name="US")
    # synced details replace the placeholders
    us = ExchangeInfo("US", "USA Stocks", "USA", "USD", "America/New_York", "XNAS, XNYS")
    store.exchanges.upsert([us, ExchangeInfo("LSE", "London Exchange", "UK", "GBP",
                                             "Europe/London")])
    store.symbols.upsert([SymbolInfo("AAPL", "US", "Apple Inc", "Common Stock", "USD"),
                          SymbolInfo("VOD", "LSE", "Vodafone", "Common Stock", "GBP"),
                          SymbolInfo("BMW", "XETRA", "BMW AG", "Common Stock", "EUR")])
    assert store.symbols.get("AAPL.US") == SymbolInfo("AAPL", "US", "Apple Inc",
                                                      "Common Stock", "USD")
    assert store.exchanges.get("US") == us  # a later symbol upsert keeps the synced exchange
    assert store.exchanges.get("XETRA") == ExchangeInfo("XETRA", name="XETRA")
    assert [s.ticker for s in store.symbols.all("LSE")] == ["VOD.LSE"]
    assert [e.code for e in store.exchanges.all()] == ["LSE", "US", "XETRA"]
    assert store.symbols.get("NONE.US") is None and store.exchanges.get("NONE") is None
    # the bars survived the symbol update (same id)
    assert store.bars.count("AAPL.US", "1d") == 3


def test_hours_and_holidays(store: MarketStore):
    store.calendar.set_hours("US", TradingHours("09:30:00", "16:00:00"))
    store.calendar.set_hours("US", TradingHours("09:30:00", "16:00:00", "Mon,Tue,Wed,Thu,Fri"))
    assert store.calendar.hours("US") == TradingHours("09:30:00", "16:00:00")
    assert store.calendar.hours("LSE") is None
    hols = [Holiday(D(2024, 12, 25), "Christmas"),
            Holiday(D(2024, 12, 24), "Christmas Eve", "early_close", "13:00:00"),
            Holiday(D(2025, 1, 1), "New Year", "official")]
    assert store.calendar.upsert_holidays("US", hols) == 3
    got = store.calendar.holidays("US")
    assert [h.date for h in got] == [D(2024, 12, 24), D(2024, 12, 25), D(2025, 1, 1)]
    assert not got[0].full_day and got[1].full_day
    assert [h.date for h in store.calendar.holidays("US", D(2024, 12, 25),
                                                     D(2024, 12, 31))] == [D(2024, 12, 25)]
    store.calendar.upsert_holidays("US", [Holiday(D(2024, 12, 25), "Xmas")])
    assert store.calendar.holidays("US", D(2024, 12, 25), D(2024, 12, 25))[0].name == "Xmas"


def test_checkpoints(store: MarketStore):
    assert store.checkpoints.get("AAPL.US", "1d") is None
    store.checkpoints.set("AAPL.US", "1d", CheckpointUpdate(status="error", error="HTTP 500"))
    cp = store.checkpoints.get("AAPL.US", "1d")
    assert cp is not None and (cp.status, cp.error, cp.last_ts) == ("error", "HTTP 500", None)
    store.checkpoints.set("AAPL.US", "1d", CheckpointUpdate(last_ts=100, last_full_fetch=50))
    store.checkpoints.set("AAPL.US", "1d", CheckpointUpdate(status="partial"))
    cp = store.checkpoints.get("AAPL.US", "1d")
    assert cp is not None
    assert (cp.status, cp.error, cp.last_ts, cp.last_full_fetch) == ("partial", None, 100, 50)
    store.checkpoints.set("MSFT.US", "5m", CheckpointUpdate(last_ts=7))
    assert [(c.symbol, c.timeframe) for c in store.checkpoints.all()] == [
        ("AAPL.US", "1d"), ("MSFT.US", "5m")]
    assert store.checkpoints.get("AAPL.US", "5m") is None


def test_ledger_totals_by_utc_day(store: MarketStore):
    store.ledger.record(
        LedgerEntry("eod", 1, 200, True, "AAPL.US", 1_000, ts=_ts(2024, 3, 1, 0, 0, 0)),
        LedgerEntry("intraday", 5, 200, True, "AAPL.US", 9_000, ts=_ts(2024, 3, 1, 12)),
        LedgerEntry("eod", 0, 500, False, "MSFT.US", 0, ts=_ts(2024, 3, 1, 23, 59, 59)),
        LedgerEntry("eod-bulk-last-day", 100, 200, True, ts=_ts(2024, 3, 2, 0, 0, 0)),
        LedgerEntry("eod", 1, 0, False, "X.US", ts=_ts(2024, 3, 5, 8)),
    )
    assert store.ledger.cost_on(D(2024, 3, 1)) == 6
    assert store.ledger.cost_on(D(2024, 3, 2)) == 100
    assert store.ledger.cost_on(D(2024, 3, 3)) == 0
    assert store.ledger.cost_today(now=_ts(2024, 3, 1, 18)) == 6
    totals = store.ledger.daily_totals(D(2024, 3, 1), D(2024, 3, 5))
    assert [(u.day, u.requests, u.cost, u.failed) for u in totals] == [
        (D(2024, 3, 1), 3, 6, 1), (D(2024, 3, 2), 1, 100, 0), (D(2024, 3, 5), 1, 1, 1)]
    assert [(u.day, u.cost) for u in store.ledger.daily_totals(D(2024, 3, 2),
                                                               D(2024, 3, 2))] == [
        (D(2024, 3, 2), 100)]
    newest = store.ledger.entries(since=_ts(2024, 3, 2), limit=5)
    assert [e.endpoint for e in newest] == ["eod", "eod-bulk-last-day"]
    assert newest[0] == LedgerEntry("eod", 1, 0, False, "X.US", 0, _ts(2024, 3, 5, 8))


def test_ledger_default_time_is_now(store: MarketStore):
    store.ledger.record(LedgerEntry("user", 1, 200, True))
    assert store.ledger.cost_today() == 1


def test_user_store_opens_with_full_sync(store_url):
    with open_user_store(store_url) as user:
        assert user.upgraded
        if user.target.path is not None:
            assert user.target.path.name == "user.sqlite"
            with user.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with open_user_store(store_url) as again:
        assert not again.upgraded
