"""``drummond`` in-process (``main([...])`` with capsys) and as the installed console script."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from drummond_desktop import __version__, bootstrap, cli
from drummond_desktop.feeds import demo
from drummond_desktop.feeds.csv_bars import read_csv_bars
from drummond_desktop.services.analysis import AnalysisService
from engine.drummond import PER_BAR_FIELDS, REPORT_FIELDS, analyze
from tests.engine.golden import write_yahoo_csv

# Line 4 (after a blank line) has high < low.
BAD_HIGH_LOW = ("Date,Open,High,Low,Close,Volume\n2006-01-02,10,11,9,10,1\n\n"
                "2006-01-03,10,9,11,10,1\n")


@pytest.fixture
def golden_csv(tmp_path: Path) -> Path:
    return write_yahoo_csv(tmp_path / "golden.csv")


@pytest.fixture
def bad_csv(tmp_path: Path) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_HIGH_LOW)
    return path


def drummond_script() -> str:
    found = shutil.which("drummond", path=str(Path(sys.executable).parent)) or shutil.which(
        "drummond")
    if found is None:
        pytest.fail("the `drummond` console script is not installed: run ./packaging/dev-run true")
    return found


# ----------------------------------------------------------------------------------- analyze


def test_analyze_prints_the_text_report(golden_csv: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["analyze", "--csv", str(golden_csv), "--symbol", "GOLD"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    for expected in ("GOLD", "PLdot       105.3333", "top 108.0000", "bottom 102.3333",
                     "CONG_ACTION", "Dotted line 110.0000", "block level 104.0000",
                     "101.0000 - 110.0000"):
        assert expected in out, expected


def test_analyze_json(golden_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["analyze", "--csv", str(golden_csv), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    result = analyze(read_csv_bars(golden_csv))
    assert data["next_bar"]["pldot"] == result.pldot[-1]
    assert data["symbol"] == "golden" and data["state"]["name"] == "CONG_ACTION"


def test_analyze_out_writes_the_result_csv(golden_csv: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "result.csv"
    assert cli.main(["analyze", "--csv", str(golden_csv), "--out", str(out)]) == 0
    assert f"Wrote 11 rows to {out}" in capsys.readouterr().out
    with out.open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["ts", "open", "high", "low", "close", *REPORT_FIELDS]
    assert len(rows) == 1 + 10 + 1
    assert rows[-1][0] == "" and rows[1][0] == "2006-01-02"
    header = rows[0]
    result = analyze(read_csv_bars(golden_csv))
    for name in REPORT_FIELDS:
        cells = [r[header.index(name)] for r in rows[1:]]
        arr = getattr(result, name)
        if name in PER_BAR_FIELDS:
            assert cells[-1] == "", name
            cells = cells[:-1]
        if arr.dtype == np.bool_:
            assert set(cells) <= {"0", "1"}, name
            np.testing.assert_array_equal([c == "1" for c in cells], arr)
        else:
            values = [float(c) if c else np.nan for c in cells]
            np.testing.assert_array_equal(values, arr.astype(float))
    assert rows[1][header.index("pldot")] == ""  # NaN is an empty cell


def test_bad_file_exits_2_with_one_line(bad_csv: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "never.csv"
    assert cli.main(["analyze", "--csv", str(bad_csv), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert f"{bad_csv}, line 4: breaks the rule high >= low" in captured.err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]  # no temp file either


def test_missing_file_and_bad_zone(tmp_path: Path, golden_csv: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["analyze", "--csv", str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv: file not found" in capsys.readouterr().err
    assert cli.main(["analyze", "--csv", str(golden_csv), "--tz", "Nowhere/Land"]) == 2
    assert "Unknown time zone 'Nowhere/Land'" in capsys.readouterr().err


class Exploding(AnalysisService):
    def analyze_file(self, *args: object, **kwargs: object) -> object:  # type: ignore[override]
        raise RuntimeError("kaboom")


def test_unexpected_error_is_short_unless_debug(golden_csv: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["analyze", "--csv", str(golden_csv)]
    assert cli.main(argv, service=Exploding()) == 1
    err = capsys.readouterr().err
    assert "unexpected error: RuntimeError: kaboom" in err and "Traceback" not in err
    assert cli.main(["--debug", *argv], service=Exploding()) == 1
    assert "Traceback" in capsys.readouterr().err


def test_version_and_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"drummond {__version__}"
    assert cli.main([]) == 2
    assert "usage: drummond" in capsys.readouterr().err


# -------------------------------------------------------------------------------------- demo


def test_demo_report_and_universe(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    first = demo.daily_codes()[0]
    assert out.startswith(f"*** {demo.DEMO_LABEL} ***")
    assert f"next-bar report: {first}" in out
    assert "Daily demo universe" in out
    for code in demo.daily_codes():
        assert code in out


def test_demo_json_for_a_chosen_symbol(capsys: pytest.CaptureFixture[str]) -> None:
    code = demo.intraday_codes()[0]
    assert cli.main(["demo", "--symbol", code, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["symbol"] == code and data["synthetic"] is True
    assert data["label"] == demo.DEMO_LABEL
    assert [row["code"] for row in data["universe"]] == list(demo.daily_codes())


def test_demo_unknown_symbol(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--symbol", "NOPE"]) == 2
    assert "unknown demo symbol 'NOPE'" in capsys.readouterr().err


def test_desktop_arguments_parse_without_qt() -> None:
    # The window itself is tested in tests/app; the headless report stays `drummond demo`.
    args = bootstrap.desktop_parser().parse_args(
        ["--demo", "--symbol", "SYN02.DEMO", "--interval", "1d", "--screenshot", "x.png"])
    assert args.demo and args.symbol == "SYN02.DEMO" and str(args.screenshot) == "x.png"


# ------------------------------------------------------------------------------ subprocesses


def test_installed_script_on_a_bad_file(bad_csv: Path) -> None:
    proc = subprocess.run([drummond_script(), "analyze", "--csv", str(bad_csv)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"{bad_csv}, line 4: breaks the rule high >= low" in proc.stderr
    assert proc.stdout == ""


def test_python_dash_m(golden_csv: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "drummond_desktop", "analyze", "--csv",
                           str(golden_csv), "--json"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["next_bar"]["pldot"] == pytest.approx(316 / 3)
