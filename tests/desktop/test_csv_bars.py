"""``read_csv_bars``: every accepted shape, time zones, and every bad input as a ``BadFile`` naming
the file, the 1-based line and the rule."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drummond_desktop.core.errors import AppError, BadFile
from drummond_desktop.feeds.csv_bars import guess_timeframe, read_csv_bars

YAHOO = """Date,Open,High,Low,Close,Adj Close,Volume
2006-01-02,10.00,11.00,9.50,10.50,5.25,1000
2006-01-03,10.50,12.00,10.00,11.75,5.80,2000
2006-01-04,11.75,12.25,11.00,11.10,5.50,1500
"""
INTRADAY = """Date,Time,Open,High,Low,Close,Volume,OpenInterest
2006-01-02,09:01:00,3602.00,3603.00,3597.00,3599.00,5699,0
2006-01-02,09:02:00,3600.00,3601.00,3598.00,3599.00,894,0
2006-01-02,09:03:00,3599.00,3602.00,3598.00,3600.00,883,0
"""
# The header leaves out the Time column that every row carries (as in the shared 1-minute file).
FEWER_HEADER = """Date,Open,High,Low,Close,Volume,OpenInterest\r
2006-01-02,09:01:00,3602.00,3603.00,3597.00,3599.00,5699,0\r
2006-01-02,09:02:00,3600.00,3601.00,3598.00,3599.00,894,0\r
"""


def epoch(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp())


def write(tmp_path: Path, text: str | bytes, name: str = "bars.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_bytes(text.encode())  # exact line ends, no newline translation
    return path


def bad_file(path: Path, **kwargs: str) -> BadFile:
    with pytest.raises(BadFile) as info:
        read_csv_bars(path, **kwargs)
    return info.value


# ------------------------------------------------------------------------------ good input


def test_yahoo_style_stores_raw_close_at_midnight_utc(tmp_path: Path) -> None:
    bars = read_csv_bars(write(tmp_path, YAHOO), symbol="XYZ")
    assert bars.symbol == "XYZ" and bars.timeframe == "1d"
    np.testing.assert_array_equal(bars.ts, [epoch(2006, 1, 2), epoch(2006, 1, 3),
                                            epoch(2006, 1, 4)])
    np.testing.assert_array_equal(bars.close, [10.5, 11.75, 11.1])  # not the Adj Close
    np.testing.assert_array_equal(bars.volume, [1000, 2000, 1500])


def test_date_time_rows(tmp_path: Path) -> None:
    bars = read_csv_bars(write(tmp_path, INTRADAY))
    assert bars.timeframe == "1m"
    np.testing.assert_array_equal(bars.ts, [epoch(2006, 1, 2, 9, m) for m in (1, 2, 3)])
    np.testing.assert_array_equal(bars.open, [3602, 3600, 3599])


def test_header_that_omits_the_time_column(tmp_path: Path) -> None:
    bars = read_csv_bars(write(tmp_path, FEWER_HEADER))
    np.testing.assert_array_equal(bars.ts, [epoch(2006, 1, 2, 9, 1), epoch(2006, 1, 2, 9, 2)])
    np.testing.assert_array_equal(bars.close, [3599, 3599])
    np.testing.assert_array_equal(bars.volume, [5699, 894])


def test_case_insensitive_header_without_volume_or_extras(tmp_path: Path) -> None:
    text = "DATE ,open,HIGH,Low,CLOSE\n2006-01-02,1,2,0.5,1.5\n2006-01-03,1.5,2,1,1.25\n"
    bars = read_csv_bars(write(tmp_path, text))
    np.testing.assert_array_equal(bars.volume, [0, 0])
    np.testing.assert_array_equal(bars.high, [2, 2])


def test_compact_dates_and_a_date_column_holding_the_time(tmp_path: Path) -> None:
    compact = read_csv_bars(write(tmp_path, "Date,Open,High,Low,Close\n20060102,1,2,0.5,1\n"
                                            "20060103,1,2,0.5,1\n", "a.csv"))
    assert compact.ts.tolist() == [epoch(2006, 1, 2), epoch(2006, 1, 3)]
    joined = read_csv_bars(write(tmp_path, "Date,Open,High,Low,Close\n"
                                           "2006-01-02 09:30:00,1,2,0.5,1\n"
                                           "2006-01-02 10:30:00,1,2,0.5,1\n", "b.csv"))
    assert joined.ts.tolist() == [epoch(2006, 1, 2, 9, 30), epoch(2006, 1, 2, 10, 30)]
    assert joined.timeframe == "1h"


def test_wall_clock_times_convert_from_the_zone(tmp_path: Path) -> None:
    text = ("Date,Time,Open,High,Low,Close\n2006-01-03,09:30,1,2,0.5,1\n"
            "2006-07-03,09:30,1,2,0.5,1\n")
    bars = read_csv_bars(write(tmp_path, text), tz="America/New_York")
    # EST (UTC-5) in January, EDT (UTC-4) in July.
    assert bars.ts.tolist() == [epoch(2006, 1, 3, 14, 30), epoch(2006, 7, 3, 13, 30)]


def test_dates_without_time_are_never_shifted(tmp_path: Path) -> None:
    bars = read_csv_bars(write(tmp_path, YAHOO), tz="Asia/Tokyo")
    assert bars.ts[0] == epoch(2006, 1, 2)


def test_unknown_time_zone_is_an_app_error(tmp_path: Path) -> None:
    with pytest.raises(AppError, match="Mars/Olympus"):
        read_csv_bars(write(tmp_path, INTRADAY), tz="Mars/Olympus")


def test_blank_lines_and_bom_are_skipped(tmp_path: Path) -> None:
    text = "\ufeff" + YAHOO.replace("\n2006-01-03", "\n\n  \n2006-01-03") + "\n\n"
    assert len(read_csv_bars(write(tmp_path, text))) == 3


@pytest.mark.parametrize(("step", "intraday", "label"), [
    (60, True, "1m"), (300, True, "5m"), (3600, True, "1h"), (14_400, True, "4h"),
    (86_400, False, "1d"), (7 * 86_400, False, "1w"), (30 * 86_400, False, "1mo"),
    (91 * 86_400, False, "3mo"), (365 * 86_400, False, "1y"),
])
def test_timeframe_from_median_spacing(step: int, intraday: bool, label: str) -> None:
    ts = np.arange(20, dtype=np.int64) * step
    ts[5:] += step  # one gap (a weekend, a night) does not move the median
    assert guess_timeframe(ts, intraday) == label


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.floats(0.01, 1e6), st.floats(0, 1), st.floats(0, 1),
                          st.floats(0, 1e9)), min_size=1, max_size=30))
def test_round_trip_of_exact_values(tmp_path: Path, rows: list[tuple[float, ...]]) -> None:
    lines = ["Date,Open,High,Low,Close,Volume"]
    for i, (low, a, b, vol) in enumerate(rows):
        o, c = low * (1 + a), low * (1 + b)
        high = max(o, c) * 1.01
        lines.append(f"{np.datetime64('2000-01-01') + i},{o!r},{high!r},{low!r},{c!r},{vol!r}")
    bars = read_csv_bars(write(tmp_path, "\n".join(lines)))
    np.testing.assert_array_equal(bars.low, [r[0] for r in rows])
    np.testing.assert_array_equal(bars.volume, [r[3] for r in rows])


# ------------------------------------------------------------------------------- bad input

HEAD = "Date,Open,High,Low,Close,Volume\n"
ROW = "2006-01-02,10,11,9,10.5,100\n"
ROW2 = "2006-01-03,10,11,9,10.5,100\n"

BAD = [
    ("missing columns", "Date,Open,Close\n" + ROW, 1, "missing required column(s): high, low"),
    ("header only", HEAD, 1, "no data rows after the header"),
    ("no header", ROW + ROW2, 1, "no header line"),
    ("duplicate column", "Date,Open,High,Low,Close,close\n2006-01-02,1,2,0,1,1\n", 1,
     "duplicate column"),
    ("bad date", HEAD + ROW + "2006-13-01,10,11,9,10.5,100\n", 3, "unparsable date '2006-13-01'"),
    ("us date", HEAD + "01/02/2006,10,11,9,10.5,100\n", 2, "unparsable date '01/02/2006'"),
    ("year only", HEAD + ROW + "2007,10,11,9,10.5,100\n", 3, "unparsable date '2007'"),
    ("date word", HEAD + ROW + "today,10,11,9,10.5,100\n", 3, "unparsable date 'today'"),
    ("bad time", "Date,Time,Open,High,Low,Close\n2006-01-02,09:00,1,2,0,1\n"
                 "2006-01-02,25:00,1,2,0,1\n", 3, "unparsable time '25:00'"),
    ("bad number", HEAD + ROW + "2006-01-03,10,abc,9,10.5,100\n", 3,
     "unparsable number 'abc' in column 'high'"),
    ("empty number", HEAD + ROW + "2006-01-03,10,11,9,10.5,\n", 3,
     "unparsable number '' in column 'volume'"),
    ("zone suffix", "Date,Open,High,Low,Close\n2006-01-02 09:00:00,1,2,0,1\n"
                    "2006-01-02T10:00:00Z,1,2,0,1\n", 3, "unparsable time '10:00:00Z'"),
    ("nan", HEAD + ROW + "2006-01-03,10,11,9,nan,100\n", 3, "non-finite number 'nan' in column "
                                                             "'close'"),
    ("inf", HEAD + ROW + "2006-01-03,10,inf,9,10,100\n", 3, "non-finite number 'inf'"),
    ("extra field", HEAD + ROW + "2006-01-03,10,11,9,10.5,100,7\n", 3,
     "wrong field count: expected 6 fields like the header, found 7"),
    ("missing field", HEAD + ROW + "2006-01-03,10,11,9,10.5\n", 3, "wrong field count"),
    ("high < low", HEAD + ROW + "2006-01-03,10,9,11,10,100\n", 3, "high >= low"),
    ("low above open", HEAD + ROW + "2006-01-03,10,12,10.5,11,100\n", 3,
     "low <= min(open, close)"),
    ("high below close", HEAD + ROW + "2006-01-03,10,11,9,12,100\n", 3,
     "high >= max(open, close)"),
    ("negative volume", HEAD + ROW + "2006-01-03,10,11,9,10,-5\n", 3, "volume >= 0"),
    ("duplicate", HEAD + ROW + ROW2 + ROW2, 4, "duplicate timestamp 2006-01-03 (same as line 3)"),
    ("unsorted", HEAD + ROW2 + ROW, 3, "rows not sorted by date/time"),
    ("blank lines count", HEAD + "\n" + ROW + "\n\n" + "2006-01-03,10,9,11,10,100\n", 6,
     "high >= low"),
]


@pytest.mark.parametrize(("text", "line", "rule"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_names_file_line_and_rule(tmp_path: Path, text: str, line: int,
                                            rule: str) -> None:
    path = write(tmp_path, text)
    exc = bad_file(path)
    assert (exc.path, exc.line) == (str(path), line)
    assert rule in exc.rule
    assert exc.user_message == f"{path}, line {line}: {exc.rule}"
    assert list(tmp_path.iterdir()) == [path]  # reading writes nothing


@pytest.mark.parametrize("text", ["", "\n\n  \r\n"], ids=["empty", "blank"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    exc = bad_file(write(tmp_path, text))
    assert exc.line == 0 and "empty file" in exc.rule


def test_undecodable_bytes_name_their_line(tmp_path: Path) -> None:
    exc = bad_file(write(tmp_path, (HEAD + ROW).encode() + b"2006-01-03,10,11,9,10\xff,1\n"))
    assert exc.line == 3 and "undecodable bytes" in exc.rule


def test_missing_file_and_directory(tmp_path: Path) -> None:
    missing = bad_file(tmp_path / "nope.csv")
    assert (missing.line, missing.rule) == (0, "file not found")
    assert str(tmp_path / "nope.csv") in missing.user_message
    assert "directory" in bad_file(tmp_path).rule


def test_ambiguous_local_times_are_reported_with_the_zone(tmp_path: Path) -> None:
    # 01:30 happens twice when New York leaves daylight saving time; both read as the first.
    text = ("Date,Time,Open,High,Low,Close\n2006-10-29,01:30,1,2,0,1\n"
            "2006-10-29,01:30,1,2,0,1\n")
    exc = bad_file(write(tmp_path, text), tz="America/New_York")
    assert exc.line == 3 and "duplicate timestamp" in exc.rule and "America/New_York" in exc.rule


@pytest.mark.parametrize("bad_at", [0, 1, 2_345, 4_998])
def test_first_bad_line_is_exact_in_a_long_file(tmp_path: Path, bad_at: int) -> None:
    days = np.datetime64("2000-01-01") + np.arange(5_000)
    rows = [f"{d},10,11,9,10,1" for d in days.astype(str)]
    rows[bad_at] = rows[bad_at].replace(",11,", ",1x,")
    rows[-1] = rows[-1].replace(",10,1", ",10,y")  # a later error must not win
    exc = bad_file(write(tmp_path, HEAD + "\n".join(rows) + "\n"))
    assert exc.line == bad_at + 2 and "'1x' in column 'high'" in exc.rule
