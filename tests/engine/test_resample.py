"""engine.resample against a slow, obvious pandas twin for every rule (random minute bars across
both US DST changes, a holiday and an early close), the stored weekly/monthly files rebuilt bar for
bar, the forming last bucket, and the refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from drummond_desktop.feeds.csv_bars import read_csv_bars
from engine.bars import FIELDS, Bars
from engine.resample import INTRADAY_RULES, RULES, SESSIONS, Session, resample, zone_transitions
from tests.synthetic import walk_bars

NY = "America/New_York"
THANKSGIVING = date(2025, 11, 27)
US = Session(NY, time(9, 30), time(16, 0), holidays=frozenset({THANKSGIVING}),
             early_closes=((date(2025, 11, 28), time(13, 0)),), name="US test")
FAR_FUTURE = 4_102_444_800.0  # 2100-01-01


def utc(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())


def minutes_around_dst(seed: int = 7) -> Bars:
    """Every minute (pre/post market and weekends included) over 3-14 March 2025 (DST starts
    9 March) and 27 October - 2 December 2025 (DST ends 2 November; Thanksgiving and its early
    close), with 60% of the minutes missing at random."""
    ts = np.r_[np.arange(utc(2025, 3, 3), utc(2025, 3, 15), 60),
               np.arange(utc(2025, 10, 27), utc(2025, 12, 3), 60)].astype(np.int64)
    keep = np.random.default_rng(seed).random(ts.shape[0]) > 0.6
    return walk_bars(ts[keep], seed)


# --------------------------------------------------------------------------- the pandas twin
def twin(bars: Bars, rule: str, sess: Session, keep_outside: bool = False) -> pd.DataFrame:
    """Group with pandas on keys computed bar by bar from the local wall clock: an intraday
    bucket is a step of the grid through the local open; its UTC start is taken with the
    offset in force at the bar. A bar whose bucket would start before the previous kept bar's
    (a clock change in the night, with ``keep_outside``) joins that bar's bucket."""
    zone = ZoneInfo(sess.tz)
    early = dict(sess.early_closes)
    inside, keys, days = [], [], []
    for t in bars.ts.tolist():
        wall = datetime.fromtimestamp(t, zone).replace(tzinfo=None)
        d = wall.date()
        trading = d.weekday() in sess.weekdays and d not in sess.holidays
        round_the_clock = sess.close == sess.open
        inside.append(keep_outside or (trading and (round_the_clock or (
            sess.open <= wall.time() < early.get(d, sess.close)))))
        if rule in INTRADAY_RULES:
            width = timedelta(seconds=INTRADAY_RULES[rule])
            opened = datetime.combine(d, sess.open)
            start = opened + (wall - opened) // width * width
            keys.append(t - int((wall - start).total_seconds()))
        else:
            period = {"1d": "D", "1w": "W-SUN", "1mo": "M", "1q": "Q", "1y": "Y"}[rule]
            first = pd.Period(d, period).start_time.date()
            keys.append((first - date(1970, 1, 1)).days * 86_400)
        days.append((d - date(1970, 1, 1)).days * 86_400)
    df = pd.DataFrame({f: getattr(bars, f) for f in FIELDS[1:]})
    df["key"], df["day"] = keys, days
    df = df[np.array(inside)]
    df["key"] = df["key"].cummax()
    return df.groupby("key", sort=True).agg(
        open=("open", "first"), high=("high", "max"), low=("low", "min"),
        close=("close", "last"), volume=("volume", "sum"), last_day=("day", "last"))


def assert_same(got: Bars, start: np.ndarray, want: pd.DataFrame, rule: str) -> None:
    assert len(got) == len(want) > 0, rule
    np.testing.assert_array_equal(start, want.index.to_numpy().astype(np.int64), rule)
    for f in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(getattr(got, f), want[f].to_numpy(), f"{rule} {f}")
    np.testing.assert_allclose(got.volume, want["volume"].to_numpy(), rtol=1e-12,
                               err_msg=f"{rule} volume")
    if rule in ("1w", "1mo", "1q", "1y"):  # stamped with the last session's date
        np.testing.assert_array_equal(got.ts, want["last_day"].to_numpy().astype(np.int64))
    else:  # stamped with the bucket's start
        np.testing.assert_array_equal(got.ts, start)


@pytest.fixture(scope="module")
def minutes() -> Bars:
    return minutes_around_dst()


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_matches_the_twin_across_dst_holiday_and_early_close(minutes, rule):
    res = resample(minutes, rule, session=US)
    assert res.bars.timeframe == rule and res.rule == rule
    assert (minutes.open[res.first_index] == res.bars.open).all()
    assert_same(res.bars, res.period_start, twin(minutes, rule, US), rule)


@pytest.mark.parametrize("rule", ["5m", "1h", "4h", "1d", "1w"])
def test_keep_outside_keeps_pre_and_post_market_on_the_same_grid(minutes, rule):
    res = resample(minutes, rule, session=US, keep_outside=True)
    assert res.bars.volume.sum() == pytest.approx(minutes.volume.sum(), rel=1e-12)
    assert_same(res.bars, res.period_start, twin(minutes, rule, US, keep_outside=True), rule)


