"""Candlestick patterns (engine.indicators.candles) against TA-Lib 0.8, slow twins, bad input.

Parity rule: the output *equals* TA-Lib's (int32, same values, same lookback zeros). Random bars
rarely form patterns, so the data are built from jittered pattern motifs (every pattern fires
hundreds of times, checked), and from "knife-edge" bars on a 0.01 grid whose bodies, shadows
and gaps are tick counts at which TA-Lib's thresholds tie in exact arithmetic: there the float
rounding of the running totals decides, so a total summed in another order shows up.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import engine.indicators.candles as cdl

talib = pytest.importorskip("talib", reason="TA-Lib is a dev dependency (uv sync --group dev)")

ROOT = Path(__file__).resolve().parents[2]
MARKET = ROOT.parent / "shared" / "data" / "market"
Data = dict[str, np.ndarray]
COLS = ("open", "high", "low", "close")


# ---------------------------------------------------------------------------------- test data
def _from_rows(rows: list[tuple[float, ...]], tick: float) -> Data:
    a = np.round(np.array(rows) / tick) * tick
    return {k: np.ascontiguousarray(a[:, i]) for i, k in enumerate(COLS)}


def _motif(rng: np.random.Generator, pc: float, prev: tuple[float, ...]) -> list[tuple[float, ...]]:
    """One to four bars: a random bar, or a jittered (often just failing) pattern shape."""
    def bar(o: float, c: float, up: float, dn: float) -> tuple[float, ...]:
        return (o, max(o, c) + up, min(o, c) - dn, c)

    def j(s: float = 0.1) -> float:
        return float(rng.normal(0.0, s))

    def sh(s: float = 0.4) -> float:
        return abs(j(s))

    sign = 1.0 if rng.random() < 0.5 else -1.0
    kind = int(rng.integers(0, 14))
    if kind <= 2:
        o = pc + j(0.3)
        return [bar(o, o + j(1.0), sh(), sh())]
    if kind == 3:  # doji-like
        o = pc + j(0.2)
        return [bar(o, o + j(0.04), sh(0.6), sh(0.6))]
    if kind in (4, 5):  # small body near the previous low or high, a long shadow one side
        b = sh(0.2)
        base = (prev[2] if rng.random() < 0.5 else prev[1]) + j(0.1)
        if kind == 5:
            base = max(prev[0], prev[3]) + sh(0.3)  # gapping up (shooting star)
        o, c = (base, base + b) if rng.random() < 0.5 else (base + b, base)
        long_, tiny = b * (1 + 3 * rng.random()) + sh(0.3), sh(0.03)
        return [bar(o, c, tiny, long_) if kind == 4 else bar(o, c, long_, tiny)]
    if kind == 6:  # engulfing, sometimes sharing an end
        o1 = pc + j(0.3)
        c1 = o1 + sign * sh(0.6)
        o2 = c1 if rng.random() < 0.3 else c1 + sign * sh(0.2)
        c2 = o1 if rng.random() < 0.3 else o1 - sign * sh(0.4)
        return [bar(o1, c1, sh(), sh()), bar(o2, c2, sh(), sh())]
    b1 = 1.5 + 2 * rng.random()
    o1 = pc + j(0.3)
    c1 = o1 + sign * b1
    u1, d1 = sh(), sh()
    first = bar(o1, c1, u1, d1)
    if kind == 7:  # harami, sometimes sharing an end
        lo1 = min(o1, c1)
        a = lo1 if rng.random() < 0.25 else lo1 + rng.random() * b1 * 0.6
        b = max(o1, c1) if rng.random() < 0.2 else a + sh(0.3)
        o2, c2 = (a, b) if rng.random() < 0.5 else (b, a)
        return [first, bar(o2, c2, sh(), sh())]
    if kind == 8:  # piercing (after black) / dark cloud cover (after white)
        gap = (min(o1, c1) - d1 - sh(0.3)) if sign < 0 else (max(o1, c1) + u1 + sh(0.3))
        return [first, bar(gap, c1 - sign * b1 * rng.uniform(0.2, 1.1), sh(), sh())]
    if kind == 9:  # morning (after black) / evening (after white) star
        o2 = c1 + sign * sh(0.4)
        c2 = o2 + j(0.1)
        return [first, bar(o2, c2, sh(), sh()),
                bar(c2 + j(0.1), c1 - sign * b1 * rng.uniform(0.1, 1.0), sh(), sh())]
    if kind == 10:  # three white soldiers
        rows, o = [], pc + j(0.3)
        for _ in range(3):
            b = 1 + rng.random()
            rows.append(bar(o, o + b, sh(0.03), sh()))
            o = o + b - b * rng.uniform(-0.05, 0.9)
        return rows
    if kind == 11:  # a white bar, then three black crows
        o = pc + j(0.3)
        c = o + 1 + rng.random()
        rows, o = [bar(o, c, sh(), sh())], c + 0.3 - sh(0.2)
        for _ in range(3):
            b = 1 + rng.random()
            rows.append(bar(o, o - b, sh(), sh(0.03)))
            o = o - b + b * rng.uniform(0.05, 0.95)
        return rows
    if kind == 12:  # a flat bar: zero range, zero body
        return [(pc, pc, pc, pc)]
    o = pc + j(3.0)  # a wide gap
    return [bar(o, o + j(0.5), sh(), sh())]


def motif_bars(n: int, seed: int, tick: float = 0.01) -> Data:
    rng = np.random.default_rng(seed)
    rows: list[tuple[float, ...]] = [(100.0, 100.5, 99.5, 100.0)]
    while len(rows) < n:
        rows += _motif(rng, rows[-1][3], rows[-1])
    return _from_rows(rows[:n], tick)


def knife_edge_bars(n: int, seed: int) -> Data:
    """Bars on a 0.01 grid whose thresholds tie in exact arithmetic: most ranges are exactly 100
    ticks, so a doji's or a very short shadow's limit is 10 ticks, "near" 20 and "far" 60, and
    bodies, shadows and gaps are such tick counts. The float rounding of the running totals
    then decides the comparison, so a total summed in another order than TA-Lib's shows up.
    Runs of one colour (short shadow on the run's side) make the three-bar patterns."""
    rng = np.random.default_rng(seed)
    run = np.cumprod(np.where(rng.random(n) < 0.25, -1, 1))
    span = np.where(rng.random(n) < 0.1, 200, 100)
    gap = rng.choice([0, 10, 20, 20, 60, 100], n) * np.where(rng.random(n) < 2 / 3, -run, run)
    body = rng.choice([0, 10, 10, 20, 40, 60, 80, 100], n)
    move = body * np.where(rng.random(n) < 0.8, run, -run)
    short = np.minimum(rng.choice([0, 0, 10, 10, 20, -1, -2], n), span - body)
    short = np.where(short == -1, body, np.where(short == -2, span - body, short))
    long_ = span - body - short
    flip = (run < 0) == (rng.random(n) < 0.8)  # the short shadow mostly on the run's side
    up, dn = np.where(flip, long_, short), np.where(flip, short, long_)
    close = 10_000 + np.cumsum(gap + move)
    open_ = close - move
    top, bot = np.maximum(open_, close), np.minimum(open_, close)
    return {"open": open_ / 100, "high": (top + up) / 100, "low": (bot - dn) / 100,
            "close": close / 100}


def random_walk(n: int, seed: int) -> Data:
    rng = np.random.default_rng(seed)
    c = 100.0 * np.exp(np.cumsum(rng.standard_normal(n) * 0.01))
    o = np.r_[100.0, c[:-1]] + rng.standard_normal(n) * 0.05
    return {"open": o, "high": np.maximum(o, c) + rng.random(n) * 0.5,
            "low": np.minimum(o, c) - rng.random(n) * 0.5, "close": c}


# ------------------------------------------------------------------------------ TA-Lib parity
# name -> ((kwargs for ours, kwargs for TA-Lib), ...) : penetrations incl. TA-Lib's default.
PARAMS: dict[str, list[dict[str, float]]] = {
    "cdldarkcloudcover": [{}, {"penetration": 0.0}, {"penetration": 0.5}, {"penetration": 1.0}],
    "cdlmorningstar": [{}, {"penetration": 0.0}, {"penetration": 0.3}, {"penetration": 0.8}],
    "cdleveningstar": [{}, {"penetration": 0.0}, {"penetration": 0.3}, {"penetration": 0.8}],
}


def ours_and_talib(name: str, d: Data, **kw: float) -> tuple[np.ndarray, np.ndarray]:
    cols = [d[k] for k in COLS]
    return cdl.PATTERNS[name](*cols, **kw), getattr(talib, name.upper())(*cols, **kw)


def assert_equal(name: str, got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == np.int32 and got.shape == want.shape, name
    assert not got.flags.writeable, f"{name} must be read-only"
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, (f"{name}: {bad.size} bars differ from TA-Lib, first at {bad[:5]}: "
                           f"ours {got[bad[:5]]}, TA-Lib {want[bad[:5]]}")


def all_cases() -> list[Any]:
    return [pytest.param(name, kw, id=f"{name}-{kw.get('penetration', 'default')}")
            for name in cdl.PATTERNS for kw in PARAMS.get(name, [{}])]


DATASETS: dict[str, Callable[[int], Data]] = {
    "motifs": lambda s: motif_bars(20_000, s),
    "motifs-coarse": lambda s: motif_bars(20_000, s, tick=0.25),
    "knife-edge": lambda s: knife_edge_bars(1_000_000, s),
    "random-walk": lambda s: random_walk(20_000, s),
}


@pytest.fixture(scope="module")
def data() -> dict[str, list[Data]]:
    return {k: [make(s) for s in (1, 2, 3)] for k, make in DATASETS.items()}


@pytest.mark.parametrize("dataset", list(DATASETS))
@pytest.mark.parametrize(("name", "kw"), all_cases())
def test_matches_talib(data: dict[str, list[Data]], dataset: str, name: str,
                       kw: dict[str, float]) -> None:
    for k, d in enumerate(data[dataset]):
        assert_equal(f"{dataset}[{k}]:{name}{kw}", *ours_and_talib(name, d, **kw))


@pytest.mark.parametrize("name", list(cdl.PATTERNS))
def test_every_pattern_fires_in_the_test_data(data: dict[str, list[Data]], name: str) -> None:
    """The parity tests are not vacuous: TA-Lib finds each pattern (and each of its values,
    ±80 included) many times in the motif and knife-edge data."""
    for dataset, least in (("motifs", 200), ("knife-edge", 15)):
        values = np.concatenate([ours_and_talib(name, d)[1] for d in data[dataset]])
        kinds, counts = np.unique(values[values != 0], return_counts=True)
        expected = {"cdlengulfing": 4, "cdlharami": 4}.get(name, 1)
        assert kinds.size == expected, (dataset, name, kinds)
        assert counts.min() >= least, (dataset, name, dict(zip(kinds, counts, strict=True)))


@pytest.fixture(scope="module")
def long_motifs() -> Data:
    return motif_bars(300_000, 11)


@pytest.mark.parametrize("name", list(cdl.PATTERNS))
def test_long_series_match_talib(long_motifs: Data, name: str) -> None:
    # Running totals over 3e5 bars: any drift from TA-Lib's summation order would show.
    assert_equal(name, *ours_and_talib(name, long_motifs))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 11, 12, 13, 14, 40])
