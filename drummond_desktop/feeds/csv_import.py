"""CSV import: ``preview`` how a file of bars will be read, and ``read_import`` it into ``Bars``.

Formats: Yahoo (``Date,Open,High,Low,Close,Adj Close,Volume``), EODHD CSV (``...,Adjusted_close,
Volume``), MetaTrader (``<DATE>,<TIME>,<OPEN>,...,<TICKVOL>,<VOL>,<SPREAD>``, and headerless MT4
history ``2006.01.02,09:01,3602,3603,3597,3599,5699``), and any date[+time] file whose columns
are named or shaped like them, including a header one name short of its rows. The layout comes
from ``csv_detect`` unless a whole ``ColumnMapping`` is given; ``Hints`` override parts of it.

Raw prices are stored: an adjusted close is never read. Every column is converted in one
vectorised call, then the rows pass the same hard rules, with the same wording, as an EODHD
payload (``validate.check_columns``: finite prices > 0, volume >= 0, high >= low, open and close
inside [low, high], no conflicting duplicate timestamps, ascending rows; identical duplicates are
dropped) - reported as ``BadFile(path, line, rule)`` with the 1-based line of the file.
Reading writes nothing.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from drummond_desktop.core.errors import BadFile
from drummond_desktop.feeds.csv_bars import (
    F64,
    I64,
    Layout,
    check_field_counts,
    data_lines,
    guess_timeframe,
    load_fields,
    parse_zone,
    read_numbers,
    read_text,
    to_utc,
)
from drummond_desktop.feeds.csv_dates import StampError, parse_stamps
from drummond_desktop.feeds.csv_detect import (
    ADJUSTED,
    Detection,
    align_header,
    detect,
    normal,
    split_fields,
)
from drummond_desktop.feeds.csv_mapping import BadMapping, ColumnMapping, Hints
from drummond_desktop.feeds.errors import BadData
from drummond_desktop.feeds.validate import (
    RULE_CLOSE,
    RULE_HIGH_LOW,
    RULE_NOT_FINITE,
    RULE_NOT_POSITIVE,
    RULE_OPEN,
    RULE_VOLUME,
    Columns,
    check_columns,
)
from engine.bars import Bars, BarsError

ROW_RULES = (RULE_NOT_FINITE, RULE_NOT_POSITIVE, RULE_VOLUME, RULE_HIGH_LOW, RULE_OPEN,
             RULE_CLOSE)


@dataclass(frozen=True)
class PreviewRow:
    """One data row as it will be stored (``ts`` in UTC epoch seconds)."""

    line: int
    ts: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    intraday: bool

    @property
    def when(self) -> str:
        moment = datetime.fromtimestamp(self.ts, UTC)
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC" if self.intraday else "%Y-%m-%d")


@dataclass(frozen=True)
class ImportPreview:
    """What ``read_import`` would do with a file: the mapping used, the format's name, the
    header names per column (empty without a header), the first rows parsed, the number of
    data rows, and warnings (columns left out, time-zone handling, decisions taken)."""

    path: str
    mapping: ColumnMapping
    format: str
    names: tuple[str, ...]
    rows: tuple[PreviewRow, ...]
    total_rows: int
    warnings: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class _Source:
    path: str | Path
    detection: Detection
    rows: list[str]  # the data rows, decimal commas already turned into points
    lines: I64  # their 1-based line numbers
    width: int  # fields per data row

    @property
    def mapping(self) -> ColumnMapping:
        return self.detection.mapping

    def layout(self) -> Layout:
        return Layout(self.mapping.delimiter, self.width, dict(self.mapping.columns))


def read_import(path: str | Path, *, symbol: str, mapping: ColumnMapping | None = None,
                tz: str = "UTC", hints: Hints | None = None) -> Bars:
    """Read and validate the whole file into ``Bars`` (timeframe guessed from the spacing).

    Without ``mapping`` the layout is detected (with ``hints`` applied) and wall-clock times are
    read in ``tz``; a given ``mapping`` carries its own zone. Raises ``BadFile`` (file, line,
    rule), ``BadMapping`` for an unusable mapping, ``AppError`` for an unknown zone."""
    src = _open(path, mapping, tz, hints)
    check_field_counts(src.rows, src.lines, src.layout(), path, like=_like(src))
    ts, prices, intraday = _parse(src, src.rows, src.lines)
    checked = _validate(src, ts, prices, intraday, symbol)
    try:
        return Bars.from_arrays(checked.ts, checked.open, checked.high, checked.low,
                                checked.close, checked.volume, symbol=symbol,
                                timeframe=guess_timeframe(checked.ts, intraday))
    except BarsError as exc:  # pragma: no cover - check_columns enforces a superset
        raise BadFile(path, 0, f"breaks the rule {exc.rule}") from None


def preview(path: str | Path, mapping: ColumnMapping | None = None, rows: int = 10, *,
            tz: str = "UTC", hints: Hints | None = None) -> ImportPreview:
    """How ``path`` would be read: its first ``rows`` data rows parsed (not the whole file
    validated). Raises like ``read_import`` for a file it cannot read at all."""
    src = _open(path, mapping, tz, hints)
    k = max(0, min(rows, len(src.rows)))
    head, lines = src.rows[:k], src.lines[:k]
    parsed: tuple[PreviewRow, ...] = ()
    intraday = "time" in src.mapping.columns
    if k:
        check_field_counts(head, lines, src.layout(), path, like=_like(src))
        ts, prices, intraday = _parse(src, head, lines)
        volume = prices.get("volume", np.zeros(k))
        parsed = tuple(PreviewRow(int(lines[i]), int(ts[i]), float(prices["open"][i]),
                                  float(prices["high"][i]), float(prices["low"][i]),
                                  float(prices["close"][i]), float(volume[i]), intraday)
                       for i in range(k))
    combined = intraday and "time" not in src.mapping.columns
    return ImportPreview(str(path), src.mapping, _format_name(src.detection, combined),
                         src.detection.names, parsed, len(src.rows),
                         _warnings(src.detection, src.width, intraday))


def _open(path: str | Path, mapping: ColumnMapping | None, tz: str,
          hints: Hints | None) -> _Source:
    if mapping is not None and hints is not None:
        raise BadMapping("give a whole mapping or hints to detection, not both")
    rows, lines = data_lines(read_text(path), path)
    det = detect(rows, lines, path, tz=tz, hints=hints) if mapping is None else \
        _given(mapping, rows)
    m = det.mapping
    start = 1 if m.has_header else 0
    body, body_lines = rows[start:], lines[start:]
    if not body:
        raise BadFile(path, int(lines[0]), "no data rows after the header")
    width = body[0].count(m.delimiter) + 1
    for name, col in m.columns.items():
        if col >= width:
            raise BadMapping(f"{name}={col}: there is no column {col} in {path}; its rows have "
                             f"{width} fields, numbered 0 to {width - 1}")
    if m.decimal == ",":
        body = list(map(str.replace, body, itertools.repeat(","), itertools.repeat(".")))
    return _Source(path, det, body, body_lines, width)


def _given(mapping: ColumnMapping, rows: list[str]) -> Detection:
    if not mapping.has_header or len(rows) < 2:
        return Detection(mapping)
    names, added = align_header(split_fields(rows[0], mapping.delimiter),
                                split_fields(rows[1], mapping.delimiter))
    return Detection(mapping, names, added)


def _like(src: _Source) -> str:
    return f"like the first data row (line {int(src.lines[0])})"


def _parse(src: _Source, rows: list[str], lines: I64) -> tuple[I64, dict[str, F64], bool]:
    """UTC epoch seconds, the numeric columns, and whether the rows carry a time of day."""
    m, layout = src.mapping, src.layout()
    prices = read_numbers(rows, lines, layout, src.path, finite=False)
    cols = (m.columns["date"], *((m.columns["time"],) if "time" in m.columns else ()))
    text = np.strings.strip(load_fields(rows, layout, cols, str))
    try:
        stamps = parse_stamps(text[:, 0], text[:, 1] if len(cols) > 1 else None,
                              m.date_format, m.offsets)
    except StampError as exc:
        raise BadFile(src.path, int(lines[exc.index]), exc.rule) from None
    ts = stamps.utc()
    zone = parse_zone(m.tz)
    if zone is not None and stamps.intraday and not m.offsets:
        ts = to_utc(ts, zone)
    return ts, prices, stamps.intraday


def _validate(src: _Source, ts: I64, prices: dict[str, F64], intraday: bool,
              symbol: str) -> Columns:
    n = ts.size
    volume = prices.get("volume", np.zeros(n))
    cols = Columns(ts, prices["open"], prices["high"], prices["low"], prices["close"], volume,
                   np.zeros(n, dtype=bool))
    try:
        return check_columns(cols, symbol=symbol, endpoint="csv")
    except BadData as exc:
        raise _bad_row(src, ts, intraday, exc) from None


def _bad_row(src: _Source, ts: I64, intraday: bool, exc: BadData) -> BadFile:
    """The payload rule as a file error: the row's text, or the two rows that disagree."""
    i = int(exc.row) if isinstance(exc.row, int) else 0
    line = int(src.lines[i])
    if exc.rule in ROW_RULES or i == 0:
        return BadFile(src.path, line, f"{exc.rule} ({src.rows[i].strip()[:120]})")
    prev = int(src.lines[i - 1])
    if ts[i] == ts[i - 1]:
        rule = f"{exc.rule}: {_when(ts[i], intraday)} is also on line {prev} with other values"
    else:
        rule = (f"{exc.rule}: {_when(ts[i], intraday)} comes after {_when(ts[i - 1], intraday)}"
                f" on line {prev}")
    m = src.mapping
    if intraday and not m.offsets and parse_zone(m.tz) is not None:
        rule += (f"; times were read as wall-clock time in {m.tz}: a daylight-saving change or "
                 "the wrong time zone can do this")
    return BadFile(src.path, line, rule)


