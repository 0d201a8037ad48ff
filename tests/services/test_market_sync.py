"""MarketSyncService against a real SQLite store and the EODHD client over MockTransport."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from drummond_desktop.services.market_sync import SyncRequest
from tests.services.vendor import daily_rows, intraday_rows

NOW_TS = 1_767_225_600  # 2026-01-01 00:00 UTC (the fake clock's start)


def test_first_sync_fetches_the_whole_history_and_stores_it(sync, store, vendor):
    vendor.daily["AAPL.US"] = daily_rows(date(2024, 1, 1), 300)
    vendor.splits["AAPL.US"] = [{"date": "2024-06-03", "split": "2.000000/1.000000"}]
    report = sync.sync(SyncRequest(("AAPL.US",)))
    assert report.ok, report
    r = report.results[0]
    assert (r.received, r.inserted, r.updated, r.full_refetch) == (300, 300, 0, False)
    assert vendor.asked("eod", "AAPL.US") == [{"fmt": "json", "period": "d", "order": "a"}]
    bars = store.bars.load("AAPL.US", "1d")
    assert len(bars) == 300 and bars.close[-1] == vendor.daily["AAPL.US"][-1]["close"]
    assert [s.ratio for s in store.actions.splits("AAPL.US")] == [2.0]
    cp = store.checkpoints.get("AAPL.US", "1d")
    assert cp.status == "ok" and cp.last_ts == int(bars.ts[-1]) and cp.last_full_fetch


def test_resync_asks_only_for_the_gap_with_a_small_overlap(sync, store, vendor):
    rows = daily_rows(date(2024, 1, 1), 320)
    vendor.daily["MSFT.US"] = rows[:300]
    sync.sync(SyncRequest(("MSFT.US",)))
    vendor.daily["MSFT.US"] = rows  # 20 new sessions since
    vendor.log.clear()
    report = sync.sync(SyncRequest(("MSFT.US",)))
    (asked,) = vendor.asked("eod", "MSFT.US")
    last_stored = date.fromisoformat(rows[299]["date"])
    assert (last_stored - date.fromisoformat(asked["from"])).days == 7  # a few bars of overlap
    r = report.results[0]
    assert (r.inserted, r.updated) == (20, 0) and len(store.bars.load("MSFT.US", "1d")) == 320


def test_vendor_correction_in_the_overlap_is_stored(sync, store, vendor):
    rows = daily_rows(date(2024, 1, 1), 100)
    vendor.daily["X.US"] = rows
    sync.sync(SyncRequest(("X.US",)))
    fixed = dict(rows[-1], close=rows[-1]["close"] + 0.01,
                 high=max(rows[-1]["high"], rows[-1]["close"] + 0.01))
    vendor.daily["X.US"] = [*rows[:-1], fixed]
    report = sync.sync(SyncRequest(("X.US",)))
    assert report.results[0].updated == 1
    assert store.bars.load("X.US", "1d").close[-1] == fixed["close"]


def test_a_new_split_triggers_one_full_refetch(sync, store, vendor):
    vendor.daily["T.US"] = daily_rows(date(2024, 1, 1), 200)
    sync.sync(SyncRequest(("T.US",)))
    vendor.splits["T.US"] = [{"date": "2024-09-02", "split": "3.000000/1.000000"}]
    vendor.log.clear()
    report = sync.sync(SyncRequest(("T.US",)))
    assert report.results[0].full_refetch
    # no "from": the whole history again
    assert vendor.asked("eod", "T.US") == [{"fmt": "json", "period": "d", "order": "a"}]
    vendor.log.clear()
    assert not sync.sync(SyncRequest(("T.US",))).results[0].full_refetch  # once only
    assert "from" in vendor.asked("eod", "T.US")[0]


def test_one_failing_symbol_does_not_stop_the_others(sync, store, vendor):
    vendor.daily["GOOD.US"] = daily_rows(date(2024, 1, 1), 50)
    vendor.status["GONE.US"] = 404
    report = sync.sync(SyncRequest(("GONE.US", "GOOD.US")))
    assert [r.ok for r in report.results] == [False, True]
    assert report.failed[0].symbol == "GONE.US" and report.failed[0].error
    assert store.checkpoints.get("GONE.US", "1d").status == "error"


def test_bad_data_writes_nothing(sync, store, vendor):
    rows = daily_rows(date(2024, 1, 1), 60)
    vendor.daily["B.US"] = rows[:50]
    sync.sync(SyncRequest(("B.US",)))
    before = store.bars.load("B.US", "1d")
    broken = dict(rows[55], high=rows[55]["low"] - 1)  # high < low
    vendor.daily["B.US"] = [*rows[:55], broken, *rows[56:]]
    report = sync.sync(SyncRequest(("B.US",)))
    assert not report.ok and "high" in report.results[0].error.lower()
    after = store.bars.load("B.US", "1d")
    assert len(after) == len(before) and (after.close == before.close).all()


def test_quota_stops_the_job_and_the_rerun_resumes_without_asking_again(sync, store, vendor):
    for s in ("A.US", "B.US", "C.US"):
        vendor.daily[s] = daily_rows(date(2024, 1, 1), 30)
    vendor.status["B.US"] = 402
    report = sync.sync(SyncRequest(("A.US", "B.US", "C.US")))
    assert [r.ok for r in report.results] == [True, False, False]
    assert "not synced" in report.results[2].error
    del vendor.status["B.US"]
    vendor.log.clear()
    report = sync.sync(SyncRequest(("A.US", "B.US", "C.US")))
    assert report.results[0].resumed and vendor.asked("eod", "A.US") == []


def test_intraday_sync_goes_window_by_window_and_resumes_from_the_checkpoint(sync, store,
                                                                            vendor):
    start = NOW_TS - 10 * 86_400
    vendor.intraday["I.US"] = intraday_rows(start, 2_000, 300)
    report = sync.sync(SyncRequest(("I.US",), "5m", start=date(2025, 12, 22)))
    assert report.ok and report.results[0].inserted == 2_000
    assert len(store.bars.load("I.US", "5m")) == 2_000
    vendor.log.clear()
    report = sync.sync(SyncRequest(("I.US",), "5m"))
    (asked,) = vendor.asked("intraday", "I.US")
    last = vendor.intraday["I.US"][-1]["timestamp"]
    assert int(asked["from"]) == last - 5 * 300 and asked["interval"] == "5m"
    assert report.results[0].inserted == 0


@pytest.mark.parametrize("bad", [dict(symbols=()), dict(interval="2h"),
                                 dict(start=date(2025, 2, 1), end=date(2025, 1, 1))])
def test_bad_requests(bad):
    kw = dict(symbols=("A.US",)) | bad
    with pytest.raises(ValueError):
        SyncRequest(**kw)


def test_the_exchange_calendar_is_stored_once(sync, store, vendor):
    from tests.feeds.fakes import EXAMPLES

    vendor.exchanges["US"] = EXAMPLES["exchange_details"]
    for s in ("A.US", "B.US"):
        vendor.daily[s] = daily_rows(date(2024, 1, 1), 20)
    assert sync.sync(SyncRequest(("A.US", "B.US"))).ok
    assert len(vendor.asked("exchange-details", "US")) == 1  # once for both symbols
    hours = store.calendar.hours("US")
    assert hours is not None and hours.open_local.startswith("09:30")
    assert store.exchanges.get("US").timezone == "America/New_York"
    assert any(h.name == "Juneteenth Holiday" for h in store.calendar.holidays("US"))
    vendor.log.clear()
    assert sync.sync(SyncRequest(("A.US",))).ok
    assert vendor.asked("exchange-details", "US") == []  # stored: not asked again


def test_a_plan_without_exchange_details_does_not_fail_the_sync(sync, store, vendor):
    vendor.daily["C.TO"] = daily_rows(date(2024, 1, 1), 20)  # no details for TO: a 404
    assert sync.sync(SyncRequest(("C.TO",))).ok
    assert store.calendar.hours("TO") is None


def test_soft_anomalies_are_stored_as_flags_beside_the_bars(sync, store, vendor):
    rows = daily_rows(date(2024, 1, 1), 40)
    rows[10] = dict(rows[10], volume=0)  # zero volume: stored, and flagged
    rows[20:] = [dict(r, date=(date.fromisoformat(r["date"]) + timedelta(days=14)).isoformat())
                 for r in rows[20:]]  # a two-week hole in the history: a gap
    vendor.daily["F.US"] = rows
    report = sync.sync(SyncRequest(("F.US",)))
    assert report.ok and len(store.bars.load("F.US", "1d")) == 40  # nothing rejected
    flags = store.flags.list("F.US", "1d")
    kinds = {f.kind for f in flags}
    assert {"zero_volume", "gap"} <= kinds
    zero = next(f for f in flags if f.kind == "zero_volume")
    assert zero.ts == int(store.bars.load("F.US", "1d").ts[10])
    assert store.flags.counts()[("F.US", "1d")] == len(flags)
    sync.sync(SyncRequest(("F.US",)))  # the overlap re-delivers flagged bars: no duplicates
    assert len(store.flags.list("F.US", "1d")) == len(flags)
