"""Every file of ../shared/data/market loads, and ``drummond analyze`` runs on it.

The directory sits beside the repository (it is not part of it); without it these tests are
skipped with the reason, and in CI (CI=true), where it must be there, the directory check fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from drummond_desktop import cli
from drummond_desktop.feeds.csv_bars import read_csv_bars

MARKET = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "market"
MISSING = f"../shared/data/market not found: {MARKET}"

pytestmark = pytest.mark.shared_data


def market_files() -> list[object]:
    if not MARKET.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=MISSING), id="missing")]
    return [pytest.param(p, id=p.name) for p in sorted(MARKET.iterdir()) if p.is_file()]


def data_rows(path: Path) -> int:
    """Non-blank lines after the header."""
    with path.open(encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip()) - 1


def test_market_directory_has_files(market_data_dir: Path) -> None:
    # The conftest fixture fails in CI (CI=true) when the directory is absent, else skips.
    assert market_data_dir == MARKET
    assert any(p.is_file() for p in market_data_dir.iterdir())


@pytest.mark.parametrize("path", market_files())
def test_file_loads(path: Path) -> None:
    bars = read_csv_bars(path)
    assert len(bars) == data_rows(path)
    assert bars.timeframe in {"1m", "5m", "1d", "1w", "1mo"}


@pytest.mark.parametrize("path", market_files())
def test_analyze_runs_and_writes_n_plus_1_rows(path: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "result.csv"
    assert cli.main(["analyze", "--csv", str(path), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "Projection for the next bar" in captured.out
    with out.open(encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    n = data_rows(path)
    assert len(lines) == 1 + n + 1  # header, one row per bar, the projection row
    assert lines[-1].startswith(",")


def test_header_missing_the_time_column_reads_as_minutes() -> None:
    path = MARKET / "2006-01-02-volume-min-001.txt"
    if not path.is_file():
        pytest.skip(MISSING)
    bars = read_csv_bars(path)
    assert bars.timeframe == "1m"
    assert int(bars.ts[0]) == 1_136_192_460  # 2006-01-02 09:01:00 UTC
    assert float(bars.open[0]) == 3602.0 and float(bars.volume[0]) == 5699.0
