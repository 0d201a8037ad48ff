"""Trend and level indicators (engine.indicators.trend / levels): SAR, SuperTrend, Donchian and
one-session VWAP against TA-Lib's functions of the same name, every kernel against a slow,
obvious pure-Python twin, the same bits with NUMBA_DISABLE_JIT=1, no look-ahead, bad input.

Parity rule as in ``test_indicators.py``: NaN exactly where the reference has NaN, values equal
to 1e-9 relative (1e-9 absolute near zero) elsewhere.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

import engine.indicators as ind
from engine.resample import SESSIONS, Session, resample
from tests.engine.test_indicators import (
    assert_matches,
    market_files,
    naive_atr,
    naive_ema,
    ohlcv,
)
from tests.synthetic import walk_bars

talib = pytest.importorskip("talib", reason="TA-Lib is a dev dependency (uv sync --group dev)")

NAN = math.nan
ROOT = Path(__file__).resolve().parents[2]
SAR_PARAMS = [(0.02, 0.2), (0.01, 0.1), (0.05, 0.5), (0.3, 0.2), (0.0, 0.0), (0.2, 0.2)]
L = list[float]


def assert_close(got: Any, want: Any, what: str, rtol: float = 1e-9) -> None:
    g = np.asarray(got, dtype=np.float64)
    w = np.asarray(want, dtype=np.float64)
    assert g.shape == w.shape, f"{what}: shape {g.shape} != {w.shape}"
    np.testing.assert_array_equal(np.isnan(g), np.isnan(w), err_msg=f"{what}: NaN mask")
    ok = ~np.isnan(w)
    np.testing.assert_allclose(g[ok], w[ok], rtol=rtol, atol=1e-9, err_msg=what)


def lists(d: dict[str, np.ndarray]) -> tuple[L, L, L, L]:
    return (d["high"].tolist(), d["low"].tolist(), d["close"].tolist(),
            d["volume"].tolist())


# ------------------------------------------------- TA-Lib: SAR, SUPERTREND, DONCHIAN, VWAP
ST_PARAMS = [(10, 3.0), (2, 0.0), (14, 1.5), (7, 0.3), (50, 5.0)]


def talib_donchian(h: np.ndarray, lo: np.ndarray, p: int) -> tuple[np.ndarray, ...]:
    if p > 1:
        return tuple(talib.DONCHIAN(h, lo, p))
    return h, (h + lo) / 2.0, lo  # TA-Lib refuses period 1; ours is the bar itself


def check_supertrend(d: dict[str, np.ndarray], what: str, p: int, m: float) -> None:
    a = (d["high"], d["low"], d["close"])
    st = ind.supertrend(*a, timeperiod=p, multiplier=m)
    line, trend = talib.SUPERTREND(*a, timeperiod=p, multiplier=m)
    assert_matches(f"{what} supertrend{p, m}", st.supertrend, line)
    assert st.trend.dtype == trend.dtype == np.int32
    np.testing.assert_array_equal(st.trend, trend, err_msg=f"{what} supertrend{p, m} trend")


def check_talib(d: dict[str, np.ndarray], what: str) -> None:
    a = (d["high"], d["low"], d["close"])
    for acc, mx in SAR_PARAMS:
        assert_matches(f"{what} sar{acc, mx}", ind.sar(d["high"], d["low"], acc, mx),
                       talib.SAR(d["high"], d["low"], acc, mx))
    for p, m in ST_PARAMS:
        check_supertrend(d, what, p, m)
    for p in (1, 2, 20, 55):
        assert_matches(f"{what} donchian{p}", ind.donchian(d["high"], d["low"], p),
                       talib_donchian(d["high"], d["low"], p))
    one_session = np.full(d["close"].shape[0], 7, dtype=np.int64)
    ref = talib.VWAP(*a, d["volume"])
    assert_matches(f"{what} vwap", ind.vwap(*a, d["volume"], one_session), ref)
    assert_matches(f"{what} vwap None", ind.vwap(*a, d["volume"], None), ref)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 11, 40, 3000, 300_000])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_match_talib(n: int, seed: int) -> None:
    check_talib(ohlcv(n, seed), f"n={n} seed={seed}")


@pytest.mark.shared_data
@pytest.mark.parametrize("path", market_files())
def test_match_talib_on_market_files(path: Path) -> None:
    """Every file (daily, and the intraday, weekly and monthly ones: none of these depends on
    the bar length), including the volume-less ones, where TA-Lib's VWAP is 0.0 throughout."""
    from drummond_desktop.feeds.csv_bars import read_csv_bars

    bars = read_csv_bars(path)
    d = {k: np.array(getattr(bars, k)) for k in ("high", "low", "close", "volume")}
    check_talib(d, path.name)


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1",
                    reason="pure Python has no FMA; the 1e-9 parity tests still run")
