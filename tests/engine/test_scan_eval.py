"""Evaluating scans: Kleene logic, which element each term reads (focal bars and the last
COMPLETED higher-timeframe bar), and ``scan`` against a slow obvious twin that truncates the
bars at every evaluated bar and reads ``analyze``/``resample``/``zones`` directly."""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

import engine.indicators as ind
from drummond_desktop.feeds.csv_bars import read_csv_bars
from engine import Bars
from engine.drummond import DGParams, State, analyze, zones
from engine.resample import resample
from engine.scan import (
    ScanSyntaxError,
    SeriesValues,
    check_timeframes,
    evaluate,
    evaluate_symbol,
    parse,
    scan,
)
from engine.scan.syntax import Term

NAN = math.nan


def weekdays(start: date, n: int) -> np.ndarray:
    out, d = [], start
    while len(out) < n:
        if d.weekday() < 5:
            out.append((d - date(1970, 1, 1)).days * 86_400)
        d += timedelta(days=1)
    return np.array(out, dtype=np.int64)


def daily(seed: int, n: int = 320, start: date = date(2021, 1, 4), vol: float = 0.02,
          symbol: str | None = None) -> Bars:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.standard_normal(n) * vol))
    open_ = np.r_[close[0], close[:-1]]
    high = np.maximum(open_, close) * (1 + rng.random(n) * 0.01)
    low = np.minimum(open_, close) * (1 - rng.random(n) * 0.01)
    return Bars.from_arrays(weekdays(start, n), open_, high, low, close,
                            rng.random(n) * 1e4 + 1, symbol=symbol or f"S{seed}.US",
                            timeframe="1d")


# ------------------------------------------------------------------------------ Kleene logic
class Fake:
    """Values from a dict: label -> per-row numbers; zone label -> per-row zone arrays."""

    def __init__(self, rows: int, numbers: dict[str, list[float]],
                 zone_rows: dict[str, list[np.ndarray | None]] | None = None) -> None:
        self.rows = rows
        self._n = numbers
        self._z = zone_rows or {}

    def number(self, term: Term) -> np.ndarray:
        return np.array(self._n[term.label], dtype=float)

    def zones(self, term: Term):
        return self._z[term.label]


T, F, U = 1.0, 0.0, NAN
PAIRS = [(a, b) for a in (T, F, U) for b in (T, F, U)]


def _same(got, want):
    np.testing.assert_array_equal(np.asarray(got, dtype=float), np.asarray(want, dtype=float))


def test_and_or_not_follow_kleene_truth_tables():
    vals = Fake(9, {"push_up": [a for a, _ in PAIRS], "push_down": [b for _, b in PAIRS]})

    def kleene_and(a, b):
        return F if F in (a, b) else (U if U in (a, b) or math.isnan(a) or math.isnan(b)
                                       else T)

    def kleene_or(a, b):
        return T if T in (a, b) else (U if math.isnan(a) or math.isnan(b) else F)

    _same(evaluate(parse("push_up and push_down"), vals), [kleene_and(a, b) for a, b in PAIRS])
    _same(evaluate(parse("push_up or push_down"), vals), [kleene_or(a, b) for a, b in PAIRS])
    _same(evaluate(parse("not push_up"), vals), [1 - a for a, _ in PAIRS])
    # false with an unknown part stays false; true with one stays true
    _same(evaluate(parse("push_up and push_down and touch"),
                   Fake(2, {"push_up": [F, T], "push_down": [U, T], "touch": [U, U]})),
          [F, U])


def test_comparisons_and_arithmetic_with_unknowns():
    vals = Fake(5, {"close": [1, 2, NAN, 4, 0], "open": [1, 1, 1, NAN, 0]})
    _same(evaluate(parse("close > open"), vals), [F, T, U, U, F])
    _same(evaluate(parse("close >= open"), vals), [T, T, U, U, T])
    _same(evaluate(parse("close != open"), vals), [F, T, U, U, F])
    _same(evaluate(parse("close / open == 2"), vals), [F, T, U, U, U])  # 0/0: unknown
    _same(evaluate(parse("-close + 2 * open < 0.5 - 1"), vals), [F, F, U, U, F])
    _same(evaluate(parse("1 / (close - close) > 0"), vals), [U, U, U, U, U])