def test_short_series_and_lookback_match_talib(n: int) -> None:
    d = motif_bars(max(n, 1), 5)
    d = {k: v[:n] for k, v in d.items()}
    for name in cdl.PATTERNS:
        assert_equal(f"{name}[n={n}]", *ours_and_talib(name, d))


def test_lookback_table_is_talibs() -> None:
    from talib import abstract

    assert set(cdl.LOOKBACK) == set(cdl.PATTERNS)
    for name, lb in cdl.LOOKBACK.items():
        assert abstract.Function(name.upper()).lookback == lb, name


@pytest.mark.parametrize("where", ["leading", "inside", "leading-partial", "all"])
def test_nan_input_behaves_as_in_talib(where: str) -> None:
    d = {k: v.copy() for k, v in motif_bars(3000, 8).items()}
    if where == "leading":
        for k in COLS:
            d[k][:7] = np.nan
    elif where == "leading-partial":  # one column NaN at the start, another a bit later
        d["low"][:3] = np.nan
        d["open"][5] = np.nan
    elif where == "inside":
        d["close"][1500] = np.nan
        d["high"][2200] = np.nan
    else:
        for k in COLS:
            d[k][:] = np.nan
    for name in cdl.PATTERNS:
        assert_equal(f"{name}[{where}]", *ours_and_talib(name, d))


