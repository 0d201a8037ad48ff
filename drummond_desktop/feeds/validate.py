"""Validation of provider payloads before anything is returned (reliability.md §4.5).

A payload either passes every hard rule and becomes ``Bars`` (plus soft ``Anomaly`` flags), or it
raises ``BadData(symbol, rule, row)`` and *nothing* from it is returned. ``row`` is the 0-based
index of the first offending row in that payload; ``detail`` names its date and values.

Hard rules, checked in this order per row (the lowest offending row is reported): the row's shape
(an object with every field, numbers that are numbers, a ``YYYY-MM-DD`` date or integer timestamp),
finite prices, prices > 0, volume >= 0, high >= low, open and close inside [low, high]; then across
rows: no duplicate date with different values (identical duplicates are dropped silently), rows
ascending, dates inside the requested range and not in the future.

Soft anomalies are returned beside the bars, never raised: gaps of more than four calendar days
(a weekend plus a holiday is four; the exchange calendar can refine this later), zero volume,
missing (null) intraday volume (stored as 0), and close-to-close moves over 50 % (maybe a split -
the caller checks the splits endpoint).

Body decoding (``decode_json``) is separate: an unreadable body (empty, HTML or text with status
200, truncated or malformed JSON) is a transport-shaped failure that the HTTP layer retries.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from drummond_desktop.feeds.errors import BadData
from engine.bars import Bars, BarsError

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B1 = npt.NDArray[np.bool_]

DAY = 86_400
GAP_DAYS = 4
BIG_MOVE = 0.5
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PRICES = ("open", "high", "low", "close")


@dataclass(frozen=True, eq=False)
class Anomaly:
    """A soft anomaly: ``kind`` ("gap", "zero_volume", "missing_volume", "big_move") and the
    timestamps of the flagged bars (for a gap, the bar after it)."""

    kind: str
    ts: I64
    detail: str


@dataclass(frozen=True, eq=False)
class BarsResult:
    """Validated bars, their soft anomalies, and (EOD only) the vendor's ``adjusted_close``
    aligned with the bars - kept aside to detect retroactive adjustments, never used as bars."""

    bars: Bars
    anomalies: tuple[Anomaly, ...] = ()
    adjusted_close: F64 | None = None


@dataclass(frozen=True, eq=False)
class Columns:
    """Parsed, not yet validated, columns of one payload."""

    ts: I64
    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64
    missing_volume: B1
    adjusted_close: F64 | None = None

    def take(self, keep: npt.NDArray[Any]) -> Columns:
        adj = None if self.adjusted_close is None else self.adjusted_close[keep]
        return Columns(self.ts[keep], self.open[keep], self.high[keep], self.low[keep],
                       self.close[keep], self.volume[keep], self.missing_volume[keep], adj)


def decode_json(body: bytes, content_type: str, *, symbol: str = "", endpoint: str = "") -> Any:
    """Parse a 200 body as JSON or raise ``BadData`` naming why it is unreadable."""
    text = body.lstrip()
    if not text:
        raise BadData(symbol, "empty body", endpoint=endpoint)
    if text[:1] == b"<" or "html" in content_type.lower():
        raise BadData(symbol, "HTML body instead of JSON", endpoint=endpoint)
    if text[:1] not in b"[{\"-0123456789tfn":
        raise BadData(symbol, "text body instead of JSON", endpoint=endpoint,
                      detail=f"starts with {bytes(text[:12])!r}")
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        # A cut-off body fails at its end, or inside a string that never closes.
        at_end = exc.pos >= len(exc.doc.rstrip()) - 1 or exc.msg.startswith("Unterminated")
        rule = "truncated JSON" if at_end else "malformed JSON"
        detail = f"{exc.msg} at byte {exc.pos}"
    except (ValueError, RecursionError):  # undecodable bytes, absurd nesting
        rule, detail = "malformed JSON", "undecodable or too deeply nested"
    raise BadData(symbol, rule, endpoint=endpoint, detail=detail)


def rows_of(payload: Any, *, symbol: str, endpoint: str) -> list[dict[str, Any]]:
    """The payload as a list of objects, or ``BadData`` for the wrong shape."""
    if not isinstance(payload, list):
        raise BadData(symbol, "payload is not a list", endpoint=endpoint,
                      detail=f"got {type(payload).__name__}")
    for i, row in enumerate(payload):
        if not isinstance(row, dict):
            raise BadData(symbol, "row is not an object", i, endpoint=endpoint)
    return payload


def _column(rows: list[dict[str, Any]], name: str, symbol: str, endpoint: str,
            *, nullable: bool = False) -> F64:
    """One numeric field of every row as float64; JSON numbers only (no strings, no bools).
    With ``nullable`` a JSON null reads as 0 (the caller flags it)."""
    try:
        values = [row[name] for row in rows]
    except KeyError:
        i = next(i for i, row in enumerate(rows) if name not in row)
        raise BadData(symbol, f"missing field {name!r}", i, endpoint=endpoint) from None
    kinds = set(map(type, values))
    if nullable and type(None) in kinds:
        values = [0.0 if v is None else v for v in values]
        kinds.discard(type(None))
    if kinds <= {int, float}:
        try:
            return np.array(values, dtype=np.float64)
        except OverflowError:  # a JSON integer too large for a double: located below
            pass
    for i, v in enumerate(values):
        if type(v) is int and abs(v) >= 2 ** 1000:
            raise BadData(symbol, f"field {name!r} is not a finite number", i,
                          endpoint=endpoint, detail="integer too large")
        if type(v) is not int and type(v) is not float:
            raise BadData(symbol, f"field {name!r} is not a number", i, endpoint=endpoint,
                          detail=f"got {type(v).__name__}")
    raise AssertionError("unreachable: a non-number was present")  # pragma: no cover


def _dates(rows: list[dict[str, Any]], symbol: str, endpoint: str) -> I64:
    for i, row in enumerate(rows):
        d = row.get("date")
        if not isinstance(d, str) or not _DATE.fullmatch(d):
            raise BadData(symbol, "date is not YYYY-MM-DD", i, endpoint=endpoint,
                          detail=f"got {d!r}"[:60])
    try:
        days = np.array([row["date"] for row in rows], dtype="datetime64[D]")
    except ValueError:
        for i, row in enumerate(rows):
            try:
                np.datetime64(row["date"], "D")
            except ValueError:
                raise BadData(symbol, "date is not a calendar date", i, endpoint=endpoint,
                              detail=row["date"]) from None
        raise  # pragma: no cover - the loop found the row
    return days.astype(np.int64) * DAY


def _timestamps(rows: list[dict[str, Any]], symbol: str, endpoint: str) -> I64:
    for i, row in enumerate(rows):
        t = row.get("timestamp")
        if type(t) is not int or not 0 <= t < 2 ** 40:
            raise BadData(symbol, "timestamp is not integer epoch seconds", i,
                          endpoint=endpoint, detail=f"got {t!r}"[:60])
    return np.array([row["timestamp"] for row in rows], dtype=np.int64)


def eod_columns(payload: Any, *, symbol: str, endpoint: str = "eod") -> Columns:
    """Columns of an ``/eod`` payload (``[{date, open, high, low, close, adjusted_close,
    volume}]``); ``adjusted_close`` is optional."""
    rows = rows_of(payload, symbol=symbol, endpoint=endpoint)
    ts = _dates(rows, symbol, endpoint)
    cols = {n: _column(rows, n, symbol, endpoint) for n in (*_PRICES, "volume")}
    return Columns(ts, **cols, missing_volume=np.zeros(len(rows), dtype=bool),
                   adjusted_close=_adjusted_close(rows))


def _adjusted_close(rows: list[dict[str, Any]]) -> F64 | None:
    # Informational only (never bars), so an odd value drops the column instead of the payload.
    values = [r.get("adjusted_close") for r in rows]
    if not values or not set(map(type, values)) <= {int, float}:
        return None
    try:
        return np.array(values, dtype=np.float64)
    except OverflowError:
        return None


def intraday_columns(payload: Any, *, symbol: str, endpoint: str = "intraday") -> Columns:
    """Columns of an ``/intraday`` payload; a null ``volume`` becomes 0 and is flagged."""
    rows = rows_of(payload, symbol=symbol, endpoint=endpoint)
    ts = _timestamps(rows, symbol, endpoint)
    cols = {n: _column(rows, n, symbol, endpoint) for n in _PRICES}
    volume = _column(rows, "volume", symbol, endpoint, nullable=True)
    missing = np.fromiter((row["volume"] is None for row in rows), dtype=bool, count=len(rows))
    return Columns(ts, **cols, volume=volume, missing_volume=missing)


def _first(mask: B1) -> int:
    return int(np.argmax(mask)) if mask.any() else -1


# The per-row value rules, in the order they are reported when a row breaks several.
RULE_NOT_FINITE = "price is not finite (NaN or infinity)"
RULE_NOT_POSITIVE = "price <= 0"
RULE_VOLUME = "volume is negative or not finite"
RULE_HIGH_LOW = "high < low"
RULE_OPEN = "open outside [low, high]"
RULE_CLOSE = "close outside [low, high]"


def _row_rules(c: Columns) -> list[tuple[B1, str]]:
    finite = np.isfinite(np.vstack([c.open, c.high, c.low, c.close])).all(axis=0)
    with np.errstate(invalid="ignore"):
        return [
            (~finite, RULE_NOT_FINITE),
            (np.minimum.reduce([c.open, c.high, c.low, c.close]) <= 0, RULE_NOT_POSITIVE),
            (~np.isfinite(c.volume) | (c.volume < 0), RULE_VOLUME),
            (c.high < c.low, RULE_HIGH_LOW),
            ((c.open < c.low) | (c.open > c.high), RULE_OPEN),
            ((c.close < c.low) | (c.close > c.high), RULE_CLOSE),
        ]


def price_rule(open: float, high: float, low: float, close: float,
               volume: float = 0.0) -> str | None:
    """The first value rule one bar breaks, or ``None`` (the scalar twin of the column check,
    for payloads whose rows are separate symbols)."""
    prices = (open, high, low, close)
    if not all(math.isfinite(p) for p in prices):
        return RULE_NOT_FINITE
    if min(prices) <= 0:
        return RULE_NOT_POSITIVE
    if not math.isfinite(volume) or volume < 0:
        return RULE_VOLUME
    if high < low:
        return RULE_HIGH_LOW
    if not low <= open <= high:
        return RULE_OPEN
    if not low <= close <= high:
        return RULE_CLOSE
    return None


def _describe(c: Columns, i: int) -> str:
    return (f"ts={int(c.ts[i])} open={c.open[i]!r} high={c.high[i]!r} low={c.low[i]!r} "
            f"close={c.close[i]!r} volume={c.volume[i]!r}")


def check_columns(c: Columns, *, symbol: str, endpoint: str, start: int | None = None,
                  end: int | None = None, latest: int | None = None) -> Columns:
    """Apply the hard rules; return the columns with identical duplicates dropped.

    ``start``/``end`` bound the requested range (inclusive, epoch seconds); ``latest`` is the
    newest plausible timestamp (now plus a slack the caller chooses)."""
    found = [(_first(mask), k, rule) for k, (mask, rule) in enumerate(_row_rules(c))]
    found = [f for f in found if f[0] >= 0]
    if found:
        i, _, rule = min(found)
        raise BadData(symbol, rule, i, endpoint=endpoint, detail=_describe(c, i))
    step = np.diff(c.ts)
    same = np.zeros(len(c.ts), dtype=bool)
    same[1:] = step == 0
    if same.any():
        prev = np.flatnonzero(same) - 1
        fields = [c.open, c.high, c.low, c.close, c.volume]
        differs = np.zeros(prev.size, dtype=bool)
        for arr in fields:
            differs |= arr[prev] != arr[prev + 1]
        if differs.any():
            i = int(prev[np.argmax(differs)] + 1)
            raise BadData(symbol, "conflicting duplicate date", i, endpoint=endpoint,
                          detail=_describe(c, i))
    i = _first(step < 0)
    if i >= 0:
        raise BadData(symbol, "rows not sorted ascending", i + 1, endpoint=endpoint,
                      detail=f"ts={int(c.ts[i + 1])} after ts={int(c.ts[i])}")
    _check_range(c.ts, symbol, endpoint, start, end, latest)
    return c.take(~same) if same.any() else c


def _check_range(ts: I64, symbol: str, endpoint: str, start: int | None, end: int | None,
                 latest: int | None) -> None:
    outside = np.zeros(ts.size, dtype=bool)
    if start is not None:
        outside |= ts < start
    if end is not None:
        outside |= ts > end
    future = ts > latest if latest is not None else np.zeros(ts.size, dtype=bool)
    for mask, rule in ((outside, "date outside the requested range"),
                       (future, "date in the future")):
        i = _first(mask)
        if i >= 0:
            raise BadData(symbol, rule, i, endpoint=endpoint, detail=f"ts={int(ts[i])}")


def merge_columns(parts: Sequence[Columns], *, symbol: str, endpoint: str) -> Columns:
    """Concatenate checked, ascending windows; the shared boundary bars must agree."""
    if len(parts) == 1:
        return parts[0]
    joined = Columns(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                       ("ts", "open", "high", "low", "close", "volume", "missing_volume")))
    try:
        return check_columns(joined, symbol=symbol, endpoint=endpoint)
    except BadData as exc:  # report where the windows disagree, not a merged-array index
        bad = BadData(symbol, f"{exc.rule} between request windows", None,
                      endpoint=endpoint, detail=exc.detail)
    raise bad


def anomalies(c: Columns, *, gaps: bool = True) -> tuple[Anomaly, ...]:
    """Soft anomalies of checked columns."""
    out: list[Anomaly] = []

    def flag(kind: str, mask: B1, detail: str) -> None:
        if mask.any():
            out.append(Anomaly(kind, _frozen(c.ts[mask]), detail))

    if gaps and c.ts.size > 1:
        gap = np.zeros(c.ts.size, dtype=bool)
        gap[1:] = np.diff(c.ts) > GAP_DAYS * DAY
        flag("gap", gap, f"more than {GAP_DAYS} calendar days without a bar before it")
    flag("zero_volume", (c.volume == 0) & ~c.missing_volume, "volume is 0")
    flag("missing_volume", c.missing_volume, "volume was null; stored as 0")
    if c.close.size > 1:
        move = np.zeros(c.close.size, dtype=bool)
        move[1:] = np.abs(c.close[1:] / c.close[:-1] - 1.0) > BIG_MOVE
        flag("big_move", move, "close moved more than 50 % from the previous close "
                               "(a split not yet applied?)")
    return tuple(out)


def _frozen(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


def to_result(c: Columns, *, symbol: str, timeframe: str, endpoint: str,
              gaps: bool = True) -> BarsResult:
    """Freeze checked columns into ``Bars`` with their anomalies."""
    try:
        bars = Bars.from_arrays(c.ts, c.open, c.high, c.low, c.close, c.volume,
                                symbol=symbol, timeframe=timeframe)
    except BarsError as exc:  # pragma: no cover - check_columns enforces a superset
        raise BadData(symbol, exc.rule, exc.index, endpoint=endpoint) from None
    adj = None if c.adjusted_close is None else _frozen(c.adjusted_close.copy())
    return BarsResult(bars, anomalies(c, gaps=gaps), adj)