def test_sar_is_bit_identical_to_talib() -> None:
    # Stop-and-reverse decisions compare against the SAR itself: a last-bit difference could
    # flip one, so the kernel rounds exactly as TA-Lib (FMA clone included) does.
    d = ohlcv(100_000, 9)
    np.testing.assert_array_equal(ind.sar(d["high"], d["low"]), talib.SAR(d["high"], d["low"]))


def test_supertrend_is_bit_identical_to_talib() -> None:
    # Trend flips compare closes with the bands: the ATR rounds as TA-Lib's (its FMA step),
    # compiled or not (fma_nb is exact in pure Python too), so no flip can differ.
    d = ohlcv(100_000, 9)
    for p, m in ST_PARAMS:
        a = (d["high"], d["low"], d["close"])
        np.testing.assert_array_equal(ind.supertrend(*a, p, m).supertrend,
                                      talib.SUPERTREND(*a, p, m)[0], err_msg=f"{p, m}")


def test_fma_rounds_once_in_plain_python() -> None:
    """SuperTrend's ATR step goes through ``fma_nb``; called from Python (as under
    NUMBA_DISABLE_JIT=1) it must still round once: here a·b + c is exactly -2**-104, which a
    multiply then add rounds to 0."""
    from engine.nb.indicators_trend import fma_nb

    a, b = 1.0 + 2.0**-52, 1.0 - 2.0**-52
    assert a * b - 1.0 == 0.0
    assert fma_nb(a, b, -1.0) == -(2.0**-104)
    assert fma_nb(0.1, 10.0, -1.0) == 2.0**-54  # 0.1 is a little above 1/10
    assert math.isnan(fma_nb(NAN, 1.0, 1.0)) and fma_nb(math.inf, 2.0, 1.0) == math.inf


def test_supertrend_by_hand() -> None:
    """Period 2, multiplier 1, values worked out on paper: the first value is an uptrend on
    the lower band; the lower band ratchets up (bar 3); a close under it turns the trend down
    onto the upper band, which ratchets down (bar 4) and holds (bar 5); a close above it turns
    the trend up onto the lower band (bar 6)."""
    h = np.array([10.0, 11, 12, 13, 10, 12, 14])
    lo = np.array([9.0, 10, 11, 12, 8, 11, 12.5])
    c = np.array([9.5, 10.5, 11.5, 12.5, 8.5, 11.5, 13.5])
    st = ind.supertrend(h, lo, c, 2, 1.0)
    want = [NAN, NAN, 10.0, 11.0, 12.0, 12.0, 10.375]
    np.testing.assert_array_equal(st.supertrend, want)
    np.testing.assert_array_equal(st.trend, [0, 0, 1, 1, -1, -1, 1])
    np.testing.assert_array_equal(talib.SUPERTREND(h, lo, c, 2, 1.0)[0], want)


def test_supertrend_keeps_its_trend_where_the_bands_coincide() -> None:
    """Multiplier 0 and flat bars at 10: both bands and the line are 10, so the line alone
    cannot tell the trend. The carried flag keeps the uptrend (the close never goes below the
    lower band); reading the trend back from ``line == previous upper band``, as TradingView's
    Pine source does, would turn it down at bar 3."""
    h = np.array([10.0, 10.5, 10.5, 10.0, 10.0, 10.0])
    lo = np.array([9.0, 9.5, 9.5, 10.0, 10.0, 10.0])
    c = np.array([9.5, 10.0, 9.0, 10.0, 10.0, 10.0])
    st = ind.supertrend(h, lo, c, 2, 0.0)
    assert st.trend.tolist() == [0, 0, 1, 1, 1, 1]
    np.testing.assert_array_equal(st.supertrend, [NAN, NAN, 10.0, 10.0, 10.0, 10.0])
    line, trend = talib.SUPERTREND(h, lo, c, 2, 0.0)
    np.testing.assert_array_equal(st.trend, trend)
    np.testing.assert_array_equal(st.supertrend, line)


