"""Classic indicators (engine.indicators) against TA-Lib, slow twins, and input validation.

Parity rule: NaN exactly where TA-Lib has NaN (its lookback), and values equal to 1e-9 relative
(1e-9 absolute near zero) everywhere else, on random series and on every daily file of
``../shared/data/market``.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import engine.indicators as ind

talib = pytest.importorskip("talib", reason="TA-Lib is a dev dependency (uv sync --group dev)")

ROOT = Path(__file__).resolve().parents[2]
MARKET = ROOT.parent / "shared" / "data" / "market"
Data = dict[str, np.ndarray]
Pair = tuple[Callable[..., Any], Callable[..., Any]]


def ohlcv(n: int, seed: int) -> Data:
    """Random-walk bars (high >= max(open, close), low <= min) with flat stretches, so the
    zero-range and zero-change branches (stoch, willr, cci, rsi, mfi) are exercised."""
    rng = np.random.default_rng(seed)
    c = 100.0 * np.exp(np.cumsum(rng.standard_normal(n) * 0.01))
    o = np.r_[100.0, c[:-1]]
    h = np.maximum(o, c) + rng.random(n) * 0.5
    lo = np.minimum(o, c) - rng.random(n) * 0.5
    v = rng.integers(0, 10_000, n).astype(np.float64)
    if n > 60:
        c[40:55] = o[40:55] = h[40:55] = lo[40:55] = c[40]
    return {"open": o, "high": h, "low": lo, "close": c, "volume": v}


def as_tuple(r: Any) -> tuple[np.ndarray, ...]:
    if isinstance(r, np.ndarray):
        return (r,)
    if isinstance(r, tuple | list):
        return tuple(r)
    return tuple(getattr(r, f) for f in r.__dataclass_fields__)


def hlc(d: Data) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return d["high"], d["low"], d["close"]


# name -> (ours(data, *params), talib(data, *params)), parameter sets (TA-Lib's minimums included)
CASES: dict[str, tuple[Pair, list[tuple[Any, ...]]]] = {
    "sma": ((lambda d, p: ind.sma(d["close"], p), lambda d, p: talib.SMA(d["close"], p)),
            [(1,), (2,), (20,), (50,)]),
    "ema": ((lambda d, p: ind.ema(d["close"], p), lambda d, p: talib.EMA(d["close"], p)),
            [(1,), (2,), (20,), (50,)]),
    "wma": ((lambda d, p: ind.wma(d["close"], p), lambda d, p: talib.WMA(d["close"], p)),
            [(1,), (2,), (20,)]),
    "dema": ((lambda d, p: ind.dema(d["close"], p), lambda d, p: talib.DEMA(d["close"], p)),
             [(1,), (2,), (20,)]),
    "tema": ((lambda d, p: ind.tema(d["close"], p), lambda d, p: talib.TEMA(d["close"], p)),
             [(1,), (2,), (20,)]),
    "rsi": ((lambda d, p: ind.rsi(d["close"], p), lambda d, p: talib.RSI(d["close"], p)),
            [(2,), (14,), (30,)]),
    "macd": ((lambda d, *a: ind.macd(d["close"], *a), lambda d, *a: talib.MACD(d["close"], *a)),
             [(12, 26, 9), (2, 2, 1), (2, 3, 2), (30, 10, 5)]),
    "bbands": ((lambda d, *a: ind.bbands(d["close"], *a),
                lambda d, *a: talib.BBANDS(d["close"], *a)),
               [(20, 2.0, 2.0), (2, 1.0, 1.0), (5, 2.5, 1.5)]),
    "atr": ((lambda d, p: ind.atr(*hlc(d), p), lambda d, p: talib.ATR(*hlc(d), p)),
            [(1,), (2,), (14,)]),
    "natr": ((lambda d, p: ind.natr(*hlc(d), p), lambda d, p: talib.NATR(*hlc(d), p)),
             [(1,), (2,), (14,)]),
    "stoch": ((lambda d, *a: ind.stoch(*hlc(d), *a),
               lambda d, k, sk, sd: talib.STOCH(*hlc(d), k, sk, 0, sd, 0)),
              [(14, 3, 3), (5, 3, 3), (1, 1, 1), (100, 3, 3), (3, 1, 4)]),
    "stochrsi": ((lambda d, *a: ind.stochrsi(d["close"], *a),
                  lambda d, p, k, dd: talib.STOCHRSI(d["close"], p, k, dd, 0)),
                 [(14, 5, 3), (14, 14, 3), (2, 1, 1)]),
    "willr": ((lambda d, p: ind.willr(*hlc(d), p), lambda d, p: talib.WILLR(*hlc(d), p)),
              [(2,), (3,), (100,), (700,), (14,)]),
    "cci": ((lambda d, p: ind.cci(*hlc(d), p), lambda d, p: talib.CCI(*hlc(d), p)),
            [(2,), (14,), (5,), (300,), (20,)]),
    "roc": ((lambda d, p: ind.roc(d["close"], p), lambda d, p: talib.ROC(d["close"], p)),
            [(1,), (10,)]),
    "obv": ((lambda d: ind.obv(d["close"], d["volume"]),
             lambda d: talib.OBV(d["close"], d["volume"])), [()]),
    "mfi": ((lambda d, p: ind.mfi(*hlc(d), d["volume"], p),
             lambda d, p: talib.MFI(*hlc(d), d["volume"], p)), [(2,), (14,)]),
    "adx": ((lambda d, p: ind.adx(*hlc(d), p),
             lambda d, p: (talib.ADX(*hlc(d), p), talib.PLUS_DI(*hlc(d), p),
                           talib.MINUS_DI(*hlc(d), p))), [(2,), (14,), (20,)]),
}


def assert_matches(name: str, ours: Any, ref: Any) -> None:
    got, want = as_tuple(ours), as_tuple(ref)
    assert len(got) == len(want)
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g.shape == w.shape, f"{name}[{k}] shape"
        assert not g.flags.writeable, f"{name}[{k}] must be read-only"
        np.testing.assert_array_equal(np.isnan(g), np.isnan(w), err_msg=f"{name}[{k}] NaN mask")
        ok = ~np.isnan(w)
        np.testing.assert_allclose(g[ok], w[ok], rtol=1e-9, atol=1e-9, err_msg=f"{name}[{k}]")


def case_params() -> list[Any]:
    return [pytest.param(name, params, id=f"{name}-{'-'.join(map(str, params)) or 'default'}")
            for name, (_, sets) in CASES.items() for params in sets]


@pytest.mark.parametrize(("name", "params"), case_params())
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_talib_on_random_series(name: str, params: tuple[Any, ...], seed: int) -> None:
    (ours, ref), _ = CASES[name]
    d = ohlcv(3000, seed)
    assert_matches(name, ours(d, *params), ref(d, *params))


@pytest.mark.parametrize("name", list(CASES))
def test_long_series_match_talib(name: str) -> None:
    # Running sums drift over long series unless rebuilt the way TA-Lib rebuilds them (WMA).
    (ours, ref), sets = CASES[name]
    d = ohlcv(300_000, 11)
    assert_matches(name, ours(d, *sets[-1]), ref(d, *sets[-1]))


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("n", [1, 2, 5, 14, 40])
def test_short_series_match_talib(name: str, n: int) -> None:
    # Series no longer than the lookback are all NaN; just past it, the first value appears.
    (ours, ref), sets = CASES[name]
    d = ohlcv(n, 7)
    for params in sets:
        assert_matches(name, ours(d, *params), ref(d, *params))


def market_files() -> list[Any]:
    if not MARKET.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(
            reason=f"../shared/data/market not found: {MARKET}"), id="missing")]
    return [pytest.param(p, id=p.name) for p in sorted(MARKET.iterdir()) if p.is_file()]


@pytest.mark.shared_data
@pytest.mark.parametrize("path", market_files())
def test_matches_talib_on_market_files(path: Path) -> None:
    """Every file: the daily ones the issue names, and the intraday, weekly and monthly ones
    too (the indicators do not depend on the bar length)."""
    from drummond_desktop.feeds.csv_bars import read_csv_bars

    bars = read_csv_bars(path)
    d = {k: np.array(getattr(bars, k)) for k in ("open", "high", "low", "close", "volume")}
    for name, ((ours, ref), sets) in CASES.items():
        for params in sets:
            assert_matches(f"{path.name}:{name}{params}", ours(d, *params), ref(d, *params))


# ------------------------------------------------------------------ slow, obvious twins
def naive_ema(x: list[float], p: int) -> list[float]:
    out = [math.nan] * len(x)
    if len(x) < p:
        return out
    out[p - 1] = sum(x[:p]) / p
    k = 2.0 / (p + 1)
    for i in range(p, len(x)):
        out[i] = k * x[i] + (1.0 - k) * out[i - 1]
    return out


def naive_rsi(x: list[float], p: int) -> list[float]:
    out = [math.nan] * len(x)
    if len(x) <= p:
        return out
    ch = [x[i] - x[i - 1] for i in range(1, len(x))]
    gain = sum(max(c, 0.0) for c in ch[:p]) / p
    loss = sum(max(-c, 0.0) for c in ch[:p]) / p
    for i in range(p, len(x)):
        if i > p:
            gain = (gain * (p - 1) + max(ch[i - 1], 0.0)) / p
            loss = (loss * (p - 1) + max(-ch[i - 1], 0.0)) / p
        out[i] = 100.0 * gain / (gain + loss) if gain + loss else 0.0
    return out


def naive_atr(h: list[float], lo: list[float], c: list[float], p: int) -> list[float]:
    out = [math.nan] * len(c)
    tr = [math.nan] + [max(h[i], c[i - 1]) - min(lo[i], c[i - 1]) for i in range(1, len(c))]
    if len(c) <= p:
        return out
    out[p] = sum(tr[1:p + 1]) / p
    for i in range(p + 1, len(c)):
        out[i] = (out[i - 1] * (p - 1) + tr[i]) / p
    return out


@pytest.mark.parametrize("seed", [1, 5])
@pytest.mark.parametrize("p", [1, 2, 14])
def test_recursive_filters_match_slow_twins(seed: int, p: int) -> None:
    d = ohlcv(1500, seed)
    c, h, lo = (d[k].tolist() for k in ("close", "high", "low"))
    pairs = [(ind.ema(d["close"], p), naive_ema(c, p)),
             (ind.atr(*hlc(d), p), naive_atr(h, lo, c, p))]
    if p >= 2:
        pairs.append((ind.rsi(d["close"], p), naive_rsi(c, p)))
    for got, want in pairs:
        w = np.array(want)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(w))
        ok = ~np.isnan(w)
        np.testing.assert_allclose(got[ok], w[ok], rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------------ bad input
X = np.linspace(1.0, 2.0, 50)
NOT_INT: Any = 2.5


@pytest.mark.parametrize(("call", "match"), [
    (lambda: ind.sma(X, 0), "sma: timeperiod must be between 1"),
    (lambda: ind.ema(X, -3), "ema: timeperiod"),
    (lambda: ind.rsi(X, 1), "rsi: timeperiod must be between 2"),
    (lambda: ind.wma(X, NOT_INT), "wma: timeperiod must be an integer"),
    (lambda: ind.dema(X, True), "dema: timeperiod must be an integer"),
    (lambda: ind.macd(X, 12, 0), "macd: slowperiod"),
    (lambda: ind.macd(X, 12, 26, 0), "macd: signalperiod"),
    (lambda: ind.bbands(X, 20, float("nan")), "bbands: nbdevup must be finite"),
    (lambda: ind.stoch(X, X, X, 14, 0), "stoch: slowk_period"),
    (lambda: ind.stochrsi(X, 14, 5, 0), "stochrsi: fastd_period"),
    (lambda: ind.adx(X, X, X, 1), "adx: timeperiod must be between 2"),
    (lambda: ind.atr(X, X[:-1], X), "atr: low has 49 values but high has 50"),
    (lambda: ind.mfi(X, X, X, X[:10]), "mfi: volume has 10 values but close has 50"),
    (lambda: ind.obv(X, X[1:]), "obv: volume has 49"),
    (lambda: ind.sma(np.arange(50), 5), "sma: close must be a float array, got dtype int64"),
    (lambda: ind.willr(X, X.astype(object), X), "willr: low must be a float array"),
    (lambda: ind.obv(X, np.ones(50, dtype=bool)), "obv: volume must be a float array"),
    (lambda: ind.cci(X, X, X.reshape(5, 10)), "cci: close must be one-dimensional"),
])
def test_bad_input_names_the_argument(call: Callable[[], object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_float32_and_views_are_accepted() -> None:
    d = ohlcv(500, 3)
    strided = np.repeat(d["close"], 2)[::2]
    assert_matches("ema32", ind.ema(d["close"].astype(np.float32), 10),
                   talib.EMA(d["close"].astype(np.float32).astype(np.float64), 10))
    assert_matches("sma-view", ind.sma(strided, 10), talib.SMA(d["close"], 10))


def test_import_loads_no_numba() -> None:
    code = "import sys, engine.indicators; sys.exit('numba' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False).returncode == 0


# ------------------------------------------------------- kernel helpers against slow twins
def test_div_nb_is_the_correctly_rounded_quotient() -> None:
    # div_nb replaces x / d by a multiply and two FMAs; the kernels rely on it giving the same
    # bits (SMA, WMA, STOCH, ADX keep TA-Lib's quotients). Random magnitudes and random bit
    # patterns over the whole normal range.
    from engine.nb.indicators import div_nb

    rng = np.random.default_rng(4)
    bits = rng.integers(0, 2**63, 20_000, dtype=np.int64).view(np.float64)
    normal = np.isfinite(bits) & (np.abs(bits) > 1e-290) & (np.abs(bits) < 1e290)
    xs = np.concatenate([rng.random(20_000) * 1000, rng.standard_normal(20_000) * 1e5,
                         bits[normal]])
    for d in (3.0, 14.0, 20.0, 210.0, 7.0, 0.001, 3.7):
        r = 1.0 / d
        got = np.array([div_nb(x, d, r) for x in xs[::7]])
        assert np.array_equal(got, xs[::7] / d), d


@pytest.mark.parametrize("p", [1, 2, 3, 5, 8, 14, 17, 64, 100])
def test_rolling_extrema_match_a_sliding_window(p: int) -> None:
    from numpy.lib.stride_tricks import sliding_window_view

    from engine.indicators.oscillators import roll_scratch
    from engine.nb.indicators_osc import roll_chunk_nb

    d = ohlcv(2000, p)
    h, lo = d["high"], d["low"]
    buf = roll_scratch(p)
    width = buf.shape[1] - p
    hh = np.full(h.shape[0], np.nan)
    ll = np.full(h.shape[0], np.nan)
    for c0 in range(p - 1, h.shape[0], width):  # chunks as the kernels walk them
        c1 = min(c0 + width, h.shape[0])
        roll_chunk_nb(h, lo, c0, c1, p, buf)
        hh[c0:c1] = buf[4, :c1 - c0]
        ll[c0:c1] = buf[5, :c1 - c0]
    assert np.array_equal(hh[p - 1:], sliding_window_view(h, p).max(axis=1))
    assert np.array_equal(ll[p - 1:], sliding_window_view(lo, p).min(axis=1))


def naive_cci(h: list[float], lo: list[float], c: list[float], p: int) -> list[float]:
    tp = [(a + b + x) / 3.0 for a, b, x in zip(h, lo, c, strict=True)]
    out = [math.nan] * len(tp)
    for i in range(p - 1, len(tp)):
        w = tp[i - p + 1:i + 1]
        avg = sum(w) / p
        dev = sum(abs(x - avg) for x in w) / p
        num = tp[i] - avg
        out[i] = num / (0.015 * dev) if abs(num) > 1e-14 * abs(avg) and dev > 0 else 0.0
    return out


def naive_bbands(x: list[float], p: int, k: float) -> list[float]:
    out = [math.nan] * len(x)
    for i in range(p - 1, len(x)):
        w = x[i - p + 1:i + 1]
        avg = sum(w) / p
        out[i] = avg + k * math.sqrt(sum((v - avg) ** 2 for v in w) / p)
    return out


@pytest.mark.parametrize("p", [2, 14, 33])
def test_window_kernels_match_slow_twins(p: int) -> None:
    d = ohlcv(1500, p)
    h, lo, c = (d[k].tolist() for k in ("high", "low", "close"))
    got, want = ind.cci(*hlc(d), p), np.array(naive_cci(h, lo, c, p))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[~np.isnan(want)], want[~np.isnan(want)], rtol=1e-9, atol=1e-9)
    # A price level far above the spread: the variance of running sums of x and x² would
    # cancel catastrophically here; TA-Lib 0.8's shifted sums must not.
    x = 1e6 + np.cumsum(np.random.default_rng(p).standard_normal(3000)) * 1e-3
    got = ind.bbands(x, p, 2.0, 2.0).upper
    want = np.array(naive_bbands(x.tolist(), p, 2.0))
    np.testing.assert_allclose(got[p - 1:] - 1e6, want[p - 1:] - 1e6, rtol=1e-6, atol=1e-9)
