"""Every endpoint parses its OpenAPI example, sends fmt=json and the key, and prices its calls."""

from __future__ import annotations

import copy
import re
from datetime import date, time

import httpx
import numpy as np
import pytest

from drummond_desktop.feeds.eodhd import (
    DEFAULT_BASE_URL,
    INTRADAY_MAX_DAYS,
    base_url_from_env,
    build_client,
    intraday_windows,
)
from drummond_desktop.feeds.errors import BadData, FeedError
from tests.conftest import SHARED
from tests.feeds.fakes import EXAMPLES, KEY, ok

DAY = 86_400


def _one(rig_):
    assert len(rig_.server.sent) == 1
    sent = rig_.server.sent[0]
    assert sent.params["fmt"] == "json"
    assert sent.params["api_token"] == KEY
    return sent


def test_eod_parses_the_example_into_raw_bars(make_rig):
    r = make_rig([ok(EXAMPLES["eod"])])
    result = r.client.eod("AAPL.US", start=date(2022, 1, 3), end=date(2022, 1, 4))
    sent = _one(r)
    assert sent.path == "/api/eod/AAPL.US"
    assert sent.params | {"api_token": "", "fmt": ""} == {
        "from": "2022-01-03", "to": "2022-01-04", "period": "d", "order": "a",
        "api_token": "", "fmt": ""}
    bars = result.bars
    assert (bars.symbol, bars.timeframe, len(bars)) == ("AAPL.US", "1d", 2)
    assert bars.ts.tolist() == [1641168000, 1641254400]  # session dates at 00:00 UTC
    assert bars.close.tolist() == [182.01, 179.7]  # raw close, never adjusted_close
    assert bars.volume.tolist() == [104487900.0, 99310400.0]
    assert result.adjusted_close is not None
    assert result.adjusted_close.tolist() == [179.2736, 176.9984]
    assert result.anomalies == ()
    assert [(x.endpoint, x.symbol, x.cost, x.status, x.ok) for x in r.ledger] == [
        ("eod", "AAPL.US", 1, 200, True)]
    assert r.ledger[0].bytes == len(httpx.Response(200, json=EXAMPLES["eod"]).content)


def test_eod_examples_md_weekly_and_empty(make_rig):
    r = make_rig([ok(EXAMPLES["eod_examples_md"]), ok([])])
    weekly = r.client.eod("MSFT.US", period="w")
    assert weekly.bars.timeframe == "1w" and len(weekly.bars) == 2
    assert "from" not in r.server.sent[0].params and r.server.sent[0].params["period"] == "w"
    empty = r.client.eod("MSFT.US", start=date(2024, 12, 25), end=date(2024, 12, 25))
    assert len(empty.bars) == 0 and empty.anomalies == ()


def test_eod_keeps_a_free_plan_warning_field_out_of_the_bars(make_rig):
    rows = copy.deepcopy(EXAMPLES["eod"])
    rows[0]["warning"] = "Data is limited by one year as you have free subscription"
    r = make_rig([ok(rows)])
    assert len(r.client.eod("AAPL.US").bars) == 2


def test_eod_soft_anomalies_are_flagged_not_raised(make_rig):
    rows = [
        {"date": "2024-01-02", "open": 10, "high": 11, "low": 9, "close": 10, "volume": 5},
        {"date": "2024-01-03", "open": 10, "high": 11, "low": 9, "close": 10.5, "volume": 0},
        {"date": "2024-01-12", "open": 10, "high": 21, "low": 9, "close": 20, "volume": 7},
    ]
    result = make_rig([ok(rows)]).client.eod("X.US")
    kinds = {a.kind: a.ts.tolist() for a in result.anomalies}
    jan = lambda d: (date(2024, 1, d) - date(1970, 1, 1)).days * DAY  # noqa: E731
    assert kinds == {"gap": [jan(12)], "zero_volume": [jan(3)], "big_move": [jan(12)]}
    assert len(result.bars) == 3


def test_intraday_parses_the_example(make_rig):
    r = make_rig([ok(EXAMPLES["intraday"])])
    result = r.client.intraday("AAPL.US", "5m", start=1628875800, end=1628877000)
    sent = _one(r)
    assert sent.path == "/api/intraday/AAPL.US"
    assert (sent.params["interval"], sent.params["from"], sent.params["to"]) == (
        "5m", "1628875800", "1628877000")
    assert result.bars.ts.tolist() == [1628876100, 1628876400]
    assert result.bars.timeframe == "5m" and result.adjusted_close is None
    assert r.ledger[0].cost == 5


