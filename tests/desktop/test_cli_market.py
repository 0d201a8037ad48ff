"""The market-data commands end to end: CLI -> services -> SQLite store (and EODHD over
MockTransport for sync)."""

from __future__ import annotations

import csv
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
