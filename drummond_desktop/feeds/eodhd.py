"""The EODHD HTTP client: typed, validated results for the endpoints the app uses.

``build_client(key)`` is what the composition root calls: it reads ``DRUMMOND_EODHD_BASE_URL``
(default ``https://eodhd.com/api``) when called, never at import, and gives the client its own
``httpx.Client`` with explicit timeouts and at most 4 connections. Tests build ``EodhdClient``
directly around an ``httpx.Client(transport=httpx.MockTransport(...))`` with fake clocks.

Bar history (``eod``, ``intraday``) comes back as ``BarsResult(bars, anomalies,
adjusted_close)``: raw OHLCV in ``engine.Bars`` (ts = UTC epoch seconds; daily bars at the session
date 00:00 UTC), validated before it is returned - a payload that breaks a rule raises ``BadData``
and yields no bars at all. Everything else is a frozen dataclass from ``eodhd_models``. Robustness
(retries, 429/402 handling, rate limit, call budget, redaction) lives in ``feeds.http``; prices in
calls in ``feeds.eodhd_limits``; the error tree in ``feeds.errors``.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Mapping, Sequence
from datetime import date
from types import TracebackType
from urllib.parse import quote

import httpx

from drummond_desktop import __version__
from drummond_desktop.core.tasks import CancelToken
from drummond_desktop.core.utc import day_start
from drummond_desktop.feeds import eodhd_parse as parse
from drummond_desktop.feeds.eodhd_limits import (
    COSTS,
    Clock,
    DailyBudget,
    RateLimiter,
    RequestRecord,
    RetryPolicy,
    Sleep,
)
from drummond_desktop.feeds.eodhd_models import (
    BulkBar,
    BulkEod,
    Dividend,
    EarlyClose,
    Exchange,
    ExchangeDetails,
    ExchangeSymbol,
    Holiday,
    Quote,
    SearchHit,
    Split,
    TradingHours,
    UserInfo,
)
from drummond_desktop.feeds.errors import BudgetExceeded, FeedError
from drummond_desktop.feeds.http import (
    DEFAULT_TIMEOUT,
    Call,
    Fetcher,
    KeyProvider,
    Ledger,
    redacted_url,
)
from drummond_desktop.feeds.validate import (
    DAY,
    Anomaly,
    BarsResult,
    check_columns,
    eod_columns,
    intraday_columns,
    merge_columns,
    to_result,
)

# The sync service imports everything it needs from here.
__all__ = [
    "COSTS", "DEFAULT_BASE_URL", "ENV_BASE_URL", "INTRADAY_MAX_DAYS", "Anomaly", "BarsResult",
    "BulkBar", "BulkEod", "DailyBudget", "Dividend", "EarlyClose", "EodhdClient", "Exchange",
    "ExchangeDetails", "ExchangeSymbol", "Holiday", "KeyProvider", "Ledger", "Quote",
    "RateLimiter", "RequestRecord", "RetryPolicy", "SearchHit", "Split", "TradingHours",
    "UserInfo", "base_url_from_env", "build_client", "intraday_windows", "redacted_url",
]

ENV_BASE_URL = "DRUMMOND_EODHD_BASE_URL"
DEFAULT_BASE_URL = "https://eodhd.com/api"
# Longest from->to span per intraday request (spec §C3).
INTRADAY_MAX_DAYS: dict[str, int] = {"1m": 120, "5m": 600, "1h": 7200}
PERIODS: dict[str, str] = {"d": "1d", "w": "1w", "m": "1mo"}  # EOD period -> Bars.timeframe
# How far past "now" a bar may be dated: trading dates east of UTC run a day ahead.
EOD_FUTURE_SLACK = 2 * DAY
INTRADAY_FUTURE_SLACK = 3600


def intraday_windows(interval: str, start: int, end: int) -> list[tuple[int, int]]:
    """``[start, end]`` (epoch seconds) split into request windows no longer than the
    interval's limit. Consecutive windows share their boundary second, so a bar stamped exactly
    there arrives twice and is de-duplicated rather than lost."""
    if interval not in INTRADAY_MAX_DAYS:
        raise ValueError(f"interval must be one of {sorted(INTRADAY_MAX_DAYS)}, got {interval!r}")
    if end < start:
        raise ValueError(f"end ({end}) is before start ({start})")
    span = INTRADAY_MAX_DAYS[interval] * DAY
    windows, lo = [], start
    while True:
        hi = min(lo + span, end)
        windows.append((lo, hi))
        if hi >= end:
            return windows
        lo = hi


def _segment(value: str, what: str) -> str:
    text = value.strip()
    if not text or any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise ValueError(f"{what} must be non-empty without spaces, got {value!r}")
    return "/" + quote(text, safe="")


def _dates(start: date | None, end: date | None) -> dict[str, str]:
    params = {}
    if start is not None:
        params["from"] = start.isoformat()
    if end is not None:
        params["to"] = end.isoformat()
    return params


def _epoch(d: date | None) -> int | None:
    return None if d is None else day_start(d)


class EodhdClient:
    """Typed EODHD endpoints over one shared ``httpx.Client`` (thread-safe: workers share it).

    ``key`` is called for every request (so a key changed in Settings applies at once);
    ``ledger`` receives a ``RequestRecord`` per HTTP request; ``budget`` refuses requests that
    would pass the day's call budget. ``clock`` (monotonic), ``wall_clock`` (epoch), ``sleep``
    and ``rng`` are injectable so tests never really wait.
    """

    def __init__(self, http: httpx.Client, key: KeyProvider, *,
                 base_url: str = DEFAULT_BASE_URL, clock: Clock = time.monotonic,
                 wall_clock: Clock = time.time, sleep: Sleep = time.sleep,
                 ledger: Ledger | None = None, budget: DailyBudget | None = None,
                 rng: random.Random | None = None, limiter: RateLimiter | None = None,
                 policy: RetryPolicy | None = None, timeout: httpx.Timeout = DEFAULT_TIMEOUT,
                 owns_http: bool = False) -> None:
        self._http = http
        self._owns_http = owns_http
        self._wall = wall_clock
        self._fetch = Fetcher(
            http, key, base_url=base_url, clock=clock, wall_clock=wall_clock, sleep=sleep,
            limiter=limiter or RateLimiter(clock=clock, sleep=sleep), budget=budget,
            ledger=ledger, policy=policy, rng=rng, timeout=timeout)

    def __repr__(self) -> str:
        return f"EodhdClient(base_url={self.base_url!r})"

    @property
    def base_url(self) -> str:
        return self._fetch.base_url

    def close(self) -> None:
        """Close the ``httpx.Client`` if this client created it (``build_client``)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> EodhdClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _get(self, endpoint: str, path: str, params: Mapping[str, str] | None = None,
             symbol: str = "", cost: int | None = None) -> object:
        cost = COSTS[endpoint] if cost is None else cost
        return self._fetch.get_json(Call(endpoint, f"/{endpoint}{path}", dict(params or {}),
                                         symbol, cost))

    # ------------------------------------------------------------------ bars

    def eod(self, symbol: str, *, start: date | None = None, end: date | None = None,
            period: str = "d") -> BarsResult:
        """Daily (``period`` "d"), weekly ("w") or monthly ("m") raw bars of ``symbol``
        (``AAPL.US``) from ``start`` to ``end`` inclusive; 1 call, whatever the length."""
        if period not in PERIODS:
            raise ValueError(f"period must be one of {sorted(PERIODS)}, got {period!r}")
        params = {**_dates(start, end), "period": period, "order": "a"}
        payload = self._get("eod", _segment(symbol, "symbol"), params, symbol)
        cols = eod_columns(payload, symbol=symbol)
        # Weekly and monthly bars are dated at the start of their period, before `start`.
        cols = check_columns(cols, symbol=symbol, endpoint="eod",
                             start=_epoch(start) if period == "d" else None, end=_epoch(end),
                             latest=int(self._wall()) + EOD_FUTURE_SLACK)
        return to_result(cols, symbol=symbol, timeframe=PERIODS[period], endpoint="eod",
                         gaps=period == "d")

    def intraday(self, symbol: str, interval: str, *, start: int, end: int | None = None,
                 cancel: CancelToken | None = None) -> BarsResult:
        """Raw ``interval`` bars ("1m", "5m", "1h") with ``start <= ts <= end`` (epoch seconds,
        UTC; ``end`` defaults to now). Long ranges are fetched window by window
        (``intraday_windows``, 5 calls each) and checked, merged and de-duplicated; one bad
        window fails the whole range. To checkpoint per window, call this once per window."""
        end = int(self._wall()) if end is None else end
        windows = intraday_windows(interval, start, end)
        self._check_plan(len(windows) * COSTS["intraday"], symbol)
        path = _segment(symbol, "symbol")
        parts = []
        for lo, hi in windows:
            if cancel is not None:
                cancel.raise_if_cancelled()
            params = {"interval": interval, "from": str(lo), "to": str(hi)}
            payload = self._get("intraday", path, params, symbol)
            cols = intraday_columns(payload, symbol=symbol)
            parts.append(check_columns(cols, symbol=symbol, endpoint="intraday", start=lo,
                                       end=hi,
                                       latest=int(self._wall()) + INTRADAY_FUTURE_SLACK))
        merged = merge_columns(parts, symbol=symbol, endpoint="intraday")
        return to_result(merged, symbol=symbol, timeframe=interval, endpoint="intraday")

    def _check_plan(self, cost: int, symbol: str) -> None:
        """Refuse a multi-request job up front rather than half-way through."""
        budget = self._fetch.budget
        if budget is not None and cost > (left := budget.remaining()):
            raise BudgetExceeded(cost, left, endpoint="intraday", symbol=symbol)

    # ------------------------------------------------------------------ quotes, bulk

    def quotes(self, symbols: Sequence[str]) -> tuple[Quote, ...]:
        """Delayed snapshots of ``symbols`` (1 call per ticker); never bar history."""
        if not symbols:
            raise ValueError("quotes() needs at least one symbol")
        params = {"s": ",".join(symbols[1:])} if len(symbols) > 1 else {}
        payload = self._get("real-time", _segment(symbols[0], "symbol"), params,
                            ",".join(symbols), cost=len(symbols))
        return parse.parse_quotes(payload, symbols, endpoint="real-time")

    def quote(self, symbol: str) -> Quote:
        return self.quotes([symbol])[0]

    def bulk_eod(self, exchange: str, *, day: date | None = None,
                 symbols: Sequence[str] = ()) -> BulkEod:
        """The last (or ``day``'s) daily bar of every ticker on ``exchange``: 100 calls,
        +1 per ticker when ``symbols`` narrows it."""
        params = {"date": day.isoformat()} if day else {}
        if symbols:
            params["symbols"] = ",".join(symbols)
        payload = self._get("eod-bulk-last-day", _segment(exchange, "exchange"), params,
                            exchange, cost=COSTS["eod-bulk-last-day"] + len(symbols))
        return parse.parse_bulk_eod(payload, exchange, symbols, endpoint="eod-bulk-last-day")

    def bulk_splits(self, exchange: str, *, day: date | None = None) -> tuple[Split, ...]:
        """Splits on ``exchange`` for the last (or ``day``'s) trading day: 100 calls."""
        params = {"type": "splits", **({"date": day.isoformat()} if day else {})}
        payload = self._get("eod-bulk-last-day", _segment(exchange, "exchange"), params,
                            exchange)
        return parse.parse_splits(payload, exchange, endpoint="eod-bulk-last-day",
                                  exchange=exchange)

    def bulk_dividends(self, exchange: str, *, day: date | None = None) -> tuple[Dividend, ...]:
        """Dividends on ``exchange`` for the last (or ``day``'s) trading day: 100 calls."""
        params = {"type": "dividends", **({"date": day.isoformat()} if day else {})}
        payload = self._get("eod-bulk-last-day", _segment(exchange, "exchange"), params,
                            exchange)
        return parse.parse_dividends(payload, exchange, endpoint="eod-bulk-last-day",
                                     exchange=exchange)

    # ------------------------------------------------------------------ corporate actions

    def splits(self, symbol: str, *, start: date | None = None,
               end: date | None = None) -> tuple[Split, ...]:
        payload = self._get("splits", _segment(symbol, "symbol"), _dates(start, end), symbol)
        return parse.parse_splits(payload, symbol, endpoint="splits")

    def dividends(self, symbol: str, *, start: date | None = None,
                  end: date | None = None) -> tuple[Dividend, ...]:
        payload = self._get("div", _segment(symbol, "symbol"), _dates(start, end), symbol)
        return parse.parse_dividends(payload, symbol, endpoint="div")

    # ------------------------------------------------------------------ reference data

    def exchanges(self) -> tuple[Exchange, ...]:
        return parse.parse_exchanges(self._get("exchanges-list", ""), endpoint="exchanges-list")

    def exchange_symbols(self, exchange: str, *, delisted: bool = False,
                         kind: str | None = None) -> tuple[ExchangeSymbol, ...]:
        """Tickers of ``exchange``; ``kind`` is EODHD's ``type`` filter (``common_stock``,
        ``preferred_stock``, ``stock``, ``etf``, ``fund``)."""
        params = {"delisted": "1"} if delisted else {}
        if kind:
            params["type"] = kind
        payload = self._get("exchange-symbol-list", _segment(exchange, "exchange"), params,
                            exchange)
        return parse.parse_exchange_symbols(payload, exchange, endpoint="exchange-symbol-list")

    def exchange_details(self, exchange: str, *, start: date | None = None,
                         end: date | None = None) -> ExchangeDetails:
        """Session hours, holidays and early closes (window default: ±6 months)."""
        payload = self._get("exchange-details", _segment(exchange, "exchange"),
                            _dates(start, end), exchange)
        return parse.parse_exchange_details(payload, exchange, endpoint="exchange-details")

    def search(self, query: str, *, limit: int = 15, kind: str | None = None,
               exchange: str | None = None) -> tuple[SearchHit, ...]:
        """Tickers matching ``query`` (the demo key is refused by EODHD here)."""
        params = {"limit": str(max(1, min(limit, 500)))}
        if kind:
            params["type"] = kind
        if exchange:
            params["exchange"] = exchange
        payload = self._get("search", _segment(query, "query"), params, query)
        return parse.parse_search(payload, query, endpoint="search")

    def user(self) -> UserInfo:
        """Today's usage and the plan's daily limit (``/internal-user``)."""
        return parse.parse_user(self._get("internal-user", ""), endpoint="internal-user")


