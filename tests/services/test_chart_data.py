"""``ChartDataService`` with the interval switch: stored intervals load as stored, the others are
built from stored bars (a real SQLite store), the forming last bar is said, demo symbols offer
their built intervals, and the catalog and ``intervals_for`` agree."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from drummond_desktop.core.errors import AppError, DataError
from drummond_desktop.feeds import demo
from drummond_desktop.services.analysis import AnalysisService
from drummond_desktop.services.chart_data import (
    ChartDataService,
    ChartRequest,
    WatchlistRequest,
    default_interval,
    intervals_for,
)
from drummond_desktop.services.market_data import MarketDataService
from drummond_desktop.services.sessions import store_sessions
from drummond_desktop.store import ExchangeInfo, Holiday, TradingHours
from tests.services.test_timeframes import daily_bars, ny_session
from tests.synthetic import walk_bars

FAR_FUTURE = 4_102_444_800.0


def service(store, now: float = FAR_FUTURE, **kw) -> ChartDataService:
    return ChartDataService(AnalysisService(), lambda: MarketDataService(store),
                            clock=lambda: now, **kw)


@pytest.fixture
def minutes(store):
    """Ten New York sessions of minute bars for MIN.US (nothing else stored)."""
    days = [date(2025, 11, 3) + timedelta(days=i) for i in range(14)]
    ts = [t for d in days if d.weekday() < 5 for t in ny_session(d)]
    bars = walk_bars(ts)
    store.bars.upsert("MIN.US", "1m", bars)
    return bars


def test_a_stored_interval_loads_as_stored(store):
    bars = daily_bars(date(2024, 1, 1), 200)
    store.bars.upsert("DAY.US", "1d", bars)
    data = service(store).build(ChartRequest("DAY.US", "1d", demo=False))
    assert data.bars.ts.tolist() == bars.ts.tolist()
    assert data.built_from == "" and data.last_complete and data.note == ""


def test_intraday_intervals_are_built_from_stored_minutes_at_the_us_open(store, minutes):
    data = service(store).build(ChartRequest("MIN.US", "15m", demo=False))
    assert data.bars.timeframe == "15m" and data.built_from == "1m"
    assert len(data.bars) == 10 * 26  # 6.5 hours of 15 minutes, ten sessions
    assert datetime.fromtimestamp(int(data.bars.ts[0]), UTC).strftime("%H:%M") == "14:30"
    assert data.bars.volume.sum() == minutes.volume.sum()
    assert data.result is not None and len(data.result.pldot) >= len(data.bars)


def test_daily_is_built_from_minutes_only_when_no_daily_is_stored(store, minutes):
    built = service(store).build(ChartRequest("MIN.US", "1d", demo=False))
    assert built.built_from == "1m" and len(built.bars) == 10
    stored = daily_bars(date(2025, 1, 1), 50)
    store.bars.upsert("MIN.US", "1d", stored)
    again = service(store).build(ChartRequest("MIN.US", "1d", demo=False))
    assert again.built_from == "" and len(again.bars) == len(stored)


def test_weeks_are_built_from_daily_bars_built_from_minutes(store):
    days = [date(2025, 9, 8) + timedelta(days=i) for i in range(42)]  # six weeks, no holiday
    bars = walk_bars([t for d in days if d.weekday() < 5 for t in ny_session(d, 60)])
    store.bars.upsert("WK.US", "1m", bars)
    data = service(store).build(ChartRequest("WK.US", "1w", demo=False))
    assert data.built_from == "1d" and data.bars.timeframe == "1w"
    assert len(data.bars) == 6 and data.bars.volume.sum() == bars.volume.sum()


def test_a_stored_monthly_series_is_what_the_monthly_switch_shows(store):
    months = daily_bars(date(2020, 1, 1), 400, "1mo")  # any bars will do
    store.bars.upsert("MON.US", "1mo", months)
    data = service(store).build(ChartRequest("MON.US", "1M", demo=False))
    assert data.built_from == "" and len(data.bars) == len(months)


def test_the_forming_last_bar_is_said_in_the_report(store):
    bars = daily_bars(date(2025, 6, 2), 150)  # ends on Wed 29 Oct: October is partial
    store.bars.upsert("DAY.US", "1d", bars)
    last_day = datetime.fromtimestamp(int(bars.ts[-1]), UTC)
    during = service(store, now=last_day.timestamp() + 86_400)
    data = during.build(ChartRequest("DAY.US", "1M", demo=False))
    assert not data.last_complete and data.built_from == "1d"
    assert data.note == "last 1M bar (2025-10-29) still forming: it changes until it closes"
    assert data.report_text.startswith(f"Note: {data.note}\n")
    later = service(store).build(ChartRequest("DAY.US", "1M", demo=False))
    assert later.last_complete and later.note == "" and "forming" not in later.report_text


def test_nothing_to_build_from_names_the_symbol_and_interval(store, minutes):
    store.bars.upsert("DAY.US", "1d", daily_bars(date(2024, 1, 1), 100))
    with pytest.raises(DataError) as err:
        service(store).build(ChartRequest("DAY.US", "1h", demo=False))
    assert err.value.user_message == "no data for DAY.US 1h"


def test_the_watchlist_builds_daily_rows_from_minutes(store, minutes):
    rows = service(store).watchlist(WatchlistRequest(("MIN.US", "NONE.US"), "1d", demo=False))
    assert rows[0].code == "MIN.US" and rows[0].error == "" and rows[0].state
    assert rows[1].error == "no data for NONE.US 1d"


def test_catalog_and_intervals_for_agree(store, minutes):
    store.bars.upsert("MON.US", "1mo", daily_bars(date(2020, 1, 1), 40, "1mo"))
    store.bars.upsert("MON.US", "1d", daily_bars(date(2020, 1, 1), 40))
    catalog = service(store).catalog()
    assert catalog == {"MIN.US": ("1m",), "MON.US": ("1d", "1M")}
    assert intervals_for("MON.US", False, catalog["MON.US"]) == ("1d", "1w", "1M")
    assert intervals_for("MIN.US", False, catalog["MIN.US"])[-3:] == ("1d", "1w", "1M")
    assert intervals_for("NEW.US", False, ()) == ("1d",)
    assert default_interval(intervals_for("MIN.US", False, ("1m",))) == "1d"
    assert default_interval(("1m", "5m")) == "1m"


# -------------------------------------------------------------------------------- sessions


def test_stored_hours_and_early_closes_shape_the_built_bars(store, minutes):
    # MIN.US's stored minute bars run 09:30-16:00; the stored calendar says the exchange closed
    # at 13:00 on the first day, so that day's built 1h bars end with the 12:30 bucket.
    store.exchanges.upsert([ExchangeInfo("US", "USA", timezone="America/New_York")])
    store.calendar.set_hours("US", TradingHours("09:30:00", "16:00:00"))
    first = datetime.fromtimestamp(int(store.bars.load("MIN.US", "1m").ts[0]), UTC).date()
    store.calendar.upsert_holidays("US", [Holiday(first, "half day", close_local="13:00:00")])
    data = service(store, sessions=store_sessions(lambda: store)).build(
        ChartRequest("MIN.US", "1h", demo=False))
    day_one = [t for t in data.bars.ts if datetime.fromtimestamp(int(t), UTC).date() == first]
    assert len(day_one) == 4  # 09:30, 10:30, 11:30, 12:30 New York
    plain = service(store).build(ChartRequest("MIN.US", "1h", demo=False))
    assert len(plain.bars) == len(data.bars) + 3


def test_an_unusable_store_time_zone_falls_back_to_utc_days(store, minutes, caplog):
    store.exchanges.upsert([ExchangeInfo("US", "USA", timezone="Not/AZone")])
    svc = service(store, sessions=store_sessions(lambda: store))
    data = svc.build(ChartRequest("MIN.US", "4h", demo=False))
    stamps = {datetime.fromtimestamp(int(t), UTC).strftime("%H:%M") for t in data.bars.ts}
    assert stamps <= {"12:00", "16:00", "20:00"}
    assert "building bars on UTC days" in caplog.text


# ------------------------------------------------------------------------------------ demo


def _no_store():
    raise AssertionError("demo mode must not open the store")


def test_demo_symbols_offer_their_built_intervals():
    daily, minute = demo.daily_codes()[0], demo.intraday_codes()[0]
    assert intervals_for(daily, True) == ("1d", "1w", "1M")
    assert intervals_for(minute, True) == ("1m", "5m", "15m", "30m", "1h", "1d")
    assert intervals_for("NOPE.DEMO", True) == ("1d",)


@pytest.mark.parametrize(("code", "interval", "base"), [
    (demo.daily_codes()[0], "1w", "1d"), (demo.daily_codes()[1], "1M", "1d"),
    (demo.intraday_codes()[0], "1h", "1m"), (demo.intraday_codes()[0], "1d", "1m"),
])
def test_demo_intervals_are_built_and_stay_synthetic(code, interval, base):
    svc = ChartDataService(AnalysisService(), _no_store)
    data = svc.build(ChartRequest(code, interval))
    assert data.synthetic and data.source == demo.DEMO_LABEL
    assert data.bars.timeframe == interval and data.built_from == base
    assert data.bars.volume.sum() == pytest.approx(demo.demo_bars(code).volume.sum())


def test_demo_native_interval_is_unchanged():
    code = demo.daily_codes()[0]
    data = ChartDataService(AnalysisService(), _no_store).build(ChartRequest(code))
    assert data.built_from == "" and len(data.bars) == len(demo.demo_bars(code))


def test_a_demo_interval_not_offered_is_refused_with_the_offer():
    code = demo.daily_codes()[0]
    with pytest.raises(DataError) as err:
        ChartDataService(AnalysisService(), _no_store).build(ChartRequest(code, "5m"))
    assert err.value.user_message == f"{code} has no 5m bars (offered: 1d, 1w, 1M)"
    with pytest.raises(AppError, match=r"unknown demo symbol 'NOPE\.DEMO'"):
        ChartDataService(AnalysisService(), _no_store).build(ChartRequest("NOPE.DEMO", "1w"))