@pytest.mark.parametrize("rule", ["5m", "15m", "30m", "1h", "2h", "4h", "1d"])
def test_round_the_clock_utc_equals_pandas_resample(rule):
    ts = np.arange(utc(2024, 2, 27), utc(2024, 3, 4), 60, dtype=np.int64)  # a leap day
    keep = np.random.default_rng(3).random(ts.shape[0]) > 0.1
    bars = walk_bars(ts[keep], 3, symbol="BTC-USD.CC")
    res = resample(bars, rule)  # CRYPTO from the symbol's suffix
    df = pd.DataFrame({f: getattr(bars, f) for f in FIELDS[1:]},
                      index=pd.to_datetime(bars.ts, unit="s"))
    freq = {"m": "min", "h": "h", "d": "D"}[rule[-1]]
    want = df.resample(f"{rule[:-1]}{freq}").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
    want = want[want["open"].notna()]
    want.index = (want.index - pd.Timestamp(0)) // pd.Timedelta(seconds=1)
    assert_same(res.bars, res.period_start, want, rule)


def test_hour_buckets_start_at_the_new_york_open_in_summer_and_winter(minutes):
    hours = resample(minutes, "1h", session=US).bars
    first_of_day = {datetime.fromtimestamp(int(t), UTC).date(): int(t) for t in hours.ts[::-1]}
    assert first_of_day[date(2025, 3, 7)] == utc(2025, 3, 7, 14, 30)  # EST
    assert first_of_day[date(2025, 3, 10)] == utc(2025, 3, 10, 13, 30)  # EDT
    assert first_of_day[date(2025, 10, 31)] == utc(2025, 10, 31, 13, 30)
    assert first_of_day[date(2025, 11, 3)] == utc(2025, 11, 3, 14, 30)
    assert date(2025, 11, 27) not in first_of_day  # the holiday
    assert not any(date(2025, 3, 8) == k for k in first_of_day)  # a Saturday


def test_the_early_close_ends_the_day_and_its_last_bucket():
    day = np.arange(utc(2025, 11, 28, 14, 30), utc(2025, 11, 28, 21), 60, dtype=np.int64)
    bars = walk_bars(day)
    close = utc(2025, 11, 28, 18)  # 13:00 New York
    for rule in ("4h", "1d"):
        res = resample(bars, rule, session=US, now=close - 1)
        assert not res.last_complete and res.complete[:-1].all()
        assert resample(bars, rule, session=US, now=close).last_complete
    hours = resample(bars, "1h", session=US).bars
    assert hours.ts[-1] == utc(2025, 11, 28, 17, 30) and int(hours.volume.sum()) == int(
        bars.volume[day < close].sum())


# --------------------------------------------------------------------- the forming last bar
def test_the_last_bucket_is_forming_until_its_period_ends():
    bars = walk_bars(np.arange(utc(2025, 11, 3, 14, 30), utc(2025, 11, 3, 16, 10), 60,
                                 dtype=np.int64))  # 09:30-11:09 New York
    res = resample(bars, "1h", session=US)  # the data's clock: 11:10, before 11:30
    assert res.complete.tolist() == [True, False] and not res.last_complete
    assert not resample(bars, "1h", session=US, now=utc(2025, 11, 3, 16, 30) - 1).last_complete
    assert resample(bars, "1h", session=US, now=utc(2025, 11, 3, 16, 30)).last_complete
    assert not resample(bars, "1d", session=US, now=utc(2025, 11, 3, 21) - 1).last_complete
    assert resample(bars, "1d", session=US, now=utc(2025, 11, 3, 21)).last_complete
    whole = walk_bars(np.arange(utc(2025, 11, 3, 14, 30), utc(2025, 11, 3, 21), 60,
                                  dtype=np.int64))
    assert resample(whole, "1d", session=US).last_complete  # the last minute ends at 16:00
    # Kept post-market bars: the 13:30 New York 4h bucket runs to 17:30, past the close.
    late = walk_bars(np.arange(utc(2025, 11, 3, 18, 30), utc(2025, 11, 3, 21, 30), 60,
                                 dtype=np.int64))
    kept = resample(late, "4h", session=US, keep_outside=True, now=utc(2025, 11, 3, 22))
    assert kept.period_start.tolist() == [utc(2025, 11, 3, 18, 30)] and not kept.last_complete
    assert resample(late, "4h", session=US, keep_outside=True,
                    now=utc(2025, 11, 3, 22, 30)).last_complete
    assert resample(late, "4h", session=US, now=utc(2025, 11, 3, 21)).last_complete


