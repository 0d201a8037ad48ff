"""The next-bar report (text, JSON) and the result CSV, on the spec's golden 10-bar example (§C1)
and on the synthetic demo data."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from drummond_desktop.core.errors import AppError
from drummond_desktop.feeds import demo
from drummond_desktop.services import report as report_mod
from drummond_desktop.services.analysis import (
    AnalysisReport,
    AnalysisService,
    AnalyzeFileRequest,
)
from drummond_desktop.services.report import (
    csv_header,
    format_text,
    format_universe,
    price_decimals,
    to_json,
    universe_rows,
    write_result_csv,
)
from engine import Bars
from engine.drummond import PER_BAR_FIELDS, REPORT_FIELDS, analyze
from tests.engine.golden import write_yahoo_csv

# Spec §C1: O, H, L, C for t = 0..9.


def golden_csv(tmp_path: Path) -> Path:
    return write_yahoo_csv(tmp_path / "golden.csv")


@pytest.fixture
def golden(tmp_path: Path) -> AnalysisReport:
    return AnalysisService().analyze_file(AnalyzeFileRequest(golden_csv(tmp_path), "GOLD"))


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as fh:
        return list(csv.reader(fh))


# -------------------------------------------------------------------------------- text/JSON


def test_text_report_shows_the_golden_map(golden: AnalysisReport) -> None:
    text = format_text(golden)
    for expected in ("GOLD", "golden.csv", "10 x 1d", "2006-01-02 .. 2006-01-11",
                     "PLdot       105.3333", "slope -1.3333 (falling)", "top 108.0000",
                     "bottom 102.3333", "AR3 5.6667", "102.0000   below the envelope",
                     "dot 103.0000   high 105.0000   low 100.0000", "CONG_ACTION",
                     "prior trend: up", "run: 2 closes below the dot",
                     "Dotted line 110.0000", "block level 104.0000",
                     "Confines    101.0000 - 110.0000   expanded: yes", "active"):
        assert expected in text, expected
    assert "SYNTHETIC" not in text


def test_terminations_and_zones_nearest_first(golden: AnalysisReport) -> None:
    lines = format_text(golden).splitlines()
    assert any(line.split() == ["HH", "103.0000", "R"] for line in lines)
    assert any(line.split() == ["HL", "93.0000", "S"] for line in lines)
    resistance = [float(ln.split()[2]) for ln in lines if ln.strip().startswith("resistance")]
    support = [float(ln.split()[2]) for ln in lines if ln.strip().startswith("support")]
    assert resistance == sorted(resistance) and resistance[0] == pytest.approx(307 / 3)
    assert support == sorted(support, reverse=True) and support[-1] == 93
    assert "further" in "\n".join(lines) and "nearby" in "\n".join(lines)


def test_json_carries_the_same_map(golden: AnalysisReport) -> None:
    data = json.loads(json.dumps(to_json(golden), allow_nan=False))
    nb = data["next_bar"]
    assert nb["pldot"] == golden.result.pldot[-1] == pytest.approx(316 / 3)
    assert (nb["etop"], nb["ebot"]) == (pytest.approx(108), pytest.approx(307 / 3))
    assert nb["position"] == "below" and nb["dot_shape"] == "falling"
    assert data["state"] == {"name": "CONG_ACTION", "code": 3, "trend_dir": 0, "prior_dir": 1,
                             "run_len": 2, "run_side": -1}
    cong = data["congestion"]
    assert (cong["dotted"], cong["block"], cong["conf_lo"], cong["conf_hi"]) == (110, 104, 101,
                                                                               110)
    assert len(data["zones"]) == len(golden.map.zones)
    assert [t["line"] for t in data["terminations"]] == ["HH", "LL", "LH", "HL"]
    assert data["synthetic"] is False and data["bars"] == 10


def test_json_has_null_for_missing_values(tmp_path: Path) -> None:
    # A steady climb: no congestion yet, so the map has none; NaN never reaches the JSON.
    n = 8
    c = 100.0 + np.arange(n)
    bars = Bars.from_arrays(np.arange(n) * 86_400, c - 0.5, c + 1, c - 1, c, symbol="UP")
    service = AnalysisService(read_bars=lambda path, **kw: bars)
    rep = service.analyze_file(AnalyzeFileRequest(tmp_path / "x.csv"))
    data = to_json(rep)
    assert data["congestion"] is None
    assert "Last congestion: none yet" in format_text(rep)
    json.dumps(data, allow_nan=False)
    assert report_mod._num(math.nan) is None


@pytest.mark.parametrize(("price", "decimals"), [(0.5, 6), (20.05, 4), (105.3, 4),
                                                 (3602.0, 2), (250_000.0, 0), (math.nan, 4)])
def test_price_decimals_follow_magnitude(price: float, decimals: int) -> None:
    assert price_decimals(price) == decimals


def test_demo_report_is_labelled_synthetic() -> None:
    service = AnalysisService()
    rep = service.analyze_demo(demo.daily_codes()[0])
    assert rep.synthetic and rep.source == demo.DEMO_LABEL
    assert demo.DEMO_LABEL in format_text(rep)
    assert to_json(rep)["synthetic"] is True
    with pytest.raises(AppError, match="unknown demo symbol"):
        service.analyze_demo("NOPE.DEMO")


def test_universe_table_lists_every_daily_code() -> None:
    reports = AnalysisService().analyze_demo_universe()
    table = format_universe(reports, "Universe")
    assert [r["code"] for r in universe_rows(reports)] == list(demo.daily_codes())
    for rep in reports:
        assert rep.symbol in table and rep.map.state.name in table


def test_too_few_bars_is_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "two.csv"
    path.write_text("Date,Open,High,Low,Close\n2006-01-02,1,2,0,1\n2006-01-03,1,2,0,1\n")
    with pytest.raises(AppError, match="too few bars"):
        AnalysisService().analyze_file(AnalyzeFileRequest(path))


# -------------------------------------------------------------------------------------- CSV


def check_result_csv(path: Path, rep: AnalysisReport) -> None:
    """The contract of the result CSV, checked against the DGResult arrays."""
    rows = read_rows(path)
    result, n = rep.result, len(rep.bars)
    assert rows[0] == ["ts", "open", "high", "low", "close", *REPORT_FIELDS] == csv_header()
    assert len(rows) == n + 2  # header, N bars, the projection row
    last = rows[-1]
    assert last[:5] == ["", "", "", "", ""]
    cols = {name: [r[i] for r in rows[1:]] for i, name in enumerate(rows[0])}
    for name in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(np.array(cols[name][:-1], dtype=float), getattr(rep.bars,
                                                                                      name))
    for name in REPORT_FIELDS:
        arr = getattr(result, name)
        cells = cols[name] if name not in PER_BAR_FIELDS else cols[name][:-1]
        if name in PER_BAR_FIELDS:
            assert cols[name][-1] == ""
        if arr.dtype == np.bool_:
            assert set(cells) <= {"0", "1"}
            np.testing.assert_array_equal(np.array(cells) == "1", arr)
        else:
            values = np.array([c if c else "nan" for c in cells], dtype=float)
            np.testing.assert_array_equal(values, arr.astype(float))
            assert "nan" not in cells


def test_result_csv_on_the_golden_example(golden: AnalysisReport, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    write_result_csv(golden.result, out)
    check_result_csv(out, golden)
    rows = read_rows(out)
    assert rows[1][0] == "2006-01-02" and rows[1][5] == ""  # no dot yet: NaN is empty
    last = dict(zip(rows[0], rows[-1], strict=True))
    assert float(last["pldot"]) == pytest.approx(316 / 3) and last["state"] == ""
    assert float(last["etop"]) == pytest.approx(108)
    final_bar = dict(zip(rows[0], rows[-2], strict=True))
    assert (final_bar["dotted"], final_bar["block"], final_bar["conf_lo"]) == ("110.0", "104.0",
                                                                               "101.0")
    assert final_bar["state"] == "3" and final_bar["conf_expanded"] == "1"


def test_result_csv_intraday_timestamps(tmp_path: Path) -> None:
    rep = AnalysisService().analyze_demo(demo.intraday_codes()[0])
    out = tmp_path / "m.csv"
    write_result_csv(rep.result, out)
    check_result_csv(out, rep)
    first = read_rows(out)[1][0]
    assert first.endswith("Z") and "T" in first and len(first) == 20


def test_result_csv_is_written_atomically(golden: AnalysisReport, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out.csv"
    out.write_text("previous content\n")

    def boom(result: object) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr(report_mod, "_projection_row", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        write_result_csv(golden.result, out)
    assert out.read_text() == "previous content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["golden.csv", "out.csv"]


def test_result_csv_to_a_missing_directory(golden: AnalysisReport, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "out.csv"
    with pytest.raises(AppError) as info:
        write_result_csv(golden.result, target)
    assert info.value.user_message == f"Cannot write {target}: No such file or directory"


def test_result_csv_spans_several_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_mod, "_CSV_CHUNK", 7)
    rng = np.random.default_rng(3)
    c = 100 + np.cumsum(rng.normal(0, 1, 50)).round(2)
    o = np.r_[c[0], c[:-1]]
    bars = Bars.from_arrays(np.arange(50) * 86_400, o, np.maximum(o, c) + 0.5,
                            np.minimum(o, c) - 0.5, c)
    result = analyze(bars)
    rep = AnalysisReport(bars=bars, result=result, map=None, source="x")  # type: ignore[arg-type]
    write_result_csv(result, tmp_path / "c.csv")
    check_result_csv(tmp_path / "c.csv", rep)