def test_within_needs_a_known_value_and_known_zones():
    z = np.array([[1.0, 2.0], [5.0, 6.0]])
    vals = Fake(5, {"close": [1.5, 3.0, 6.0, NAN, 1.0]},
                {"support_zone": [z, z, z, z, None]})
    _same(evaluate(parse("close within support_zone"), vals), [T, F, T, U, U])


# --------------------------------------------------------------- which element a term reads
def naive_higher(bars: Bars, t: int, rule: str) -> tuple[Bars, int]:
    """The completed ``rule`` bars as of bar ``t``, resampled from ``bars[:t+1]`` alone."""
    built = resample(bars[:t + 1], rule)
    m = len(built.bars) - (0 if built.last_complete else 1)
    return built.bars[:m], m


def test_focal_terms_read_bar_t_and_zones_the_map_for_bar_t():
    bars = daily(1)
    rows = list(range(len(bars) - 6, len(bars)))
    v = SeriesValues(bars, rows, "1d")
    for r, t in enumerate(rows):
        res = analyze(bars[:t + 1])  # nothing after bar t exists for the twin
        expect = {
            "close": bars.close[t], "pldot": res.pldot[t], "ebot": res.ebot[t],
            "state": res.state[t], "trend_dir": res.trend_dir[t], "dotted": res.dotted[t],
            "push_up": res.push_up[t], "trend_up": float(res.trend_dir[t] == 1),
            "congestion": float(res.state[t] in (State.CONG_ENTRANCE, State.CONG_ACTION)),
            "rsi(14)": ind.rsi(bars.close[:t + 1], 14)[t],
            "bb_lower(20, 2.5)": ind.bbands(bars.close[:t + 1], 20, 2.5, 2.5).lower[t],
            "stoch_d": ind.stoch(bars.high[:t + 1], bars.low[:t + 1], bars.close[:t + 1],
                                 14, 3, 3).slowd[t],
            "daily.line_hh": res.line_hh[t],
        }
        for label, want in expect.items():
            term = parse(f"{label} == 0" if label not in ("push_up", "trend_up", "congestion")
                         else label).terms[0]
            np.testing.assert_array_equal(v.number(term)[r], float(want), err_msg=label)
        want_z = [(z.lo, z.hi) for z in zones(res, t) if z.kind == "S"]
        got_z = v.zones(parse("close within support_zone").terms[1])[r]
        assert got_z is not None and [tuple(x) for x in got_z] == want_z


@pytest.mark.parametrize("rule,prefix", [("1w", "weekly"), ("1mo", "monthly")])
def test_higher_timeframes_read_the_last_completed_bar(rule, prefix):
    bars = daily(2, n=400)
    rows = list(range(len(bars) - 12, len(bars)))
    v = SeriesValues(bars, rows, "1d")
    for r, t in enumerate(rows):
        hb, m = naive_higher(bars, t, rule)
        res = analyze(hb)
        expect = {"close": hb.close[m - 1], "pldot": res.pldot[m], "etop": res.etop[m],
                  "state": res.state[m - 1], "trend_up": float(res.trend_dir[m - 1] == 1),
                  "rsi(5)": ind.rsi(hb.close, 5)[m - 1]}
        for label, want in expect.items():
            text = f"{prefix}.{label}" + ("" if label == "trend_up" else " > 0")
            term = parse(text).terms[0]
            np.testing.assert_array_equal(v.number(term)[r], float(want), err_msg=text)
        got = v.zones(parse(f"close within {prefix}.support_zone").terms[1])[r]
        want_z = [(z.lo, z.hi) for z in zones(res, m) if z.kind == "S"]
        assert got is not None and [tuple(x) for x in got] == want_z