def test_a_week_from_daily_bars_ends_with_its_last_trading_day():
    days = [date(2025, 12, d) for d in (1, 2, 3, 4, 5, 8, 9, 10, 11, 12)]
    bars = walk_bars(np.array([utc(d.year, d.month, d.day) for d in days]), timeframe="1d")
    assert resample(bars, "1w", session=SESSIONS["US"]).last_complete  # ends Fri 12 Dec
    assert not resample(bars, "1w", session=SESSIONS["CRYPTO"]).last_complete  # Sunday
    assert resample(bars, "1w", session=SESSIONS["CRYPTO"], now=utc(2025, 12, 15)).last_complete
    assert not resample(bars, "1mo", session=SESSIONS["US"]).last_complete
    assert resample(bars, "1mo", session=SESSIONS["US"], now=utc(2026, 1, 1)).last_complete
    assert resample(bars, "1w", session=SESSIONS["US"]).complete.all()


# ------------------------------------------------------------------- stored weekly/monthly
@pytest.mark.shared_data
@pytest.mark.parametrize(("rule", "stored"), [("1w", "2006-week-001.txt"),
                                              ("1mo", "2006-month-001.txt")])
def test_stored_weekly_and_monthly_files_are_rebuilt_bar_for_bar(market_data_dir: Path, rule,
                                                                 stored):
    # market_data_dir skips, naming the path, where ../shared is absent (and fails in CI).
    daily = read_csv_bars(market_data_dir / "2006-day-001.txt")
    expected = read_csv_bars(market_data_dir / stored)
    built = resample(daily, rule, now=FAR_FUTURE).bars
    assert len(built) == len(expected) > 0
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(built, name), getattr(expected, name), name)


# --------------------------------------------------------------------------------- refusals
def test_unknown_rules_unsorted_and_mixed_inputs_are_named(minutes):
    with pytest.raises(ValueError, match=r"unknown resample rule '3m'"):
        resample(minutes, "3m")
    sorted_ts = minutes.ts[:10]
    raw = dict(ts=sorted_ts[[0, 2, 1, *range(3, 10)]], open=minutes.open[:10],
               high=minutes.high[:10], low=minutes.low[:10], close=minutes.close[:10],
               volume=minutes.volume[:10])
    unsorted = Bars(**raw, timeframe="1m", _validated=True)  # bypasses Bars' own check
    with pytest.raises(ValueError, match=r"resample 1h: timestamps must be sorted.*bar 2"):
        resample(unsorted, "1h")
    mixed = walk_bars(np.r_[sorted_ts[:5], sorted_ts[5] + 30], timeframe="1m")
    with pytest.raises(ValueError, match=r"resample 5m: mixed input timeframes: bar 5"):
        resample(mixed, "5m")
    days = walk_bars(np.array([utc(2025, 1, 6), utc(2025, 1, 7), utc(2025, 1, 7, 15)]))
    with pytest.raises(ValueError, match=r"resample 1w: mixed input timeframes: bar 2"):
        resample(days.__class__.from_arrays(days.ts, days.open, days.high, days.low,
                                            days.close, timeframe="1d"), "1w")
    off_midnight = walk_bars(np.array([utc(2025, 1, 6, 5), utc(2025, 1, 7, 5)]),
                               timeframe="1d")
    with pytest.raises(ValueError, match=r"resample 1w: mixed input timeframes: bar 0"):
        resample(off_midnight, "1w")
    with pytest.raises(ValueError, match=r"cannot build 1h bars from 1d bars"):
        resample(walk_bars(np.array([utc(2025, 1, 6)]), timeframe="1d"), "1h")
    with pytest.raises(ValueError, match=r"cannot build 5m bars from 1h bars"):
        resample(walk_bars(np.array([utc(2025, 1, 6, 15)]), timeframe="1h"), "5m")


def test_bad_sessions_are_named():
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        Session("Mars/Olympus", time(9), time(17))
    with pytest.raises(ValueError, match="sessions across midnight"):
        Session("UTC", time(18), time(17))
    with pytest.raises(ValueError, match="early close 18:00:00 on 2025-01-02"):
        Session(NY, time(9, 30), time(16), early_closes=((date(2025, 1, 2), time(18)),))


def test_empty_bars_give_empty_bars():
    res = resample(Bars.empty(symbol="X.US", timeframe="1m"), "1h")
    assert len(res.bars) == 0 and res.last_complete and res.bars.timeframe == "1h"


def test_zone_transitions_match_zoneinfo_to_the_second():
    starts, offs = zone_transitions(NY, utc(2025, 1, 1), utc(2025, 12, 31))
    assert starts[1:].tolist() == [utc(2025, 3, 9, 7), utc(2025, 11, 2, 6)]
    assert offs.tolist() == [-5 * 3600, -4 * 3600, -5 * 3600]


def test_the_benchmark_runs_and_agrees_with_pandas():
    # --smoke: 1e5 bars, one repeat, writes nothing; its check_equal against pandas must hold.
    # The timings are the benchmark's business and are never asserted here.
    from benchmarks.bench_resample import RESULTS, main

    before = RESULTS.stat().st_mtime_ns if RESULTS.exists() else None
    res = main(["--smoke"])
    assert [r["rule"] for r in res["rows"]] == ["5m", "1h", "1d"]
    assert [r["out_bars"] for r in res["rows"]] == [20_000, 1_667, 70]
    assert (RESULTS.stat().st_mtime_ns if RESULTS.exists() else None) == before
