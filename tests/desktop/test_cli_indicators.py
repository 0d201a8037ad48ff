"""``drummond indicators``: the issue's column names, every TA-Lib-backed column equal to TA-Lib's
own function (through its abstract API, so the call is independent of ours) on the shared daily
files, NaN as empty cells, ``--only``, ``--list``, and bad input that writes nothing."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from drummond_desktop import cli
from drummond_desktop.bootstrap import AppContext
from drummond_desktop.core.secrets import SecretStore
from engine.indicators.catalog import catalog
from tests.engine.golden import write_yahoo_csv

talib = pytest.importorskip("talib", reason="TA-Lib is a dev dependency (uv sync --group dev)")
from talib import abstract  # noqa: E402

# The column names the issue lists, verbatim.
ISSUE_COLUMNS = [
    "sma_20", "ema_20", "wma_20", "dema_20", "tema_20", "rsi_14", "atr_14", "natr_14", "adx_14",
    "plus_di_14", "minus_di_14", "cci_14", "willr_14", "roc_10", "mfi_14", "obv",
    "macd_12_26_9_macd", "macd_12_26_9_macdsignal", "macd_12_26_9_macdhist",
    "bbands_20_2_upperband", "bbands_20_2_middleband", "bbands_20_2_lowerband",
    "stoch_14_3_3_slowk", "stoch_14_3_3_slowd",
]
# Our parameter names that differ from TA-Lib's: BBANDS takes one width for both bands.
TALIB_PARAMS = {"nbdev": ("nbdevup", "nbdevdn")}


@pytest.fixture
def ctx():
    c = AppContext(secrets=SecretStore())
    yield c
    c.close()


def run(ctx, *argv) -> int:
    return cli.main(list(argv), context=ctx)


def read(path: Path) -> tuple[list[str], dict[str, np.ndarray]]:
    with path.open() as f:
        rows = list(csv.reader(f))
    header = rows[0]
    cols = {name: np.array([float(r[i]) if r[i] else math.nan for r in rows[1:]])
            for i, name in enumerate(header) if name != "ts"}
    return header, cols


def talib_columns(path: Path) -> dict[str, np.ndarray]:
    """Every catalog indicator TA-Lib has, computed by TA-Lib at the catalog's defaults."""
    from drummond_desktop.feeds.csv_bars import read_csv_bars

    bars = read_csv_bars(path)
    inputs = {k: np.array(getattr(bars, k)) for k in ("open", "high", "low", "close", "volume")}
    assert not np.any(bars.ts % 86_400)  # daily files: our VWAP has one anchor, as TA-Lib's
    out: dict[str, np.ndarray] = {}
    for spec in catalog().values():
        if spec.name.upper() not in talib.get_functions():
            continue
        fn = abstract.Function(spec.name.upper())
        params = {}
        for p in spec.params:
            for name in TALIB_PARAMS.get(p.name, (p.name,)):
                params[name] = p.default
        result = fn(inputs, **params)
        arrays = result if isinstance(result, list) else [result]
        names = fn.output_names
        for column, values, output in zip(spec.columns(), arrays, names, strict=True):
            assert len(names) == 1 or column.endswith("_" + output.lower()), (column, output)
            out[column] = np.asarray(values, dtype=np.float64)
    return out


def test_the_issue_columns_are_written_in_the_header(ctx, tmp_path):
    src = write_yahoo_csv(tmp_path / "g.csv")
    assert run(ctx, "indicators", "--csv", str(src), "--out", str(tmp_path / "o.csv")) == 0
    header, _ = read(tmp_path / "o.csv")
    assert header[0] == "ts"
    assert set(ISSUE_COLUMNS) <= set(header)
    assert len(header) == len(set(header))


@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["2006-day-001.txt", "nvda-1999-2014.txt",
                                  "orcl-1995-2014.txt", "yhoo-1996-2015.txt"])
def test_every_talib_column_matches_talib(ctx, tmp_path, capsys, market_data_dir, name):
    src = market_data_dir / name
    dest = tmp_path / "ind.csv"
    assert run(ctx, "indicators", "--csv", str(src), "--out", str(dest)) == 0
    assert f"indicator columns to {dest}" in capsys.readouterr().out
    _, ours = read(dest)
    expected = talib_columns(src)
    assert set(ISSUE_COLUMNS) <= set(expected)
    for column, ref in expected.items():
        got = ours[column]
        np.testing.assert_array_equal(np.isnan(got), np.isnan(ref), err_msg=column)
        ok = ~np.isnan(ref)
        np.testing.assert_allclose(got[ok], ref[ok], rtol=1e-9, atol=1e-9, err_msg=column)


def test_only_writes_the_named_indicators_in_order(ctx, tmp_path):
    src = write_yahoo_csv(tmp_path / "g.csv")
    dest = tmp_path / "o.csv"
    assert run(ctx, "indicators", "--csv", str(src), "--out", str(dest),
               "--only", "RSI, bbands,obv") == 0
    header, cols = read(dest)
    assert header == ["ts", "rsi_14", "bbands_20_2_upperband", "bbands_20_2_middleband",
                      "bbands_20_2_lowerband", "obv"]
    assert np.isnan(cols["rsi_14"]).all()  # ten bars: all inside the 14-bar warm-up
    with dest.open() as f:
        assert next(f) and next(f).startswith("2006-01-02,,,,,")


def test_an_unknown_name_is_refused_and_nothing_is_written(ctx, tmp_path, capsys):
    src = write_yahoo_csv(tmp_path / "g.csv")
    dest = tmp_path / "o.csv"
    assert run(ctx, "indicators", "--csv", str(src), "--out", str(dest),
               "--only", "sma,nosuch") == 2
    err = capsys.readouterr().err
    assert "--only: unknown indicator nosuch (known: sma, ema" in err
    assert not dest.exists()


def test_a_bad_file_names_the_line_and_keeps_an_existing_output(ctx, tmp_path, capsys):
    src = tmp_path / "bad.csv"
    src.write_text("Date,Open,High,Low,Close,Volume\n2024-01-02,10,11,9,10,5\n"
                   "2024-01-03,10,9,11,10,5\n")
    dest = tmp_path / "o.csv"
    dest.write_text("kept\n")
    assert run(ctx, "indicators", "--csv", str(src), "--out", str(dest)) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "line 3" in err
    assert dest.read_text() == "kept\n"


def test_list_names_every_indicator_with_its_columns(ctx, capsys, tmp_path):
    assert run(ctx, "indicators", "--list") == 0
    out = capsys.readouterr().out
    for spec in catalog().values():
        assert f"columns: {' '.join(spec.columns())}" in out
    assert run(ctx, "indicators", "--csv", str(tmp_path / "x.csv")) == 2
    assert "indicators needs --csv PATH and --out OUT.csv" in capsys.readouterr().err
