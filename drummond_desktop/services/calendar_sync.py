"""Exchange calendars for the store: trading hours, holidays and early closes from EODHD's
``exchange-details``, fetched once per exchange that has none stored (5 calls). Later work —
session-anchored resampling, intraday coverage gaps — reads them from the store.

A plan without the endpoint (the Free plan, the demo key) or an unknown exchange is not an
error for the sync that triggered it: the calendar stays empty and the built-in rules apply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from drummond_desktop.core.errors import AppError
from drummond_desktop.feeds.eodhd import EodhdClient
from drummond_desktop.feeds.eodhd_models import ExchangeDetails
from drummond_desktop.feeds.errors import (
    BudgetExceeded,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from drummond_desktop.store import ExchangeInfo, Holiday, MarketStore, TradingHours

log = logging.getLogger(__name__)
_PROPAGATE = (QuotaExhausted, BudgetExceeded, RateLimited, ProviderUnavailable)


def exchange_of(symbol: str) -> str:
    return symbol.rsplit(".", 1)[-1].upper() if "." in symbol else ""


class CalendarSync:
    """Fills the store's calendar for exchanges it has not seen; remembers what it tried."""

    def __init__(self, store: MarketStore, client: Callable[[], EodhdClient]) -> None:
        self._store = store
        self._client = client
        self._tried: set[str] = set()

    def ensure(self, symbol: str) -> bool:
        """Make sure the exchange of ``symbol`` has a stored calendar; True when it has one."""
        exchange = exchange_of(symbol)
        if not exchange:
            return False
        if self._store.calendar.hours(exchange) is not None:
            return True
        if exchange in self._tried:
            return False
        self._tried.add(exchange)
        try:
            details = self._client().exchange_details(exchange)
        except _PROPAGATE:
            raise
        except AppError as exc:  # no plan for it, unknown exchange: the built-in rules apply
            log.info("no exchange calendar for %s: %s", exchange, exc.user_message)
            return False
        self.store_details(exchange, details)
        return True

    def store_details(self, exchange: str, d: ExchangeDetails) -> None:
        self._store.exchanges.upsert([ExchangeInfo(
            code=exchange, name=d.name, country=d.country or "", currency=d.currency or "",
            timezone=d.timezone, operating_mic=d.operating_mic or "")])
        hours = d.trading_hours
        if hours.open is not None and hours.close is not None:
            self._store.calendar.set_hours(exchange, TradingHours(
                hours.open.isoformat(), hours.close.isoformat(), ",".join(hours.working_days)))
        closed = [Holiday(h.date, h.name, h.type or "official") for h in d.holidays]
        early = [Holiday(e.date, e.name or "", "early_close",
                         e.close.isoformat() if e.close else None) for e in d.early_closes]
        self._store.calendar.upsert_holidays(exchange, closed + early)
