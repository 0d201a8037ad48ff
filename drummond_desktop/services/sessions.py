"""Exchange sessions for building higher timeframes: the stored calendar first, then the
engine's built-in one.

``store_sessions(store)`` returns a ``SessionLookup`` (symbol -> ``engine.resample.Session``)
that reads, for the symbol's exchange (the ``.US`` of ``AAPL.US``), what the sync stored from
EODHD's ``exchange-details``: the time zone (``exchanges``), the regular hours and working days
(``calendar_hours``) and the holidays and early closes (``calendar_holidays``). What the store
lacks comes from the engine's built-in calendar (``engine.resample.session_for``: US, XETRA,
LSE, TSE hours; US, XETRA and LSE holidays and early closes by rule, ``engine.calendars``):

* nothing stored for the exchange            -> the built-in session (round the clock in UTC
                                                for an exchange it does not know either);
* a time zone but no hours                    -> the built-in session when it is in that zone,
                                                else round the clock in that zone, every day:
                                                with unknown hours no bar is dropped;
* hours                                       -> those hours on the working days, minus the
                                                stored holidays, closing early where stored.

An early close the engine cannot use (outside the regular hours) is left out with a warning
rather than making the whole calendar unusable.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from engine.resample import Session, session_for

if TYPE_CHECKING:
    from drummond_desktop.store import Holiday, MarketStore, TradingHours

log = logging.getLogger(__name__)

SessionLookup = Callable[[str], Session]  # symbol -> its exchange's session
UTC_SESSION = Session("UTC", dt.time(0, 0), dt.time(0, 0), weekdays=tuple(range(7)), name="UTC")
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def default_session(symbol: str) -> Session:
    """The session known without a store: the engine's built-in one for the exchange suffix."""
    return session_for(symbol)


def store_sessions(store: Callable[[], MarketStore]) -> SessionLookup:
    """A ``SessionLookup`` reading the market store; ``store`` is called on first use, on the
    worker thread. ``ValueError`` for an unusable stored time zone (the caller decides what to
    fall back to)."""

    def lookup(symbol: str) -> Session:
        _, dot, exchange = symbol.rpartition(".")
        if not dot or not exchange:
            return default_session(symbol)
        market = store()
        info = market.exchanges.get(exchange)
        hours = market.calendar.hours(exchange)
        zone = info.timezone if info is not None else ""
        if not zone:
            return default_session(symbol)
        if hours is None:
            built_in = default_session(symbol)
            if built_in.tz == zone:
                return built_in
            return Session(zone, dt.time(0, 0), dt.time(0, 0), weekdays=tuple(range(7)),
                           name=exchange)
        return session_from_calendar(exchange, zone, hours, market.calendar.holidays(exchange))

    return lookup


def session_from_calendar(exchange: str, zone: str, hours: TradingHours,
                          holidays: Iterable[Holiday]) -> Session:
    """An engine ``Session`` from a stored calendar; ``ValueError`` names the exchange when
    the hours or working days cannot be read."""
    try:
        opens = dt.time.fromisoformat(hours.open_local)
        closes = dt.time.fromisoformat(hours.close_local)
    except ValueError:
        raise ValueError(f"{exchange}: unreadable trading hours {hours.open_local!r}-"
                         f"{hours.close_local!r}") from None
    days = _weekdays(exchange, hours.working_days)
    closed = frozenset(h.date for h in holidays if h.full_day)
    early = tuple(_early_closes(exchange, opens, closes, holidays))
    return Session(zone, opens, closes, holidays=closed, early_closes=early, weekdays=days,
                   name=exchange)


def _weekdays(exchange: str, text: str) -> tuple[int, ...]:
    names = [part.strip().lower()[:3] for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in _WEEKDAYS]
    if unknown or not names:
        raise ValueError(f"{exchange}: unreadable working days {text!r}")
    return tuple(sorted({_WEEKDAYS[n] for n in names}))


def _early_closes(exchange: str, opens: dt.time, closes: dt.time,
                  holidays: Iterable[Holiday]) -> Iterable[tuple[dt.date, dt.time]]:
    for h in holidays:
        if h.close_local is None:
            continue
        try:
            t = dt.time.fromisoformat(h.close_local)
        except ValueError:
            t = None
        if t is None or not opens < t <= (dt.time.max if closes == opens else closes):
            log.warning("%s: early close %r on %s is not inside the session %s-%s; ignored",
                        exchange, h.close_local, h.date, opens, closes)
            continue
        yield h.date, t
