"""CSV import detection of dates, times and UTC offsets (day/month order decided by the whole
file, or refused), and column-mapping overrides: ``--map``-style column references (by number or
header name, ``-`` for none), date format, header and delimiter hints, whole ``ColumnMapping``
objects, and the clear ``BadMapping`` errors for each kind of bad override."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from drummond_desktop.core.errors import AppError
from drummond_desktop.feeds.csv_import import preview, read_import
from drummond_desktop.feeds.csv_mapping import (
    AmbiguousDates,
    BadMapping,
    ColumnMapping,
    Hints,
    parse_map,
)
from tests.feeds.test_csv_import import (
    JAN2_3,
    METATRADER,
    MINUTES,
    MT4_HISTORY,
    YAHOO,
    bad_file,
    epoch,
    write,
)

# ----------------------------------------------------------------- dates, times, offsets


@pytest.mark.parametrize(("fmt", "first", "second"), [
    ("YYYY-MM-DD", "2006-01-02", "2006-01-13"),
    ("YYYYMMDD", "20060102", "20060113"),
    ("YYYY.MM.DD", "2006.01.02", "2006.01.13"),
    ("YYYY/MM/DD", "2006/01/02", "2006/01/13"),
    ("MM/DD/YYYY", "01/02/2006", "01/13/2006"),
    ("DD/MM/YYYY", "02/01/2006", "13/01/2006"),
    ("DD.MM.YYYY", "02.01.2006", "13.01.2006"),
    ("MM/DD/YYYY", "1/2/2006", "1/13/2006"),  # single-digit parts
])
def test_date_formats(tmp_path: Path, fmt: str, first: str, second: str) -> None:
    path = write(tmp_path, f"Date,Open,High,Low,Close\n{first},1,2,0.5,1\n{second},1,2,0.5,1\n")
    assert read_import(path, symbol="X").ts.tolist() == [epoch(2006, 1, 2), epoch(2006, 1, 13)]
    assert preview(path).mapping.date_format == fmt


def slashed(days: list[str]) -> str:
    return "Date,Open,High,Low,Close\n" + "".join(f"{d},1,2,0.5,1\n" for d in days)


def test_day_month_order_is_decided_by_any_row_of_the_file(tmp_path: Path) -> None:
    # 150 rows fit both orders; only row 151 (line 152, past any sample) says day-first.
    days = [f"{d:02d}/{m:02d}/{y}" for y in (2005, 2006) for m in range(1, 13)
            for d in range(1, 13)][:150]
    path = write(tmp_path, slashed([*days, "25/12/2006"]))
    bars = read_import(path, symbol="X")
    assert bars.ts[1] == epoch(2005, 1, 2) and bars.ts[-1] == epoch(2006, 12, 25)
    p = preview(path)
    assert p.mapping.date_format == "DD/MM/YYYY"
    assert "dates read as DD/MM/YYYY: '25/12/2006' on line 152 cannot be MM/DD/YYYY" in p.warnings


def test_undecidable_day_month_order_is_refused_until_the_user_says(tmp_path: Path) -> None:
    path = write(tmp_path, slashed(["01/02/2006", "01/03/2006", "01/04/2006"]))
    with pytest.raises(AmbiguousDates) as info:
        read_import(path, symbol="X")
    exc = info.value
    assert exc.candidates == ("MM/DD/YYYY", "DD/MM/YYYY")
    assert "day/month order is ambiguous" in exc.rule
    assert "--date-format MM/DD/YYYY or --date-format DD/MM/YYYY" in exc.user_message
    with pytest.raises(AmbiguousDates):
        preview(path)
    us = read_import(path, symbol="X", hints=Hints(date_format="MM/DD/YYYY"))
    eu = read_import(path, symbol="X", hints=Hints(date_format="dd/mm/yyyy"))
    assert us.ts.tolist() == [epoch(2006, 1, 2), epoch(2006, 1, 3), epoch(2006, 1, 4)]
    assert eu.ts.tolist() == [epoch(2006, 2, 1), epoch(2006, 3, 1), epoch(2006, 4, 1)]


def test_dates_mixing_day_first_and_month_first_are_refused(tmp_path: Path) -> None:
    exc = bad_file(write(tmp_path, slashed(["13/01/2006", "01/14/2006"])))
    assert exc.line == 3 and "dates mix day-first" in exc.rule


def test_times_with_and_without_seconds(tmp_path: Path) -> None:
    path = write(tmp_path, "Date,Time,Open,High,Low,Close\n2006-01-02,09:01,1,2,0.5,1\n"
                           "2006-01-02,09:02:30,1,2,0.5,1\n2006-01-02,9:04,1,2,0.5,1\n")
    assert read_import(path, symbol="X").ts.tolist() == [
        epoch(2006, 1, 2, 9, 1), epoch(2006, 1, 2, 9, 2, 30), epoch(2006, 1, 2, 9, 4)]


@pytest.mark.parametrize(("first", "second"), [
    ("2006-01-02T09:01:00Z", "2006-01-02T09:02:00Z"),
    ("2006-01-02T10:01:00+01:00", "2006-01-02T04:02:00-05:00"),
    ("2006-01-02 10:01+0100", "2006-01-02 10:02 +01"),
])
def test_utc_offsets_win_over_the_zone(tmp_path: Path, first: str, second: str) -> None:
    path = write(tmp_path, f"Date,Open,High,Low,Close\n{first},1,2,0.5,1\n{second},1,2,0.5,1\n")
    bars = read_import(path, symbol="X", tz="Asia/Tokyo")
    assert bars.ts.tolist() == MINUTES
    p = preview(path, tz="Asia/Tokyo")
    assert p.mapping.offsets
    assert "times carry their own UTC offset; the time zone Asia/Tokyo is not used" in p.warnings


def test_offset_on_a_separate_time_column(tmp_path: Path) -> None:
    path = write(tmp_path, "Date,Time,Open,High,Low,Close\n2006-01-02,10:01:00+01:00,1,2,0.5,1\n"
                           "2006-01-02,09:02:00Z,1,2,0.5,1\n")
    assert read_import(path, symbol="X").ts.tolist() == MINUTES


def test_a_row_without_the_offset_the_others_carry(tmp_path: Path) -> None:
    exc = bad_file(write(tmp_path, "Date,Open,High,Low,Close\n2006-01-02T09:01Z,1,2,0.5,1\n"
                                   "2006-01-02T09:02,1,2,0.5,1\n"))
    assert exc.line == 3 and "time '09:02' has no UTC offset" in exc.rule


def test_wall_clock_times_convert_from_the_zone_and_dates_do_not(tmp_path: Path) -> None:
    path = write(tmp_path, "Date,Time,Open,High,Low,Close\n2006-01-03,09:30,1,2,0.5,1\n"
                           "2006-07-03,09:30,1,2,0.5,1\n")
    bars = read_import(path, symbol="X", tz="America/New_York")
    assert bars.ts.tolist() == [epoch(2006, 1, 3, 14, 30), epoch(2006, 7, 3, 13, 30)]
    daily = read_import(write(tmp_path, YAHOO, "d.csv"), symbol="X", tz="America/New_York")
    assert daily.ts.tolist() == JAN2_3
    with pytest.raises(AppError, match="Mars/Olympus"):
        read_import(path, symbol="X", tz="Mars/Olympus")


# ---------------------------------------------------------------------- mapping overrides


def test_parse_map() -> None:
    assert parse_map("date=0, time=1,OPEN=Open,volume=-") == {
        "date": 0, "time": 1, "open": "Open", "volume": None}


@pytest.mark.parametrize(("text", "message"), [
    ("date", "'date' is not FIELD=COLUMN"),
    ("date=0,,open=1", "'' is not FIELD=COLUMN"),
    ("opn=1", "unknown field 'opn'"),
    ("open=-1", "open=-1: a column is a number from 0"),
    ("open=1,open=2", "open is given twice"),
])
def test_parse_map_errors(text: str, message: str) -> None:
    with pytest.raises(BadMapping, match=message) as info:
        parse_map(text)
    assert info.value.user_message.startswith("Bad column mapping: ")


def test_map_columns_of_a_headerless_file_in_another_order(tmp_path: Path) -> None:
    path = write(tmp_path, "X.US;20060102;10.5;10;11;9.5;1000\nX.US;20060103;11.75;10.5;12;10;"
                           "2000\n")
    hints = Hints(parse_map("date=1,close=2,open=3,high=4,low=5,volume=6"))
    bars = read_import(path, symbol="X", hints=hints)
    assert bars.ts.tolist() == JAN2_3
    assert bars.open.tolist() == [10, 10.5] and bars.close.tolist() == [10.5, 11.75]


def test_map_by_header_name_and_drop_volume(tmp_path: Path) -> None:
    path = write(tmp_path, METATRADER)
    ticks = read_import(path, symbol="X", hints=Hints({"volume": "<tickvol>"}))
    assert ticks.volume.tolist() == [55, 40]
    none = read_import(path, symbol="X", hints=Hints({"volume": None}))
    assert none.volume.tolist() == [0, 0]
    assert "no volume column: volume stored as 0" in preview(
        path, hints=Hints({"volume": None})).warnings


ADJ_IN_RANGE = """Date,Open,High,Low,Close,Adj Close,Volume
2006-01-02,10,11,9.5,10.5,10.25,1000
2006-01-03,10.5,12,10,11.75,11.5,2000
"""


def test_a_mapped_column_is_taken_from_the_detected_field(tmp_path: Path) -> None:
    # Adj Close as the close: the detected Close column is no longer used.
    bars = read_import(write(tmp_path, ADJ_IN_RANGE), symbol="X", hints=Hints({"close": 5}))
    assert bars.close.tolist() == [10.25, 11.5]


@pytest.mark.parametrize(("hints", "message"), [
    (dict(columns={"close": 9}), "close=9: there is no column 9; the rows have 7 fields"),
    (dict(columns={"close": "Last"}), r"no column named 'Last' \(the header has: Date, Open"),
    (dict(columns={"opn": 1}), "unknown field 'opn'"),
    (dict(columns={"close": None}), "close cannot be left out"),
    (dict(columns={"open": 1, "high": 1}), "column 1 is given to both open and high"),
    (dict(date_format="YYYY-DD-MM"), "unknown date format 'YYYY-DD-MM': use one of"),
    (dict(delimiter=":"), "delimiter ':' is not one of"),
])
def test_bad_overrides_are_clear(tmp_path: Path, hints: dict[str, object],
                                 message: str) -> None:
    path = write(tmp_path, YAHOO)
    with pytest.raises(BadMapping, match=message):
        read_import(path, symbol="X", hints=Hints(**hints))  # type: ignore[arg-type]


def test_naming_columns_needs_a_header(tmp_path: Path) -> None:
    with pytest.raises(BadMapping, match="columns can be named only when the file has a header"):
        read_import(write(tmp_path, MT4_HISTORY), symbol="X", hints=Hints({"open": "Open"}))


def test_a_date_format_that_does_not_fit_names_the_line(tmp_path: Path) -> None:
    exc = bad_file(write(tmp_path, YAHOO), hints=Hints(date_format="DD.MM.YYYY"))
    assert (exc.line, exc.rule) == (2, "unparsable date '2006-01-02' (expected DD.MM.YYYY)")


def test_unknown_header_names_ask_for_a_map(tmp_path: Path) -> None:
    path = write(tmp_path, "Datum,Eroeffnung,Hoch,Tief,Schluss\n2006-01-02,1,2,0.5,1\n")
    exc = bad_file(path)
    assert exc.line == 1 and "missing required column(s): date, open, high, low, close" in \
        exc.rule and "--map date=N" in exc.rule
    hints = Hints(parse_map("date=Datum,open=1,high=2,low=3,close=Schluss"))
    assert read_import(path, symbol="X", hints=hints).high.tolist() == [2]


def test_duplicate_header_columns_need_a_choice(tmp_path: Path) -> None:
    path = write(tmp_path, "Date,Close,Open,High,Low,Last\n2006-01-02,1,1,2,0.5,1.5\n")
    exc = bad_file(path)
    assert exc.line == 1 and "duplicate column 'Last'" in exc.rule
    assert read_import(path, symbol="X", hints=Hints({"close": 5})).close.tolist() == [1.5]


@pytest.mark.parametrize(("change", "message"), [
    (dict(columns={"date": 0, "open": 1, "high": 2, "low": 3}), "no column for close"),
    (dict(columns={"date": 0, "open": -1, "high": 2, "low": 3, "close": 4}),
     "open=-1: a column is a number"),
    (dict(columns={"date": 0, "open": 1, "high": 2, "low": 3, "close": 4, "vol": 5}),
     "unknown field 'vol'"),
    (dict(date_format="MM-DD-YY"), "unknown date format"),
    (dict(delimiter=";", decimal=";"), "decimal separator ';'"),
])
def test_a_whole_mapping_is_checked_when_built(change: dict[str, object], message: str) -> None:
    base = ColumnMapping({"date": 0, "open": 1, "high": 2, "low": 3, "close": 4})
    with pytest.raises(BadMapping, match=message):
        dataclasses.replace(base, **change)  # type: ignore[arg-type]
    with pytest.raises(AppError, match="Mars/Olympus"):
        dataclasses.replace(base, tz="Mars/Olympus")


def test_a_previewed_mapping_edited_and_used_whole(tmp_path: Path) -> None:
    path = write(tmp_path, ADJ_IN_RANGE)
    mapping = preview(path).mapping
    edited = ColumnMapping({**mapping.columns, "close": 5}, mapping.date_format)
    assert edited != mapping and hash(edited) != hash(mapping)
    assert read_import(path, symbol="X", mapping=edited).close.tolist() == [10.25, 11.5]
    with pytest.raises(BadMapping, match="there is no column 9"):
        read_import(path, symbol="X", mapping=ColumnMapping({**mapping.columns, "volume": 9}))
    with pytest.raises(BadMapping, match="not both"):
        read_import(path, symbol="X", mapping=mapping, hints=Hints())
