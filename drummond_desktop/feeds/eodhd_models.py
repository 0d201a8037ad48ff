"""Typed results of the EODHD endpoints that do not return bar history.

Frozen dataclasses with snake_case fields; empty strings and EODHD's ``"NA"`` placeholders arrive
as ``None``. Dates are ``datetime.date``, times of day ``datetime.time``, instants epoch seconds.
Bar history is ``engine.Bars`` inside ``validate.BarsResult``, never one of these.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from drummond_desktop.feeds.errors import BadData


@dataclass(frozen=True)
class Quote:
    """A delayed ``/real-time`` snapshot (15-20 min for stocks). Not a bar: never stored as
    history. ``close`` is the last price; fields EODHD sends as ``"NA"`` are ``None``."""

    code: str
    ts: int | None
    gmtoffset: int
    open: float | None
    high: float | None
    low: float | None
    close: float | None
    volume: float | None
    previous_close: float | None
    change: float | None
    change_pct: float | None


@dataclass(frozen=True)
class BulkBar:
    """One row of ``/eod-bulk-last-day``: the last daily bar of ``code`` on ``exchange``."""

    code: str
    exchange: str
    date: dt.date
    open: float
    high: float
    low: float
    close: float
    adjusted_close: float | None
    volume: float

    @property
    def symbol(self) -> str:
        """``CODE.EXCHANGE``, the form every other endpoint takes."""
        return f"{self.code}.{self.exchange}"


@dataclass(frozen=True)
class BulkEod:
    """A bulk last-day payload. Each row is a different symbol, so a bad row is rejected on
    its own (``rejected``) instead of throwing away the whole exchange."""

    bars: tuple[BulkBar, ...]
    rejected: tuple[BadData, ...]


@dataclass(frozen=True)
class Split:
    """A split on ``date``: ``new`` shares for every ``old`` (``4.000000/1.000000``)."""

    date: dt.date
    new: float
    old: float
    code: str = ""  # bulk rows only
    exchange: str = ""

    @property
    def factor(self) -> float:
        """Shares after per share before: prices before ``date`` divide by this."""
        return self.new / self.old


@dataclass(frozen=True)
class Dividend:
    """A dividend with its ex-date ``date``; ``value`` is split-adjusted, ``unadjusted_value``
    as paid at the time."""

    date: dt.date
    value: float
    unadjusted_value: float | None
    currency: str | None
    declaration_date: dt.date | None = None
    record_date: dt.date | None = None
    payment_date: dt.date | None = None
    period: str | None = None
    code: str = ""  # bulk rows only
    exchange: str = ""


@dataclass(frozen=True)
class Exchange:
    """One entry of ``/exchanges-list``."""

    code: str
    name: str
    operating_mic: str | None
    country: str | None
    currency: str | None
    country_iso2: str | None
    country_iso3: str | None


@dataclass(frozen=True)
class ExchangeSymbol:
    """One ticker of ``/exchange-symbol-list/{EXCHANGE}``."""

    code: str
    name: str | None
    country: str | None
    exchange: str | None
    currency: str | None
    type: str | None
    isin: str | None


@dataclass(frozen=True)
class TradingHours:
    """Regular session in exchange-local time (use these with ``timezone``, not the UTC
    fields, which move with daylight saving)."""

    open: dt.time | None
    close: dt.time | None
    open_utc: dt.time | None
    close_utc: dt.time | None
    working_days: tuple[str, ...]


@dataclass(frozen=True)
class Holiday:
    date: dt.date
    name: str
    type: str | None  # "official", "bank", ...


@dataclass(frozen=True)
class EarlyClose:
    date: dt.date
    close: dt.time | None
    name: str | None = None


@dataclass(frozen=True)
class ExchangeDetails:
    """``/exchange-details/{CODE}``: session hours, holidays and early closes in a window."""

    code: str
    name: str
    timezone: str
    operating_mic: str | None
    country: str | None
    currency: str | None
    is_open: bool | None
    trading_hours: TradingHours
    holidays: tuple[Holiday, ...]
    early_closes: tuple[EarlyClose, ...]
    active_tickers: int | None = None


@dataclass(frozen=True)
class SearchHit:
    """One ``/search/{query}`` result."""

    code: str
    exchange: str
    name: str
    type: str | None
    country: str | None
    currency: str | None
    isin: str | None
    previous_close: float | None
    previous_close_date: dt.date | None
    is_primary: bool | None

    @property
    def symbol(self) -> str:
        return f"{self.code}.{self.exchange}"


@dataclass(frozen=True)
class UserInfo:
    """``/internal-user``: today's usage and the plan's limits. The account's name and e-mail
    are deliberately not kept (we do not need personal data)."""

    api_requests: int
    api_requests_date: dt.date | None
    daily_rate_limit: int
    extra_limit: int
    subscription_type: str | None
    subscription_mode: str | None
    available_data_feeds: tuple[str, ...]

    @property
    def remaining_calls(self) -> int:
        return max(self.daily_rate_limit + self.extra_limit - self.api_requests, 0)
