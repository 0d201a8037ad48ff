"""Read OHLCV bars from a CSV file into a validated ``engine.Bars``.

Accepted shapes (headers are case-insensitive; extra columns such as ``Adj Close`` or
``OpenInterest`` are ignored, so raw prices are stored, never the adjusted close):

* ``Date,Open,High,Low,Close[,Adj Close][,Volume]`` - one bar per date (Yahoo style);
* ``Date,Time,Open,High,Low,Close[,Volume][,OpenInterest]`` - intraday;
* a header that leaves out the ``Time`` column its rows carry (some exporters write
  ``Date,Open,...`` above ``2006-01-02,09:01:00,3602.00,...``): detected from the first row.

Dates are ``YYYY-MM-DD`` or ``YYYYMMDD``; times ``HH:MM`` or ``HH:MM:SS``; a date column may also
hold ``YYYY-MM-DD HH:MM[:SS]``. Every column is converted in one vectorised numpy call; only when
one fails is the first bad row located, by bisection with the same converter, so the line reported
is the one that really failed. Every problem is a ``BadFile`` naming file, 1-based line and rule.
The public helpers (reading, line numbering, field loading, zones) are shared with ``csv_import``.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from drummond_desktop.core.errors import AppError, BadFile
from engine.bars import Bars, BarsError

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
StrArray = npt.NDArray[np.str_]

_DAY = 86_400
# Zone transitions fall on a quarter hour of local wall time, so one offset per local quarter
# hour is exact and keeps the zoneinfo calls to a few dozen per trading day.
_TZ_BUCKET = 900
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{8}")
_TIME_RE = re.compile(r"\d{2}:\d{2}(:\d{2})?")
_ALIASES = {
    "date": ("date", "<date>", "day", "datetime", "timestamp", "date/time"),
    "time": ("time", "<time>"),
    "open": ("open", "<open>"),
    "high": ("high", "<high>"),
    "low": ("low", "<low>"),
    "close": ("close", "<close>", "last"),
    "volume": ("volume", "<volume>", "vol", "<vol>"),
}
_CANONICAL = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
REQUIRED = ("date", "open", "high", "low", "close")


@dataclass(frozen=True)
class Layout:
    """Where the columns are: canonical name -> field index, and the delimiter."""

    delimiter: str
    n_fields: int
    columns: dict[str, int]

    @property
    def numeric(self) -> tuple[str, ...]:
        return tuple(n for n in ("open", "high", "low", "close", "volume") if n in self.columns)


def read_csv_bars(path: str | Path, *, symbol: str = "", tz: str = "UTC") -> Bars:
    """Read ``path`` into ``Bars`` (ts in UTC epoch seconds, timeframe guessed).

    Date-only rows are the date at 00:00 UTC; date+time rows are wall-clock time in ``tz``
    (an IANA zone name). Raises ``BadFile`` for any problem with the file, ``AppError`` for an
    unknown ``tz``.
    """
    zone = parse_zone(tz)
    rows, lines = data_lines(read_text(path), path)
    if len(rows) == 1:
        raise BadFile(path, int(lines[0]), "no data rows after the header")
    layout = parse_layout(rows[0], rows[1], path, int(lines[0]))
    rows, lines = rows[1:], lines[1:]  # the header is not data
    check_field_counts(rows, lines, layout, path)
    prices = read_numbers(rows, lines, layout, path)
    ts, intraday = _timestamps(rows, lines, layout, zone, path)
    try:
        return Bars.from_arrays(ts, prices["open"], prices["high"], prices["low"],
                                prices["close"], prices.get("volume"), symbol=symbol,
                                timeframe=guess_timeframe(ts, intraday))
    except BarsError as exc:
        bad = _bad_bar(exc, ts, lines, path)
        if zone is not None and intraday and exc.rule.startswith("timestamps"):
            bad = BadFile(path, bad.line, f"{bad.rule}; times were read as wall-clock time in "
                          f"{tz}: a daylight-saving change or the wrong time zone can do this")
        raise bad from None


def parse_zone(tz: str) -> ZoneInfo | None:
    if tz.strip().upper() in ("UTC", "ETC/UTC", "Z"):
        return None  # nothing to convert
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise AppError(f"unknown time zone {tz!r}",
                       user_message=f"Unknown time zone {tz!r}: use an IANA name such as "
                                    "America/New_York, or UTC.") from None


def read_text(path: str | Path) -> str:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise BadFile(path, 0, "file not found") from None
    except IsADirectoryError:
        raise BadFile(path, 0, "is a directory, not a CSV file") from None
    except PermissionError:
        raise BadFile(path, 0, "permission denied") from None
    except OSError as exc:
        raise BadFile(path, 0, f"cannot read the file ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BadFile(path, line, f"undecodable bytes (not UTF-8 text) at byte {exc.start}"
                      ) from None


def data_lines(text: str, path: str | Path) -> tuple[list[str], I64]:
    """Non-blank lines (without line ends) and their 1-based line numbers in the file."""
    if "\n" in text:
        text = text.replace("\r\n", "\n")
        raw = text.split("\n")
    else:  # a single line, or a classic-Mac file ending its lines with CR only
        raw = text.split("\r")
    # Map the C-level str methods over the lines: a Python-level loop costs ~0.5 s per 1e6 rows.
    blank = np.fromiter(map(str.isspace, raw), dtype=bool, count=len(raw))
    blank |= np.fromiter(map(len, raw), dtype=np.int64, count=len(raw)) == 0
    keep = np.flatnonzero(~blank)
    if keep.size == 0:
        raise BadFile(path, 0, "empty file (expected a header line and data rows)")
    first, last = int(keep[0]), int(keep[-1])
    if last - first + 1 == keep.size:  # the usual case: blank lines only at the ends
        rows = raw[first:last + 1]
    else:
        rows = [raw[i] for i in keep.tolist()]
    lines: I64 = keep.astype(np.int64) + 1
    return rows, lines


def parse_layout(header: str, first_row: str, path: str | Path, line: int) -> Layout:
    """Read the header; add the Time column it leaves out when the first row carries one."""
    delimiter = next((d for d in (",", ";", "\t") if d in header), ",")
    names = [h.strip().strip('"').strip().lower() for h in header.split(delimiter)]
    if _DATE_RE.fullmatch(names[0]):
        raise BadFile(path, line, "no header line: the first line must name the columns, "
                      "e.g. Date,Open,High,Low,Close,Volume")
    columns: dict[str, int] = {}
    for i, name in enumerate(names):
        canon = _CANONICAL.get(name)
        if canon in columns:
            raise BadFile(path, line, f"duplicate column {name!r} in the header")
        if canon is not None:
            columns[canon] = i
    missing = [n for n in REQUIRED if n not in columns]
    if missing:
        raise BadFile(path, line, f"missing required column(s): {', '.join(missing)} "
                      f"(the header has: {', '.join(names)})")
    fields = first_row.split(delimiter)
    if ("time" not in columns and columns["date"] == 0 and len(fields) == len(names) + 1
            and _TIME_RE.fullmatch(fields[1].strip().strip('"'))):
        columns = {k: (v + 1 if v >= 1 else v) for k, v in columns.items()} | {"time": 1}
        return Layout(delimiter, len(names) + 1, columns)
    return Layout(delimiter, len(names), columns)


def check_field_counts(rows: list[str], lines: I64, layout: Layout, path: str | Path,
                       like: str = "like the header") -> None:
    """Every row has ``layout.n_fields`` fields, or ``BadFile`` at the first that has not."""
    counts = np.fromiter(map(str.count, rows, itertools.repeat(layout.delimiter)),
                         dtype=np.int64, count=len(rows)) + 1
    bad = np.flatnonzero(counts != layout.n_fields)
    if bad.size:
        i = int(bad[0])
        raise BadFile(path, int(lines[i]), f"wrong field count: expected {layout.n_fields} "
                      f"fields {like}, found {int(counts[i])}")


def load_fields(rows: Sequence[str], layout: Layout, cols: tuple[int, ...], dtype: Any) -> Any:
    return np.loadtxt(rows, delimiter=layout.delimiter, usecols=cols, dtype=dtype,
                      comments=None, quotechar='"', ndmin=2)


def _first_bad(rows: Any, convert: Callable[[Any], object]) -> int:
    """Index of the first row on which ``convert`` raises ValueError (by bisection), else 0."""
    lo, hi = 0, len(rows)
    while hi - lo > 1:  # invariant: convert(rows[lo:hi]) fails
        mid = (lo + hi) // 2
        try:
            convert(rows[lo:mid])
            lo = mid
        except ValueError:
            hi = mid
    return lo


def read_numbers(rows: list[str], lines: I64, layout: Layout, path: str | Path, *,
                 finite: bool = True) -> dict[str, F64]:
    """All numeric columns in one vectorised call; on failure, the first bad line and column.
    With ``finite`` a NaN or infinity is refused here; without it the caller checks the values."""
    names = layout.numeric
    cols = tuple(layout.columns[n] for n in names)
    try:
        table = load_fields(rows, layout, cols, np.float64)
    except ValueError:
        raise _first_bad_number(rows, lines, layout, path) from None
    if not finite:
        return {name: np.ascontiguousarray(table[:, k]) for k, name in enumerate(names)}
    bad_rows, bad_cols = np.nonzero(~np.isfinite(table))
    if bad_rows.size:
        i, k = int(bad_rows[0]), int(bad_cols[0])  # row-major order: the first in the file
        raise BadFile(path, int(lines[i]), f"non-finite number "
                      f"{_field(rows[i], layout, cols[k])!r} in column {names[k]!r}")
    return {name: np.ascontiguousarray(table[:, k]) for k, name in enumerate(names)}


def _first_bad_number(rows: list[str], lines: I64, layout: Layout, path: str | Path) -> BadFile:
    found: list[tuple[int, int]] = []  # (row, column order)
    for k, name in enumerate(layout.numeric):
        col = layout.columns[name]

        def convert(part: Sequence[str], col: int = col) -> object:
            return load_fields(part, layout, (col,), np.float64)

        try:
            convert(rows)
        except ValueError:
            found.append((_first_bad(rows, convert), k))
    i, k = min(found) if found else (0, 0)
    name = layout.numeric[k]
    return BadFile(path, int(lines[i]), f"unparsable number "
                   f"{_field(rows[i], layout, layout.columns[name])!r} in column {name!r}")


def _field(row: str, layout: Layout, col: int) -> str:
    parts = row.split(layout.delimiter)
    return parts[col].strip().strip('"') if col < len(parts) else ""


def _timestamps(rows: list[str], lines: I64, layout: Layout, zone: ZoneInfo | None,
                path: str | Path) -> tuple[I64, bool]:
    """UTC epoch seconds, and whether the rows carry a time of day."""
    has_time = "time" in layout.columns
    cols = (layout.columns["date"], *((layout.columns["time"],) if has_time else ()))
    text: StrArray = np.char.strip(load_fields(rows, layout, cols, str))
    dates = text[:, 0]
    stamp = np.char.add(np.char.add(dates, "T"), text[:, 1]) if has_time else dates
    parse = _stamp_parser(len(str(dates[0])), len(str(stamp[0])))
    try:
        local = parse(stamp)
    except ValueError:
        i = _first_bad(stamp, parse)
        raise BadFile(path, int(lines[i]), _stamp_rule(text[i], str(dates[0]))) from None
    intraday = has_time or len(str(dates[0])) > 10
    if zone is None or not intraday:  # a date-only row is that date at 00:00 UTC
        return local, intraday
    return to_utc(local, zone), intraday


def _stamp_parser(date_width: int, width: int) -> Callable[[Any], I64]:
    """A vectorised parser accepting rows shaped exactly like the first one (numpy alone would
    also take '2006', 'today' or 'NaT', and silently drop a time from a date column)."""

    def parse(stamp: Any) -> I64:
        arr = np.asarray(stamp, dtype=str)
        if arr.size == 0:
            return np.zeros(0, dtype=np.int64)
        if (np.char.str_len(arr) != width).any():
            raise ValueError("a row is shaped differently from the first one")
        if date_width == 8:
            arr = _expand_compact(arr, width)
        elif (np.char.find(arr, "-") != 4).any():
            raise ValueError("not YYYY-MM-DD")
        with warnings.catch_warnings():
            # numpy only warns about a zone suffix ("Z", "+01") and then drops it; we refuse it,
            # since the file's times are read in the zone the caller names.
            warnings.simplefilter("error")
            try:
                values = arr.astype("datetime64[s]")
            except Warning as exc:
                raise ValueError(str(exc)) from None
        if np.isnat(values).any():
            raise ValueError("NaT")
        out: I64 = values.astype(np.int64)
        return out

    return parse


def _expand_compact(arr: StrArray, width: int) -> StrArray:
    """YYYYMMDD[rest] -> YYYY-MM-DD[rest] on a fixed-width byte view (no Python loop)."""
    raw = np.char.encode(arr, "ascii").view("S1").reshape(-1, width)
    digits = raw[:, :8]
    if not ((digits >= b"0") & (digits <= b"9")).all():
        raise ValueError("compact date with non-digits")
    dash = np.full((raw.shape[0], 1), b"-", dtype="S1")
    joined = np.ascontiguousarray(np.hstack([raw[:, :4], dash, raw[:, 4:6], dash, raw[:, 6:]]))
    out: StrArray = joined.view(f"S{width + 2}")[:, 0].astype(str)
    return out


def _stamp_rule(fields: StrArray, first_date: str) -> str:
    date, time = str(fields[0]), (str(fields[1]) if len(fields) > 1 else "")
    if not time and len(date) > 10:  # one column holding date and time
        date, time = date[:10], date[11:]
    if not _valid_date(date):
        return f"unparsable date {date!r} (expected a calendar date as YYYY-MM-DD)"
    if time and not _valid_time(time):
        return f"unparsable time {time!r} (expected HH:MM or HH:MM:SS)"
    return (f"date/time {' '.join(str(f) for f in fields)!r} is shaped differently from the "
            f"first row's {first_date!r}")


def _valid_date(text: str) -> bool:
    if not _DATE_RE.fullmatch(text):
        return False
    try:
        datetime.strptime(text, "%Y%m%d" if len(text) == 8 else "%Y-%m-%d")
    except ValueError:
        return False
    return True


def _valid_time(text: str) -> bool:
    if not _TIME_RE.fullmatch(text):
        return False
    parts = [int(p) for p in text.split(":")]
    return parts[0] < 24 and all(p < 60 for p in parts[1:])


def to_utc(local: I64, zone: ZoneInfo) -> I64:
    """Wall-clock epoch seconds in ``zone`` -> UTC epoch seconds (fold=0 on ambiguous times)."""
    bucket = local // _TZ_BUCKET * _TZ_BUCKET
    uniq, inverse = np.unique(bucket, return_inverse=True)
    epoch = datetime(1970, 1, 1)
    offsets = np.fromiter(
        (_offset_seconds((epoch + timedelta(seconds=int(b))).replace(tzinfo=zone))
         for b in uniq), dtype=np.int64, count=uniq.size)
    out: I64 = local - offsets[inverse.reshape(-1)]
    return out


def _offset_seconds(dt: datetime) -> int:
    off = dt.utcoffset()
    return 0 if off is None else int(off.total_seconds())


def guess_timeframe(ts: I64, intraday: bool) -> str:
    """A timeframe label from the median spacing: "1m", "5m", "1h", "1d", "1w", "1mo", ..."""
    if ts.size < 2:
        return "" if intraday else "1d"
    step = int(np.median(np.diff(ts)))
    if step <= 0:
        return ""
    if step < _DAY:
        if step % 3600 == 0:
            return f"{step // 3600}h"
        return f"{step // 60}m" if step % 60 == 0 else f"{step}s"
    days = step / _DAY
    if days < 6:
        return f"{round(days)}d"
    if days <= 8:
        return "1w"
    if days < 25:
        return f"{round(days / 7)}w"
    if days < 300:
        return f"{round(days / 30.44)}mo"
    return f"{round(days / 365.25)}y"


def _bad_bar(exc: BarsError, ts: I64, lines: I64, path: str | Path) -> BadFile:
    i = exc.index
    line = int(lines[i]) if 0 <= i < lines.size else 0
    if exc.rule == "timestamps must be unique":
        return BadFile(path, line, f"duplicate timestamp {_iso(ts[i])} "
                       f"(same as line {int(lines[i - 1])})")
    if exc.rule == "timestamps must be sorted ascending":
        return BadFile(path, line, f"rows not sorted by date/time: {_iso(ts[i])} comes after "
                       f"{_iso(ts[i - 1])} on line {int(lines[i - 1])}")
    # The engine's detail starts with the raw epoch; the file's own values are what a user knows.
    detail = exc.detail.split(" ", 1)[1] if exc.detail.startswith("ts=") else exc.detail
    return BadFile(path, line, f"breaks the rule {exc.rule} ({detail})")


def _iso(ts: np.int64) -> str:
    moment = datetime.fromtimestamp(int(ts), UTC)
    return moment.strftime("%Y-%m-%d" if int(ts) % _DAY == 0 else "%Y-%m-%d %H:%M:%S UTC")
