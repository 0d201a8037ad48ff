"""Detect the layout of a CSV file of bars: delimiter, header, columns, date format, time
column or combined date-time, UTC offsets and decimal comma.

Columns come from the header names (aliases such as ``<DATE>``, ``Adj Close``,
``Adjusted_close``, ``Vol``, ``<TICKVOL>``) or, without a header, from the shape of the values:
``date[,time],open,high,low,close[,volume]``. A header one name short of its rows, whose rows
carry a time right after the date, gets that Time column. Detection looks at the first rows,
except where only the whole file can answer: whether slashed dates are month- or day-first (a part
above 12 anywhere decides; none anywhere is refused with ``AmbiguousDates``) and whether a
MetaTrader ``<VOL>`` column is all zeros (then ``<TICKVOL>`` is the volume).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from drummond_desktop.core.errors import BadFile
from drummond_desktop.feeds.csv_bars import I64, Layout, load_fields
from drummond_desktop.feeds.csv_dates import small_ints
from drummond_desktop.feeds.csv_mapping import (
    DATE_FORMATS,
    DATE_PATTERNS,
    DAY_MONTH,
    DELIMITERS,
    REQUIRED,
    AmbiguousDates,
    ColumnMapping,
    Hints,
    resolve,
)

SAMPLE = 100
_TIME = re.compile(r"\d{1,2}:\d{2}(:\d{2})?(\s?(Z|[+-]\d{2}(:?\d{2})?))?")
_OFFSET = re.compile(r"(Z|[+-]\d{2}(:?\d{2})?)$")
_NUMBER = re.compile(r"[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?")
_ALIASES = {
    "date": ("date", "day", "datetime", "timestamp", "gmttime", "localtime", "dt"),
    "time": ("time",),
    "open": ("open", "o", "openprice"),
    "high": ("high", "h", "max", "highprice"),
    "low": ("low", "l", "min", "lowprice"),
    "close": ("close", "c", "last", "closeprice", "closelast"),
    "volume": ("volume", "vol", "v", "realvolume", "realvol"),
}
_CANONICAL = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
TICK_VOLUME = ("tickvol", "tickvolume", "ticks")
ADJUSTED = ("adjclose", "adjustedclose", "adjustedcloseprice")


@dataclass(frozen=True)
class Detection:
    """The mapping, the header names aligned with the row fields (empty without a header),
    whether a ``Time`` name was added for a header one short, and notes on what detection
    decided from the data."""

    mapping: ColumnMapping
    names: tuple[str, ...] = ()
    time_added: bool = False
    notes: tuple[str, ...] = ()


def normal(name: str) -> str:
    """A header name reduced for matching: ``<Adj. Close>`` -> ``adjclose``."""
    return re.sub(r"[\s_.<>\"'/-]", "", name.lower())


def split_fields(row: str, delimiter: str) -> list[str]:
    return [f.strip().strip('"').strip() for f in row.split(delimiter)]


def date_part(value: str) -> tuple[str, str]:
    """``"2006-01-02T09:30Z"`` -> ``("2006-01-02", "09:30Z")``; a date alone -> ``(date, "")``."""
    for sep in (" ", "T"):
        date, found, time = value.partition(sep)
        if found:
            return date, time.strip()
    return value, ""


def date_formats(value: str) -> list[str]:
    date, time = date_part(value)
    if time and not _TIME.fullmatch(time):
        return []
    return [f for f, pattern in DATE_PATTERNS.items() if pattern.fullmatch(date)]


def _value_like(text: str) -> bool:
    return bool(_NUMBER.fullmatch(text) or _TIME.fullmatch(text) or date_formats(text))


def detect(rows: list[str], lines: I64, path: str | Path, *, tz: str = "UTC",
           hints: Hints | None = None) -> Detection:
    """The layout of the non-blank ``rows`` (with their 1-based ``lines``) of ``path``."""
    hints = hints or Hints()
    delimiter = hints.delimiter or sniff_delimiter(rows, lines, path)
    first = split_fields(rows[0], delimiter)
    has_header = hints.has_header
    if has_header is None:
        has_header = not any(map(date_formats, first)) and \
            2 * sum(map(_value_like, first)) < len(first)
    body, body_lines = (rows[1:], lines[1:]) if has_header else (rows, lines)
    if not body:
        raise BadFile(path, int(lines[0]), "no data rows after the header")
    sample = split_fields(body[0], delimiter)
    if has_header:
        names, time_added = align_header(first, sample)
        columns = _header_columns(names, path, int(lines[0]), hints)
        if max(columns.values(), default=0) >= len(sample):
            raise BadFile(path, int(body_lines[0]), f"the header names {len(names)} columns but "
                          f"this row has {len(sample)} fields")
    else:
        names, time_added = (), False
        columns = _shape_columns(sample)
    if "date" not in columns and "time" in columns and date_formats(sample[columns["time"]]):
        columns["date"] = columns.pop("time")  # "time" holding whole timestamps (TradingView)
    columns = resolve(hints.columns, columns, names, len(sample))
    _require(columns, names, sample, path, int(lines[0] if has_header else body_lines[0]))
    layout = Layout(delimiter, len(sample), columns)
    fmt, notes = _date_format(body, body_lines, layout, path, hints.date_format)
    columns, volume_note = _volume(body, layout, names, hints)
    time_text = sample[columns["time"]] if "time" in columns else date_part(
        sample[columns["date"]])[1]
    mapping = ColumnMapping(columns, fmt, delimiter, has_header, tz,
                            offsets=bool(time_text and _OFFSET.search(time_text)),
                            decimal=_decimal(body[:SAMPLE], layout))
    return Detection(mapping, names, time_added, notes + volume_note)


def sniff_delimiter(rows: list[str], lines: I64, path: str | Path) -> str:
    """The first of tab, ``;``, ``|``, ``,`` found the same number of times on every sampled
    data row (a header may differ); failing that, the commonest on the first data row."""
    sample = rows[1:SAMPLE] or rows[:1]
    for d in DELIMITERS:
        counts = {row.count(d) for row in sample}
        if len(counts) == 1 and counts.pop() > 0:
            return d
    best = max(DELIMITERS, key=sample[0].count)
    if sample[0].count(best) == 0:
        raise BadFile(path, int(lines[min(1, len(rows) - 1)]), "no field delimiter found: "
                      "expected fields separated by ',', ';', tab or '|'")
    return best


def align_header(header: list[str], row: list[str]) -> tuple[tuple[str, ...], bool]:
    """Header names per row field: when the header is one name short and the rows carry a
    time right after the date column, that time gets a column named ``Time``."""
    canon = [_CANONICAL.get(normal(n)) for n in header]
    if "date" in canon and "time" not in canon and len(row) == len(header) + 1:
        d = canon.index("date")
        if _TIME.fullmatch(row[d + 1]) and not date_part(row[d])[1]:
            return (*header[:d + 1], "Time", *header[d + 1:]), True
    return tuple(header), False


def _header_columns(names: tuple[str, ...], path: str | Path, line: int,
                    hints: Hints) -> dict[str, int]:
    columns: dict[str, int] = {}
    for i, name in enumerate(names):
        canon = _CANONICAL.get(normal(name))
        if canon is None:
            continue
        if canon in columns and canon not in hints.columns:
            raise BadFile(path, line, f"duplicate column {name!r} in the header (columns "
                          f"{columns[canon]} and {i} both read as {canon}); choose one with "
                          f"--map {canon}=N")
        columns.setdefault(canon, i)
    ticks = [i for i, n in enumerate(names) if normal(n) in TICK_VOLUME]
    if "volume" not in columns and ticks:
        columns["volume"] = ticks[0]
    return columns


def _shape_columns(row: list[str]) -> dict[str, int]:
    """Without a header: the first date-shaped field, a time after it, then four or five
    numbers: open, high, low, close[, volume]."""
    d = next((i for i, f in enumerate(row) if date_formats(f)), None)
    if d is None:
        return {}
    columns = {"date": d}
    nxt = d + 1
    if nxt < len(row) and _TIME.fullmatch(row[nxt]) and not date_part(row[d])[1]:
        columns["time"] = nxt
        nxt += 1
    for name in ("open", "high", "low", "close", "volume"):
        if nxt >= len(row) or not _NUMBER.fullmatch(row[nxt]):
            break
        columns[name] = nxt
        nxt += 1
    return columns


def _require(columns: dict[str, int], names: tuple[str, ...], row: list[str],
             path: str | Path, line: int) -> None:
    missing = [n for n in REQUIRED if n not in columns]
    if not missing:
        return
    give = f"give them with --map {','.join(f'{m}=N' for m in missing)}"
    if names:
        raise BadFile(path, line, f"missing required column(s): {', '.join(missing)} (the header "
                      f"has: {', '.join(n for n in names if n)}); {give}")
    raise BadFile(path, line, f"no header, and the first row {','.join(row)!r} is not shaped "
                  f"date[,time],open,high,low,close[,volume]: cannot tell which column is "
                  f"{', '.join(missing)}; {give}")


def _date_format(rows: list[str], lines: I64, layout: Layout, path: str | Path,
                 given: str | None) -> tuple[str, tuple[str, ...]]:
    if given is not None:
        return given, ()
    first = split_fields(rows[0], layout.delimiter)[layout.columns["date"]]
    found = date_formats(first)
    if not found:
        raise BadFile(path, int(lines[0]), f"unrecognised date {first!r}: expected one of "
                      f"{', '.join(DATE_FORMATS)} (or give --date-format)")
    if found != list(DAY_MONTH):
        return found[0], ()
    return _day_or_month(rows, lines, layout, path, first)


def _day_or_month(rows: list[str], lines: I64, layout: Layout, path: str | Path,
                  first: str) -> tuple[str, tuple[str, ...]]:
    """Month- or day-first, from every row: which slashed part ever exceeds 12."""
    try:
        text = np.strings.strip(load_fields(rows, layout, (layout.columns["date"],), str)[:, 0])
    except ValueError:  # quoting trouble; the reader reports the row
        text = np.array([first])
    a, _, rest = np.strings.partition(text, "/")
    (first_part, bad_a), (second, bad_b) = small_ints(a, 1, 2), small_ints(
        np.strings.partition(rest, "/")[0], 1, 2)
    ok = ~bad_a & ~bad_b
    day_first, month_first = ok & (first_part > 12), ok & (second > 12)
    if day_first.any() and month_first.any():
        i, j = int(np.argmax(day_first)), int(np.argmax(month_first))
        raise BadFile(path, int(lines[max(i, j)]), f"dates mix day-first ({text[i]!r} on line "
                      f"{int(lines[i])}) and month-first ({text[j]!r} on line {int(lines[j])})")
    if not (day_first.any() or month_first.any()):
        raise AmbiguousDates(path, first, int(lines[0]))
    fmt = DAY_MONTH[1] if day_first.any() else DAY_MONTH[0]
    i = int(np.argmax(day_first | month_first))
    other = DAY_MONTH[0] if day_first.any() else DAY_MONTH[1]
    return fmt, (f"dates read as {fmt}: {str(text[i])!r} on line {int(lines[i])} cannot be "
                 f"{other}",)


def _volume(rows: list[str], layout: Layout, names: tuple[str, ...],
            hints: Hints) -> tuple[dict[str, int], tuple[str, ...]]:
    """MetaTrader writes ``<TICKVOL>`` and ``<VOL>``: the real volume unless it is all zeros."""
    columns = dict(layout.columns)
    if "volume" not in columns or "volume" in hints.columns or not names:
        return columns, ()
    ticks = [i for i, n in enumerate(names) if normal(n) in TICK_VOLUME]
    if not ticks or columns["volume"] in ticks:
        return columns, ()
    try:
        real = load_fields(rows, layout, (columns["volume"],), np.float64)
    except ValueError:  # the reader reports the bad row
        return columns, ()
    if (real != 0).any():
        return columns, ()
    note = (f"{names[columns['volume']]} is 0 on every row: {names[ticks[0]]} read as the "
            "volume",)
    return {**columns, "volume": ticks[0]}, note


def _decimal(rows: list[str], layout: Layout) -> str:
    """``","`` when a non-comma-separated file writes its prices with decimal commas only."""
    if layout.delimiter == ",":
        return "."
    cols = [layout.columns[n] for n in ("open", "high", "low", "close")]
    values = [f for row in rows for i, f in enumerate(split_fields(row, layout.delimiter))
              if i in cols]
    comma = any("," in v for v in values)
    return "," if comma and not any("." in v for v in values) else "."

