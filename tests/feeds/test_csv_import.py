"""CSV import (``feeds.csv_import``): every recognised format, detection of delimiter, header,
columns and decimal comma, the preview, the EODHD validation rules reported as
``BadFile(path, line, rule)``, speed, and every shared market file imported through
``drummond import``. Date/time/offset detection and mapping overrides: ``test_csv_detect.py``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import pytest

from drummond_desktop import cli
from drummond_desktop.bootstrap import AppContext
from drummond_desktop.core.errors import AppError, BadFile
from drummond_desktop.core.secrets import SecretStore
from drummond_desktop.feeds import validate
from drummond_desktop.feeds.csv_import import preview, read_import
from drummond_desktop.feeds.csv_mapping import (
    Hints,
)
from drummond_desktop.feeds.errors import BadData


def epoch(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
          second: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp())


def write(tmp_path: Path, text: str, name: str = "bars.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())  # exact line ends
    return path


def bad_file(path: Path, **kwargs: object) -> BadFile:
    with pytest.raises(BadFile) as info:
        read_import(path, symbol="X", **kwargs)  # type: ignore[arg-type]
    return info.value


JAN2_3 = [epoch(2006, 1, 2), epoch(2006, 1, 3)]

# ------------------------------------------------------------------------------- formats

YAHOO = """Date,Open,High,Low,Close,Adj Close,Volume
2006-01-02,10.00,11.00,9.50,10.50,5.25,1000
2006-01-03,10.50,12.00,10.00,11.75,5.80,2000
"""
EODHD = """Date,Open,High,Low,Close,Adjusted_close,Volume
2006-01-02,10.00,11.00,9.50,10.50,5.25,1000
2006-01-03,10.50,12.00,10.00,11.75,5.80,2000
"""
METATRADER = """<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<TICKVOL>,<VOL>,<SPREAD>
2006.01.02,09:01:00,3602,3603,3597,3599,55,5699,2
2006.01.02,09:02:00,3600,3601,3598,3599,40,894,2
"""
MT5_FOREX = ("<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
             "2006.01.02\t09:01:00\t1.1841\t1.1850\t1.1840\t1.1848\t55\t0\t2\n"
             "2006.01.02\t09:02:00\t1.1848\t1.1849\t1.1842\t1.1845\t40\t0\t2\n")
MT4_HISTORY = """2006.01.02,09:01,3602,3603,3597,3599,5699
2006.01.02,09:02,3600,3601,3598,3599,894
"""
DATE_TIME = """Date,Time,Open,High,Low,Close,Volume,OpenInterest
2006-01-02,09:01:00,3602.00,3603.00,3597.00,3599.00,5699,0
2006-01-02,09:02:00,3600.00,3601.00,3598.00,3599.00,894,0
"""
SHORT_HEADER = """Date,Open,High,Low,Close,Volume,OpenInterest\r
2006-01-02,09:01:00,3602.00,3603.00,3597.00,3599.00,5699,0\r
2006-01-02,09:02:00,3600.00,3601.00,3598.00,3599.00,894,0\r
"""
MINUTES = [epoch(2006, 1, 2, 9, 1), epoch(2006, 1, 2, 9, 2)]


@pytest.mark.parametrize(("text", "name", "warning"), [
    (YAHOO, "Yahoo", "Adj Close ignored: raw prices are stored"),
    (EODHD, "EODHD", "Adjusted_close ignored: raw prices are stored"),
], ids=["yahoo", "eodhd"])
def test_daily_formats_store_raw_prices(tmp_path: Path, text: str, name: str,
                                        warning: str) -> None:
    path = write(tmp_path, text)
    bars = read_import(path, symbol="XYZ.US")
    assert (bars.symbol, bars.timeframe) == ("XYZ.US", "1d")
    assert bars.ts.tolist() == JAN2_3
    assert bars.close.tolist() == [10.5, 11.75]  # never the adjusted close
    assert bars.volume.tolist() == [1000, 2000]
    p = preview(path)
    assert p.format == name and warning in p.warnings
    assert dict(p.mapping.columns) == {"date": 0, "open": 1, "high": 2, "low": 3, "close": 4,
                                       "volume": 6}


def test_metatrader_export_prefers_real_volume(tmp_path: Path) -> None:
    path = write(tmp_path, METATRADER)
    bars = read_import(path, symbol="X")
    assert bars.ts.tolist() == MINUTES and bars.timeframe == "1m"
    assert bars.volume.tolist() == [5699, 894]  # <VOL>, not <TICKVOL>
    p = preview(path)
    assert p.format == "MetaTrader" and p.mapping.date_format == "YYYY.MM.DD"
    assert "not imported: <TICKVOL>, <SPREAD>" in p.warnings


def test_metatrader_forex_uses_tick_volume_when_real_volume_is_all_zero(tmp_path: Path) -> None:
    path = write(tmp_path, MT5_FOREX)
    bars = read_import(path, symbol="EURUSD")
    assert bars.volume.tolist() == [55, 40]
    p = preview(path)
    assert p.mapping.delimiter == "\t"
    assert "<VOL> is 0 on every row: <TICKVOL> read as the volume" in p.warnings


def test_headerless_mt4_history(tmp_path: Path) -> None:
    path = write(tmp_path, MT4_HISTORY)
    bars = read_import(path, symbol="X")
    assert bars.ts.tolist() == MINUTES
    assert bars.open.tolist() == [3602, 3600] and bars.volume.tolist() == [5699, 894]
    p = preview(path)
    assert p.format == "MetaTrader 4 history (no header)"
    assert not p.mapping.has_header and p.names == ()
    assert p.rows[0].line == 1 and p.total_rows == 2


@pytest.mark.parametrize(("text", "name"), [
    (DATE_TIME, "date+time"),
    (SHORT_HEADER, "date+time (header without the Time column)"),
], ids=["date-time-columns", "short-header"])
def test_date_and_time_columns(tmp_path: Path, text: str, name: str) -> None:
    path = write(tmp_path, text)
    bars = read_import(path, symbol="X")
    assert bars.ts.tolist() == MINUTES
    assert bars.close.tolist() == [3599, 3599] and bars.volume.tolist() == [5699, 894]
    p = preview(path)
    assert p.format == name and p.mapping.columns["time"] == 1
    assert p.names[:3] == ("Date", "Time", "Open")
    if "without" in name:
        assert any("header names 7 columns but the rows have 8" in w for w in p.warnings)


@pytest.mark.parametrize("stamp", ["2006-01-02 09:01:00", "2006-01-02T09:01", "2006-01-02 9:01"])
def test_combined_date_time_column(tmp_path: Path, stamp: str) -> None:
    second = stamp.replace("09:01", "09:02").replace("9:01", "9:02")
    path = write(tmp_path, f"Timestamp,Open,High,Low,Close\n{stamp},1,2,0.5,1\n"
                           f"{second},1,2,0.5,1\n")
    assert read_import(path, symbol="X").ts.tolist() == MINUTES
    assert preview(path).format == "date-time"


def test_quoted_fields_and_a_time_column_holding_timestamps(tmp_path: Path) -> None:
    quoted = write(tmp_path, '"Date","Open","High","Low","Close","Volume"\n'
                             '"2006-01-02","10","11","9.5","10.5","1000"\n', "q.csv")
    assert read_import(quoted, symbol="X").close.tolist() == [10.5]
    # TradingView-style: one "time" column with whole ISO timestamps.
    tv = write(tmp_path, "time,open,high,low,close,Volume\n2006-01-02T09:01:00Z,1,2,0.5,1,5\n"
                         "2006-01-02T09:02:00Z,1,2,0.5,1,5\n", "tv.csv")
    assert read_import(tv, symbol="X").ts.tolist() == MINUTES
    assert preview(tv).mapping.columns["date"] == 0


# ----------------------------------------------------------------------------- detection

ROWS = [("2006-01-02", "10", "11", "9.5", "10.5", "1000"),
        ("2006-01-03", "10.5", "12", "10", "11.75", "2000")]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab",
                                                                  "pipe"])
def test_delimiters(tmp_path: Path, delimiter: str) -> None:
    lines = [delimiter.join(("Date", "Open", "High", "Low", "Close", "Volume"))]
    lines += [delimiter.join(r) for r in ROWS]
    path = write(tmp_path, "\n".join(lines) + "\n")
    bars = read_import(path, symbol="X")
    assert bars.ts.tolist() == JAN2_3 and bars.close.tolist() == [10.5, 11.75]
    assert preview(path).mapping.delimiter == delimiter


def test_european_semicolons_decimal_commas_and_dotted_dates(tmp_path: Path) -> None:
    path = write(tmp_path, "Date;Open;High;Low;Close;Volume\n02.01.2006;10,5;11;9,5;10,75;100\n"
                           "03.01.2006;10,75;12;10;11,5;200\n")
    bars = read_import(path, symbol="X")
    assert bars.ts.tolist() == JAN2_3 and bars.open.tolist() == [10.5, 10.75]
    p = preview(path)
    assert (p.mapping.date_format, p.mapping.decimal) == ("DD.MM.YYYY", ",")
    assert "decimal commas read as decimal points" in p.warnings


def test_header_is_detected_and_can_be_denied(tmp_path: Path) -> None:
    text = "2006-01-02,10,11,9.5,10.5,1000\n2006-01-03,10.5,12,10,11.75,2000\n"
    bars = read_import(write(tmp_path, text), symbol="X")
    assert bars.ts.tolist() == JAN2_3 and bars.volume.tolist() == [1000, 2000]
    exc = bad_file(write(tmp_path, YAHOO, "y.csv"), hints=Hints(has_header=False))
    assert exc.line == 1 and "no header, and the first row" in exc.rule


# -------------------------------------------------------------------------------- preview


def test_preview_shows_mapping_rows_count_and_warnings_and_writes_nothing(
        tmp_path: Path) -> None:
    rows = [f"2006-01-{d:02d},10,11,9,10.5,{d}00" for d in range(2, 30)]
    rows[20] = rows[20].replace(",11,", ",8,")  # high < low far down: not the preview's concern
    path = write(tmp_path, "Date,Open,High,Low,Close,Adj Close,Volume\n".replace(
        "Adj Close,", "") + "\n".join(rows) + "\n")
    before = sorted(tmp_path.iterdir())
    p = preview(path, rows=3)
    assert p.path == str(path) and p.total_rows == 28 and len(p.rows) == 3
    assert p.format == "daily (date and prices)"
    assert p.mapping.option() == "date=0,open=1,high=2,low=3,close=4,volume=5"
    first = p.rows[0]
    assert (first.line, first.ts, first.open, first.high, first.low, first.close,
            first.volume) == (2, epoch(2006, 1, 2), 10, 11, 9, 10.5, 200)
    assert first.when == "2006-01-02"
    assert sorted(tmp_path.iterdir()) == before
    assert bad_file(path).line == 22
    assert len(preview(path).rows) == 10 and preview(path, rows=0).rows == ()


def test_preview_of_intraday_rows(tmp_path: Path) -> None:
    p = preview(write(tmp_path, SHORT_HEADER), tz="Europe/Berlin")
    assert p.rows[0].when == "2006-01-02 08:01:00 UTC"  # 09:01 in Berlin
    assert "times are read as wall-clock time in Europe/Berlin" in p.warnings
    assert "not imported: OpenInterest" in p.warnings


# ----------------------------------------------------------------------------- validation

HEAD = "Date,Open,High,Low,Close,Volume\n"
ROW = "2006-01-02,10,11,9,10.5,100\n"
ROW2 = "2006-01-03,10,11,9,10.5,100\n"

RULES = [
    ("zero price", HEAD + ROW + "2006-01-03,10,11,0,10.5,100\n", 3, validate.RULE_NOT_POSITIVE),
    ("negative price", HEAD + ROW + "2006-01-03,-10,11,9,10.5,100\n", 3,
     validate.RULE_NOT_POSITIVE),
    ("nan", HEAD + ROW + "2006-01-03,10,11,9,nan,100\n", 3, validate.RULE_NOT_FINITE),
    ("inf", HEAD + ROW + "2006-01-03,10,inf,9,10,100\n", 3, validate.RULE_NOT_FINITE),
    ("negative volume", HEAD + ROW + "2006-01-03,10,11,9,10,-5\n", 3, validate.RULE_VOLUME),
    ("nan volume", HEAD + ROW + "2006-01-03,10,11,9,10,NaN\n", 3, validate.RULE_VOLUME),
    ("high < low", HEAD + ROW + "2006-01-03,10,9,11,10,100\n", 3, validate.RULE_HIGH_LOW),
    ("open outside", HEAD + ROW + "2006-01-03,12,11,9,10,100\n", 3, validate.RULE_OPEN),
    ("close outside", HEAD + ROW + "2006-01-03,10,11,9,8.5,100\n", 3, validate.RULE_CLOSE),
    ("conflicting duplicate", HEAD + ROW + ROW2 + ROW2.replace("10.5", "10.75"), 4,
     "conflicting duplicate date: 2006-01-03 is also on line 3 with other values"),
    ("unsorted", HEAD + ROW2 + ROW, 3,
     "rows not sorted ascending: 2006-01-02 comes after 2006-01-03 on line 2"),
    ("blank lines count", HEAD + "\n" + ROW + "\n\n" + "2006-01-03,10,9,11,10,100\n", 6,
     validate.RULE_HIGH_LOW),
    ("bad number", HEAD + ROW + "2006-01-03,10,abc,9,10.5,100\n", 3,
     "unparsable number 'abc' in column 'high'"),
    ("bad date", HEAD + ROW + "2006-02-30,10,11,9,10.5,100\n", 3,
     "unparsable date '2006-02-30' (expected YYYY-MM-DD)"),
    ("bad time", "Date,Time,Open,High,Low,Close\n2006-01-02,09:00,1,2,0.5,1\n"
                 "2006-01-02,24:00,1,2,0.5,1\n", 3, "unparsable time '24:00'"),
    ("field count", HEAD + ROW + "2006-01-03,10,11,9,10.5\n", 3,
     "wrong field count: expected 6 fields like the first data row (line 2), found 5"),
    ("header only", HEAD, 1, "no data rows after the header"),
    ("short rows", HEAD + "2006-01-02,10,11,9,10.5\n", 2,
     "the header names 6 columns but this row has 5 fields"),
]


@pytest.mark.parametrize(("text", "line", "rule"), [r[1:] for r in RULES],
                         ids=[r[0] for r in RULES])
def test_bad_rows_name_file_line_and_rule(tmp_path: Path, text: str, line: int,
                                          rule: str) -> None:
    path = write(tmp_path, text)
    exc = bad_file(path)
    assert (exc.path, exc.line) == (str(path), line)
    assert exc.rule.startswith(rule)
    assert exc.user_message == f"{path}, line {line}: {exc.rule}"
    assert list(tmp_path.iterdir()) == [path]  # reading writes nothing


def test_value_rules_are_worded_like_an_eodhd_payload(tmp_path: Path) -> None:
    payload = [{"date": "2006-01-02", "open": 10, "high": 9, "low": 11, "close": 10,
                "volume": 100}]
    with pytest.raises(BadData) as eod:
        validate.check_columns(validate.eod_columns(payload, symbol="X"), symbol="X",
                               endpoint="eod")
    exc = bad_file(write(tmp_path, HEAD + "2006-01-02,10,9,11,10,100\n"))
    assert exc.rule == f"{eod.value.rule} (2006-01-02,10,9,11,10,100)"


def test_identical_duplicates_are_dropped_like_in_a_payload(tmp_path: Path) -> None:
    bars = read_import(write(tmp_path, HEAD + ROW + ROW2 + ROW2), symbol="X")
    assert bars.ts.tolist() == JAN2_3


def test_daylight_saving_duplicates_mention_the_zone(tmp_path: Path) -> None:
    text = ("Date,Time,Open,High,Low,Close\n2006-10-29,01:30,1,2,0.5,1\n"
            "2006-10-29,01:30,1,2,0.5,1.5\n")
    exc = bad_file(write(tmp_path, text), tz="America/New_York")
    assert exc.line == 3 and "conflicting duplicate date" in exc.rule
    assert "wall-clock time in America/New_York" in exc.rule


def test_a_large_headerless_metatrader_file(tmp_path: Path) -> None:
    # Scale and correctness only: speed is measured in benchmarks/, never asserted in tests.
    n = 200_000
    stamps = (np.datetime64("2000-01-03T00:00") + np.arange(n) * np.timedelta64(1, "m"))
    text = stamps.astype(str)
    day = np.strings.replace(np.strings.slice(text, 0, 10), "-", ".")
    rows = np.strings.add(np.strings.add(np.strings.add(day, ","), np.strings.slice(text, 11, 16)),
                          ",3602.5,3603,3597,3599,5699")
    path = tmp_path / "big.csv"
    path.write_text("\n".join(rows.tolist()) + "\n")
    bars = read_import(path, symbol="X")
    assert len(bars) == n and bars.ts[-1] == stamps[-1].astype("datetime64[s]").astype(int)
    assert (bars.close == 3599.0).all() and bars.timeframe == "1m"


# ---------------------------------------------------------- the shared files, end to end


@pytest.fixture
def ctx(monkeypatch: pytest.MonkeyPatch) -> AppContext:
    monkeypatch.setenv("DRUMMOND_EODHD_API_KEY", "TESTKEY-csv-import")
    c = AppContext(transport=httpx.MockTransport(lambda r: httpx.Response(404)),
                   secrets=SecretStore())
    yield c
    c.close()


def stored(ctx: AppContext, symbol: str, interval: str) -> int:
    try:
        return len(ctx.market_data().load(symbol, interval))
    except AppError:
        return 0


def test_every_shared_market_file_imports(market_data_dir: Path, ctx: AppContext,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(p for p in market_data_dir.iterdir() if p.is_file())
    assert files
    for i, path in enumerate(files):
        rows = sum(1 for line in path.read_text().splitlines() if line.strip()) - 1
        interval = read_import(path, symbol="probe").timeframe
        symbol = f"SHARED{i}.X"
        argv = ["import", str(path), "--symbol", symbol, "--interval", interval]
        assert cli.main(argv, context=ctx) == 0, capsys.readouterr().err
        assert f"{rows} bars read, {rows} new" in capsys.readouterr().out
        assert stored(ctx, symbol, interval) == rows


def test_nothing_is_stored_from_a_bad_file(tmp_path: Path, ctx: AppContext,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, HEAD + ROW + ROW2, "good.csv")
    assert cli.main(["import", str(good), "--symbol", "B.US"], context=ctx) == 0
    rows = [f"2006-01-{d:02d},10,11,9,10.5,100" for d in range(4, 30)]
    rows[-1] = "2006-01-29,10,11,9,0,100"  # the last row is bad: none of the others is kept
    bad = write(tmp_path, HEAD + "\n".join(rows) + "\n", "bad.csv")
    assert cli.main(["import", str(bad), "--symbol", "B.US"], context=ctx) == 2
    err = capsys.readouterr().err
    assert f"{bad}, line 27: {validate.RULE_NOT_POSITIVE}" in err and "Traceback" not in err
    assert stored(ctx, "B.US", "1d") == 2
