"""Vectorised date, time and UTC-offset parsing for CSV import.

Each column is cut into its parts with ``numpy.strings`` (ufuncs, no Python loop per row),
checked (digits, widths, month 1-12, the day within its month, hour < 24, minutes and seconds
< 60) and turned into integers, so every bad row is found by one mask and the first is reported
with its rule; nothing is bisected or guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from drummond_desktop.feeds.csv_mapping import DATE_FORMATS

I64 = npt.NDArray[np.int64]
B1 = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]
DAY = 86_400
_END = 1 << 20  # a slice stop past the end of any field
_S = np.strings


class StampError(ValueError):
    """Row ``index`` (0-based among the parsed rows) breaks ``rule``."""

    def __init__(self, index: int, rule: str) -> None:
        self.index = index
        self.rule = rule
        super().__init__(f"row {index}: {rule}")


@dataclass(frozen=True, eq=False)
class Stamps:
    """Wall-clock epoch seconds as written, the UTC offset of each row in seconds (``None``
    without offsets), and whether the rows carry a time of day."""

    local: I64
    offset: I64 | None
    intraday: bool

    def utc(self) -> I64:
        out: I64 = self.local if self.offset is None else self.local - self.offset
        return out


def parse_stamps(dates: StrArray, times: StrArray | None, fmt: str, offsets: bool) -> Stamps:
    """``dates`` (stripped text of the date column) and ``times`` (the time column, or ``None``
    when the date column may hold ``date time`` or ``dateTtime``) -> ``Stamps``.
    The first row decides whether a date column holds a time; every row must agree."""
    n = dates.shape[0]
    if n == 0:
        return Stamps(np.zeros(0, np.int64), None, times is not None)
    shape_bad = np.zeros(n, dtype=bool)
    if times is None:
        cut = _S.find(dates, " ")
        cut = np.where(cut >= 0, cut, _S.find(dates, "T"))
        intraday = bool(cut[0] >= 0)
        shape_bad = (cut < 0) if intraday else (cut >= 0)
        if intraday:
            times = _S.strip(_S.slice(dates, np.maximum(cut, 0) + 1, None))
            dates = _S.slice(dates, 0, np.where(cut >= 0, cut, _END))
    days, date_bad = parse_dates(dates, fmt)
    local = days * DAY
    offset, time_bad, offset_bad = None, np.zeros(n, bool), np.zeros(n, bool)
    if times is not None:
        seconds, offset, time_bad, offset_bad = parse_times(times, offsets)
        local = local + seconds
    bad = shape_bad | date_bad | time_bad | offset_bad
    if bad.any():
        i = int(np.argmax(bad))
        raise StampError(i, _rule(i, str(dates[i]), times, fmt, offsets,
                                  (shape_bad, date_bad, time_bad, offset_bad)))
    return Stamps(local, offset, times is not None)


def _rule(i: int, date: str, times: StrArray | None, fmt: str, offsets: bool,
          masks: tuple[B1, B1, B1, B1]) -> str:
    shape_bad, date_bad, _, offset_bad = masks
    time = "" if times is None else str(times[i])
    if shape_bad[i]:
        if times is None:
            return f"date {date!r} carries more than a date, unlike the first row"
        return f"date/time {date!r} has no time of day, unlike the first row"
    if date_bad[i]:
        return f"unparsable date {date!r} (expected {fmt})"
    if offset_bad[i]:
        return f"time {time!r} has no UTC offset (Z or +HH:MM), unlike the first row"
    with_offset = " and a UTC offset such as Z or +01:00" if offsets else ""
    return f"unparsable time {time!r} (expected HH:MM or HH:MM:SS{with_offset})"


def parse_dates(text: StrArray, fmt: str) -> tuple[I64, B1]:
    """Days since 1970-01-01 of each date in ``fmt`` (a ``DATE_FORMATS`` key), and a mask of
    the rows that are not such a calendar date."""
    order, sep = DATE_FORMATS[fmt]
    if sep:
        a, _, rest = _S.partition(text, sep)
        b, _, c = _S.partition(rest, sep)
        parts = dict(zip(order, (a, b, c), strict=True))  # a third separator: c not digits
        bad = np.zeros(text.shape[0], dtype=bool)
    else:
        bad = (_S.str_len(text) != 8) | ~_S.isdigit(text)
        parts = {"y": _S.slice(text, 0, 4), "m": _S.slice(text, 4, 6), "d": _S.slice(text, 6, 8)}
    y, bad_y = small_ints(parts["y"], 4, 4)
    m, bad_m = small_ints(parts["m"], 1, 2)
    d, bad_d = small_ints(parts["d"], 1, 2)
    bad |= bad_y | bad_m | bad_d | (m < 1) | (m > 12) | (d < 1)
    month = (y - 1970) * 12 + np.clip(m, 1, 12) - 1
    start = month.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    end = (month + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    bad |= d > end - start
    days: I64 = start + d - 1
    return days, bad


def parse_times(text: StrArray, offsets: bool) -> tuple[I64, I64 | None, B1, B1]:
    """Seconds into the day of ``H:MM``, ``HH:MM`` or ``HH:MM:SS``; with ``offsets`` each time
    ends in ``Z``, ``+HH:MM``, ``+HHMM`` or ``+HH`` (also with ``-``), optionally after a space.
    Returns seconds, offsets in seconds (or ``None``), and masks of bad times and missing or
    bad offsets."""
    offset: I64 | None = None
    offset_bad = np.zeros(text.shape[0], dtype=bool)
    if offsets:
        text, offset, offset_bad = _split_offsets(text)
    h, _, rest = _S.partition(text, ":")
    m, _, s = _S.partition(rest, ":")
    hours, bad_h = small_ints(h, 1, 2)
    minutes, bad_m = small_ints(m, 2, 2)
    seconds, bad_s = small_ints(np.where(_S.str_len(s) == 0, "00", s), 2, 2)
    bad = bad_h | bad_m | bad_s | (hours > 23) | (minutes > 59) | (seconds > 59)
    total: I64 = hours * 3600 + minutes * 60 + seconds
    return total, offset, bad & ~offset_bad, offset_bad


def _split_offsets(text: StrArray) -> tuple[StrArray, I64, B1]:
    zulu = _S.endswith(text, "Z")
    plus, minus = _S.rfind(text, "+"), _S.rfind(text, "-")
    at = np.maximum(plus, minus)
    has = zulu | (at >= 0)
    core = _S.strip(_S.slice(text, 0, np.where(zulu, -1, np.where(at >= 0, at, _END))))
    raw = _S.replace(_S.slice(text, np.where(at >= 0, at + 1, 0), None), ":", "")
    raw = np.where(_S.str_len(raw) == 2, _S.add(raw, "00"), raw)
    hh, bad_h = small_ints(_S.slice(raw, 0, 2), 2, 2)
    mm, bad_m = small_ints(_S.slice(raw, 2, None), 2, 2)
    bad = ~zulu & (bad_h | bad_m | (hh > 14) | (mm > 59))
    sign = np.where(minus > plus, -1, 1)
    offset: I64 = np.where(zulu, 0, sign * (hh * 3600 + mm * 60)).astype(np.int64)
    return core, offset, ~has | bad


def small_ints(part: StrArray, low: int, high: int) -> tuple[I64, B1]:
    """The integer of each ASCII-digit string ``low``..``high`` characters long (0 elsewhere),
    and a mask of the strings that are not. Digits are read from the UTF-32 code units of the
    fixed-width array (numpy's own string-to-int conversion is ten times slower)."""
    n = part.shape[0]
    ok = (_S.str_len(part) >= low) & (_S.str_len(part) <= high)
    if n == 0 or part.dtype.itemsize == 0:
        return np.zeros(n, dtype=np.int64), ~ok
    units = np.ascontiguousarray(part).view(np.uint32).reshape(n, -1)[:, :high]
    null = units == 0
    ok &= (((units >= 48) & (units <= 57)) | null).all(axis=1)
    values = np.zeros(n, dtype=np.int64)
    for j in range(units.shape[1]):
        values = np.where(null[:, j], values, values * 10 + (units[:, j].astype(np.int64) - 48))
    out: I64 = np.where(ok, values, 0)
    return out, ~ok
