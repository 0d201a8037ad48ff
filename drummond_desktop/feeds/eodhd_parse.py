"""Parsers from decoded EODHD JSON to the typed results of ``eodhd_models``.

Every shape problem is a ``BadData(symbol, rule, row)``: a missing field, a string where a number
belongs, a date that is not ``YYYY-MM-DD``, a ticker or exchange other than the one requested.
Optional fields accept JSON null, ``""`` and EODHD's ``"NA"`` as "not given".
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date, time
from typing import Any

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
from drummond_desktop.feeds.errors import BadData
from drummond_desktop.feeds.validate import price_rule, rows_of

_ABSENT = (None, "", "NA", "N/A")
_RATIO = re.compile(r"\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*")


class Fields:
    """Typed access to one JSON object; problems become ``BadData`` naming the row."""

    def __init__(self, row: Any, i: int | None, *, symbol: str, endpoint: str) -> None:
        if not isinstance(row, dict):
            raise BadData(symbol, "not an object", i, endpoint=endpoint)
        self.row: dict[str, Any] = row
        self.i = i
        self.symbol = symbol
        self.endpoint = endpoint

    def bad(self, rule: str, detail: str = "") -> BadData:
        return BadData(self.symbol, rule, self.i, endpoint=self.endpoint, detail=detail[:80])

    def _get(self, key: str, required: bool) -> Any:
        value = self.row.get(key)
        if value in _ABSENT:
            if required:
                raise self.bad(f"missing field {key!r}")
            return None
        return value

    def text(self, key: str) -> str:
        value = self._get(key, True)
        if not isinstance(value, str):
            raise self.bad(f"field {key!r} is not text", f"got {type(value).__name__}")
        return value

    def opt_text(self, key: str) -> str | None:
        return None if self._get(key, False) is None else self.text(key)

    def number(self, key: str) -> float:
        value = self._get(key, True)
        if type(value) is not int and type(value) is not float:
            raise self.bad(f"field {key!r} is not a number", f"got {type(value).__name__}")
        try:
            out = float(value)
        except OverflowError:
            raise self.bad(f"field {key!r} is not a finite number") from None
        if not math.isfinite(out):
            raise self.bad(f"field {key!r} is not a finite number")
        return out

    def opt_number(self, key: str) -> float | None:
        return None if self._get(key, False) is None else self.number(key)

    def integer(self, key: str) -> int:
        value = self._get(key, True)
        if type(value) is not int:
            raise self.bad(f"field {key!r} is not an integer", f"got {type(value).__name__}")
        return value

    def opt_integer(self, key: str) -> int | None:
        return None if self._get(key, False) is None else self.integer(key)

    def day(self, key: str) -> date:
        value = self.text(key)
        try:
            if len(value) != 10:
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            raise self.bad(f"field {key!r} is not a YYYY-MM-DD date", repr(value)) from None

    def opt_day(self, key: str) -> date | None:
        return None if self._get(key, False) is None else self.day(key)

    def opt_clock(self, key: str) -> time | None:
        value = self.opt_text(key)
        if value is None:
            return None
        try:
            return time.fromisoformat(value)
        except ValueError:
            raise self.bad(f"field {key!r} is not a time of day", repr(value)) from None

    def opt_flag(self, key: str) -> bool | None:
        value = self.row.get(key)
        if value is None or isinstance(value, bool):
            return value
        raise self.bad(f"field {key!r} is not true/false", f"got {type(value).__name__}")


def _same(a: str, b: str) -> bool:
    return a.strip().upper() == b.strip().upper()


def _ticker(symbol: str) -> str:
    return symbol.rsplit(".", 1)[0] if "." in symbol else symbol


def parse_quotes(payload: Any, requested: Sequence[str], *, endpoint: str) -> tuple[Quote, ...]:
    """``/real-time``: an object for one ticker, a list for several; each code must be one
    of ``requested``."""
    rows = payload if isinstance(payload, list) else [payload]
    wanted = {s.strip().upper() for s in requested}
    label = ",".join(requested)
    out = []
    for i, row in enumerate(rows):
        f = Fields(row, i if isinstance(payload, list) else None, symbol=label,
                   endpoint=endpoint)
        code = f.text("code")
        if code.strip().upper() not in wanted:
            raise f.bad("wrong symbol", f"got {code!r}")
        o, h, lo, c = (f.opt_number(k) for k in ("open", "high", "low", "close"))
        volume = f.opt_number("volume")
        if o is not None and h is not None and lo is not None and c is not None:
            rule = price_rule(o, h, lo, c, volume or 0.0)
            if rule is not None:
                raise f.bad(rule)
        out.append(Quote(code, f.opt_integer("timestamp"), f.opt_integer("gmtoffset") or 0,
                         o, h, lo, c, volume, f.opt_number("previousClose"),
                         f.opt_number("change"), f.opt_number("change_p")))
    return tuple(out)


def _bulk_bar(f: Fields, exchange: str) -> BulkBar:
    code, where = f.text("code"), f.text("exchange_short_name")
    if not _same(where, exchange):
        raise f.bad("wrong exchange", f"got {where!r}")
    o, h, lo, c, v = (f.number(k) for k in ("open", "high", "low", "close", "volume"))
    rule = price_rule(o, h, lo, c, v)
    if rule is not None:
        raise f.bad(rule)
    return BulkBar(code, where, f.day("date"), o, h, lo, c, f.opt_number("adjusted_close"), v)


def parse_bulk_eod(payload: Any, exchange: str, symbols: Sequence[str] = (), *,
                   endpoint: str) -> BulkEod:
    """``/eod-bulk-last-day`` (type eod). The payload must be a list; each bad row is rejected
    alone, named by its code."""
    rows = rows_of(payload, symbol=exchange, endpoint=endpoint)
    wanted = {_ticker(s).upper() for s in symbols}
    bars: dict[str, BulkBar] = {}
    conflicted: set[str] = set()
    rejected: list[BadData] = []
    for i, row in enumerate(rows):
        code = row.get("code")
        f = Fields(row, i, symbol=code if isinstance(code, str) else exchange, endpoint=endpoint)
        try:
            bar = _bulk_bar(f, exchange)
            if wanted and bar.code.upper() not in wanted:
                raise f.bad("wrong symbol", "not among the requested symbols")
            if bar.code in conflicted or bars.get(bar.code, bar) != bar:
                # Two different bars for one symbol and day: neither can be trusted.
                conflicted.add(bar.code)
                bars.pop(bar.code, None)
                raise f.bad("conflicting duplicate date", bar.code)
        except BadData as exc:
            rejected.append(exc)
            continue
        bars[bar.code] = bar  # an identical duplicate just overwrites itself
    return BulkEod(tuple(bars.values()), tuple(rejected))


def _ratio(f: Fields) -> tuple[float, float]:
    text = f.text("split")
    m = _RATIO.fullmatch(text)
    new, old = (float(m.group(1)), float(m.group(2))) if m else (0.0, 0.0)
    if new <= 0 or old <= 0:
        raise f.bad("split ratio is not new/old with positive numbers", repr(text))
    return new, old


def parse_splits(payload: Any, symbol: str, *, endpoint: str,
                 exchange: str = "") -> tuple[Split, ...]:
    """``/splits/{SYMBOL}``, or bulk ``type=splits`` rows when ``exchange`` is given."""
    out = []
    for i, row in enumerate(rows_of(payload, symbol=symbol, endpoint=endpoint)):
        f = Fields(row, i, symbol=symbol, endpoint=endpoint)
        code, where = _bulk_identity(f, exchange)
        out.append(Split(f.day("date"), *_ratio(f), code=code, exchange=where))
    return tuple(sorted(out, key=lambda s: (s.date, s.code)))


def _bulk_identity(f: Fields, exchange: str) -> tuple[str, str]:
    if not exchange:
        return "", ""
    where = f.text("exchange")
    if not _same(where, exchange):
        raise f.bad("wrong exchange", f"got {where!r}")
    return f.text("code"), where


def parse_dividends(payload: Any, symbol: str, *, endpoint: str,
                    exchange: str = "") -> tuple[Dividend, ...]:
    """``/div/{SYMBOL}``, or bulk ``type=dividends`` rows (``dividend`` instead of ``value``)
    when ``exchange`` is given."""
    out = []
    for i, row in enumerate(rows_of(payload, symbol=symbol, endpoint=endpoint)):
        f = Fields(row, i, symbol=symbol, endpoint=endpoint)
        code, where = _bulk_identity(f, exchange)
        value = f.number("dividend" if exchange else "value")
        if value < 0:
            raise f.bad("dividend < 0", repr(value))
        out.append(Dividend(f.day("date"), value, f.opt_number("unadjustedValue"),
                            f.opt_text("currency"), f.opt_day("declarationDate"),
                            f.opt_day("recordDate"), f.opt_day("paymentDate"),
                            f.opt_text("period"), code=code, exchange=where))
    return tuple(sorted(out, key=lambda d: (d.date, d.code)))


def parse_exchanges(payload: Any, *, endpoint: str) -> tuple[Exchange, ...]:
    out = []
    for i, row in enumerate(rows_of(payload, symbol="", endpoint=endpoint)):
        f = Fields(row, i, symbol="", endpoint=endpoint)
        out.append(Exchange(f.text("Code"), f.text("Name"), f.opt_text("OperatingMIC"),
                            f.opt_text("Country"), f.opt_text("Currency"),
                            f.opt_text("CountryISO2"), f.opt_text("CountryISO3")))
    return tuple(out)


def parse_exchange_symbols(payload: Any, exchange: str, *,
                           endpoint: str) -> tuple[ExchangeSymbol, ...]:
    out = []
    for i, row in enumerate(rows_of(payload, symbol=exchange, endpoint=endpoint)):
        f = Fields(row, i, symbol=exchange, endpoint=endpoint)
        out.append(ExchangeSymbol(f.text("Code"), f.opt_text("Name"), f.opt_text("Country"),
                                  f.opt_text("Exchange"), f.opt_text("Currency"),
                                  f.opt_text("Type"), f.opt_text("Isin")))
    return tuple(out)


def _entries(value: Any, f: Fields, key: str) -> list[tuple[str | None, Any]]:
    """Holiday-like collections come as a list, as ``{"0": {...}}`` or keyed by date (v2)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [(None, v) for v in value]
    if isinstance(value, dict):
        return [(k, v) for k, v in value.items()]
    raise f.bad(f"field {key!r} is not a list or object")


