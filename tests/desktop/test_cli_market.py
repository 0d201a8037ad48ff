"""The market-data commands end to end: CLI -> services -> SQLite store (and EODHD over
MockTransport for sync)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import httpx
import numpy as np
import pytest

from drummond_desktop import cli
from drummond_desktop.bootstrap import AppContext
from drummond_desktop.core.secrets import SecretStore
from tests.engine.golden import write_yahoo_csv
from tests.services.vendor import Vendor, daily_rows


@pytest.fixture
def vendor() -> Vendor:
    return Vendor()


@pytest.fixture
def ctx(vendor, monkeypatch) -> AppContext:
    monkeypatch.setenv("DRUMMOND_EODHD_API_KEY", "TESTKEY-cli-0001")
    c = AppContext(transport=httpx.MockTransport(vendor), secrets=SecretStore())
    yield c
    c.close()


def run(ctx, *argv):
    return cli.main(list(argv), context=ctx)


def test_sync_reports_each_symbol_and_fails_per_symbol(ctx, vendor, capsys):
    vendor.daily["AAPL.US"] = daily_rows(date(2024, 1, 1), 40)
    vendor.status["NOPE.US"] = 404
    assert run(ctx, "sync", "AAPL.US", "NOPE.US", "--interval", "1d") == 1
    out, err = capsys.readouterr()
    assert "AAPL.US 1d: 40 bars received, 40 new, 0 updated" in out
    lines = [ln for ln in err.splitlines() if ln.startswith("drummond:")]
    assert len(lines) == 1 and lines[0].startswith("drummond: sync NOPE.US: ")
    assert "Traceback" not in err
    assert run(ctx, "data", "quota") == 0
    out, _ = capsys.readouterr()
    assert "EODHD calls used today" in out  # the client's requests reached the ledger
    used = int(out.split("today (UTC, local ledger): ")[1].split(" ")[0])
    assert used >= 4  # splits, div and eod for AAPL.US, and the 404 for NOPE.US


def test_sync_rejects_a_bad_date(ctx, capsys):
    with pytest.raises(SystemExit) as e:
        run(ctx, "sync", "AAPL.US", "--from", "2024-13-01")
    assert e.value.code == 2


def test_import_export_round_trip_and_reimport_is_idempotent(ctx, tmp_path, capsys):
    src = write_yahoo_csv(tmp_path / "g.csv")
    assert run(ctx, "import", str(src), "--symbol", "GOLD.US") == 0
    assert run(ctx, "import", str(src), "--symbol", "GOLD.US") == 0
    out, _ = capsys.readouterr()
    assert "10 new" in out and "0 new, 0 updated, 10 unchanged" in out
    dest = tmp_path / "out.csv"
    assert run(ctx, "export", "bars", "GOLD.US", "--interval", "1d", "--out", str(dest)) == 0
    with dest.open() as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["ts", "open", "high", "low", "close", "volume"]
    assert rows[1][0] == "2006-01-02" and len(rows) == 11
    assert [float(r[4]) for r in rows[1:]] == [100, 103, 105, 107, 109, 110, 107, 109, 104, 102]


def test_export_of_unknown_symbol_says_no_data(ctx, tmp_path, capsys):
    assert run(ctx, "export", "bars", "NONE.US", "--out", str(tmp_path / "x.csv")) == 2
    assert "no data for NONE.US" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


def test_intraday_export_uses_iso_utc(ctx, tmp_path, market_data_dir):
    src = market_data_dir / "2006-01-02-volume-min-001.txt"
    assert run(ctx, "import", str(src), "--symbol", "ES.X", "--interval", "1m") == 0
    dest = tmp_path / "m.csv"
    assert run(ctx, "export", "bars", "ES.X", "--interval", "1m", "--out", str(dest)) == 0
    with dest.open() as f:
        next(f)
        assert next(f).startswith("2006-01-02T09:01:00Z,3602.0,3603.0,3597.0,3599.0,5699.0")


def test_import_refuses_a_timeframe_mismatch(ctx, tmp_path, capsys):
    src = write_yahoo_csv(tmp_path / "g.csv")
    assert run(ctx, "import", str(src), "--symbol", "G.US", "--interval", "5m") == 2
    assert "holds 1d bars, not 5m" in capsys.readouterr().err


def test_export_adjusted_for_a_stored_split(ctx, vendor, tmp_path):
    vendor.daily["S.US"] = daily_rows(date(2024, 1, 1), 30, price=100.0)
    vendor.splits["S.US"] = [{"date": "2024-01-15", "split": "2.000000/1.000000"}]
    assert run(ctx, "sync", "S.US") == 0
    raw, adj = tmp_path / "raw.csv", tmp_path / "adj.csv"
    assert run(ctx, "export", "bars", "S.US", "--out", str(raw)) == 0
    assert run(ctx, "export", "bars", "S.US", "--adjust", "splits", "--out", str(adj)) == 0
    r = np.loadtxt(raw, delimiter=",", skiprows=1, usecols=4)
    a = np.loadtxt(adj, delimiter=",", skiprows=1, usecols=4)
    days = np.loadtxt(raw, delimiter=",", skiprows=1, usecols=0, dtype=str)
    before = days < "2024-01-15"
    np.testing.assert_allclose(a[before], r[before] / 2)
    np.testing.assert_allclose(a[~before], r[~before])


def test_coverage_and_analyze_from_the_store(ctx, tmp_path, capsys):
    assert run(ctx, "data", "coverage") == 0
    assert "no bars yet" in capsys.readouterr().out
    run(ctx, "import", str(write_yahoo_csv(tmp_path / "g.csv")), "--symbol", "GOLD.US")
    assert run(ctx, "data", "coverage") == 0
    out = capsys.readouterr().out
    assert "GOLD.US" in out and "2006-01-02" in out and "2006-01-11" in out
    assert run(ctx, "analyze", "GOLD.US", "--json") == 0
    assert '"pldot": 105.33333333333' in capsys.readouterr().out
    assert run(ctx, "analyze") == 2  # neither a symbol nor --csv


def test_installed_command_sync_failure_is_one_line_per_symbol(tmp_path):
    exe = Path(sys.executable).with_name("drummond")
    env = {"PATH": "/usr/bin:/bin", "DRUMMOND_DATA_DIR": str(tmp_path / "d"),
           "DRUMMOND_CONFIG_DIR": str(tmp_path / "c"), "DRUMMOND_CACHE_DIR": str(tmp_path / "k"),
           "DRUMMOND_EODHD_BASE_URL": "http://127.0.0.1:9/api",  # nothing listens: offline
           "DRUMMOND_EODHD_API_KEY": "CANARY-cli-subprocess-key", "HOME": str(tmp_path)}
    proc = subprocess.run([str(exe), "sync", "AAA.US", "BBB.US"], capture_output=True,
                          text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 1
    failed = [ln for ln in proc.stderr.splitlines() if ln.startswith("drummond: sync ")]
    assert [ln.split(":")[1].strip() for ln in failed] == ["sync AAA.US", "sync BBB.US"]
    assert "Traceback" not in proc.stderr
    assert "CANARY" not in proc.stderr + proc.stdout


# ------------------------------------------------------------------ import: preview and mapping

MT4 = "2006.01.02,09:01,3602,3603,3597,3599,5699\n2006.01.02,09:02,3600,3601,3598,3599,894\n"


def _files_under(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file()) if directory.exists() else []


def test_import_preview_prints_the_reading_and_stores_nothing(ctx, tmp_path, capsys):
    src = write_yahoo_csv(tmp_path / "g.csv")
    data_dir = Path(os.environ["DRUMMOND_DATA_DIR"])
    before = _files_under(data_dir)
    assert run(ctx, "import", str(src), "--symbol", "GOLD.US", "--preview") == 0
    out = capsys.readouterr().out
    assert f"{src}: Yahoo, 10 data rows" in out
    assert "--map date=0,open=1,high=2,low=3,close=4,volume=6" in out
    assert "Adj Close ignored: raw prices are stored" in out
    assert "2006-01-02" in out and "2006-01-11" in out  # the first rows, parsed
    assert "Preview only: nothing was stored for GOLD.US." in out
    assert _files_under(data_dir) == before  # no database was even created
    assert sorted(tmp_path.iterdir()) == [src]
    assert run(ctx, "data", "coverage") == 0
    assert "no bars yet" in capsys.readouterr().out


def test_import_headerless_file_with_map_and_no_header(ctx, tmp_path, capsys):
    # Ticker first, then the date, and the prices in an unusual order: close, open, high, low.
    src = tmp_path / "odd.txt"
    src.write_text("X;20060102;10.5;10;11;9.5;1000\nX;20060103;11.75;10.5;12;10;2000\n")
    argv = ["import", str(src), "--symbol", "ODD.US", "--no-header", "--date-format",
            "yyyymmdd", "--map", "date=1,close=2,open=3,high=4,low=5,volume=6"]
    assert run(ctx, *argv, "--preview") == 0
    assert "--map date=1,open=3,high=4,low=5,close=2,volume=6" in capsys.readouterr().out
    assert run(ctx, *argv) == 0
    assert "2 bars read, 2 new" in capsys.readouterr().out
    bars = ctx.market_data().load("ODD.US", "1d")
    assert bars.open.tolist() == [10, 10.5] and bars.close.tolist() == [10.5, 11.75]


def test_import_mt4_history_intraday(ctx, tmp_path, capsys):
    src = tmp_path / "EURUSD1.csv"
    src.write_text(MT4)
    assert run(ctx, "import", str(src), "--symbol", "ES.X", "--interval", "1m") == 0
    assert "2 bars read, 2 new" in capsys.readouterr().out
    assert run(ctx, "import", str(src), "--symbol", "ES.X", "--preview") == 0
    assert "MetaTrader 4 history (no header)" in capsys.readouterr().out
    bars = ctx.market_data().load("ES.X", "1m")
    assert bars.ts.tolist() == [1_136_192_460, 1_136_192_520]


def test_import_ambiguous_dates_need_a_date_format(ctx, tmp_path, capsys):
    src = tmp_path / "us.csv"
    src.write_text("Date,Open,High,Low,Close\n01/02/2006,1,2,0.5,1\n01/03/2006,1,2,0.5,1\n")
    assert run(ctx, "import", str(src), "--symbol", "A.US") == 2
    err = capsys.readouterr().err
    assert "day/month order is ambiguous" in err
    assert "--date-format MM/DD/YYYY or --date-format DD/MM/YYYY" in err
    assert run(ctx, "import", str(src), "--symbol", "A.US", "--date-format", "MM/DD/YYYY") == 0
    out = ctx.market_data().load("A.US", "1d")
    assert out.ts.tolist() == [1_136_160_000, 1_136_246_400]  # 2006-01-02, 2006-01-03


@pytest.mark.parametrize(("flags", "message"), [
    (["--map", "close"], "Bad column mapping: 'close' is not FIELD=COLUMN"),
    (["--map", "shut=4"], "Bad column mapping: unknown field 'shut'"),
    (["--map", "close=12"], "Bad column mapping: close=12: there is no column 12"),
    (["--map", "close=Schluss"], "Bad column mapping: close=Schluss: no column named"),
    (["--date-format", "YY-MM-DD"], "Bad column mapping: unknown date format 'YY-MM-DD'"),
])
def test_import_bad_overrides_exit_2_with_the_reason(ctx, tmp_path, capsys, flags, message):
    src = write_yahoo_csv(tmp_path / "g.csv")
    for extra in ([], ["--preview"]):
        assert run(ctx, "import", str(src), "--symbol", "G.US", *flags, *extra) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err


def test_import_bad_file_names_line_and_rule_and_stores_nothing(ctx, tmp_path, capsys):
    src = write_yahoo_csv(tmp_path / "g.csv")
    assert run(ctx, "import", str(src), "--symbol", "G.US") == 0
    lines = src.read_text().splitlines()
    lines[5] = lines[5].replace("2006-01-06", "2006-01-20")  # out of order
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines).replace(",1000", ",2000") + "\n")
    assert run(ctx, "import", str(bad), "--symbol", "G.US") == 2
    err = capsys.readouterr().err
    assert f"{bad}, line 7: rows not sorted ascending: 2006-01-07 comes after 2006-01-20" in err
    bars = ctx.market_data().load("G.US", "1d")
    assert len(bars) == 10 and set(bars.volume.tolist()) == {1000}  # unchanged


def test_a_damaged_store_is_set_aside_and_the_user_told(tmp_path, monkeypatch):
    import subprocess
    import sys

    data = tmp_path / "data"
    data.mkdir()
    (data / "market.sqlite").write_bytes(b"this is not a database" * 100)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DRUMMOND_DATA_DIR": str(data),
           "DRUMMOND_CONFIG_DIR": str(tmp_path / "c"), "DRUMMOND_CACHE_DIR": str(tmp_path / "k")}
    exe = Path(sys.executable).with_name("drummond")
    proc = subprocess.run([str(exe), "data", "coverage"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "was damaged and has been set aside" in proc.stderr
    assert any(p.name.startswith("market.sqlite.corrupt-") for p in data.iterdir())


@pytest.mark.shared_data
@pytest.mark.parametrize(("interval", "stored"), [("1w", "2006-week-001.txt"),
                                                  ("1M", "2006-month-001.txt")])
def test_export_builds_weeks_and_months_from_stored_days(ctx, tmp_path, capsys, market_data_dir,
                                                         interval, stored):
    assert run(ctx, "import", str(market_data_dir / "2006-day-001.txt"), "--symbol", "D.US") == 0
    dest = tmp_path / "built.csv"
    assert run(ctx, "export", "bars", "D.US", "--interval", interval, "--out", str(dest)) == 0
    out = capsys.readouterr().out
    assert f"{interval} bars of D.US (built from 1d bars)" in out
    built = np.loadtxt(dest, delimiter=",", skiprows=1, usecols=(1, 2, 3, 4))
    days = np.loadtxt(dest, delimiter=",", skiprows=1, usecols=0, dtype=str)
    expected = np.genfromtxt(market_data_dir / stored, delimiter=",", names=True, dtype=None,
                             encoding="utf-8")
    cols = expected.dtype.names
    assert len(built) == len(expected) > 10
    np.testing.assert_array_equal(built, np.column_stack([expected[c] for c in cols[1:5]]))
    first = str(expected[cols[0]][0])
    assert days[0].replace("-", "") == first.replace("-", "")[:8]


def test_export_builds_session_hours_from_minutes(ctx, tmp_path, capsys):
    # Two New York sessions of minute bars with a pre-market bar; 1h export is anchored at 09:30
    # New York and leaves the pre-market bar out.
    from tests.services.test_timeframes import ny_session
    from tests.synthetic import walk_bars

    ts = ny_session(date(2025, 11, 3)) + ny_session(date(2025, 11, 4))
    bars = walk_bars([ts[0] - 600, *ts], symbol="M.US")
    ctx.market_store().bars.upsert("M.US", "1m", bars)
    dest = tmp_path / "h.csv"
    assert run(ctx, "export", "bars", "M.US", "--interval", "1h", "--out", str(dest)) == 0
    assert "(built from 1m bars)" in capsys.readouterr().out
    with dest.open() as f:
        rows = list(csv.reader(f))[1:]
    assert [r[0] for r in rows[:2]] == ["2025-11-03T14:30:00Z", "2025-11-03T15:30:00Z"]
    assert len(rows) == 14
    assert sum(float(r[5]) for r in rows) == bars.volume[1:].sum()


def test_export_of_an_interval_that_cannot_be_built_names_the_valid_ones(ctx, tmp_path, capsys):
    src = write_yahoo_csv(tmp_path / "g.csv")
    assert run(ctx, "import", str(src), "--symbol", "GOLD.US") == 0
    assert run(ctx, "export", "bars", "GOLD.US", "--interval", "1h",
               "--out", str(tmp_path / "h.csv")) == 2
    assert "no data for GOLD.US 1h" in capsys.readouterr().err
    assert run(ctx, "export", "bars", "GOLD.US", "--interval", "2h",
               "--out", str(tmp_path / "x.csv")) == 2
    err = capsys.readouterr().err
    assert "GOLD.US: no 2h bars stored, and 2h is not an interval that can be built" in err
    assert run(ctx, "export", "bars", "GOLD.US", "--interval", "7x",
               "--out", str(tmp_path / "x.csv")) == 2
    assert "timeframe '7x' is not a count and a unit" in capsys.readouterr().err
    assert not (tmp_path / "h.csv").exists() and not (tmp_path / "x.csv").exists()