def test_inputs_are_converted_like_the_indicators() -> None:
    d = motif_bars(2000, 4)
    strided = {k: np.repeat(v, 2)[::2] for k, v in d.items()}
    as32 = {k: v.astype(np.float32) for k, v in d.items()}
    ro = {k: v.copy() for k, v in d.items()}
    for v in ro.values():
        v.flags.writeable = False
    widened = {k: v.astype(np.float64) for k, v in as32.items()}
    for name, f in cdl.PATTERNS.items():
        _, want = ours_and_talib(name, d)
        assert_equal(f"{name}-strided", f(*(strided[k] for k in COLS)), want)
        assert_equal(f"{name}-readonly", f(*(ro[k] for k in COLS)), want)
        # TA-Lib refuses float32; ours widens it, so it must equal TA-Lib on the widened data.
        assert_equal(f"{name}-float32", f(*(as32[k] for k in COLS)),
                     ours_and_talib(name, widened)[1])


def market_files() -> list[Any]:
    if not MARKET.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(
            reason=f"../shared/data/market not found: {MARKET}"), id="missing")]
    return [pytest.param(p, id=p.name) for p in sorted(MARKET.iterdir()) if p.is_file()]


@pytest.mark.shared_data
@pytest.mark.parametrize("path", market_files())
def test_matches_talib_on_market_files(path: Path) -> None:
    """Every file: the daily ones, and the intraday, weekly and monthly ones too."""
    from drummond_desktop.feeds.csv_bars import read_csv_bars

    bars = read_csv_bars(path)
    d = {k: np.array(getattr(bars, k)) for k in COLS}
    fired = 0
    for name, kw in ((n, k) for n in cdl.PATTERNS for k in PARAMS.get(n, [{}])):
        got, want = ours_and_talib(name, d, **kw)
        assert_equal(f"{path.name}:{name}{kw}", got, want)
        fired += int(np.count_nonzero(want))
    assert fired > 0, f"{path.name}: no pattern at all, the comparison proved nothing"


