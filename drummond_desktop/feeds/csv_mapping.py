"""``ColumnMapping``: where a CSV file of bars keeps each field and how to read it.

Detection (``csv_detect``) produces one; a user can override it whole (``dataclasses.replace``,
or a mapping built by hand) or in part (``Hints``: ``--map``, ``--date-format``, ``--no-header``).
Every way of building one is checked here, so a bad override fails with a ``BadMapping`` that
says what is wrong before any row is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from drummond_desktop.core.errors import AppError, BadFile
from drummond_desktop.feeds.csv_bars import parse_zone

FIELDS = ("date", "time", "open", "high", "low", "close", "volume")
REQUIRED = ("date", "open", "high", "low", "close")
OPTIONAL = ("time", "volume")
DELIMITERS = ("\t", ";", "|", ",")
# format -> (order of the year/month/day parts, separator)
DATE_FORMATS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "YYYY-MM-DD": ("ymd", "-"),
    "YYYYMMDD": ("ymd", ""),
    "YYYY.MM.DD": ("ymd", "."),  # MetaTrader
    "YYYY/MM/DD": ("ymd", "/"),
    "MM/DD/YYYY": ("mdy", "/"),
    "DD/MM/YYYY": ("dmy", "/"),
    "DD.MM.YYYY": ("dmy", "."),
})
DAY_MONTH = ("MM/DD/YYYY", "DD/MM/YYYY")  # the pair only the data can tell apart

ColumnRef = int | str | None  # a 0-based column number, a header name, or None for "no column"


class BadMapping(AppError):
    """A column mapping, or an override of one, that cannot be used."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(problem, user_message=f"Bad column mapping: {problem}")


class AmbiguousDates(BadFile):
    """Every date of the file reads both month-first and day-first: the user has to say which
    (``candidates`` are the two formats to choose from)."""

    def __init__(self, path: str | Path, example: str, line: int) -> None:
        self.candidates = DAY_MONTH
        a, b = DAY_MONTH
        super().__init__(path, 0, f"day/month order is ambiguous: every date (e.g. {example!r} "
                         f"on line {line}) reads as {a} and as {b}, none has a part above 12; "
                         f"say which with --date-format {a} or --date-format {b}")


def _date_pattern(fmt: str) -> re.Pattern[str]:
    order, sep = DATE_FORMATS[fmt]
    part = {"y": r"\d{4}", "m": r"\d{1,2}", "d": r"\d{1,2}"} if sep else \
        {"y": r"\d{4}", "m": r"\d{2}", "d": r"\d{2}"}
    return re.compile(re.escape(sep).join(part[c] for c in order))


DATE_PATTERNS = {fmt: _date_pattern(fmt) for fmt in DATE_FORMATS}


def date_format_of(text: str) -> str:
    """A ``DATE_FORMATS`` key from what a user typed (case and spaces forgiven)."""
    fmt = text.strip().upper()
    if fmt not in DATE_FORMATS:
        raise BadMapping(f"unknown date format {text!r}: use one of {', '.join(DATE_FORMATS)}")
    return fmt


@dataclass(frozen=True)
class ColumnMapping:
    """Field -> 0-based column number (``date``, ``open``, ``high``, ``low``, ``close`` required;
    ``time`` and ``volume`` optional), plus how to read the rows. ``tz`` is the zone wall-clock
    times are read in; ``offsets`` says every time ends in its own UTC offset (``Z``,
    ``+01:00``), which then wins over ``tz``. ``decimal`` is ``"."`` or ``","``."""

    columns: Mapping[str, int]
    date_format: str = "YYYY-MM-DD"
    delimiter: str = ","
    has_header: bool = True
    tz: str = "UTC"
    offsets: bool = False
    decimal: str = "."

    def __post_init__(self) -> None:
        cols = _checked_columns(self.columns)
        object.__setattr__(self, "columns", MappingProxyType(cols))
        object.__setattr__(self, "date_format", date_format_of(self.date_format))
        if self.delimiter not in DELIMITERS:
            raise BadMapping(f"delimiter {self.delimiter!r} is not one of "
                             f"{', '.join(map(repr, DELIMITERS))}")
        if self.decimal not in (".", ",") or self.decimal == self.delimiter:
            raise BadMapping(f"decimal separator {self.decimal!r} must be '.' or ',' and "
                             "differ from the delimiter")
        parse_zone(self.tz)  # an unknown zone is an AppError naming it

    def __hash__(self) -> int:
        return hash((tuple(self.columns.items()), self.date_format, self.delimiter,
                     self.has_header, self.tz, self.offsets, self.decimal))

    @property
    def width(self) -> int:
        """The fewest fields a row needs to hold every mapped column."""
        return max(self.columns.values()) + 1

    def option(self) -> str:
        """The columns as a ``--map`` value, e.g. ``date=0,open=1,...``."""
        return ",".join(f"{k}={v}" for k, v in self.columns.items())