def base_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """``DRUMMOND_EODHD_BASE_URL`` if set (an http(s) URL), else the public API."""
    env = os.environ if environ is None else environ
    value = env.get(ENV_BASE_URL, "").strip() or DEFAULT_BASE_URL
    try:
        url = httpx.URL(value)
        ok = url.scheme in ("http", "https") and bool(url.host)
    except httpx.InvalidURL:
        ok = False
    if not ok:
        raise FeedError(f"{ENV_BASE_URL} is not an http(s) URL",
                        user_message=f"{ENV_BASE_URL} must be an http:// or https:// URL.")
    return value.rstrip("/")


def build_client(key: KeyProvider, *, ledger: Ledger | None = None,
                 budget: DailyBudget | None = None, environ: Mapping[str, str] | None = None,
                 transport: httpx.BaseTransport | None = None) -> EodhdClient:
    """The client the app uses: base URL from the environment, explicit timeouts, ≤ 4
    connections (one shared ``httpx.Client`` per provider), no redirects followed (a redirect
    would re-send the key to wherever it points). Close it with ``close()`` or ``with``."""
    base = base_url_from_env(environ)
    http = httpx.Client(timeout=DEFAULT_TIMEOUT, follow_redirects=False, transport=transport,
                        limits=httpx.Limits(max_connections=4, max_keepalive_connections=4),
                        headers={"User-Agent": f"drummond-desktop/{__version__}"})
    return EodhdClient(http, key, base_url=base, ledger=ledger, budget=budget, owns_http=True)
