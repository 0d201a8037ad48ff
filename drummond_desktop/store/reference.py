"""Reference data: exchanges, symbols, trading hours and holidays.

Symbols are named as EODHD names them, ``CODE.EXCHANGE`` (``AAPL.US``, ``BRK-B.US``,
``EURUSD.FOREX``): exactly one exchange suffix after the last dot. Writing bars for a symbol the
store has not seen creates its row (and a placeholder row for its exchange, filled in when the
exchange list is synced), so an import never needs a prior lookup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from drummond_desktop.store.engines import read_connection, upsert_rows, write_transaction
from drummond_desktop.store.schema import table

_EXCHANGES = table("exchanges")
_SYMBOLS = table("symbols")
_HOURS = table("exchange_hours")
_HOLIDAYS = table("exchange_holidays")


def split_ticker(ticker: str) -> tuple[str, str]:
    """``"AAPL.US"`` -> ``("AAPL", "US")``; ``ValueError`` naming the ticker otherwise."""
    code, dot, exchange = ticker.strip().rpartition(".")
    if not dot or not code or not exchange:
        raise ValueError(f"symbol {ticker!r} needs an exchange suffix, e.g. AAPL.US or "
                         "EURUSD.FOREX")
    return code, exchange


@dataclass(frozen=True)
class ExchangeInfo:
    code: str
    name: str = ""
    country: str = ""
    currency: str = ""
    timezone: str = ""  # IANA name; empty = unknown (treated as UTC)
    operating_mic: str = ""


@dataclass(frozen=True)
class SymbolInfo:
    code: str
    exchange: str
    name: str = ""
    type: str = ""
    currency: str = ""

    @property
    def ticker(self) -> str:
        return f"{self.code}.{self.exchange}"


@dataclass(frozen=True)
class TradingHours:
    """Regular hours in the exchange's local time, e.g. ``"09:30:00"``-``"16:00:00"``."""

    open_local: str
    close_local: str
    working_days: str = "Mon,Tue,Wed,Thu,Fri"


@dataclass(frozen=True)
class Holiday:
    """A closed day, or an early close when ``close_local`` is set."""

    date: dt.date
    name: str = ""
    type: str = "official"
    close_local: str | None = None

    @property
    def full_day(self) -> bool:
        return self.close_local is None


def ensure_symbol(conn: Connection, ticker: str) -> int:
    """The id of ``ticker``, creating its row (and a placeholder exchange) when missing."""
    code, exchange = split_ticker(ticker)
    found = conn.execute(select(_SYMBOLS.c.id).where(
        _SYMBOLS.c.code == code, _SYMBOLS.c.exchange == exchange)).scalar()
    if found is not None:
        return int(found)
    _placeholder_exchanges(conn, [exchange])
    upsert_rows(conn, _SYMBOLS, [asdict(SymbolInfo(code, exchange))], ("code", "exchange"),
                update=False)
    return int(conn.execute(select(_SYMBOLS.c.id).where(
        _SYMBOLS.c.code == code, _SYMBOLS.c.exchange == exchange)).scalar_one())


def symbol_id(conn: Connection, ticker: str) -> int | None:
    code, exchange = split_ticker(ticker)
    found = conn.execute(select(_SYMBOLS.c.id).where(
        _SYMBOLS.c.code == code, _SYMBOLS.c.exchange == exchange)).scalar()
    return None if found is None else int(found)


class _Repository:
    def __init__(self, engine: Engine, where: str) -> None:
        self._engine = engine
        self._where = where


class ExchangeRepository(_Repository):
    """The exchanges list (EODHD ``exchanges-list``)."""

    def upsert(self, exchanges: Iterable[ExchangeInfo]) -> int:
        rows = [asdict(e) for e in exchanges]
        with write_transaction(self._engine, self._where, "saving exchanges") as conn:
            upsert_rows(conn, _EXCHANGES, rows, ("code",))
        return len(rows)

    def get(self, code: str) -> ExchangeInfo | None:
        with read_connection(self._engine, self._where, f"reading exchange {code}") as conn:
            row = conn.execute(select(_EXCHANGES).where(_EXCHANGES.c.code == code)).first()
        return None if row is None else ExchangeInfo(**row._asdict())

    def all(self) -> list[ExchangeInfo]:
        with read_connection(self._engine, self._where, "listing exchanges") as conn:
            rows = conn.execute(select(_EXCHANGES).order_by(_EXCHANGES.c.code)).all()
        return [ExchangeInfo(**r._asdict()) for r in rows]


