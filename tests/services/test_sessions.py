"""``services.sessions``: an exchange's session from the stored calendar (time zone, hours,
working days, holidays, early closes), the engine's built-in session for what is not stored,
and clear errors for what cannot be read."""

from __future__ import annotations

from datetime import date, time

import pytest

from drummond_desktop.services.sessions import (
    default_session,
    session_from_calendar,
    store_sessions,
)
from drummond_desktop.store import ExchangeInfo, Holiday, TradingHours
from engine.resample import SESSIONS, Session


def test_nothing_stored_gives_the_built_in_session(store):
    lookup = store_sessions(lambda: store)
    assert lookup("AAPL.US") == default_session("AAPL.US") == SESSIONS["US"]
    assert lookup("SAP.XETRA") == SESSIONS["XETRA"]
    assert lookup("NOSUFFIX") == SESSIONS["CRYPTO"]  # round the clock in UTC
    assert lookup("X.NOWHERE") == SESSIONS["CRYPTO"]


def test_a_stored_zone_without_hours_keeps_every_bar(store):
    store.exchanges.upsert([ExchangeInfo("TA", "Tel Aviv", timezone="Asia/Jerusalem")])
    s = store_sessions(lambda: store)("TEVA.TA")
    assert s.tz == "Asia/Jerusalem" and s.open == s.close == time(0, 0)
    assert s.weekdays == tuple(range(7))
    store.exchanges.upsert([ExchangeInfo("US", "USA", timezone="America/New_York")])
    assert store_sessions(lambda: store)("AAPL.US") == SESSIONS["US"]  # same zone: built-in


def test_stored_hours_holidays_and_early_closes_make_the_session(store):
    store.exchanges.upsert([ExchangeInfo("US", "USA", timezone="America/New_York")])
    store.calendar.set_hours("US", TradingHours("09:30:00", "16:00:00", "Mon,Tue,Wed,Thu,Fri"))
    store.calendar.upsert_holidays("US", [
        Holiday(date(2025, 11, 27), "Thanksgiving"),
        Holiday(date(2025, 11, 28), "Day after", close_local="13:00:00"),
    ])
    s = store_sessions(lambda: store)("AAPL.US")
    assert s == Session("America/New_York", time(9, 30), time(16, 0),
                        holidays=frozenset({date(2025, 11, 27)}),
                        early_closes=((date(2025, 11, 28), time(13, 0)),), name="US")


def test_working_days_are_read_from_the_stored_text():
    s = session_from_calendar("TASE", "Asia/Jerusalem",
                              TradingHours("09:59:00", "17:14:00", "Sun,Mon,Tue,Wed,Thu"), [])
    assert s.weekdays == (0, 1, 2, 3, 6)


def test_an_early_close_outside_the_hours_is_left_out_with_a_warning(caplog):
    s = session_from_calendar("US", "America/New_York", TradingHours("09:30:00", "16:00:00"),
                              [Holiday(date(2025, 7, 3), "odd", close_local="18:00:00")])
    assert s.early_closes == ()
    assert "early close '18:00:00' on 2025-07-03" in caplog.text


@pytest.mark.parametrize(("hours", "message"), [
    (TradingHours("9h30", "16:00:00"), r"US: unreadable trading hours '9h30'-'16:00:00'"),
    (TradingHours("09:30:00", "16:00:00", "Mon,Funday"), r"US: unreadable working days"),
])
def test_unreadable_hours_are_named(hours, message):
    with pytest.raises(ValueError, match=message):
        session_from_calendar("US", "America/New_York", hours, [])


def test_an_unknown_stored_zone_is_a_value_error_naming_it(store):
    store.exchanges.upsert([ExchangeInfo("US", "USA", timezone="Not/AZone")])
    store.calendar.set_hours("US", TradingHours("09:30:00", "16:00:00"))
    with pytest.raises(ValueError, match="unknown time zone 'Not/AZone'"):
        store_sessions(lambda: store)("AAPL.US")