def test_intraday_null_volume_becomes_zero_and_is_flagged(make_rig):
    rows = copy.deepcopy(EXAMPLES["intraday"])
    rows[1]["volume"] = None
    result = make_rig([ok(rows)]).client.intraday("AAPL.US", "5m", start=1628875800,
                                                  end=1628877000)
    assert result.bars.volume.tolist() == [416405.0, 0.0]
    assert {a.kind: a.ts.tolist() for a in result.anomalies} == {
        "missing_volume": [1628876400]}


@pytest.mark.parametrize("interval,days,expected", [
    ("1m", 365, 4), ("1m", 120, 1), ("1m", 121, 2), ("1m", 22 * 365, 67),
    ("5m", 1000, 2), ("5m", 600, 1), ("1h", 7200, 1), ("1h", 7201, 2),
])
def test_intraday_windows_respect_the_per_request_limit(interval, days, expected):
    start = 1_600_000_000
    end = start + days * DAY
    windows = intraday_windows(interval, start, end)
    assert len(windows) == expected
    assert windows[0][0] == start and windows[-1][1] == end
    limit = INTRADAY_MAX_DAYS[interval] * DAY
    for (lo, hi), nxt in zip(windows, [*windows[1:], None], strict=True):
        assert 0 <= hi - lo <= limit
        if nxt is not None:
            assert nxt[0] == hi  # abutting: the boundary second is asked twice, never skipped


def test_intraday_windows_reject_bad_arguments():
    with pytest.raises(ValueError, match="interval"):
        intraday_windows("1d", 0, 10)
    with pytest.raises(ValueError, match="before start"):
        intraday_windows("1m", 10, 0)
    assert intraday_windows("1m", 5, 5) == [(5, 5)]