def _checked_columns(columns: Mapping[str, int]) -> dict[str, int]:
    unknown = [k for k in columns if k not in FIELDS]
    if unknown:
        raise BadMapping(f"unknown field {unknown[0]!r}: the fields are {', '.join(FIELDS)}")
    for name, col in columns.items():
        if isinstance(col, bool) or not isinstance(col, int) or col < 0:
            raise BadMapping(f"{name}={col!r}: a column is a number from 0 (the first column)")
    missing = [k for k in REQUIRED if k not in columns]
    if missing:
        raise BadMapping(f"no column for {', '.join(missing)} (date, open, high, low and close "
                         "are required)")
    ordered = {k: columns[k] for k in FIELDS if k in columns}
    owner: dict[int, str] = {}
    for name, number in ordered.items():
        if number in owner:
            raise BadMapping(f"column {number} is given to both {owner[number]} and {name}")
        owner[number] = name
    return ordered


@dataclass(frozen=True)
class Hints:
    """What the user already knows, applied on top of detection: some columns (by number or
    header name; ``None`` drops ``time`` or ``volume``), the date format, whether the first
    line is a header, the delimiter."""

    columns: Mapping[str, ColumnRef] = field(default_factory=dict)
    date_format: str | None = None
    has_header: bool | None = None
    delimiter: str | None = None

    def __post_init__(self) -> None:
        for name, ref in self.columns.items():
            if name not in FIELDS:
                raise BadMapping(f"unknown field {name!r}: the fields are {', '.join(FIELDS)}")
            if ref is None and name not in OPTIONAL:
                raise BadMapping(f"{name} cannot be left out: only time and volume can")
            if isinstance(ref, int) and (isinstance(ref, bool) or ref < 0):
                raise BadMapping(f"{name}={ref!r}: a column is a number from 0 (the first)")
        if self.date_format is not None:
            object.__setattr__(self, "date_format", date_format_of(self.date_format))
        if self.delimiter is not None and self.delimiter not in DELIMITERS:
            raise BadMapping(f"delimiter {self.delimiter!r} is not one of "
                             f"{', '.join(map(repr, DELIMITERS))}")


def parse_map(text: str) -> dict[str, ColumnRef]:
    """``"date=0,time=1,open=Open,volume=-"`` -> column references (number, header name, or
    ``None`` for ``-``: no such column)."""
    out: dict[str, ColumnRef] = {}
    for part in text.split(","):
        name, eq, ref = (s.strip() for s in part.partition("="))
        if not eq or not name or not ref:
            raise BadMapping(f"{part.strip()!r} is not FIELD=COLUMN (e.g. date=0,time=1,open=2)")
        name = name.lower()
        if name not in FIELDS:
            raise BadMapping(f"unknown field {name!r}: the fields are {', '.join(FIELDS)}")
        if name in out:
            raise BadMapping(f"{name} is given twice")
        if ref.lower() in ("-", "none"):
            out[name] = None
        elif ref.lstrip("+-").isdigit():
            if ref.startswith("-"):
                raise BadMapping(f"{name}={ref}: a column is a number from 0 (the first column)")
            out[name] = int(ref)
        else:
            out[name] = ref
    return out


def resolve(refs: Mapping[str, ColumnRef], detected: Mapping[str, int],
            names: tuple[str, ...], width: int) -> dict[str, int]:
    """``detected`` with the user's ``refs`` applied: a column the user gives to a field is
    taken from whatever field detection had put on it. ``width``: fields per data row."""
    columns = dict(detected)
    for name, ref in refs.items():
        columns.pop(name, None)
        if ref is None:
            continue
        col = _column_number(name, ref, names)
        if col >= width:
            raise BadMapping(f"{name}={ref}: there is no column {col}; the rows have {width} "
                             f"fields, numbered 0 to {width - 1}")
        columns = {k: v for k, v in columns.items() if v != col or k in refs}
        columns[name] = col
    return columns


def _column_number(name: str, ref: int | str, names: tuple[str, ...]) -> int:
    if isinstance(ref, int):
        return ref
    if not names:
        raise BadMapping(f"{name}={ref}: columns can be named only when the file has a header; "
                         "give its number (0 is the first)")
    wanted = ref.strip().lower()
    for i, n in enumerate(names):
        if n.strip().lower() == wanted:
            return i
    raise BadMapping(f"{name}={ref}: no column named {ref!r} (the header has: "
                     f"{', '.join(n for n in names if n)})")