def _holidays(f: Fields) -> tuple[tuple[Holiday, ...], tuple[EarlyClose, ...]]:
    holidays, early = [], []
    for k, item in _entries(f.row.get("ExchangeHolidays"), f, "ExchangeHolidays"):
        h = Fields(item, f.i, symbol=f.symbol, endpoint=f.endpoint)
        day = h.opt_day("Date") or _key_day(k, h)
        if h.row.get("Type") == "EarlyClose":
            early.append(EarlyClose(day, h.opt_clock("EarlyClose"), h.opt_text("Holiday")))
        else:
            holidays.append(Holiday(day, h.opt_text("Holiday") or "", h.opt_text("Type")))
    for k, item in _entries(f.row.get("ExchangeEarlyCloseDays"), f, "ExchangeEarlyCloseDays"):
        e = Fields(item, f.i, symbol=f.symbol, endpoint=f.endpoint)
        early.append(EarlyClose(e.opt_day("Date") or _key_day(k, e),
                                e.opt_clock("CloseTime") or e.opt_clock("EarlyClose"),
                                e.opt_text("Holiday")))
    return (tuple(sorted(holidays, key=lambda x: x.date)),
            tuple(sorted(early, key=lambda x: x.date)))


def _key_day(key: str | None, f: Fields) -> date:
    return Fields({"Date": key}, f.i, symbol=f.symbol, endpoint=f.endpoint).day("Date")


