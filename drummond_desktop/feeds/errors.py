"""The market-data feeds' error tree (a branch of ``core.errors.AppError``).

* ``FeedError(endpoint, symbol)`` - a provider request that did not give usable data.
  * ``AuthError(status, server_text)`` - 401/403, or no API key: bad key, the demo key on a
    non-demo ticker, or a plan without this endpoint. Never retried; shows the server's text.
  * ``QuotaExhausted(reset_at)`` - 402: the daily call quota is spent. The job stops until
    ``reset_at`` (00:00 GMT); the client refuses to send anything before then.
  * ``RateLimited(retry_after)`` - 429 that outlasted the retries, or whose ``Retry-After`` is
    longer than the client sleeps in a worker (60 s; the whole client then refuses requests
    until it has passed); ``retry_after`` is seconds from when it was raised.
  * ``NotFound`` - 404: unknown ticker, exchange or no data for the range.
  * ``ProviderUnavailable(status)`` - timeouts, dropped connections and 5xx that outlasted the
    retries (``status`` is ``None`` when no response arrived).
  * ``BadRequest(status, server_text)`` - any other 4xx: the request itself was wrong.
  * ``BudgetExceeded(cost, remaining)`` - refused *before sending*: the request's call cost
    would go past the local daily budget.
  * ``BadData(symbol, rule, row)`` - a payload that breaks a validation rule (also a
    ``core.errors.DataError``); nothing from that payload is returned. ``row`` is the 0-based
    row index or the row's date, ``None`` for the whole payload (truncated JSON, HTML).

Every message is built from a redacted URL and scrubbed server text: no error, ``str()`` or
``repr()`` here ever carries the API key. Errors are raised outside ``except`` blocks (or
``from None``), so no httpx exception - whose text holds the full URL - hangs on ``__context__``.
"""

from __future__ import annotations

from datetime import datetime

from drummond_desktop.core.errors import AppError, DataError

Row = int | str | None


def _where(endpoint: str, symbol: str) -> str:
    return f"{endpoint} {symbol}".strip() if symbol else endpoint


class FeedError(AppError):
    """A provider request that did not give usable data."""

    user_message = "The market-data request failed."

    def __init__(self, detail: str = "", *, endpoint: str = "", symbol: str = "",
                 user_message: str | None = None) -> None:
        self.endpoint = endpoint
        self.symbol = symbol
        where = _where(endpoint, symbol)
        super().__init__(f"{where}: {detail}" if where and detail else detail or where,
                         user_message=user_message)


class AuthError(FeedError):
    """401/403 or a missing key; ``server_text`` is what the provider said (scrubbed)."""

    user_message = "EODHD refused the API key."

    def __init__(self, server_text: str, *, status: int | None = None, endpoint: str = "",
                 symbol: str = "") -> None:
        self.status = status
        self.server_text = server_text
        if status is None:
            super().__init__("no API key", endpoint=endpoint, symbol=symbol,
                             user_message="No EODHD API key is set: add one in Settings, or "
                                          "set DRUMMOND_EODHD_API_KEY.")
            return
        text = f"EODHD refused the request (HTTP {status}): {server_text or 'no reason given'}"
        super().__init__(f"HTTP {status}: {server_text}", endpoint=endpoint, symbol=symbol,
                         user_message=text)


class QuotaExhausted(FeedError):
    """402: the daily call quota is spent until ``reset_at`` (UTC)."""

    def __init__(self, reset_at: datetime, *, endpoint: str = "", symbol: str = "") -> None:
        self.reset_at = reset_at
        when = reset_at.strftime("%Y-%m-%d %H:%M UTC")
        super().__init__(f"daily call quota exhausted until {when}", endpoint=endpoint,
                         symbol=symbol,
                         user_message=f"The EODHD daily call quota is used up; syncing "
                                      f"resumes after {when}.")


class RateLimited(FeedError):
    """429 that the retries did not get past; try again in ``retry_after`` seconds."""

    def __init__(self, retry_after: float, *, endpoint: str = "", symbol: str = "") -> None:
        self.retry_after = retry_after
        super().__init__(f"rate limited; retry after {retry_after:.0f} s", endpoint=endpoint,
                         symbol=symbol,
                         user_message=f"EODHD is limiting requests; try again in "
                                      f"{max(retry_after, 1):.0f} seconds.")


class NotFound(FeedError):
    """404: unknown ticker or exchange, or no data for the range."""

    def __init__(self, *, endpoint: str = "", symbol: str = "") -> None:
        what = symbol or endpoint
        super().__init__("not found (HTTP 404)", endpoint=endpoint, symbol=symbol,
                         user_message=f"EODHD has no data for {what}.")


class ProviderUnavailable(FeedError):
    """Timeouts, dropped connections or 5xx after every retry."""

    user_message = "EODHD is not reachable right now; try again later."

    def __init__(self, reason: str, *, status: int | None = None, attempts: int = 0,
                 endpoint: str = "", symbol: str = "") -> None:
        self.status = status
        self.reason = reason
        self.attempts = attempts
        tail = f" after {attempts} attempts" if attempts else ""
        super().__init__(f"{reason}{tail}", endpoint=endpoint, symbol=symbol)


class BadRequest(FeedError):
    """Another 4xx: the request was wrong (bad parameters, unsupported range)."""

    def __init__(self, server_text: str, *, status: int, endpoint: str = "",
                 symbol: str = "") -> None:
        self.status = status
        self.server_text = server_text
        super().__init__(f"HTTP {status}: {server_text}", endpoint=endpoint, symbol=symbol,
                         user_message=f"EODHD rejected the request (HTTP {status}): "
                                      f"{server_text or 'no reason given'}")


class BudgetExceeded(FeedError):
    """Refused before sending: ``cost`` calls would pass the daily budget."""

    def __init__(self, cost: int, remaining: int, *, endpoint: str = "",
                 symbol: str = "") -> None:
        self.cost = cost
        self.remaining = remaining
        super().__init__(f"needs {cost} calls, {remaining} left in today's budget",
                         endpoint=endpoint, symbol=symbol,
                         user_message=f"Today's EODHD call budget is used up ({remaining} "
                                      f"left, {cost} needed); syncing resumes tomorrow.")


class BadData(FeedError, DataError):
    """A payload that breaks ``rule`` at ``row`` (index or date; ``None``: the whole payload)."""

    def __init__(self, symbol: str, rule: str, row: Row = None, *, endpoint: str = "",
                 detail: str = "") -> None:
        self.rule = rule
        self.row = row
        self.detail = detail
        at = f" at row {row}" if row is not None else ""
        text = f"{rule}{at}" + (f" ({detail})" if detail else "")
        who = symbol or endpoint or "EODHD"
        super().__init__(text, endpoint=endpoint, symbol=symbol,
                         user_message=f"Bad data from EODHD for {who}: {rule}{at}.")