def test_vwap_edge_cases_match_talib() -> None:
    """TA-Lib's rules for the one-session case: 0.0 until volume trades, a zero-volume bar and
    a bar with a NaN price or an infinite volume repeat the last value (the sums resume)."""
    d = ohlcv(500, 6)
    v = d["volume"].copy()
    v[:7] = 0.0
    v[100:110] = 0.0
    v[200] = np.inf
    c = d["close"].copy()
    c[300] = NAN
    a = (d["high"], d["low"], c)
    zero = np.zeros(500, dtype=np.int64)
    got = ind.vwap(*a, v, zero)
    assert_matches("vwap edge cases", got, talib.VWAP(*a, v))
    assert (got[:7] == 0.0).all() and got[7] > 0.0
    assert got[200] == got[199] and got[300] == got[299] and got[301] != got[300]
    blank = ind.vwap(*a, v, zero, before_volume=NAN)
    assert np.isnan(blank[:7]).all()
    np.testing.assert_array_equal(blank[7:], got[7:])


# ------------------------------------------------------------------ slow, obvious twins
def naive_keltner(h: L, lo: L, c: L, p: int, m: float, ap: int, typical: bool) -> list[L]:
    src = [(h[i] + lo[i] + c[i]) / 3.0 for i in range(len(c))] if typical else c
    mid, atr = naive_ema(src, p), naive_atr(h, lo, c, ap)
    first = max(p - 1, ap)
    out: list[L] = [[NAN] * len(c) for _ in range(3)]
    for i in range(first, len(c)):
        out[0][i], out[1][i], out[2][i] = mid[i] + m * atr[i], mid[i], mid[i] - m * atr[i]
    return out


def naive_supertrend(h: L, lo: L, c: L, p: int, m: float) -> tuple[L, list[int]]:
    """TA-Lib's ta_SUPERTREND.c, statement by statement (its ATR in the C source's order:
    ``(atr·(p-1) + tr) / p``, no FMA, hence 1e-9 and not bit for bit)."""
    n = len(c)
    line, trend = [NAN] * n, [0] * n
    if n <= p:
        return line, trend

    def true_range(i: int) -> float:
        return max(h[i] - lo[i], abs(c[i - 1] - h[i]), abs(c[i - 1] - lo[i]))

    atr = sum(true_range(i) for i in range(1, p + 1)) / p
    upper = (h[p] + lo[p]) / 2.0 + m * atr
    lower = (h[p] + lo[p]) / 2.0 - m * atr
    is_up = True
    line[p], trend[p] = lower, 1
    for i in range(p + 1, n):
        atr = (atr * (p - 1) + true_range(i)) / p
        basic_upper = (h[i] + lo[i]) / 2.0 + m * atr
        basic_lower = (h[i] + lo[i]) / 2.0 - m * atr
        if basic_upper < upper or c[i - 1] > upper:
            upper = basic_upper
        if basic_lower > lower or c[i - 1] < lower:
            lower = basic_lower
        if is_up and c[i] < lower:
            is_up = False
        elif not is_up and c[i] > upper:
            is_up = True
        line[i], trend[i] = (lower, 1) if is_up else (upper, -1)
    return line, trend


def window_mid(h: L, lo: L, i: int, p: int) -> float:
    if i < p - 1:
        return NAN
    return (max(h[i - p + 1:i + 1]) + min(lo[i - p + 1:i + 1])) / 2.0


def naive_ichimoku(h: L, lo: L, c: L, tp: int, kp: int, bp: int, disp: int) -> list[L]:
    n = len(c)
    tenkan = [window_mid(h, lo, i, tp) for i in range(n)]
    kijun = [window_mid(h, lo, i, kp) for i in range(n)]
    raw_a = [(tenkan[i] + kijun[i]) / 2.0 for i in range(n)]
    raw_b = [window_mid(h, lo, i, bp) for i in range(n)]

    def shifted(raw: L, i: int) -> float:
        return raw[i - disp] if 0 <= i - disp < n else NAN

    return [tenkan, kijun, [shifted(raw_a, i) for i in range(n)],
            [shifted(raw_b, i) for i in range(n)],
            [c[i + disp] if i + disp < n else NAN for i in range(n)],
            [shifted(raw_a, n + j) for j in range(disp)],
            [shifted(raw_b, n + j) for j in range(disp)]]