def test_a_forming_week_is_never_used():
    bars = daily(3, n=200, start=date(2022, 1, 3))  # Mondays to Fridays, no holidays
    friday = 194  # bar 0 is a Monday: bar 5k+4 is a Friday
    assert (date(1970, 1, 1) + timedelta(days=int(bars.ts[friday]) // 86_400)).weekday() == 4
    wednesday = friday - 2
    term = parse("weekly.close > 0").terms[0]
    on_friday = SeriesValues(bars[:friday + 1], [friday], "1d").number(term)[0]
    on_wednesday = SeriesValues(bars[:wednesday + 1], [wednesday], "1d").number(term)[0]
    assert on_friday == bars.close[friday]  # the week ends with Friday's close: complete
    assert on_wednesday == bars.close[friday - 5]  # mid-week: last week's Friday
    early = SeriesValues(bars[:3], [2], "1d")  # Mon-Wed of the first week: no complete week
    assert math.isnan(early.number(term)[0])
    assert early.zones(parse("close within weekly.zone").terms[1]) == [None]


# ------------------------------------------------------------------------- scan vs the twin
class Naive:
    """Slow obvious twin: every value from the bars truncated at bar ``t``."""

    def __init__(self, bars: Bars, t: int) -> None:
        self.bars, self.t = bars, t
        self.r = analyze(bars[:t + 1])

    def weekly(self) -> tuple[Bars, int, object]:
        hb, m = naive_higher(self.bars, self.t, "1w")
        return hb, m, (analyze(hb) if m else None)


def _brief(n: Naive) -> bool:
    _hb, m, wr = n.weekly()
    if not m:
        return False
    t, r = n.t, n.r
    sup = [z for z in zones(wr, m) if z.kind == "S"]  # type: ignore[arg-type]
    c = n.bars.close[t]
    return bool(wr.trend_dir[m - 1] == 1 and r.state[t] == State.CONG_EXIT  # type: ignore
                and r.trend_dir[t] == 1 and any(z.lo <= c <= z.hi for z in sup))


def _near_support(n: Naive) -> bool:
    t = n.t
    if t < 1:
        return False
    try:
        found = zones(n.r, t)
    except ValueError:
        return False
    return any(z.kind == "S" and z.lo <= n.bars.close[t] <= z.hi for z in found)


TWINS = {
    "rsi(14) < 40 and close > pldot":
        lambda n: ind.rsi(n.bars.close[:n.t + 1], 14)[n.t] < 40 and n.bars.close[n.t]
        > n.r.pldot[n.t],
    "push_up or cwave_up": lambda n: bool(n.r.push_up[n.t] or n.r.cwave_up[n.t]),
    "state == cong_exit or state == reversal":
        lambda n: n.r.state[n.t] in (State.CONG_EXIT, State.TREND_REVERSAL),
    "trend_up and close - pldot > 0.5 * ar3":
        lambda n: n.r.trend_dir[n.t] == 1 and n.bars.close[n.t] - n.r.pldot[n.t]
        > 0.5 * n.r.ar3[n.t],
    "close within support_zone": _near_support,
    "weekly.trend_up and state == cong_exit and trend_dir == 1 and close within "
    "weekly.support_zone": _brief,
    "weekly.close > weekly.pldot and congestion":
        lambda n: (lambda hb, m, wr: m > 0 and hb.close[m - 1] > wr.pldot[m]
                   and n.r.state[n.t] in (2, 3))(*n.weekly()),
}


@pytest.fixture(scope="module")
def universe() -> list[Bars]:
    out = [daily(10 + i, n=150 + 37 * i, vol=0.01 + 0.004 * (i % 5)) for i in range(24)]
    return [*out, daily(99, n=2), Bars.empty(symbol="EMPTY.US", timeframe="1d")]


@pytest.mark.parametrize("text", TWINS)
@pytest.mark.parametrize("lookback", [1, 4])
def test_scan_equals_the_twin_with_and_without_the_prefilter(universe, text, lookback):
    twin = TWINS[text]
    hits = scan(universe, text, "1d", lookback=lookback)
    assert hits == scan(universe, text, "1d", lookback=lookback, prefilter=False)
    want = {}
    for b in universe:
        true_at = [t for t in range(max(len(b) - lookback, 0), len(b)) if twin(Naive(b, t))]
        if true_at:
            want[b.symbol] = true_at[-1]
    assert {h.symbol: h.bar for h in hits} == want
    for h in hits:
        b = next(x for x in universe if x.symbol == h.symbol)
        assert h.bars_ago == len(b) - 1 - h.bar and h.ts == b.ts[h.bar]
        assert h.close == b.close[-1] and h.state == State(analyze(b).state[-1])


def test_enough_scans_match_for_the_twin_test_to_mean_something(universe):
    counts = [len(scan(universe, text, "1d", lookback=4)) for text in TWINS]
    assert sum(c > 0 for c in counts) >= len(TWINS) - 1, counts


def test_hit_values_are_the_terms_at_the_signal_bar():
    b = daily(5, n=300)
    hit = evaluate_symbol(parse("close > 0 and rsi(14) > 0 and (push_up or not push_up) "
                                "and close within zone"), b, "1d", lookback=1)
    res = analyze(b)
    t = len(b) - 1
    if hit is None:  # the close fell in no zone of the map: then nothing else can be checked
        assert not any(z.lo <= b.close[t] <= z.hi for z in zones(res, t))
        return
    assert hit.values["close"] == b.close[t]
    assert hit.values["rsi(14)"] == pytest.approx(ind.rsi(b.close, 14)[t], rel=0, abs=0)
    assert hit.values["push_up"] is bool(res.push_up[t])
    lo, hi = hit.values["zone"]  # type: ignore[misc]
    assert lo <= b.close[t] <= hi


def test_unknown_values_are_reported_as_none():
    b = daily(6, n=10)
    hit = evaluate_symbol(parse("close > 0 or sma(50) > 0"), b, "1d")
    assert hit is not None and hit.values["sma(50)"] is None


def test_timeframes_the_interval_cannot_build_are_refused():
    with pytest.raises(ScanSyntaxError) as info:
        check_timeframes(parse("close > 1 and daily.close > 1"), "1w")
    assert info.value.column == 15 and "daily terms need bars of 1d or finer" in str(info.value)
    with pytest.raises(ScanSyntaxError, match="cannot be built from 1w bars"):
        check_timeframes(parse("monthly.close > 1"), "1w")
    check_timeframes(parse("weekly.close > 1 and monthly.close > 1"), "1h")
    check_timeframes(parse("weekly.close > 1"), "1w")  # its own bars
    with pytest.raises(ValueError, match="unknown scan interval"):
        check_timeframes(parse("close > 1"), "7x")
    with pytest.raises(ValueError, match="lookback"):
        scan([], "close > 1", "1d", lookback=0)


def test_weekly_scans_read_their_own_bars_for_weekly_terms():
    w = resample(daily(7, n=600), "1w").bars
    a = scan([w], "weekly.close == close and weekly.pldot == pldot", "1w")
    assert [h.symbol for h in a] == [w.symbol]


def test_on_symbol_reports_and_can_stop_the_scan(universe):
    seen: list[tuple[int, int]] = []
    scan(universe, "push_up or not push_up", "1d", on_symbol=lambda d, n: seen.append((d, n)))
    n = sum(1 for b in universe if len(b))
    assert seen[0] == (0, n) and seen[-1] == (n, n) and len(seen) == n + 1

    class Stop(Exception):
        pass

    def stop(done: int, total: int) -> None:
        if done == 3:
            raise Stop

    with pytest.raises(Stop):
        scan(universe, "close > 0", "1d", on_symbol=stop)


def test_params_reach_the_batch_and_the_full_evaluation(universe):
    p = DGParams(trend_len=2, reversal_mode="any_opposite")
    hits = scan(universe, "state == reversal", "1d", lookback=5, params=p)
    assert hits == scan(universe, "state == reversal", "1d", lookback=5, params=p,
                        prefilter=False)
    want = {b.symbol for b in universe if len(b)
            and (analyze(b, p).state[-5:] == State.TREND_REVERSAL).any()}
    assert {h.symbol for h in hits} == want


@pytest.mark.shared_data
def test_real_daily_files_scan_like_the_twin(market_data_dir: Path):
    files = ["nvda-1999-2014.txt", "orcl-1995-2014.txt", "yhoo-1996-2015.txt",
             "2006-day-001.txt"]
    uni = [read_csv_bars(market_data_dir / f, symbol=f.split("-")[0].upper() + ".US")
           for f in files]
    brief = next(k for k in TWINS if k.startswith("weekly.trend_up"))
    for text in (brief, "push_up or cwave_up", "close within support_zone"):
        hits = scan(uni, text, "1d", lookback=60)
        want = {}
        for b in uni:
            true_at = [t for t in range(len(b) - 60, len(b)) if TWINS[text](Naive(b, t))]
            if true_at:
                want[b.symbol] = true_at[-1]
        assert {h.symbol: h.bar for h in hits} == want, text
