"""The interval builder over ``engine.resample``: which intervals are offered, bucket boundaries
(session-anchored, DST-correct, off-session bars left out, ISO weeks, calendar months),
aggregation against a slow obvious twin, stamps, the forming last bucket, and the stored
weekly/monthly files rebuilt bar for bar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from drummond_desktop.feeds.csv_bars import read_csv_bars
from drummond_desktop.services import timeframes as tf
from drummond_desktop.services.timeframes import build, derivable
from engine.bars import FIELDS, Bars
from engine.resample import SESSIONS, Session
from tests.synthetic import walk_bars

NY = SESSIONS["US"]  # 09:30-16:00 America/New_York, Monday to Friday
# New York's clock, round the clock every day: nothing is off-session.
NY_ALL_DAY = Session("America/New_York", clock_time(0, 0), clock_time(0, 0),
                     weekdays=tuple(range(7)), name="NY24")
FAR_FUTURE = 4_102_444_800.0  # 2100-01-01


def utc(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())


def ny_session(day: date, minutes: int = 390, step: int = 60) -> list[int]:
    """Bar times of a New York session from 09:30 local (``minutes`` long)."""
    start = int(datetime.combine(day, clock_time(9, 30), ZoneInfo("America/New_York"))
                .timestamp())
    return list(range(start, start + minutes * 60, step))


def naive(bars: Bars, key) -> dict[str, list[float]]:
    """The slow twin: group bars by ``key(ts)`` with a loop and aggregate each group."""
    groups: dict[object, list[int]] = {}
    for i, t in enumerate(bars.ts.tolist()):
        groups.setdefault(key(t), []).append(i)
    out: dict[str, list[float]] = {k: [] for k in FIELDS[1:]}
    for idx in groups.values():
        out["open"].append(float(bars.open[idx[0]]))
        out["high"].append(max(float(bars.high[i]) for i in idx))
        out["low"].append(min(float(bars.low[i]) for i in idx))
        out["close"].append(float(bars.close[idx[-1]]))
        out["volume"].append(sum(float(bars.volume[i]) for i in idx))
    return out


def assert_matches(built: Bars, expected: dict[str, list[float]]) -> None:
    for name, values in expected.items():
        np.testing.assert_allclose(getattr(built, name), values, rtol=0, atol=1e-9,
                                   err_msg=name)


# ----------------------------------------------------------------------------- what is offered


@pytest.mark.parametrize(("stored", "offered"), [
    (("1d",), ("1d", "1w", "1M")),
    (("1m",), ("1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w", "1M")),
    (("5m",), ("5m", "15m", "30m", "1h", "4h", "1d", "1w", "1M")),
    (("1h", "1d"), ("1h", "4h", "1d", "1w", "1M")),
    (("1mo",), ("1M",)),
    (("1w",), ("1w",)),
    (("1d", "1m", "1mo"), tf.INTERVALS),
    ((), ()),
])
def test_derivable_lists_stored_and_buildable_intervals_in_order(stored, offered):
    assert derivable(stored) == offered


def test_base_candidates_try_the_finest_first():
    assert tf.base_candidates("1h") == ("1m", "5m", "15m", "30m")
    assert tf.base_candidates("4h") == ("1m", "5m", "15m", "30m", "1h")
    assert tf.base_candidates("1d") == ("1m", "5m", "15m", "30m", "1h")
    assert tf.base_candidates("1M") == tf.base_candidates("1mo") == ("1d",)
    assert tf.base_candidates("1m") == ()


def test_names_round_trip_between_the_switch_and_the_store():
    assert tf.canonical("1mo") == "1M" and tf.store_name("1M") == "1mo"
    assert tf.store_name("1w") == "1w" and tf.canonical("1m") == "1m"
    assert sorted(["1M", "2h", "1m", "1w", "odd", "1d"], key=tf.interval_order) == [
        "1m", "2h", "1d", "1w", "1M", "odd"]


# ------------------------------------------------------------------------------- time zones


# ---------------------------------------------------------------------------- intraday


@pytest.mark.parametrize("interval", ["5m", "15m", "30m", "1h", "4h"])
def test_intraday_buckets_match_the_twin_across_a_dst_change(interval):
    # Fri 31 Oct 2025 (EDT, open 13:30 UTC) and Mon 3 Nov 2025 (EST, open 14:30 UTC), with
    # pre-market bars and holes where no trade happened.
    ts = np.array(ny_session(date(2025, 10, 31)) + ny_session(date(2025, 11, 3)))
    ts = np.r_[ts[0] - 3600, ts[0] - 60, ts]
    keep = np.random.default_rng(5).random(ts.shape[0]) > 0.3
    bars = walk_bars(ts[keep])
    width = tf.INTRADAY_SECONDS[interval]
    zone = ZoneInfo("America/New_York")

    def bucket(t: int) -> datetime:
        local = datetime.fromtimestamp(t, zone)
        opened = local.replace(hour=9, minute=30, second=0)
        k = (local - opened).total_seconds() // width
        return opened + timedelta(seconds=k * width)

    built = build(bars, interval, NY, now=FAR_FUTURE)
    assert built.bars.timeframe == interval and built.base == "1m" and built.last_complete
    session = bars[int(keep[:2].sum()):]  # the pre-market bars are off-session: left out
    assert_matches(built.bars, naive(session, bucket))
    starts = sorted({bucket(int(t)) for t in session.ts})
    assert built.bars.ts.tolist() == [int(s.timestamp()) for s in starts]


def test_hour_bars_start_at_the_local_open_in_summer_and_winter():
    bars = walk_bars(ny_session(date(2025, 10, 31)) + ny_session(date(2025, 11, 3)))
    hours = build(bars, "1h", NY, now=FAR_FUTURE).bars
    stamps = [datetime.fromtimestamp(int(t), UTC).strftime("%m-%d %H:%M") for t in hours.ts]
    assert stamps[:2] == ["10-31 13:30", "10-31 14:30"] and stamps[6] == "10-31 19:30"
    assert stamps[7:9] == ["11-03 14:30", "11-03 15:30"] and len(stamps) == 14


def test_an_unknown_exchange_is_round_the_clock_anchored_to_utc_midnight():
    bars = walk_bars(np.arange(utc(2025, 1, 6, 22), utc(2025, 1, 7, 5), 60), symbol="X.NOWHERE")
    built = build(bars, "4h", now=FAR_FUTURE).bars
    assert built.ts.tolist() == [utc(2025, 1, 6, 20), utc(2025, 1, 7), utc(2025, 1, 7, 4)]
    assert built.volume.sum() == bars.volume.sum()


def test_a_round_the_clock_market_keeps_sorted_stamps_when_clocks_go_back():
    # Every minute through the night of 2 Nov 2025 in New York: 01:00-02:00 happens twice.
    ts = np.arange(utc(2025, 11, 2, 3), utc(2025, 11, 2, 9), 60)
    bars = walk_bars(ts)
    for interval in ("5m", "1h", "4h", "1d"):
        built = build(bars, interval, NY_ALL_DAY, now=FAR_FUTURE).bars  # Bars validates order
        assert built.volume.sum() == bars.volume.sum()
        assert built.open[0] == bars.open[0] and built.close[-1] == bars.close[-1]


def test_daily_bars_from_intraday_use_the_exchange_date():
    # 19:30 New York on 31 Oct is already 1 Nov in UTC: it belongs to the 31 Oct session.
    ts = [*ny_session(date(2025, 10, 31)), utc(2025, 10, 31, 23, 30)]
    ts += ny_session(date(2025, 11, 3))
    bars = walk_bars(ts)
    daily = build(bars, "1d", NY_ALL_DAY, now=FAR_FUTURE).bars
    assert daily.ts.tolist() == [utc(2025, 10, 31), utc(2025, 11, 3)]
    assert daily.close[0] == bars.close[390]
    assert_matches(daily, naive(bars, lambda t: datetime.fromtimestamp(
        t, ZoneInfo("America/New_York")).date()))
    # In the regular session the 19:30 post-market bar is left out of the day.
    regular = build(bars, "1d", NY, now=FAR_FUTURE).bars
    assert regular.close[0] == bars.close[389]
    assert regular.volume.sum() == bars.volume.sum() - bars.volume[390]


def test_an_early_close_and_a_holiday_of_the_session_shape_the_buckets():
    # Fri 28 Nov 2025 closes at 13:00 New York; Thu 27 Nov is a holiday (bars there are stray).
    day_after = Session("America/New_York", clock_time(9, 30), clock_time(16, 0),
                        holidays=frozenset({date(2025, 11, 27)}),
                        early_closes=((date(2025, 11, 28), clock_time(13, 0)),), name="US")
    bars = walk_bars(ny_session(date(2025, 11, 27), minutes=60) + ny_session(date(2025, 11, 28)))
    hours = build(bars, "1h", day_after, now=FAR_FUTURE).bars
    stamps = [datetime.fromtimestamp(int(t), UTC).strftime("%d %H:%M") for t in hours.ts]
    assert stamps == ["28 14:30", "28 15:30", "28 16:30", "28 17:30"]  # 09:30 ... 12:30 local
    assert hours.close[-1] == bars.close[60 + 210 - 1]  # the 12:59 bar closes the day
    # The early close ends the day: its last bucket is complete at 13:00 New York.
    part = bars[: 60 + 200]
    assert not build(part, "1d", day_after, now=utc(2025, 11, 28, 18) - 1).last_complete
    assert build(part, "1d", day_after, now=utc(2025, 11, 28, 18)).last_complete


# ------------------------------------------------------------------------ weeks and months


def daily_bars(start: date, days: int, timeframe: str = "1d") -> Bars:
    every = [start + timedelta(days=i) for i in range(days)]
    sessions = [d for d in every if d.weekday() < 5]
    return walk_bars([utc(d.year, d.month, d.day) for d in sessions], timeframe=timeframe)


def test_weeks_are_iso_weeks_stamped_on_their_last_session():
    bars = daily_bars(date(2025, 12, 1), 45)  # through the turn of the year
    weeks = build(bars, "1w", now=FAR_FUTURE).bars
    day = lambda t: datetime.fromtimestamp(t, UTC).date()  # noqa: E731
    assert_matches(weeks, naive(bars, lambda t: day(t).isocalendar()[:2]))
    assert [day(int(t)).weekday() for t in weeks.ts[:-1]] == [4] * (len(weeks) - 1)
    assert day(int(weeks.ts[-1])) == date(2026, 1, 14)  # the partial last week: a Wednesday
    assert date(2026, 1, 2) in [day(int(t)) for t in weeks.ts]  # 29 Dec - 2 Jan is one week


def test_months_are_calendar_months_stamped_on_their_last_session():
    bars = daily_bars(date(2024, 1, 1), 400)
    months = build(bars, "1M", now=FAR_FUTURE).bars
    day = lambda t: datetime.fromtimestamp(t, UTC).date()  # noqa: E731
    assert_matches(months, naive(bars, lambda t: (day(t).year, day(t).month)))
    assert months.timeframe == "1M"
    assert day(int(months.ts[1])) == date(2024, 2, 29)  # the leap day, a Thursday


@pytest.mark.shared_data
@pytest.mark.parametrize(("interval", "stored"), [("1w", "2006-week-001.txt"),
                                                  ("1M", "2006-month-001.txt")])
def test_stored_weekly_and_monthly_files_are_rebuilt_bar_for_bar(market_data_dir: Path,
                                                                 interval, stored):
    # market_data_dir skips, naming the path, where ../shared is absent (and fails in CI).
    daily = read_csv_bars(market_data_dir / "2006-day-001.txt")
    expected = read_csv_bars(market_data_dir / stored)
    built = build(daily, interval, now=FAR_FUTURE).bars
    assert len(built) == len(expected) > 0
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(built, name), getattr(expected, name), name)


# -------------------------------------------------------------------------- the forming bar


def test_the_last_bucket_is_forming_until_the_clock_passes_its_end():
    bars = walk_bars(ny_session(date(2025, 11, 3), minutes=100))  # 09:30-11:10 New York
    end_of_hour = utc(2025, 11, 3, 16, 30)  # 11:30 New York
    assert not build(bars, "1h", NY, now=end_of_hour - 1).last_complete
    assert build(bars, "1h", NY, now=end_of_hour).last_complete
    day_end = utc(2025, 11, 3, 21)  # the 16:00 New York close
    assert not build(bars, "1d", NY, now=day_end - 1).last_complete
    assert build(bars, "1d", NY, now=day_end).last_complete


def test_a_week_is_forming_until_its_last_trading_day_is_over():
    bars = daily_bars(date(2025, 12, 1), 10)  # Mon 1 Dec .. Wed 10 Dec
    after_friday = utc(2025, 12, 13)  # daily bars: the day after Fri 12 Dec, 00:00 UTC
    assert not build(bars, "1w", NY, now=after_friday - 1).last_complete
    assert build(bars, "1w", NY, now=after_friday).last_complete
    assert build(bars, "1M", now=utc(2026, 1, 1)).last_complete
    assert not build(bars, "1M", now=utc(2026, 1, 1) - 1).last_complete


# ---------------------------------------------------------------------------------- refusals


def test_impossible_builds_are_refused_with_both_intervals_named():
    bars = walk_bars(ny_session(date(2025, 11, 3)), timeframe="5m")
    with pytest.raises(ValueError, match=r"cannot build 1m bars from 5m bars"):
        build(bars, "1m", NY, now=0)
    with pytest.raises(ValueError, match=r"cannot build 1w bars from 5m bars \(from 1d\)"):
        build(bars, "1w", NY, now=0)


def test_empty_bars_build_empty_bars():
    built = build(Bars.empty(symbol="X.US", timeframe="1d"), "1w", now=0)
    assert len(built.bars) == 0 and built.last_complete and built.interval == "1w"