def _when(ts: np.int64, intraday: bool) -> str:
    moment = datetime.fromtimestamp(int(ts), UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC" if intraday else "%Y-%m-%d")


def _format_name(det: Detection, combined: bool) -> str:
    m, norm = det.mapping, {normal(n) for n in det.names}
    if not m.has_header:
        if m.date_format == "YYYY.MM.DD" and "time" in m.columns:
            return "MetaTrader 4 history (no header)"
        return "no header (columns by position)"
    if any(n.startswith("<") for n in det.names):
        return "MetaTrader"
    if "adjustedclose" in norm:
        return "EODHD"
    if "adjclose" in norm:
        return "Yahoo"
    if det.time_added:
        return "date+time (header without the Time column)"
    if "time" in m.columns:
        return "date+time"
    return "date-time" if combined else "daily (date and prices)"


def _warnings(det: Detection, width: int, intraday: bool) -> tuple[str, ...]:
    m = det.mapping
    used = set(m.columns.values())
    names = [det.names[i] if i < len(det.names) and det.names[i] else f"field {i}"
             for i in range(width)]
    out = [f"{names[i]} ignored: raw prices are stored" for i in range(width)
           if i not in used and normal(names[i]) in ADJUSTED]
    rest = [names[i] for i in range(width) if i not in used and normal(names[i]) not in ADJUSTED]
    if rest:
        out.append(f"not imported: {', '.join(rest)}")
    if det.time_added:
        out.append(f"the header names {width - 1} columns but the rows have {width}: field "
                   f"{m.columns['time']} read as the time of day")
    if "volume" not in m.columns:
        out.append("no volume column: volume stored as 0")
    if m.decimal == ",":
        out.append("decimal commas read as decimal points")
    zone = _zone_note(m, intraday)
    return (*out, *((zone,) if zone else ()), *det.notes)


def _zone_note(m: ColumnMapping, intraday: bool) -> str | None:
    utc = parse_zone(m.tz) is None
    if not intraday:
        return None if utc else (f"dates without a time of day are stored at 00:00 UTC; the "
                                 f"time zone {m.tz} is not used")
    if m.offsets:
        return "times carry their own UTC offset" + (
            "" if utc else f"; the time zone {m.tz} is not used")
    return f"times are read as wall-clock time in {m.tz}" + (
        " (give another zone with --tz ZONE)" if utc else "")
