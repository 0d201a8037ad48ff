"""One robust, key-safe GET: rate limit, budget, retries, status mapping, JSON decoding.

``Fetcher.get_json(call)`` sends ``call`` with the API key added to the outgoing query only and
returns decoded JSON, or raises one typed ``FeedError``:

=================================  ==========================  =============================
outcome                            retried (<= 5 attempts)     final error
=================================  ==========================  =============================
connect/read/write/pool timeout,   yes, full-jitter backoff    ``ProviderUnavailable``
dropped connection, 408/500/502/
503/504
429                                yes, never before           ``RateLimited(retry_after)``
                                   ``Retry-After``
200 with an unreadable body        yes (a proxy page or a      ``BadData`` (rule names why)
(HTML/text, empty, truncated or    cut-off body is transient;
malformed JSON)                    each retry of a 200 is
                                   billed and recorded)
401/403 · 402 · 404 · other 4xx    no                          ``AuthError`` · ``QuotaExhausted``
                                                               · ``NotFound`` · ``BadRequest``
=================================  ==========================  =============================

A ``Retry-After`` pauses every request of the client (other workers share the key); a pause
longer than ``RetryPolicy.max_retry_after`` is not slept in the worker: ``RateLimited`` goes to
the caller at once, and so does every request until the pause is over. A 402 likewise refuses
every request until 00:00 GMT without sending it.

Secrets: the key is read from the ``KeyProvider`` per request, registered with
``log_setup.register_secret`` and put only into the outgoing ``httpx.Request``. Logs and errors
use ``redacted_url``; server text is scrubbed; httpx exceptions (their text holds the URL) are
reduced to a reason *inside* ``except`` and the typed error is raised *outside* it, so it has
no ``__context__``.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from drummond_desktop.core import log_setup
from drummond_desktop.feeds.eodhd_limits import (
    Clock,
    DailyBudget,
    RateLimiter,
    RequestRecord,
    RetryPolicy,
    Sleep,
    billed_cost,
    next_gmt_midnight,
    parse_retry_after,
)
from drummond_desktop.feeds.errors import (
    AuthError,
    BadData,
    BadRequest,
    FeedError,
    NotFound,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from drummond_desktop.feeds.validate import decode_json

log = logging.getLogger(__name__)

KeyProvider = Callable[[], str | None]
Ledger = Callable[[RequestRecord], None]
TOKEN_PARAM = "api_token"
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)
RETRY_STATUS = frozenset({408, 500, 502, 503, 504})
_TAGS = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_TOKEN_ANYWHERE = re.compile(r"(?i)(api_token=)[^&\s#]+")
SERVER_TEXT_CHARS = 200

# httpx transport failures: (reason shown, retried, did the request reach the server)
_TRANSPORT: tuple[tuple[type[httpx.HTTPError], str, bool, bool], ...] = (
    (httpx.ConnectTimeout, "connect timeout", True, False),
    (httpx.ReadTimeout, "read timeout", True, True),
    (httpx.WriteTimeout, "write timeout", True, False),
    (httpx.PoolTimeout, "connection pool timeout", True, False),
    (httpx.ConnectError, "connection failed", True, False),
    (httpx.RemoteProtocolError, "connection dropped (protocol error)", True, True),
    (httpx.ReadError, "connection dropped while reading", True, True),
    (httpx.WriteError, "connection dropped while sending", True, False),
    (httpx.ProxyError, "proxy error", True, False),
    (httpx.DecodingError, "undecodable response body", True, True),
    (httpx.UnsupportedProtocol, "unsupported URL scheme", False, False),
)


def redacted_url(url: httpx.URL | str) -> str:
    """``url`` without its ``api_token`` and with any registered secret masked: the only form
    of a request URL that may be logged, shown or stored."""
    try:
        text = str(httpx.URL(str(url)).copy_remove_param(TOKEN_PARAM))
    except (httpx.InvalidURL, TypeError, ValueError):
        text = str(url)
    # Belt and braces for odd inputs where the token is not a query parameter (log_setup's
    # pattern wants a word boundary, which percent-encoding can remove).
    return log_setup.redact(_TOKEN_ANYWHERE.sub(r"\1" + log_setup.MASK, text))


def scrub(text: str, key: str | None) -> str:
    """Server text fit for an error message: tags stripped, short, no key."""
    text = _SPACE.sub(" ", _TAGS.sub(" ", text)).strip()[:SERVER_TEXT_CHARS]
    if key:
        text = text.replace(key, log_setup.MASK)
    return log_setup.redact(text)


@dataclass(frozen=True)
class Call:
    """What to request: ``path`` below the base URL (segments already quoted), the query
    without the key, the ledger's endpoint name, the symbol and the price in calls."""

    endpoint: str
    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    symbol: str = ""
    cost: int = 1


