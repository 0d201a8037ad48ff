"""The built-in exchange calendars against the exchanges' published schedules (written out here
from the NYSE, LSE and Deutsche Boerse holiday lists, not from the rules), Easter against known
dates, and what the holidays change in resampling: a holiday week ends on its last trading
day, holiday bars are off-session, an early close ends the day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import numpy as np
import pytest

from engine.bars import Bars
from engine.calendars import builtin_calendar, easter
from engine.resample import SESSIONS, resample


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(("year", "day"), [(1818, "1818-03-22"), (2000, "2000-04-23"),
                                           (2024, "2024-03-31"), (2025, "2025-04-20"),
                                           (2038, "2038-04-25")])
def test_easter(year: int, day: str) -> None:
    assert easter(year) == d(day)


NYSE = {
    2021: (["2021-01-01", "2021-01-18", "2021-02-15", "2021-04-02", "2021-05-31", "2021-07-05",
            "2021-09-06", "2021-11-25", "2021-12-24"], ["2021-11-26"]),
    2022: (["2022-01-17", "2022-02-21", "2022-04-15", "2022-05-30", "2022-06-20", "2022-07-04",
            "2022-09-05", "2022-11-24", "2022-12-26"], ["2022-11-25"]),
    2024: (["2024-01-01", "2024-01-15", "2024-02-19", "2024-03-29", "2024-05-27", "2024-06-19",
            "2024-07-04", "2024-09-02", "2024-11-28", "2024-12-25"],
           ["2024-07-03", "2024-11-29", "2024-12-24"]),
    2025: (["2025-01-01", "2025-01-20", "2025-02-17", "2025-04-18", "2025-05-26", "2025-06-19",
            "2025-07-04", "2025-09-01", "2025-11-27", "2025-12-25"],
           ["2025-07-03", "2025-11-28", "2025-12-24"]),
}


@pytest.mark.parametrize("year", sorted(NYSE))
def test_nyse_matches_its_published_schedule(year: int) -> None:
    closed, early = builtin_calendar("US", year, year)
    holidays, halves = NYSE[year]
    assert sorted(closed) == [d(x) for x in holidays]
    assert early == tuple((d(x), time(13, 0)) for x in halves)


def test_lse_and_xetra_2024() -> None:
    closed, early = builtin_calendar("LSE", 2024, 2024)
    assert sorted(closed) == [d(x) for x in ("2024-01-01", "2024-03-29", "2024-04-01",
                                             "2024-05-06", "2024-05-27", "2024-08-26",
                                             "2024-12-25", "2024-12-26")]
    assert early == ((d("2024-12-24"), time(12, 30)), (d("2024-12-31"), time(12, 30)))
    closed, early = builtin_calendar("XETRA", 2024, 2024)
    assert sorted(closed) == [d(x) for x in ("2024-01-01", "2024-03-29", "2024-04-01",
                                             "2024-05-01", "2024-12-24", "2024-12-25",
                                             "2024-12-26", "2024-12-31")]
    assert early == ()
    assert builtin_calendar("TSE", 2024, 2024) == (frozenset(), ())


def test_the_built_in_us_session_carries_the_calendar() -> None:
    us = SESSIONS["US"]
    assert d("2024-03-29") in us.holidays and us.early_close(d("2024-11-29")) == time(13, 0)
    assert SESSIONS["NYSE"] is us and us.early_close(d("2024-11-27")) is None


def utc(day: date, hh: int = 0, mm: int = 0) -> int:
    return int(datetime(day.year, day.month, day.day, hh, mm, tzinfo=UTC).timestamp())


def test_a_good_friday_week_ends_on_thursday() -> None:
    days = [d("2024-03-25"), d("2024-03-26"), d("2024-03-27"), d("2024-03-28")]
    c = np.linspace(10.0, 11.0, len(days))
    bars = Bars.from_arrays(np.array([utc(x) for x in days]), c, c + 1, c - 1, c, np.ones(4),
                            symbol="X.US", timeframe="1d")
    assert resample(bars, "1w").last_complete  # no Friday session that week
    assert not resample(bars[:3], "1w").last_complete


def test_thanksgiving_bars_are_off_session_and_the_day_after_closes_at_one() -> None:
    # 27 Nov 2025 (holiday) and 28 Nov 2025 (13:00 close), minute bars 14:30-21:00 UTC each day
    ts = np.concatenate([np.arange(utc(x, 14, 30), utc(x, 21), 60)
                         for x in (d("2025-11-27"), d("2025-11-28"))])
    c = 100 + np.cumsum(np.full(ts.size, 0.01))
    bars = Bars.from_arrays(ts, c, c + 0.1, c - 0.1, c, np.ones(ts.size), symbol="X.US",
                            timeframe="1m")
    hours = resample(bars, "1h")
    starts = [datetime.fromtimestamp(int(t), UTC).strftime("%d %H:%M") for t in hours.bars.ts]
    assert starts == ["28 14:30", "28 15:30", "28 16:30", "28 17:30"]  # 09:30-12:30 New York
    assert hours.bars.volume.sum() == 210  # 09:30-13:00 of the 28th only
    assert hours.last_complete  # the day ended at 13:00