def naive_vwap(h: L, lo: L, c: L, v: L, sid: list[int], before: float) -> L:
    out, start = [], 0
    for i in range(len(c)):
        if i and sid[i] != sid[i - 1]:
            start = i
        bars = [j for j in range(start, i + 1)
                if math.isfinite((h[j] + lo[j] + c[j]) / 3.0) and math.isfinite(v[j])]
        vol = sum(v[j] for j in bars)
        pv = sum((h[j] + lo[j] + c[j]) / 3.0 * v[j] for j in bars)
        out.append(pv / vol if vol > 0 else before)
    return out


def naive_pivots(h: L, lo: L, c: L, method: str) -> list[L]:
    rows: list[L] = [[NAN] for _ in range(9)]  # element 0: no previous period
    for hi, low, cl in zip(h, lo, c, strict=True):
        p, r = (hi + low + cl) / 3.0, hi - low
        if method == "floor":
            lv = [p, 2 * p - low, p + r, hi + 2 * (p - low), NAN,
                  2 * p - hi, p - r, low - 2 * (hi - p), NAN]
        elif method == "fibonacci":
            lv = [p, p + 0.382 * r, p + 0.618 * r, p + r, NAN,
                  p - 0.382 * r, p - 0.618 * r, p - r, NAN]
        else:
            lv = [p] + [cl + r * 1.1 / k for k in (12, 6, 4, 2)] + [cl - r * 1.1 / k
                                                                    for k in (12, 6, 4, 2)]
        for row, value in zip(rows, lv, strict=True):
            row.append(value)
    return rows


def naive_swings(h: L, lo: L, left: int, right: int) -> list[list[bool]]:
    n = len(h)
    out = [[False] * n for _ in range(4)]
    for i in range(left, n - right):
        others = [j for j in range(i - left, i + right + 1) if j != i]
        out[0][i] = out[2][i + right] = all(h[i] > h[j] for j in others)
        out[1][i] = out[3][i + right] = all(lo[i] < lo[j] for j in others)
    return out