@dataclass
class _Outcome:
    payload: Any = None
    ok: bool = False
    retryable: bool = False
    retry_after: float | None = None
    reason: str = ""
    error: Callable[[int], FeedError] | None = None  # builds the final error from attempts


class Fetcher:
    """The retrying, rate-limited, budgeted GET shared by every EODHD endpoint."""

    def __init__(self, http: httpx.Client, key: KeyProvider, *, base_url: str,
                 clock: Clock, wall_clock: Clock, sleep: Sleep, limiter: RateLimiter,
                 budget: DailyBudget | None = None, ledger: Ledger | None = None,
                 policy: RetryPolicy | None = None, rng: random.Random | None = None,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT) -> None:
        self._http = http
        self._key = key
        self.base_url = base_url.rstrip("/")
        self._clock = clock
        self._wall = wall_clock
        self._sleep = sleep
        self.limiter = limiter
        self.budget = budget
        self._ledger = ledger
        self.policy = policy or RetryPolicy()
        self._rng = rng or random.Random()
        self._timeout = timeout
        self._quota_until: float | None = None  # wall time; set by a 402
        self._registered: int | None = None  # hash of the last key registered for redaction

    def __repr__(self) -> str:
        return f"Fetcher(base_url={self.base_url!r})"

    def get_json(self, call: Call) -> Any:
        """Decoded JSON of a 2xx answer to ``call``, or a typed ``FeedError``."""
        self._refuse_while_paused(call)
        key = self._api_key(call)
        started = self._clock()
        outcome = _Outcome()
        attempt = 0
        while attempt < self.policy.attempts:
            attempt += 1
            outcome = self._attempt_billed(call, key)
            if outcome.ok:
                return outcome.payload
            if not outcome.retryable or attempt >= self.policy.attempts:
                break
            delay = self._retry_delay(call, outcome, attempt, started)
            if delay is None:
                break
            log.warning("%s %s: %s; retry %d/%d in %.1f s", call.endpoint, call.symbol,
                        outcome.reason, attempt, self.policy.attempts - 1, delay)
            self._sleep(delay)
        assert outcome.error is not None
        raise outcome.error(attempt)

    def _refuse_while_paused(self, call: Call) -> None:
        now = self._wall()
        if self._quota_until is not None and now < self._quota_until:
            raise QuotaExhausted(next_gmt_midnight(now), endpoint=call.endpoint,
                                 symbol=call.symbol)
        # A long 429 pause is the job's to wait out (cancellable), not a worker's to sleep.
        paused = self.limiter.blocked_for()
        if paused > self.policy.max_retry_after:
            raise RateLimited(paused, endpoint=call.endpoint, symbol=call.symbol)

    def _api_key(self, call: Call) -> str:
        key = (self._key() or "").strip()
        if not key:
            raise AuthError("", endpoint=call.endpoint, symbol=call.symbol)
        if hash(key) != self._registered:
            log_setup.register_secret(key)
            self._registered = hash(key)
        return key

    def _retry_delay(self, call: Call, outcome: _Outcome, attempt: int,
                     started: float) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` to give up now."""
        delay = self.policy.backoff(attempt - 1, self._rng.uniform)
        hint = outcome.retry_after
        if hint is not None:
            # Hold the whole queue, not just this request: other workers share the key.
            self.limiter.defer_until(self._clock() + hint)
            if hint > self.policy.max_retry_after:
                return None  # too long to block a worker: the caller pauses the job
            delay = max(delay, hint)
        if self._clock() - started + delay > self.policy.deadline:
            return None
        return delay

    def _attempt_billed(self, call: Call, key: str) -> _Outcome:
        if self.budget is None:
            return self._attempt(call, key)
        self.budget.reserve(call.cost, endpoint=call.endpoint, symbol=call.symbol)
        try:
            return self._attempt(call, key)
        finally:
            self.budget.release(call.cost)  # the ledger record (if billed) now counts it

    def _attempt(self, call: Call, key: str) -> _Outcome:
        self.limiter.acquire()
        request = self._build(call, key)
        sent = self._wall()
        failure: tuple[str, bool, bool] | None = None
        try:
            response = self._http.send(request)
        except httpx.HTTPError as exc:
            # Keep only the reason: the exception's text and .request carry the key.
            failure = next(((r, retry, reached) for kind, r, retry, reached in _TRANSPORT
                            if isinstance(exc, kind)),
                           (f"transport error ({type(exc).__name__})", False, False))
        if failure is not None:
            reason, retryable, reached = failure
            self._record(call, sent, billed_cost(call.cost, None, reached), None, 0, False)
            log.debug("GET %s failed: %s", redacted_url(request.url), reason)
            return _Outcome(retryable=retryable, reason=reason,
                            error=lambda n: ProviderUnavailable(
                                reason, attempts=n, endpoint=call.endpoint, symbol=call.symbol))
        return self._outcome(call, key, request, response, sent)

    def _build(self, call: Call, key: str) -> httpx.Request:
        params = {**call.params, "fmt": "json", TOKEN_PARAM: key}
        try:
            return self._http.build_request("GET", self.base_url + call.path, params=params,
                                            timeout=self._timeout)
        except httpx.InvalidURL:
            pass
        # Raised outside the except: InvalidURL's text may hold the whole URL, key included.
        raise BadRequest("the request URL is invalid", status=0, endpoint=call.endpoint,
                         symbol=call.symbol)

    def _outcome(self, call: Call, key: str, request: httpx.Request, response: httpx.Response,
                 sent: float) -> _Outcome:
        status, body = response.status_code, response.content
        ok = 200 <= status < 300
        payload: Any = None
        unreadable: BadData | None = None
        if ok:
            try:
                payload = decode_json(body, response.headers.get("content-type", ""),
                                      symbol=call.symbol, endpoint=call.endpoint)
            except BadData as exc:
                unreadable = exc
        self._record(call, sent, billed_cost(call.cost, status, True), status, len(body),
                     ok and unreadable is None)
        log.debug("GET %s -> %d (%d bytes)", redacted_url(request.url), status, len(body))
        if ok and unreadable is None:
            return _Outcome(payload=payload, ok=True)
        if unreadable is not None:
            bad = unreadable
            return _Outcome(retryable=True, reason=bad.rule, error=lambda n: bad)
        return self._failure(call, status, scrub(response.text, key), response.headers)

    def _failure(self, call: Call, status: int, text: str,
                 headers: httpx.Headers) -> _Outcome:
        ep, sym = call.endpoint, call.symbol
        if status in (401, 403):
            return _Outcome(error=lambda n: AuthError(text, status=status, endpoint=ep, symbol=sym))
        if status == 402:
            now = self._wall()
            reset = next_gmt_midnight(now)
            self._quota_until = reset.timestamp()
            return _Outcome(error=lambda n: QuotaExhausted(reset, endpoint=ep, symbol=sym))
        if status == 404:
            return _Outcome(error=lambda n: NotFound(endpoint=ep, symbol=sym))
        if status == 429:
            hint = parse_retry_after(headers.get("retry-after"), self._wall())
            wait = hint if hint is not None else self.policy.cap
            return _Outcome(retryable=True, retry_after=hint, reason="HTTP 429 rate limited",
                            error=lambda n: RateLimited(wait, endpoint=ep, symbol=sym))
        reason = f"HTTP {status}" + (f": {text}" if text else "")
        if status in RETRY_STATUS or 500 <= status < 600:
            return _Outcome(retryable=status in RETRY_STATUS, reason=f"HTTP {status}",
                            error=lambda n: ProviderUnavailable(
                                reason, status=status, attempts=n, endpoint=ep, symbol=sym))
        if 300 <= status < 400:
            return _Outcome(error=lambda n: ProviderUnavailable(
                f"unexpected redirect (HTTP {status})", status=status, endpoint=ep, symbol=sym))
        return _Outcome(error=lambda n: BadRequest(text, status=status, endpoint=ep, symbol=sym))

    def _record(self, call: Call, sent: float, cost: int, status: int | None, size: int,
                ok: bool) -> None:
        if self._ledger is not None:
            self._ledger(RequestRecord(sent, call.endpoint, call.symbol, cost, status, size, ok))