class SymbolRepository(_Repository):
    """Symbols by ``CODE.EXCHANGE`` (EODHD ``exchange-symbol-list``, search, imports)."""

    def upsert(self, symbols: Iterable[SymbolInfo]) -> int:
        """Add symbols or update their name, type and currency; exchanges are created when
        missing."""
        rows = [asdict(s) for s in symbols]
        with write_transaction(self._engine, self._where, "saving symbols") as conn:
            _placeholder_exchanges(conn, sorted({r["exchange"] for r in rows}))
            upsert_rows(conn, _SYMBOLS, rows, ("code", "exchange"))
        return len(rows)

    def get(self, ticker: str) -> SymbolInfo | None:
        code, exchange = split_ticker(ticker)
        with read_connection(self._engine, self._where, f"reading symbol {ticker}") as conn:
            row = conn.execute(select(_SYMBOLS).where(
                _SYMBOLS.c.code == code, _SYMBOLS.c.exchange == exchange)).first()
        return None if row is None else _symbol(row._asdict())

    def all(self, exchange: str | None = None) -> list[SymbolInfo]:
        query = select(_SYMBOLS).order_by(_SYMBOLS.c.exchange, _SYMBOLS.c.code)
        if exchange is not None:
            query = query.where(_SYMBOLS.c.exchange == exchange)
        with read_connection(self._engine, self._where, "listing symbols") as conn:
            return [_symbol(r._asdict()) for r in conn.execute(query)]


def _symbol(row: dict[str, object]) -> SymbolInfo:
    row.pop("id", None)
    return SymbolInfo(**row)  # type: ignore[arg-type]


class CalendarRepository(_Repository):
    """Trading hours and holidays per exchange (EODHD ``exchange-details``)."""

    def set_hours(self, exchange: str, hours: TradingHours) -> None:
        row = {"exchange": exchange, **asdict(hours)}
        with write_transaction(self._engine, self._where, f"saving hours of {exchange}") as conn:
            _placeholder_exchanges(conn, [exchange])
            upsert_rows(conn, _HOURS, [row], ("exchange",))

    def hours(self, exchange: str) -> TradingHours | None:
        with read_connection(self._engine, self._where, f"reading hours of {exchange}") as c:
            row = c.execute(select(_HOURS).where(_HOURS.c.exchange == exchange)).first()
        if row is None:
            return None
        data = row._asdict()
        data.pop("exchange")
        return TradingHours(**data)

    def upsert_holidays(self, exchange: str, holidays: Iterable[Holiday]) -> int:
        rows = [{"exchange": exchange, **asdict(h)} for h in holidays]
        with write_transaction(self._engine, self._where,
                               f"saving holidays of {exchange}") as conn:
            _placeholder_exchanges(conn, [exchange])
            upsert_rows(conn, _HOLIDAYS, rows, ("exchange", "date"))
        return len(rows)

    def holidays(self, exchange: str, start: dt.date | None = None,
                 end: dt.date | None = None) -> list[Holiday]:
        """Holidays and early closes of ``exchange`` between ``start`` and ``end`` inclusive."""
        query = select(_HOLIDAYS).where(_HOLIDAYS.c.exchange == exchange)
        if start is not None:
            query = query.where(_HOLIDAYS.c.date >= start)
        if end is not None:
            query = query.where(_HOLIDAYS.c.date <= end)
        with read_connection(self._engine, self._where, f"reading holidays of {exchange}") as c:
            rows = c.execute(query.order_by(_HOLIDAYS.c.date)).all()
        out = []
        for r in rows:
            data = r._asdict()
            data.pop("exchange")
            out.append(Holiday(**data))
        return out


def _placeholder_exchanges(conn: Connection, codes: list[str]) -> None:
    """Rows for exchanges not stored yet (insert-or-ignore: a synced row keeps its details)."""
    upsert_rows(conn, _EXCHANGES, [asdict(ExchangeInfo(c, name=c)) for c in codes], ("code",),
                update=False)