def sessions_with_gaps(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Session ids in runs of 1-60 bars, and volumes with zero-volume openings, a session
    without any volume, and zero-volume bars inside sessions."""
    rng = np.random.default_rng(seed)
    sid = np.cumsum(rng.random(n) < 1 / 30).astype(np.int64) + 7
    v = rng.integers(0, 5, n).astype(np.float64) * 100.0
    starts = np.flatnonzero(np.r_[True, sid[1:] != sid[:-1]])
    for s in starts[::3]:
        v[s:s + 3] = 0.0
    v[sid == sid[n // 2]] = 0.0
    return sid, v


def twin_data(seed: int) -> tuple[dict[str, np.ndarray], L, L, L,
                                  tuple[np.ndarray, np.ndarray, np.ndarray]]:
    d = ohlcv(1200, seed)
    h, lo, c, _ = lists(d)
    return d, h, lo, c, (d["high"], d["low"], d["close"])


@pytest.mark.parametrize("seed", [1, 4])
def test_keltner_matches_slow_twin(seed: int) -> None:
    _, h, lo, c, a = twin_data(seed)
    for p, m, ap, typ in [(20, 2.0, 10, False), (20, 1.5, 10, True), (1, 2.0, 1, False),
                          (5, 0.0, 30, True)]:
        got = ind.keltner(*a, p, m, ap, source="typical" if typ else "close")
        for g, w in zip((got.upper, got.middle, got.lower),
                        naive_keltner(h, lo, c, p, m, ap, typ), strict=True):
            assert_close(g, w, f"keltner{p, m, ap, typ}")
    # Here rather than in the shared no-look-ahead and read-only tests: Keltner alone needs
    # engine.nb.indicators' fma intrinsic, which cannot run with NUMBA_DISABLE_JIT=1.
    full, part = ind.keltner(*a), ind.keltner(a[0][:300], a[1][:300], a[2][:300])
    for name in ("upper", "middle", "lower"):
        np.testing.assert_array_equal(getattr(part, name), getattr(full, name)[:300])
        assert not getattr(full, name).flags.writeable and getattr(full, name).shape == (1200,)


@pytest.mark.parametrize("seed", [1, 4])
def test_supertrend_and_donchian_match_slow_twins(seed: int) -> None:
    d, h, lo, c, a = twin_data(seed)
    for p, m in [(10, 3.0), (2, 1.0), (14, 0.5), (3, 0.0)]:
        st = ind.supertrend(*a, p, m)
        line, trend = naive_supertrend(h, lo, c, p, m)
        assert_close(st.supertrend, line, f"supertrend{p, m}")
        np.testing.assert_array_equal(st.trend, trend, err_msg=f"supertrend{p, m}")
        assert set(trend[p:]) == {-1, 1}  # both trends occur, so both branches run
    for p in (1, 3, 20):
        dc = ind.donchian(d["high"], d["low"], p)
        assert_close(dc.middle, [window_mid(h, lo, i, p) for i in range(len(c))], "donchian")
        assert_close(dc.upper, [max(h[max(i - p + 1, 0):i + 1]) if i >= p - 1 else NAN
                                for i in range(len(c))], "donchian upper")


@pytest.mark.parametrize("seed", [1, 4])
def test_level_kernels_match_slow_twins(seed: int) -> None:
    d, h, lo, c, a = twin_data(seed)
    for params in [(9, 26, 52, 26), (9, 26, 52, 25), (3, 1, 7, 0), (2, 5, 11, 1300)]:
        got_i = ind.ichimoku(*a, *params)
        for name, w in zip(got_i.__dataclass_fields__, naive_ichimoku(h, lo, c, *params),
                           strict=True):
            assert_close(getattr(got_i, name), w, f"ichimoku{params}.{name}")
    for method in ("floor", "fibonacci", "camarilla"):
        pv = ind.pivots(*a, method)
        for name, w in zip(pv.__dataclass_fields__, naive_pivots(h, lo, c, method), strict=True):
            assert_close(getattr(pv, name), w, f"pivots {method}.{name}")
    for left, right in [(2, 2), (1, 1), (3, 0), (5, 2)]:
        sw = ind.swings(d["high"], d["low"], left, right)
        want = naive_swings(h, lo, left, right)
        for k, name in enumerate(("high", "low", "high_known", "low_known")):
            np.testing.assert_array_equal(getattr(sw, name), want[k], err_msg=name)
        assert sw.delay == right and sw.high.any() and sw.low.any()


@pytest.mark.parametrize("seed", [1, 2])
def test_vwap_matches_slow_twin(seed: int) -> None:
    d = ohlcv(2000, seed)
    sid, v = sessions_with_gaps(2000, seed)
    v[[500, 1500]] = NAN  # skipped bars (no volume known)
    h, lo, c, _ = lists(d)
    for before in (0.0, NAN):
        got = ind.vwap(d["high"], d["low"], d["close"], v, sid, before_volume=before)
        want = naive_vwap(h, lo, c, v.tolist(), sid.tolist(), before)
        assert_close(got, want, f"vwap before_volume={before}", rtol=1e-12)
        assert (np.isnan(got) if math.isnan(before) else got == 0.0)[sid == sid[1000]].all()
        assert np.isfinite(got).sum() > 1500


def test_swing_ties_are_not_swings() -> None:
    h = np.array([1.0, 2.0, 5.0, 5.0, 2.0, 1.0, 3.0, 1.0, 0.5])
    sw = ind.swings(h, h - 1.0, 2, 2)
    assert np.flatnonzero(sw.high).tolist() == [6]  # the flat double top at 2-3 is not a swing
    assert np.flatnonzero(sw.high_known).tolist() == [8]


# ------------------------------------------------------------------------- no look-ahead
def every_causal_output(d: dict[str, np.ndarray], sid: np.ndarray) -> dict[str, np.ndarray]:
    a = (d["high"], d["low"], d["close"])
    st, ic = ind.supertrend(*a), ind.ichimoku(*a)
    dc, sw = ind.donchian(d["high"], d["low"]), ind.swings(d["high"], d["low"])
    return {"sar": ind.sar(d["high"], d["low"]), "st": st.supertrend, "st_trend": st.trend,
            "dc_u": dc.upper, "dc_l": dc.lower,
            "tenkan": ic.tenkan, "kijun": ic.kijun, "span_a": ic.senkou_a,
            "span_b": ic.senkou_b, "vwap": ind.vwap(*a, d["volume"], sid),
            "sw_hk": sw.high_known, "sw_lk": sw.low_known}


def test_outputs_use_no_future_bars() -> None:
    """Computing on the first k bars gives exactly the first k values of the full run (the
    swing-at-the-bar flags and chikou look ahead by design and are checked separately)."""
    n = 400
    d = ohlcv(n, 21)
    sid = np.arange(n) // 37
    full = every_causal_output(d, sid)
    full_ic = ind.ichimoku(d["high"], d["low"], d["close"])
    full_pv = ind.pivots(d["high"], d["low"], d["close"])
    full_sw = ind.swings(d["high"], d["low"])
    for k in (1, 2, 30, 77, 78, 200, 399):
        part = {key: v[:k] for key, v in d.items()}
        for key, got in every_causal_output(part, sid[:k]).items():
            np.testing.assert_array_equal(got, full[key][:k], err_msg=f"{key} at k={k}")
        ic = ind.ichimoku(part["high"], part["low"], part["close"])
        ext = np.r_[full_ic.senkou_a, full_ic.senkou_a_ahead][k:k + 26]
        np.testing.assert_array_equal(ic.senkou_a_ahead, ext, err_msg=f"ahead at k={k}")
        pv = ind.pivots(part["high"], part["low"], part["close"])
        np.testing.assert_array_equal(pv.r1, full_pv.r1[:k + 1], err_msg=f"pivots at k={k}")
        sw = ind.swings(part["high"], part["low"])
        np.testing.assert_array_equal(sw.high[:max(k - 2, 0)], full_sw.high[:max(k - 2, 0)])
    np.testing.assert_array_equal(full_ic.chikou[:-26], d["close"][26:])


# --------------------------------------------------------------- sessions and intraday pivots
def utc(year: int, month: int, day: int) -> int:
    return int(datetime(year, month, day, tzinfo=UTC).timestamp())


def minute_bars() -> Any:
    """Every 5 minutes, round the clock, 5-19 March 2025 (US DST starts 9 March)."""
    return walk_bars(np.arange(utc(2025, 3, 5), utc(2025, 3, 19), 300), 3, "5m", "X.US")


def test_session_ids_are_local_dates() -> None:
    ts = np.sort(np.random.default_rng(5).integers(utc(2024, 1, 1), utc(2026, 1, 1), 3000))
    for sess in (SESSIONS["US"], SESSIONS["TSE"], SESSIONS["CRYPTO"]):
        zone = ZoneInfo(sess.tz)
        want = [(datetime.fromtimestamp(int(t), zone).date() - date(1970, 1, 1)).days
                for t in ts]
        np.testing.assert_array_equal(ind.session_ids(ts, sess), want, err_msg=sess.tz)


def test_documented_intraday_pivot_recipe() -> None:
    """The recipe in ``pivots``' docstring gives every 5-minute bar the floor pivot of the last
    regular session before its local date, built here from the bars by hand."""
    bars = minute_bars()
    sess = SESSIONS["US"]
    day = resample(bars, "1d", session=sess).bars
    pv = ind.pivots(day.high, day.low, day.close)
    k = np.searchsorted(day.ts, ind.session_ids(bars.ts, sess) * 86_400)
    got = pv.pivot[k]
    zone = ZoneInfo(sess.tz)
    local = [datetime.fromtimestamp(int(t), zone) for t in bars.ts]
    by_day: dict[date, list[int]] = {}
    for i, t in enumerate(local):
        if t.weekday() < 5 and time(9, 30) <= t.time() < time(16, 0):
            by_day.setdefault(t.date(), []).append(i)
    want = []
    for t in local:
        before = [dd for dd in by_day if dd < t.date()]
        if not before:
            want.append(NAN)
            continue
        idx = by_day[max(before)]
        hi, lo_ = max(bars.high[idx]), min(bars.low[idx])
        want.append((hi + lo_ + bars.close[idx[-1]]) / 3.0)
    assert_close(got, want, "intraday pivots")
    assert np.isnan(got).sum() < len(got) // 5


def test_vwap_with_session_ids_restarts_each_day() -> None:
    bars = minute_bars()
    sid = ind.session_ids(bars.ts, SESSIONS["US"])
    got = ind.vwap(bars.high, bars.low, bars.close, bars.volume, sid)
    first = np.flatnonzero(np.r_[True, sid[1:] != sid[:-1]])
    tp = (bars.high + bars.low + bars.close) / 3.0
    np.testing.assert_allclose(got[first], tp[first], rtol=1e-12)  # volumes are >= 1
    # 5 March 00:00 UTC is 4 March in New York: 15 local dates, the 9th (DST starts) 23 hours.
    assert first.size == 15
    assert np.diff(first).tolist()[:6] == [60, 288, 288, 288, 288, 276]


# ------------------------------------------------------------------------------ bad input
X = np.linspace(1.0, 2.0, 50)
IDX = np.arange(50)
NOT_INT: Any = 2.5
TEXT: Any = "0.02"


@pytest.mark.parametrize(("call", "match"), [
    (lambda: ind.sar(X, X[1:]), "sar: low has 49 values but high has 50"),
    (lambda: ind.sar(IDX, X), "sar: high must be a float array, got dtype int64"),
    (lambda: ind.sar(X, X, -0.01), "sar: acceleration must be >= 0"),
    (lambda: ind.sar(X, X, 0.02, float("inf")), "sar: maximum must be finite"),
    (lambda: ind.sar(X, X, TEXT), "sar: acceleration must be a number"),
    (lambda: ind.supertrend(X, X, X, 1), "supertrend: timeperiod must be between 2"),
    (lambda: ind.supertrend(X, X, X, NOT_INT), "supertrend: timeperiod must be an integer"),
    (lambda: ind.supertrend(X, X, X, 10, -0.5), "supertrend: multiplier must be >= 0"),
    (lambda: ind.supertrend(X, X, X, 10, float("nan")), "supertrend: multiplier must be fin"),
    (lambda: ind.supertrend(X, X, X, 10, TEXT), "supertrend: multiplier must be a number"),
    (lambda: ind.supertrend(X, X[1:], X), "supertrend: low has 49 values but high has 50"),
    (lambda: ind.supertrend(X, X, X.reshape(5, 10)), "supertrend: close must be one-dim"),
    (lambda: ind.keltner(X, X, X, NOT_INT), "keltner: timeperiod must be an integer"),
    (lambda: ind.keltner(X, X, X, 20, -1.0), "keltner: multiplier must be >= 0"),
    (lambda: ind.keltner(X, X, X, source="open"), "keltner: source must be 'close' or"),
    (lambda: ind.keltner(X, X, X[:3]), "keltner: close has 3 values but high has 50"),
    (lambda: ind.donchian(X, X, 0), "donchian: timeperiod must be between 1"),
    (lambda: ind.donchian(X, X.astype(object)), "donchian: low must be a float array"),
    (lambda: ind.donchian(X, X[:7]), "donchian: low has 7 values but high has 50"),
    (lambda: ind.ichimoku(X, X, X, 9, 26, 52, -1), "ichimoku: displacement must be between 0"),
    (lambda: ind.ichimoku(X, X, X, 0), "ichimoku: tenkan must be between 1"),
    (lambda: ind.ichimoku(X, X, X, 9, True), "ichimoku: kijun must be an integer"),
    (lambda: ind.vwap(X, X, X, X, X), "vwap: session_id must be a 1-D integer array"),
    (lambda: ind.vwap(X, X, X, X, IDX[:10]), "vwap: session_id has 10 values but close has 50"),
    (lambda: ind.vwap(X, X, X, X[:5], IDX), "vwap: volume has 5 values but close has 50"),
    (lambda: ind.vwap(X, X, X, -X, IDX), r"vwap: volume must not be negative \(bar 0"),
    (lambda: ind.vwap(X, X, X, IDX, IDX), "vwap: volume must be a float array"),
    (lambda: ind.vwap(X, X, X, X, IDX, before_volume=TEXT), "vwap: before_volume must be a nu"),
    (lambda: ind.session_ids(X, SESSIONS["US"]), "session_ids: ts must be 1-D integer"),
    (lambda: ind.session_ids(IDX, "US"), "session_ids: session must be an engine.resample"),
    (lambda: ind.pivots(X, X, X, "woodie"), "pivots: method must be one of floor"),
    (lambda: ind.pivots(X, X, IDX), "pivots: close must be a float array"),
    (lambda: ind.swings(X, X, 0), "swings: left must be between 1"),
    (lambda: ind.swings(X, X, 2, -1), "swings: right must be between 0"),
    (lambda: ind.swings(X, X[:-1]), "swings: low has 49 values"),
])
def test_bad_input_names_the_argument(call: Callable[[], object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_outputs_are_read_only_and_sized() -> None:
    d = ohlcv(60, 2)
    a = (d["high"], d["low"], d["close"])
    results: list[Any] = [ind.sar(d["high"], d["low"]), ind.supertrend(*a),
                          ind.donchian(d["high"], d["low"]), ind.ichimoku(*a),
                          ind.pivots(*a), ind.swings(d["high"], d["low"]),
                          ind.vwap(*a, d["volume"], np.zeros(60, dtype=np.int32)),
                          ind.session_ids(np.arange(60) * 60, Session("UTC", time(0), time(0)))]
    for r in results:
        arrays = [r] if isinstance(r, np.ndarray) else [
            getattr(r, f) for f in r.__dataclass_fields__ if f != "delay"]
        for arr in arrays:
            assert not arr.flags.writeable
            assert arr.shape[0] in (60, 61, 26)  # pivots N+1, ichimoku ahead = displacement
    st = ind.supertrend(*a)
    assert st.trend.dtype == np.int32 and st.trend[:10].tolist() == [0] * 10
    e = X[:0]
    for fn in (lambda: ind.sar(e, e), lambda: ind.swings(e, e), lambda: ind.ichimoku(e, e, e),
               lambda: ind.pivots(e, e, e), lambda: ind.supertrend(e, e, e),
               lambda: ind.donchian(e, e), lambda: ind.vwap(e, e, e, e, IDX[:0])):
        fn()  # empty input is fine, not a crash


def test_import_loads_no_numba() -> None:
    code = ("import sys, engine.indicators.trend, engine.indicators.levels; "
            "sys.exit('numba' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False).returncode == 0


def jit_free_outputs() -> dict[str, np.ndarray]:
    """Outputs of every kernel here that does not depend on ``engine.nb.indicators``' ``fma``
    intrinsic (Keltner does, through its EMA and ATR)."""
    d = ohlcv(3000, 8)
    a = (d["high"], d["low"], d["close"])
    st, st2 = ind.supertrend(*a), ind.supertrend(*a, 7, 0.3)
    dc, ic = ind.donchian(d["high"], d["low"]), ind.ichimoku(*a)
    pv, sw = ind.pivots(*a, "camarilla"), ind.swings(d["high"], d["low"])
    return {"sar": ind.sar(d["high"], d["low"]), "st": st.supertrend, "st_trend": st.trend,
            "st2": st2.supertrend, "st2_trend": st2.trend, "dc_u": dc.upper, "dc_m": dc.middle,
            "vwap": ind.vwap(*a, d["volume"], np.arange(3000) // 97), "tenkan": ic.tenkan,
            "span_b": ic.senkou_b, "ahead_a": ic.senkou_a_ahead, "r4": pv.r4,
            "sw_hk": sw.high_known}


def test_same_bits_with_numba_jit_disabled(tmp_path: Path) -> None:
    """``NUMBA_DISABLE_JIT=1`` (debugging, coverage) runs the kernels as plain Python: they
    must run and give the compiled kernels' bits (SuperTrend's FMA included, through
    ``fma_nb``); SAR within 1e-9, as plain Python has no FMA contraction."""
    out = tmp_path / "nojit.npz"
    code = ("import numpy as np; from tests.engine.test_indicators_trend import "
            f"jit_free_outputs as f; np.savez({str(out)!r}, **f())")
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=False,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    got = np.load(out)
    for key, want in jit_free_outputs().items():
        if key == "sar":
            assert_close(got[key], want, key)
        else:
            np.testing.assert_array_equal(got[key], want, err_msg=key)
