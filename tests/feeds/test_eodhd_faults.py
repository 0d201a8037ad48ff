"""Robustness (reliability.md §4, §6.4 N1-N3): the fault matrix, 429/402/401/403/404, the call
budget and the rate limiter - all in virtual time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.utils import format_datetime

import httpx
import pytest

from drummond_desktop.feeds.eodhd_limits import (
    DailyBudget,
    RateLimiter,
    RetryPolicy,
    billed_cost,
    next_gmt_midnight,
    parse_retry_after,
)
from drummond_desktop.feeds.errors import (
    AuthError,
    BadData,
    BadRequest,
    BudgetExceeded,
    FeedError,
    NotFound,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from tests.feeds.fakes import EXAMPLES, KEY, FakeClock, ok, raw

GOOD = ok(EXAMPLES["eod"])


def _exc(kind: type[httpx.HTTPError]):
    return lambda request: (_ for _ in ()).throw(kind("injected fault", request=request))


FAULTS = {
    "connect timeout": (_exc(httpx.ConnectTimeout), ProviderUnavailable),
    "read timeout": (_exc(httpx.ReadTimeout), ProviderUnavailable),
    "protocol error": (_exc(httpx.RemoteProtocolError), ProviderUnavailable),
    "truncated JSON": (raw(b'[{"date":"2024-01-02","open":1'), BadData),
    "HTML with 200": (raw("<html><body>Bad gateway</body></html>", content_type="text/html"),
                      BadData),
    "500": (raw("Internal Server Error", 500, "text/plain"), ProviderUnavailable),
    "502": (raw("<html>502 Bad Gateway</html>", 502, "text/html"), ProviderUnavailable),
    "503": (raw("Service Unavailable", 503, "text/plain"), ProviderUnavailable),
    "504": (raw("Gateway Timeout", 504, "text/plain"), ProviderUnavailable),
}


@pytest.mark.parametrize("failures", [1, 2, 4])
@pytest.mark.parametrize("fault", FAULTS)
def test_transient_faults_succeed_within_five_attempts(make_rig, fault, failures):
    step, _ = FAULTS[fault]
    r = make_rig([step] * failures + [GOOD])
    result = r.client.eod("AAPL.US")
    assert len(result.bars) == 2
    assert len(r.server.sent) == failures + 1 <= 5
    policy = RetryPolicy()
    assert len(r.clock.sleeps) == failures
    for k, wait in enumerate(r.clock.sleeps):  # full jitter: uniform(0, min(cap, base * 2**k))
        assert 0 <= wait <= min(policy.cap, policy.base * 2 ** k)
    assert [x.ok for x in r.ledger] == [False] * failures + [True]


@pytest.mark.parametrize("fault", FAULTS)
def test_permanent_faults_give_a_typed_error_and_no_bars(make_rig, fault):
    step, error = FAULTS[fault]
    r = make_rig([step])
    with pytest.raises(error) as info:
        r.client.eod("AAPL.US")
    assert len(r.server.sent) == 5
    assert r.clock.mono - 1_000.0 <= RetryPolicy().deadline
    assert info.value.symbol == "AAPL.US" and info.value.endpoint == "eod"
    assert info.value.__context__ is None and info.value.__cause__ is None
    assert info.value.user_message
    if error is BadData:
        assert info.value.rule in ("truncated JSON", "HTML body instead of JSON")


def test_ledger_bills_what_eodhd_bills(make_rig):
    # 5xx and connect failures are free; a 200 (even unreadable) and a lost answer are billed.
    r = make_rig([FAULTS["503"][0], FAULTS["connect timeout"][0], FAULTS["read timeout"][0],
                  FAULTS["truncated JSON"][0], GOOD])
    r.client.eod("AAPL.US")
    assert [(x.status, x.cost) for x in r.ledger] == [(503, 0), (None, 0), (None, 1), (200, 1),
                                                      (200, 1)]
    assert billed_cost(5, 404, True) == 5 and billed_cost(5, 429, True) == 0


def test_non_retryable_statuses_stop_at_once(make_rig):
    r = make_rig([raw("Unauthenticated", 401, "text/plain"),
                  raw("<html><h1>Forbidden</h1> plan lacks intraday</html>", 403, "text/html"),
                  raw("Ticker Not Found.", 404, "text/plain"),
                  raw('{"status":400,"error":"Bad Request","message":"bad from"}', 400),
                  raw("", 501, "text/plain")])
    with pytest.raises(AuthError) as e401:
        r.client.eod("AAPL.US")
    assert (e401.value.status, e401.value.server_text) == (401, "Unauthenticated")
    assert "Unauthenticated" in e401.value.user_message
    with pytest.raises(AuthError) as e403:
        r.client.intraday("AAPL.US", "1m", start=0, end=60)
    assert e403.value.status == 403 and e403.value.server_text == "Forbidden plan lacks intraday"
    with pytest.raises(NotFound):
        r.client.eod("NOPE.US")
    with pytest.raises(BadRequest) as e400:
        r.client.eod("AAPL.US")
    assert "bad from" in e400.value.server_text
    with pytest.raises(ProviderUnavailable):
        r.client.eod("AAPL.US")
    assert len(r.server.sent) == 5 and r.clock.sleeps == []


def test_missing_key_is_an_auth_error_before_sending(make_rig):
    r = make_rig([GOOD], key="  ")
    with pytest.raises(AuthError, match="no API key") as info:
        r.client.eod("AAPL.US")
    assert "DRUMMOND_EODHD_API_KEY" in info.value.user_message
    assert r.server.sent == []


def test_the_demo_key_is_sent_as_is(make_rig):
    r = make_rig([GOOD], key="demo")
    r.client.eod("AAPL.US")
    assert r.server.sent[0].params["api_token"] == "demo"


def test_429_retry_after_seconds_no_request_before_the_hint(make_rig):
    r = make_rig([raw("Too Many Requests", 429, "text/html", {"Retry-After": "7"}), GOOD])
    r.client.eod("AAPL.US")
    first, second = r.server.sent
    assert second.mono - first.mono >= 7.0


def test_429_retry_after_http_date_no_request_before_the_hint(make_rig):
    r = make_rig([])
    hint = datetime.fromtimestamp(r.clock.time() + 12, UTC)
    r.server.steps = [raw("slow down", 429, "text/html",
                          {"Retry-After": format_datetime(hint, usegmt=True)}), GOOD]
    r.client.eod("AAPL.US")
    first, second = r.server.sent
    assert second.wall >= hint.timestamp()
    assert second.mono - first.mono >= 12.0


def test_429_pauses_the_whole_queue_and_long_hints_go_back_to_the_caller(make_rig):
    r = make_rig([raw("", 429, "text/html", {"Retry-After": "600"}), GOOD])
    with pytest.raises(RateLimited) as info:
        r.client.eod("AAPL.US")
    assert info.value.retry_after == 600 and len(r.server.sent) == 1
    r.clock.advance(100)
    with pytest.raises(RateLimited) as again:  # another symbol is held by the same hint
        r.client.eod("MSFT.US")
    assert again.value.retry_after == 500 and len(r.server.sent) == 1
    r.clock.advance(460)  # 40 s left: short enough to wait in the worker
    r.client.eod("MSFT.US")
    assert r.server.sent[1].mono - r.server.sent[0].mono >= 600


def test_429_every_time_ends_rate_limited(make_rig):
    r = make_rig([raw("", 429, "text/html", {"Retry-After": "2"})])
    with pytest.raises(RateLimited) as info:
        r.client.eod("AAPL.US")
    assert len(r.server.sent) == 5 and info.value.retry_after == 2
    gaps = [b.mono - a.mono for a, b in zip(r.server.sent, r.server.sent[1:], strict=False)]
    assert all(g >= 2 for g in gaps)


def test_402_stops_the_job_until_gmt_midnight(make_rig):
    r = make_rig([raw("Payment Required", 402, "text/plain"), GOOD])
    with pytest.raises(QuotaExhausted) as info:
        r.client.eod("AAPL.US")
    assert info.value.reset_at == datetime(2026, 1, 2, tzinfo=UTC)
    assert "2026-01-02 00:00 UTC" in info.value.user_message
    r.clock.advance(3600)
    with pytest.raises(QuotaExhausted):
        r.client.eod("MSFT.US")
    assert len(r.server.sent) == 1  # nothing was sent while the quota was spent
    r.clock.advance(86_400)
    assert len(r.client.eod("MSFT.US").bars) == 2


def test_budget_refuses_before_sending(make_rig):
    r = make_rig([GOOD], budget_limit=3)
    for _ in range(3):
        r.client.eod("AAPL.US")
    with pytest.raises(BudgetExceeded) as info:
        r.client.eod("AAPL.US")
    assert (info.value.cost, info.value.remaining) == (1, 0)
    assert len(r.server.sent) == 3 and r.used_today() == 3


def test_budget_refuses_a_multi_window_intraday_job_up_front(make_rig):
    r = make_rig([ok([])], budget_limit=12)
    with pytest.raises(BudgetExceeded) as info:
        r.client.intraday("AAPL.US", "1m", start=0, end=365 * 86_400)  # 4 windows x 5
    assert (info.value.cost, info.value.remaining) == (20, 12) and r.server.sent == []
    r.client.intraday("AAPL.US", "1m", start=0, end=200 * 86_400)  # 2 windows x 5 = 10
    assert r.used_today() == 10


def test_budget_counts_retries_and_reserves_in_flight_costs():
    used = [0]
    budget = DailyBudget(10, lambda: used[0])
    budget.reserve(6)
    with pytest.raises(BudgetExceeded):
        budget.reserve(5)  # 6 in flight + 5 > 10
    budget.release(6)
    used[0] = 6
    assert budget.remaining() == 4
    assert DailyBudget.fraction_of(100_000, lambda: 0).limit == 90_000


def test_rate_limiter_spacing_in_virtual_time(make_rig):
    r = make_rig([GOOD], limiter=(60, 2))  # 1 request/s after a burst of 2
    for _ in range(6):
        r.client.eod("AAPL.US")
    starts = [s.mono - r.server.sent[0].mono for s in r.server.sent]
    assert starts == [0, 0, 1, 2, 3, 4]


def test_default_limiter_keeps_any_minute_under_the_eodhd_limit():
    clock = FakeClock()
    limiter = RateLimiter(clock=clock.monotonic, sleep=clock.sleep)
    times = []
    for _ in range(1_500):
        limiter.acquire()
        times.append(clock.monotonic())
    worst = max(sum(1 for t in times if s <= t < s + 60) for s in times)
    assert worst <= 510 < 1_000


def test_parse_retry_after_forms():
    now = 1_767_225_600.0
    assert parse_retry_after("3", now) == 3.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now) == 30.0
    assert parse_retry_after("Wed, 31 Dec 2025 23:00:00 GMT", now) == 0.0  # past: go now
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None
    assert parse_retry_after("-5", now) == 0.0 and parse_retry_after("nan", now) is None
    assert next_gmt_midnight(now + 1) == datetime(2026, 1, 2, tzinfo=UTC)


def test_every_failure_is_a_feed_error(make_rig):
    # One `except FeedError` in the sync service is enough.
    for cls in (AuthError, QuotaExhausted, RateLimited, NotFound, ProviderUnavailable,
                BadRequest, BudgetExceeded, BadData):
        assert issubclass(cls, FeedError)
    from drummond_desktop.core.errors import AppError, DataError

    assert issubclass(FeedError, AppError) and issubclass(BadData, DataError)
    assert BadData("X.US", "high < low", 3).user_message == (
        "Bad data from EODHD for X.US: high < low at row 3.")


def test_eod_range_and_future_dates_are_rejected(make_rig):
    rows = EXAMPLES["eod"]
    r = make_rig([ok(rows)])
    with pytest.raises(BadData, match="outside the requested range") as info:
        r.client.eod("AAPL.US", start=date(2022, 1, 4))
    assert info.value.row == 0
    future = [dict(rows[0], date="2030-01-02")]
    r.server.steps = [ok(future)]
    with pytest.raises(BadData, match="in the future"):
        r.client.eod("AAPL.US")
    assert KEY not in str(info.value)