def parse_exchange_details(payload: Any, code: str, *, endpoint: str) -> ExchangeDetails:
    f = Fields(payload, None, symbol=code, endpoint=endpoint)
    got = f.text("Code")
    if not _same(got, code):
        raise f.bad("wrong exchange", f"got {got!r}")
    hours = Fields(f.row.get("TradingHours") or {}, None, symbol=code, endpoint=endpoint)
    days = tuple(d.strip() for d in (hours.opt_text("WorkingDays") or "").split(",")
                 if d.strip())
    trading = TradingHours(hours.opt_clock("Open"), hours.opt_clock("Close"),
                           hours.opt_clock("OpenUTC"), hours.opt_clock("CloseUTC"), days)
    holidays, early = _holidays(f)
    return ExchangeDetails(got, f.text("Name"), f.text("Timezone"), f.opt_text("OperatingMIC"),
                           f.opt_text("Country"), f.opt_text("Currency"), f.opt_flag("isOpen"),
                           trading, holidays, early, f.opt_integer("ActiveTickers"))


def parse_search(payload: Any, query: str, *, endpoint: str) -> tuple[SearchHit, ...]:
    out = []
    for i, row in enumerate(rows_of(payload, symbol=query, endpoint=endpoint)):
        f = Fields(row, i, symbol=query, endpoint=endpoint)
        out.append(SearchHit(f.text("Code"), f.text("Exchange"), f.opt_text("Name") or "",
                             f.opt_text("Type"), f.opt_text("Country"), f.opt_text("Currency"),
                             f.opt_text("ISIN"), f.opt_number("previousClose"),
                             f.opt_day("previousCloseDate"), f.opt_flag("isPrimary")))
    return tuple(out)


def parse_user(payload: Any, *, endpoint: str) -> UserInfo:
    f = Fields(payload, None, symbol="", endpoint=endpoint)
    feeds = f.row.get("availableDataFeeds") or []
    if not isinstance(feeds, list) or not all(isinstance(x, str) for x in feeds):
        raise f.bad("field 'availableDataFeeds' is not a list of text")
    return UserInfo(f.integer("apiRequests"), f.opt_day("apiRequestsDate"),
                    f.integer("dailyRateLimit"), f.opt_integer("extraLimit") or 0,
                    f.opt_text("subscriptionType"), f.opt_text("subscriptionMode"),
                    tuple(feeds))