# ---------------------------------------------------------------------------------- bad input
X = np.linspace(10.0, 11.0, 50)
NOT_NUMBER: Any = "0.3"


@pytest.mark.parametrize(("call", "match"), [
    (lambda: cdl.cdl_doji(X, X[:-1], X, X), "cdl_doji: high has 49 values but open has 50"),
    (lambda: cdl.cdl_hammer(X, X, X, X[:10]), "cdl_hammer: close has 10 values"),
    (lambda: cdl.cdl_engulfing(np.arange(50), X, X, X),
     "cdl_engulfing: open must be a float array, got dtype int64"),
    (lambda: cdl.cdl_harami(X, X, X.astype(object), X), "cdl_harami: low must be a float"),
    (lambda: cdl.cdl_shooting_star(X, X.reshape(5, 10), X, X),
     "cdl_shooting_star: high must be one-dimensional"),
    (lambda: cdl.cdl_dark_cloud_cover(X, X, X, X, -0.1),
     "cdl_dark_cloud_cover: penetration must be >= 0"),
    (lambda: cdl.cdl_morning_star(X, X, X, X, float("nan")),
     "cdl_morning_star: penetration must be finite"),
    (lambda: cdl.cdl_evening_star(X, X, X, X, NOT_NUMBER),
     "cdl_evening_star: penetration must be a number"),
    (lambda: cdl.cdl_evening_star(X, X, X, X, True),
     "cdl_evening_star: penetration must be a number"),
])
def test_bad_input_names_the_argument(call: Callable[[], object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_patterns_are_talibs_names() -> None:
    assert sorted(cdl.PATTERNS) == sorted([
        "cdldoji", "cdlhammer", "cdlhangingman", "cdlengulfing", "cdlharami", "cdlpiercing",
        "cdldarkcloudcover", "cdlmorningstar", "cdleveningstar", "cdl3whitesoldiers",
        "cdl3blackcrows", "cdlshootingstar"])
    for name in cdl.PATTERNS:
        assert callable(getattr(talib, name.upper()))
    with pytest.raises(TypeError):
        cdl.PATTERNS["cdlx"] = cdl.cdl_doji  # type: ignore[index]


def test_import_loads_no_numba() -> None:
    code = "import sys, engine.indicators.candles; sys.exit('numba' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False).returncode == 0