def _minute_bars(request: httpx.Request) -> httpx.Response:
    """Bars every 6 hours inside the requested window, boundaries included."""
    lo, hi = int(request.url.params["from"]), int(request.url.params["to"])
    first = -(-lo // 21_600) * 21_600
    rows = [{"timestamp": t, "gmtoffset": 0, "datetime": "", "open": 10.0, "high": 11.0,
             "low": 9.0, "close": 10.0 + (t % 7) / 10, "volume": 100}
            for t in range(first, hi + 1, 21_600)]
    return ok(rows)


def test_intraday_long_range_is_split_concatenated_and_deduplicated(make_rig):
    start = 1_600_000_000 - 1_600_000_000 % 21_600  # window bounds land on bar times
    end = start + 250 * DAY
    r = make_rig([_minute_bars])
    result = r.client.intraday("AAPL.US", "1m", start=start, end=end)
    bounds = [(int(s.params["from"]), int(s.params["to"])) for s in r.server.sent]
    assert bounds == intraday_windows("1m", start, end) and len(bounds) == 3
    expected = np.arange(start, end + 1, 21_600)
    assert result.bars.ts.tolist() == expected.tolist()  # the 2 shared boundary bars once
    assert sum(x.cost for x in r.ledger) == 15


def test_intraday_windows_that_disagree_on_the_boundary_bar_fail_whole(make_rig):
    start = 1_600_000_000 - 1_600_000_000 % 21_600
    calls = []

    def disagree(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        response = _minute_bars(request)
        rows = response.json()
        if len(calls) == 2:
            rows[0]["close"] = 10.9  # the boundary bar differs from window 1's copy
        return ok(rows)

    r = make_rig([disagree])
    with pytest.raises(BadData, match="conflicting duplicate date between request windows"):
        r.client.intraday("AAPL.US", "1m", start=start, end=start + 200 * DAY)


def test_intraday_stops_between_windows_when_cancelled(make_rig):
    from drummond_desktop.core.errors import Cancelled
    from drummond_desktop.core.tasks import CancelToken

    token = CancelToken()
    r = make_rig([lambda req: (token.cancel(), _minute_bars(req))[1]])
    with pytest.raises(Cancelled):
        r.client.intraday("AAPL.US", "1m", start=1_600_000_000, end=1_600_000_000 + 300 * DAY,
                          cancel=token)
    assert len(r.server.sent) == 1


def test_real_time_single_and_multiple(make_rig):
    r = make_rig([ok(EXAMPLES["real_time_single"]), ok(EXAMPLES["real_time_multi"])])
    q = r.client.quote("AAPL.US")
    assert (q.code, q.ts, q.close, q.previous_close, q.change_pct) == (
        "AAPL.US", 1729888080, 231.41, 230.57, 0.3643)
    many = r.client.quotes(["AAPL.US", "VTI.US", "EUR.FOREX"])
    assert [x.code for x in many] == ["AAPL.US", "VTI.US", "EUR.FOREX"]
    assert r.server.sent[1].path == "/api/real-time/AAPL.US"
    assert r.server.sent[1].params["s"] == "VTI.US,EUR.FOREX"
    assert [x.cost for x in r.ledger] == [1, 3]


def test_real_time_na_fields_and_wrong_symbol(make_rig):
    na = dict(EXAMPLES["real_time_single"], open="NA", high="NA", low="NA", close="NA",
              timestamp="NA", change="NA", change_p="NA", previousClose="NA")
    r = make_rig([ok(na), ok(EXAMPLES["real_time_single"])])
    q = r.client.quote("AAPL.US")
    assert (q.ts, q.open, q.close, q.change) == (None, None, None, None)
    with pytest.raises(BadData, match="wrong symbol"):
        r.client.quote("MSFT.US")


def test_bulk_last_day_eod_splits_and_dividends(make_rig):
    r = make_rig([ok(EXAMPLES["bulk_eod"]), ok(EXAMPLES["bulk_eod_extended"]),
                  ok(EXAMPLES["bulk_splits"]), ok(EXAMPLES["bulk_dividends"])])
    bulk = r.client.bulk_eod("VI", day=date(2024, 11, 5))
    assert bulk.rejected == ()
    (bar,) = bulk.bars
    assert (bar.symbol, bar.date, bar.close, bar.volume) == ("ABIN.VI", date(2024, 11, 5),
                                                             53.96, 11.0)
    ext = r.client.bulk_eod("US", symbols=["MSFT"])
    assert ext.bars[0].code == "MSFT" and r.server.sent[1].params["symbols"] == "MSFT"
    (split,) = r.client.bulk_splits("US")
    assert (split.code, split.new, split.old, split.factor) == ("AQMS", 1.0, 20.0, 0.05)
    assert r.server.sent[2].params["type"] == "splits"
    (div,) = r.client.bulk_dividends("F")
    assert (div.code, div.value, div.currency, div.record_date, div.period) == (
        "18RA", 0.07, "USD", None, None)
    assert r.server.sent[3].params["type"] == "dividends"
    assert [x.cost for x in r.ledger] == [100, 101, 100, 100]


def test_bulk_rejects_bad_rows_alone(make_rig):
    good = EXAMPLES["bulk_eod"][0]
    rows = [good, dict(good, code="BAD", high=1.0), dict(good, code="OTHER",
                                                         exchange_short_name="US"),
            dict(good, code="DUP"), dict(good, code="DUP", close=54.0), good]
    bulk = make_rig([ok(rows)]).client.bulk_eod("VI")
    assert [b.code for b in bulk.bars] == ["ABIN"]
    assert [(e.symbol, e.rule, e.row) for e in bulk.rejected] == [
        ("BAD", "high < low", 1), ("OTHER", "wrong exchange", 2),
        ("DUP", "conflicting duplicate date", 4)]


def test_splits_and_dividends(make_rig):
    r = make_rig([ok(EXAMPLES["splits"]), ok(EXAMPLES["div"])])
    splits = r.client.splits("AAPL.US", start=date(2000, 1, 1))
    assert [(s.date.year, s.factor) for s in splits] == [(2000, 2.0), (2005, 2.0), (2014, 7.0),
                                                        (2020, 4.0)]
    assert r.server.sent[0].path == "/api/splits/AAPL.US"
    assert r.server.sent[0].params["from"] == "2000-01-01"
    divs = r.client.dividends("AAPL.US")
    assert r.server.sent[1].path == "/api/div/AAPL.US"
    assert (divs[0].date, divs[0].value, divs[0].unadjusted_value, divs[0].payment_date) == (
        date(2012, 8, 9), 0.0946, 2.6488, date(2012, 8, 16))
    assert [x.cost for x in r.ledger] == [1, 1]


def test_exchanges_symbols_details_search_user(make_rig):
    r = make_rig([ok(EXAMPLES["exchanges"]), ok(EXAMPLES["exchange_symbols"]),
                  ok(EXAMPLES["exchange_details"]), ok(EXAMPLES["search"]),
                  ok(EXAMPLES["internal_user"])])
    exchanges = r.client.exchanges()
    assert [e.code for e in exchanges] == ["US", "TO", "BE"]
    assert exchanges[0].operating_mic == "XNAS, XNYS, OTCM"
    symbols = r.client.exchange_symbols("PSE", delisted=True, kind="common_stock")
    assert [(s.code, s.isin) for s in symbols] == [("AB", "PHY044931210"),
                                                  ("AC", "PHY0486V1154")]
    assert r.server.sent[1].params | {"api_token": ""} == {
        "delisted": "1", "type": "common_stock", "fmt": "json", "api_token": ""}
    details = r.client.exchange_details("US", start=date(2024, 5, 1), end=date(2025, 1, 31))
    assert (details.timezone, details.trading_hours.open, details.trading_hours.close) == (
        "America/New_York", time(9, 30), time(16, 0))
    assert details.trading_hours.working_days == ("Mon", "Tue", "Wed", "Thu", "Fri")
    assert len(details.holidays) == 7 and details.holidays[0].date == date(2024, 5, 27)
    assert details.is_open is False and details.early_closes == ()
    hits = r.client.search("Apple", limit=2)
    assert [h.symbol for h in hits] == ["AAPL.US", "AMZN.US"]
    assert r.server.sent[3].path == "/api/search/Apple"
    user = r.client.user()
    assert (user.api_requests, user.daily_rate_limit, user.remaining_calls) == (
        1234, 100000, 98766)
    assert not hasattr(user, "email")
    assert [s.path for s in r.server.sent][-1] == "/api/internal-user"
    assert [x.cost for x in r.ledger] == [1, 1, 5, 1, 1]


def test_exchange_details_accepts_holidays_keyed_by_index_or_date(make_rig):
    details = dict(EXAMPLES["exchange_details"])
    details["ExchangeHolidays"] = {"0": {"Holiday": "New Year", "Date": "2025-01-01",
                                         "Type": "official"}}
    v2 = dict(details, ExchangeHolidays={
        "2025-12-24": {"Holiday": "Christmas Eve", "Type": "EarlyClose",
                       "EarlyClose": "13:00:00"},
        "2025-12-25": {"Holiday": "Christmas", "Type": "Official"}})
    r = make_rig([ok(details), ok(v2)])
    assert r.client.exchange_details("US").holidays[0].date == date(2025, 1, 1)
    second = r.client.exchange_details("US")
    assert [h.date for h in second.holidays] == [date(2025, 12, 25)]
    assert [(e.date, e.close) for e in second.early_closes] == [
        (date(2025, 12, 24), time(13, 0))]


def test_symbols_are_quoted_into_one_path_segment(make_rig):
    r = make_rig([ok([])])
    r.client.eod("../../internal-user")
    assert r.server.sent[0].request.url.raw_path.startswith(b"/api/eod/..%2F..%2Finternal-user")
    with pytest.raises(ValueError):
        r.client.eod("AAPL US")
    with pytest.raises(ValueError):
        r.client.eod("")


def test_base_url_comes_from_the_environment_when_building(monkeypatch):
    assert base_url_from_env({}) == DEFAULT_BASE_URL
    assert base_url_from_env({"DRUMMOND_EODHD_BASE_URL": "http://127.0.0.1:9/api/"}) == (
        "http://127.0.0.1:9/api")
    with pytest.raises(FeedError, match="DRUMMOND_EODHD_BASE_URL"):
        base_url_from_env({"DRUMMOND_EODHD_BASE_URL": "ftp://x"})
    monkeypatch.setenv("DRUMMOND_EODHD_BASE_URL", "https://mirror.example/api")
    seen = []
    transport = httpx.MockTransport(lambda req: (seen.append(req.url.host), ok([]))[1])
    with build_client(lambda: "demo", transport=transport) as client:
        assert client.base_url == "https://mirror.example/api"
        client.eod("AAPL.US")
    assert seen == ["mirror.example"]


@pytest.mark.shared_data
def test_fixtures_match_openapi_examples():
    """The fixture payloads are the OpenAPI examples: every number and date in them appears
    in the spec file they were copied from."""
    root = SHARED / "eodhd-openapi"
    if not root.is_dir():
        pytest.skip(f"{root} not found")
    sources = {"eod": "paths/eod_ticker.yaml", "intraday": "paths/intraday_ticker.yaml",
               "real_time_multi": "paths/real-time_ticker.yaml",
               "bulk_eod_extended": "paths/eod-bulk-last-day_exchange.yaml",
               "splits": "paths/splits_ticker.yaml", "div": "paths/div_ticker.yaml",
               "exchanges": "paths/exchanges-list.yaml",
               "exchange_symbols": "paths/exchange-symbol-list_exchangeCode.yaml",
               "exchange_details": "paths/exchange-details_EXCHANGE_CODE.yaml",
               "search": "paths/search_query.yaml", "internal_user": "paths/internal-user.yaml",
               "eod_examples_md": "EXAMPLES.md"}
    for name, rel in sources.items():
        text = (root / rel).read_text()
        tokens = re.findall(r"\d[\d.:-]+\d", str(EXAMPLES[name]))
        missing = [t for t in tokens if t not in text]
        assert not missing, (name, missing[:5])
