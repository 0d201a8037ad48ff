"""Coverage: first, last, count and gaps per series (daily: > 4 calendar days; intraday:
missing session days in the exchange's time zone, holidays excepted)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import numpy as np

from drummond_desktop.store import ExchangeInfo, Gap, Holiday, MarketStore, TradingHours
from tests.store.factories import make_bars, weekdays

D = dt.date


def _epoch(day: dt.date, hour: float = 0.0, tz: str = "UTC") -> int:
    local = dt.datetime(day.year, day.month, day.day, tzinfo=zoneinfo.ZoneInfo(tz))
    return int(local.timestamp() + hour * 3600)


def _days(start: dt.date, end: dt.date, skip: set[dt.date] = frozenset()) -> list[dt.date]:
    out, d = [], start
    while d <= end:
        if d.weekday() < 5 and d not in skip:
            out.append(d)
        d += dt.timedelta(days=1)
    return out


def test_daily_gaps(store: MarketStore):
    # weekdays of Jan-Feb 2024; drop Monday Jan 15 (Fri -> Tue: 4 days, not a gap) and
    # Wed-Fri Feb 7-9 (Tue -> Mon: 6 days, a gap)
    skip = {D(2024, 1, 15), D(2024, 2, 7), D(2024, 2, 8), D(2024, 2, 9)}
    days = _days(D(2024, 1, 1), D(2024, 2, 29), skip)
    ts = np.array([_epoch(d) for d in days], dtype=np.int64)
    store.bars.upsert("AAPL.US", "1d", make_bars(0, ts=ts))
    [cov] = store.coverage()
    assert (cov.symbol, cov.timeframe, cov.count) == ("AAPL.US", "1d", len(days))
    assert (cov.first_ts, cov.last_ts) == (int(ts[0]), int(ts[-1]))
    assert cov.gaps == (Gap(_epoch(D(2024, 2, 6)), _epoch(D(2024, 2, 12)), 6),)


def _hourly(days: list[dt.date], tz: str, hours: range) -> np.ndarray:
    return np.array([_epoch(d, h, tz) for d in days for h in hours], dtype=np.int64)


def test_intraday_gaps_skip_holidays(store: MarketStore):
    store.exchanges.upsert([ExchangeInfo("US", "USA Stocks", "USA", "USD", "America/New_York")])
    store.calendar.set_hours("US", TradingHours("09:30:00", "16:00:00"))
    store.calendar.upsert_holidays("US", [Holiday(D(2024, 7, 4), "Independence Day"),
                                          Holiday(D(2024, 7, 3), "early", "early_close",
                                                  "13:00:00")])
    skip = {D(2024, 7, 4), D(2024, 7, 10), D(2024, 7, 11)}
    days = _days(D(2024, 7, 1), D(2024, 7, 19), skip)
    ts = _hourly(days, "America/New_York", range(10, 16))
    store.bars.upsert("SPY.US", "1h", make_bars(0, ts=ts, timeframe="1h"))
    [cov] = store.coverage("SPY.US", "1h")
    assert cov.count == len(ts)
    after = _epoch(D(2024, 7, 9), 15, "America/New_York")
    before = _epoch(D(2024, 7, 12), 10, "America/New_York")
    assert cov.gaps == (Gap(after, before, 2),)


def test_intraday_days_are_local_days(store: MarketStore):
    # Auckland trades 10:00-16:45 local: the session starts on the previous UTC day
    store.exchanges.upsert([ExchangeInfo("NZ", timezone="Pacific/Auckland")])
    days = _days(D(2024, 3, 4), D(2024, 4, 26))  # across the April 7 DST change
    ts = _hourly(days, "Pacific/Auckland", range(10, 17))
    store.bars.upsert("AIR.NZ", "1h", make_bars(0, ts=ts, timeframe="1h"))
    [cov] = store.coverage("AIR.NZ")
    assert cov.gaps == ()


def test_crypto_trades_every_day(store: MarketStore):
    store.calendar.set_hours("CC", TradingHours("00:00:00", "23:59:59",
                                                "Mon,Tue,Wed,Thu,Fri,Sat,Sun"))
    ts = D(2024, 1, 1)
    stamps = _epoch(ts) + np.arange(24 * 20, dtype=np.int64) * 3600
    stamps = stamps[(stamps < _epoch(D(2024, 1, 6))) | (stamps >= _epoch(D(2024, 1, 7)))]
    store.bars.upsert("BTC-USD.CC", "1h", make_bars(0, ts=stamps, timeframe="1h"))
    [cov] = store.coverage()
    assert cov.gaps == (Gap(_epoch(D(2024, 1, 5), 23), _epoch(D(2024, 1, 7)), 1),)


def test_coverage_lists_every_series(store: MarketStore):
    store.bars.upsert("MSFT.US", "1d", make_bars(10))
    store.bars.upsert("AAPL.US", "1d", make_bars(0, ts=weekdays(20)))
    store.bars.upsert("AAPL.US", "5m", make_bars(30, step=300, timeframe="5m"))
    got = [(c.symbol, c.timeframe, c.count) for c in store.coverage()]
    assert got == [("AAPL.US", "1d", 20), ("AAPL.US", "5m", 30), ("MSFT.US", "1d", 10)]
    assert [c.timeframe for c in store.coverage(timeframe="1d")] == ["1d", "1d"]
    assert store.coverage("NONE.US") == []
