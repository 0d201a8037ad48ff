"""engine.indicators.compute_set: the fused set equals the individual functions (bit for bit,
which is the design: the same step helpers in the same order) and TA-Lib (1e-9)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import engine.indicators as ind
from engine.indicators.fused import NAMES, compute_set

ROOT = Path(__file__).resolve().parents[2]
MARKET = ROOT.parent / "shared" / "data" / "market"
Data = dict[str, np.ndarray]


def ohlcv(n: int, seed: int) -> Data:
    """Random-walk bars with a flat stretch (as tests/engine/test_indicators.py; not imported
    from there: that module skips itself without TA-Lib, and these tests need no TA-Lib)."""
    rng = np.random.default_rng(seed)
    c = 100.0 * np.exp(np.cumsum(rng.standard_normal(n) * 0.01))
    o = np.r_[100.0, c[:-1]][:n]
    h = np.maximum(o, c) + rng.random(n) * 0.5
    lo = np.minimum(o, c) - rng.random(n) * 0.5
    v = rng.integers(0, 10_000, n).astype(np.float64)
    if n > 60:
        c[40:55] = o[40:55] = h[40:55] = lo[40:55] = c[40]
    return {"open": o, "high": h, "low": lo, "close": c, "volume": v}


def market_files() -> list[Any]:
    if not MARKET.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(
            reason=f"../shared/data/market not found: {MARKET}"), id="missing")]
    return [pytest.param(p, id=p.name) for p in sorted(MARKET.iterdir()) if p.is_file()]

# The CLI's naming scheme, spelled out (TA-Lib function and output names lower-cased, the
# parameters joined by "_"), so a renamed key fails here.
EXPECTED_NAMES = [
    "sma_20", "ema_20", "wma_20", "dema_20", "tema_20", "rsi_14", "atr_14", "natr_14", "adx_14",
    "plus_di_14", "minus_di_14", "cci_14", "willr_14", "roc_10", "mfi_14", "obv",
    "macd_12_26_9_macd", "macd_12_26_9_macdsignal", "macd_12_26_9_macdhist",
    "bbands_20_2_upperband", "bbands_20_2_middleband", "bbands_20_2_lowerband",
    "stoch_14_3_3_slowk", "stoch_14_3_3_slowd",
]


@pytest.fixture(autouse=True, scope="module")
def _release_pooled_outputs() -> Iterator[None]:
    # The long series here fill engine.output_pool with big blocks; give them back so no later
    # test in the process starts with a non-empty pool.
    yield
    import engine

    engine.output_pool.clear()


def individual(d: Data) -> dict[str, np.ndarray]:
    """Every name of the set from the public individual functions."""
    h, lo, c, v = d["high"], d["low"], d["close"], d["volume"]
    m = ind.macd(c, 12, 26, 9)
    b = ind.bbands(c, 20, 2.0, 2.0)
    s = ind.stoch(h, lo, c, 14, 3, 3)
    a = ind.adx(h, lo, c, 14)
    return {
        "sma_20": ind.sma(c, 20), "ema_20": ind.ema(c, 20), "wma_20": ind.wma(c, 20),
        "dema_20": ind.dema(c, 20), "tema_20": ind.tema(c, 20), "rsi_14": ind.rsi(c, 14),
        "atr_14": ind.atr(h, lo, c, 14), "natr_14": ind.natr(h, lo, c, 14), "adx_14": a.adx,
        "plus_di_14": a.plus_di, "minus_di_14": a.minus_di, "cci_14": ind.cci(h, lo, c, 14),
        "willr_14": ind.willr(h, lo, c, 14), "roc_10": ind.roc(c, 10),
        "mfi_14": ind.mfi(h, lo, c, v, 14), "obv": ind.obv(c, v),
        "macd_12_26_9_macd": m.macd, "macd_12_26_9_macdsignal": m.signal,
        "macd_12_26_9_macdhist": m.hist, "bbands_20_2_upperband": b.upper,
        "bbands_20_2_middleband": b.middle, "bbands_20_2_lowerband": b.lower,
        "stoch_14_3_3_slowk": s.slowk, "stoch_14_3_3_slowd": s.slowd,
    }


def talib_set(d: Data) -> dict[str, np.ndarray]:
    talib = pytest.importorskip("talib", reason="TA-Lib is a dev dependency (uv sync --group dev)")
    h, lo, c, v = d["high"], d["low"], d["close"], d["volume"]
    m = talib.MACD(c, 12, 26, 9)
    b = talib.BBANDS(c, 20, 2.0, 2.0)
    s = talib.STOCH(h, lo, c, 14, 3, 0, 3, 0)
    calls: dict[str, Callable[[], Any]] = {
        "sma_20": lambda: talib.SMA(c, 20), "ema_20": lambda: talib.EMA(c, 20),
        "wma_20": lambda: talib.WMA(c, 20), "dema_20": lambda: talib.DEMA(c, 20),
        "tema_20": lambda: talib.TEMA(c, 20), "rsi_14": lambda: talib.RSI(c, 14),
        "atr_14": lambda: talib.ATR(h, lo, c, 14), "natr_14": lambda: talib.NATR(h, lo, c, 14),
        "adx_14": lambda: talib.ADX(h, lo, c, 14),
        "plus_di_14": lambda: talib.PLUS_DI(h, lo, c, 14),
        "minus_di_14": lambda: talib.MINUS_DI(h, lo, c, 14),
        "cci_14": lambda: talib.CCI(h, lo, c, 14), "willr_14": lambda: talib.WILLR(h, lo, c, 14),
        "roc_10": lambda: talib.ROC(c, 10), "mfi_14": lambda: talib.MFI(h, lo, c, v, 14),
        "obv": lambda: talib.OBV(c, v),
    }
    out = {k: f() for k, f in calls.items()}
    out.update(zip(EXPECTED_NAMES[16:19], m, strict=True))
    out.update(zip(EXPECTED_NAMES[19:22], b, strict=True))
    out.update(zip(EXPECTED_NAMES[22:], s, strict=True))
    return out


def fused(d: Data, names: Any = None) -> Any:
    return compute_set(d["open"], d["high"], d["low"], d["close"], d["volume"], names=names)


def assert_close(name: str, got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape, name
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{name} NaN mask")
    ok = ~np.isnan(want)
    np.testing.assert_allclose(got[ok], want[ok], rtol=1e-9, atol=1e-9, err_msg=name)


def test_names_follow_the_cli_scheme() -> None:
    assert list(NAMES) == EXPECTED_NAMES


# Lengths around the head (the first 58 bars come from the individual kernels), around a
# chunk boundary (512 bars from the head) and long enough for the periodic rebuilds of WMA
# (every 160 bars) and BBANDS (every 640) to happen many times.
@pytest.mark.parametrize("n", [1, 2, 13, 14, 27, 57, 58, 59, 60, 569, 570, 571, 3000, 20_000])
@pytest.mark.parametrize("seed", [1, 2])
def test_fused_is_the_individual_functions_bit_for_bit(n: int, seed: int) -> None:
    d = ohlcv(n, seed)
    got = fused(d)
    want = individual(d)
    assert set(got) == set(want)
    for name in NAMES:
        assert got[name].shape == (n,), name
        assert np.array_equal(got[name], want[name], equal_nan=True), name


@pytest.mark.parametrize("seed", [3, 4])
def test_fused_matches_talib(seed: int) -> None:
    d = ohlcv(5000, seed)
    got = fused(d)
    want = talib_set(d)
    for name in NAMES:
        assert_close(name, got[name], want[name])


def test_fused_matches_talib_on_a_long_series_with_outliers() -> None:
    # Spikes of 1000x leave the windows (BBANDS re-anchors its shifted sums, WMA and the
    # running sums must not keep their residue) and a flat stretch (zero tests everywhere).
    d = ohlcv(200_000, 9)
    for k in ("open", "high", "low", "close"):
        d[k] = d[k].copy()
    d["high"][[5000, 90_000]] *= 1000.0
    d["close"][[5000, 90_000]] = d["high"][[5000, 90_000]]
    flat = slice(120_000, 120_100)
    for k in ("open", "high", "low", "close"):
        d[k][flat] = d["close"][flat.start]
    got = fused(d)
    for name, want in talib_set(d).items():
        assert_close(name, got[name], want)
    for name, want in individual(d).items():
        assert np.array_equal(got[name], want, equal_nan=True), name


@pytest.mark.shared_data
@pytest.mark.parametrize("path", market_files())
def test_fused_equals_individual_on_market_files(path: Path) -> None:
    from drummond_desktop.feeds.csv_bars import read_csv_bars

    assert MARKET.is_dir()
    bars = read_csv_bars(path)
    d = {k: np.array(getattr(bars, k)) for k in ("open", "high", "low", "close", "volume")}
    got = fused(d)
    for name, want in individual(d).items():
        assert np.array_equal(got[name], want, equal_nan=True), f"{path.name}:{name}"


def test_result_is_read_only_and_names_pick_a_subset() -> None:
    d = ohlcv(300, 5)
    got = fused(d, names=["obv", "rsi_14", "obv"])
    assert list(got) == ["obv", "rsi_14"]
    with pytest.raises(TypeError):
        got["obv"] = np.zeros(300)
    assert not got["rsi_14"].flags.writeable
    everything = fused(d)
    assert everything["bbands_20_2_middleband"] is everything["sma_20"]
    assert np.array_equal(got["rsi_14"], everything["rsi_14"], equal_nan=True)


def test_empty_input_gives_empty_arrays() -> None:
    e = np.empty(0)
    got = compute_set(e, e, e, e, e)
    assert all(got[name].shape == (0,) for name in NAMES)


X = np.linspace(1.0, 2.0, 50)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: compute_set(X, X, X, X, X[:-1]), "compute_set: volume has 49 values but open"),
    (lambda: compute_set(X, X, X.astype(int), X, X), "compute_set: low must be a float array"),
    (lambda: compute_set(X, X, X, X.reshape(5, 10), X), "compute_set: close must be one-dim"),
    (lambda: compute_set(X, X, X, X, X, names=["rsi_14", "rsi_99"]),
     r"compute_set: unknown names \['rsi_99'\]"),
    (lambda: compute_set(X, X, X, X, X, names="rsi_14"), "compute_set: names must be a coll"),
])
def test_bad_input_names_the_argument(call: Callable[[], object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_kernels_run_as_plain_python_to_the_same_bits(tmp_path: Path) -> None:
    # NUMBA_DISABLE_JIT=1 runs every kernel as Python (fma through its exact rational twin):
    # the bits must not depend on the compiler.
    code = (
        "import sys, numpy as np\n"
        "from engine.indicators.fused import compute_set\n"
        "from tests.engine.test_indicators_fused import ohlcv\n"
        "d = ohlcv(700, 8)\n"
        "r = compute_set(d['open'], d['high'], d['low'], d['close'], d['volume'])\n"
        "np.savez(sys.argv[1], **r)\n")
    out = tmp_path / "nojit.npz"
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    subprocess.run([sys.executable, "-c", code, str(out)], cwd=ROOT, env=env, check=True)
    got = np.load(out)
    want = fused(ohlcv(700, 8))
    for name in NAMES:
        assert np.array_equal(got[name], want[name], equal_nan=True), name


def test_import_loads_no_numba() -> None:
    code = "import sys, engine.indicators.fused; sys.exit('numba' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False).returncode == 0
