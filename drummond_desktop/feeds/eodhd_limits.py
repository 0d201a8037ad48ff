"""What EODHD lets us send: call prices, the request-rate limiter, the daily call budget, retries.

Two different currencies (``../shared/spec/eodhd.md`` §C4): *requests* are limited per minute
(1,000/min, 429 beyond it) and *calls* per day (100,000 on paid plans, 20 on Free; 402 when spent).
A request costs 1, 5, 10 or 100 calls depending on the endpoint. The limiter spaces requests; the
budget prices each request before it is sent and refuses one that would go past the day's limit.
Both take injected clocks so tests run in virtual time.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from drummond_desktop.feeds.errors import BudgetExceeded

Clock = Callable[[], float]
Sleep = Callable[[float], None]

# Calls billed per successful request (spec §C2/§C4). exchange-details: the docs say 1 or 5;
# we price it at 5 so the budget never under-counts.
COSTS: dict[str, int] = {
    "eod": 1,
    "intraday": 5,
    "real-time": 1,  # per ticker
    "eod-bulk-last-day": 100,  # +1 per ticker when `symbols=` narrows it
    "splits": 1,
    "div": 1,
    "exchanges-list": 1,
    "exchange-symbol-list": 1,
    "exchange-details": 5,
    "search": 1,
    "internal-user": 1,
}


@dataclass(frozen=True)
class RequestRecord:
    """One HTTP request as the ledger stores it. ``cost`` is what we assume EODHD billed:
    the price for a 2xx or 404 (an invalid symbol still costs), the price for a request that
    reached the server but whose answer was lost (read timeout, dropped connection: counting it
    keeps the budget conservative), 0 for other failures (EODHD does not bill failed requests).
    ``status`` is ``None`` when no response arrived. No URL and no key."""

    ts: float  # wall-clock epoch seconds when the request was sent
    endpoint: str
    symbol: str
    cost: int
    status: int | None
    bytes: int
    ok: bool


def billed_cost(price: int, status: int | None, reached_server: bool) -> int:
    """The calls EODHD is assumed to have billed for one request (see ``RequestRecord``)."""
    if status is None:
        return price if reached_server else 0
    return price if 200 <= status < 300 or status == 404 else 0


class DailyBudget:
    """Refuses a request whose cost would pass ``limit`` calls today.

    ``used_today_provider`` returns the calls already billed today (the store sums its ledger);
    it must include every record the client's ledger callback has received. Costs of requests in
    flight are reserved here, so concurrent workers cannot overshoot together.
    """

    def __init__(self, limit: int, used_today_provider: Callable[[], int]) -> None:
        if limit < 0:
            raise ValueError(f"budget limit must be >= 0, got {limit}")
        self.limit = limit
        self._used_today = used_today_provider
        self._pending = 0
        self._lock = threading.Lock()

    @classmethod
    def fraction_of(cls, daily_rate_limit: int, used_today_provider: Callable[[], int],
                    fraction: float = 0.9) -> DailyBudget:
        """A budget at ``fraction`` of the plan's limit; the rest is kept for interactive use."""
        return cls(int(daily_rate_limit * fraction), used_today_provider)

    def remaining(self) -> int:
        with self._lock:
            return max(self.limit - self._used_today() - self._pending, 0)

    def reserve(self, cost: int, *, endpoint: str = "", symbol: str = "") -> None:
        """Hold ``cost`` calls for a request about to be sent, or raise ``BudgetExceeded``."""
        with self._lock:
            left = self.limit - self._used_today() - self._pending
            if cost > left:
                raise BudgetExceeded(cost, max(left, 0), endpoint=endpoint, symbol=symbol)
            self._pending += cost

    def release(self, cost: int) -> None:
        """The request is over and its ledger record written: stop holding ``cost``."""
        with self._lock:
            self._pending = max(self._pending - cost, 0)

    def __repr__(self) -> str:
        return f"DailyBudget(limit={self.limit}, pending={self._pending})"


class RateLimiter:
    """A token bucket (``burst`` tokens, refilled at ``per_minute``/60 per second), kept as its
    theoretical arrival time (GCRA) so a reservation is one comparison under a lock.

    In any 60 s window at most ``burst + per_minute`` requests start. The defaults (500/min,
    burst 10) stay well under EODHD's 1,000 requests/min, which other tools on the same key
    share. ``defer_until`` pauses every caller (a 429's ``Retry-After`` holds the whole queue).
    Thread-safe: each caller reserves its own slot, then sleeps outside the lock.
    """

    def __init__(self, per_minute: float = 500.0, burst: int = 10, *,
                 clock: Clock, sleep: Sleep) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("per_minute must be > 0 and burst >= 1")
        self._interval = 60.0 / per_minute
        self._tolerance = (burst - 1) * self._interval
        self._clock = clock
        self._sleep = sleep
        self._tat = clock()  # theoretical arrival time of the next request
        self._blocked_until = -math.inf
        self._lock = threading.Lock()

    def defer_until(self, when: float) -> None:
        """Start no request before ``when`` (on the limiter's clock)."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, when)

    def blocked_for(self) -> float:
        """Seconds until ``defer_until``'s pause ends (0 when not paused)."""
        with self._lock:
            return max(self._blocked_until - self._clock(), 0.0)

    def acquire(self) -> float:
        """Wait for this caller's slot; return the seconds waited."""
        with self._lock:
            now = self._clock()
            start = max(now, self._tat - self._tolerance, self._blocked_until)
            self._tat = max(self._tat, start) + self._interval
        wait = start - now
        if wait > 0:
            self._sleep(wait)
        return max(wait, 0.0)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with full-jitter exponential backoff (reliability.md §4.2)."""

    attempts: int = 5  # total tries per request, the first included
    base: float = 0.5  # seconds; the k-th retry waits uniform(0, min(cap, base * 2**k))
    cap: float = 30.0
    deadline: float = 120.0  # seconds of (virtual) time per request, waits included
    max_retry_after: float = 60.0  # a longer Retry-After is returned to the caller, not slept

    def backoff(self, retry: int, uniform: Callable[[float, float], float]) -> float:
        return uniform(0.0, min(self.cap, self.base * 2.0 ** retry))


def parse_retry_after(value: str | None, wall_now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP-date
    (RFC 9110 §10.2.3). ``None`` when absent or unreadable; never negative."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" parses naive; HTTP-dates are always GMT
        when = when.replace(tzinfo=UTC)
    return max(when.timestamp() - wall_now, 0.0)


def next_gmt_midnight(wall_now: float) -> datetime:
    """When EODHD's daily call counter resets: the next 00:00 GMT after ``wall_now``."""
    today = datetime.fromtimestamp(wall_now, UTC).replace(hour=0, minute=0, second=0,
                                                          microsecond=0)
    return today + timedelta(days=1)
