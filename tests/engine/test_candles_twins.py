"""Slow, obvious twins of the candlestick kernels, and TA-Lib's rounding of the penetration.

The twins restate TA-Lib's rules plainly: its candle settings as a table, each average as a
running total kept the way TA-Lib keeps it, each pattern as one ``and`` chain. They must agree
with the kernels and with TA-Lib bar for bar. The second part builds bars whose last close
sits exactly where ``close ± body * penetration`` rounds differently fused (one rounding) and
unfused (two): the x86-64 TA-Lib 0.8 library runs an FMA build of CDLMORNINGSTAR on an FMA CPU
and plain builds of CDLEVENINGSTAR and CDLDARKCLOUDCOVER, and the kernels must follow it on
every such bar (see the module docstring of ``engine.nb.candles``).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest

import engine.indicators.candles as cdl
from tests.engine.test_candles import (
    COLS,
    Data,
    knife_edge_bars,
    motif_bars,
    ours_and_talib,
)

talib = pytest.importorskip("talib", reason="TA-Lib is a dev dependency (uv sync --group dev)")


# TA_CandleDefaultSettings (ta_global.c) written out: range measured, averaging period, factor.
SETTINGS = {
    "BodyLong": ("body", 10, 1.0), "BodyShort": ("body", 10, 1.0),
    "BodyDoji": ("high-low", 10, 0.1), "ShadowLong": ("body", 0, 1.0),
    "ShadowVeryShort": ("high-low", 10, 0.1), "Near": ("high-low", 5, 0.2),
    "Far": ("high-low", 5, 0.6),
}


class Bars:
    def __init__(self, d: Data) -> None:
        self.o, self.h, self.l, self.c = (d[k].tolist() for k in COLS)

    def white(self, i: int) -> bool:
        return self.c[i] >= self.o[i]

    def body(self, i: int) -> float:
        return abs(self.c[i] - self.o[i])

    def top(self, i: int) -> float:
        return max(self.o[i], self.c[i])

    def bottom(self, i: int) -> float:
        return min(self.o[i], self.c[i])

    def upper(self, i: int) -> float:
        return self.h[i] - self.top(i)

    def lower(self, i: int) -> float:
        return self.bottom(i) - self.l[i]

    def measure(self, what: str, i: int) -> float:
        return self.body(i) if what == "body" else self.h[i] - self.l[i]


class Average:
    """One TA-Lib candle average: the running total of a setting's range over the ``period``
    bars before bar ``i - lag``, started at the first evaluated bar and updated after each."""

    def __init__(self, bars: Bars, setting: str, lag: int, first: int) -> None:
        self.bars, self.lag = bars, lag
        self.what, self.period, self.factor = SETTINGS[setting]
        self.total = 0.0
        for k in range(first - lag - self.period, first - lag):
            self.total += bars.measure(self.what, k)

    def at(self, i: int) -> float:
        if self.period == 0:  # "compare with this bar itself"
            return self.factor * self.bars.measure(self.what, i - self.lag)
        return self.factor * (self.total / self.period)

    def advance(self, i: int) -> None:
        k = i - self.lag
        b = self.bars
        self.total += b.measure(self.what, k) - b.measure(self.what, k - self.period)


Rule = Callable[[Bars, int, dict[str, float]], int]
# name -> (bars in the pattern, {average name: (setting, lag)}, rule at bar i)
TWINS: dict[str, tuple[int, dict[str, tuple[str, int]], Rule]] = {
    "cdldoji": (1, {"doji": ("BodyDoji", 0)}, lambda b, i, a: 100 * (b.body(i) <= a["doji"])),
    "cdlhammer": (2, {"short": ("BodyShort", 0), "long": ("ShadowLong", 0),
                      "tiny": ("ShadowVeryShort", 0), "near": ("Near", 1)},
                  lambda b, i, a: 100 * (b.body(i) < a["short"] and b.lower(i) > a["long"]
                                         and b.upper(i) < a["tiny"]
                                         and b.bottom(i) <= b.l[i - 1] + a["near"])),
    "cdlhangingman": (2, {"short": ("BodyShort", 0), "long": ("ShadowLong", 0),
                          "tiny": ("ShadowVeryShort", 0), "near": ("Near", 1)},
                      lambda b, i, a: -100 * (b.body(i) < a["short"] and b.lower(i) > a["long"]
                                              and b.upper(i) < a["tiny"]
                                              and b.bottom(i) >= b.h[i - 1] - a["near"])),
    "cdlshootingstar": (2, {"short": ("BodyShort", 0), "long": ("ShadowLong", 0),
                            "tiny": ("ShadowVeryShort", 0)},
                        lambda b, i, a: -100 * (b.bottom(i) > b.top(i - 1)
                                                and b.body(i) < a["short"]
                                                and b.upper(i) > a["long"]
                                                and b.lower(i) < a["tiny"])),
    "cdlengulfing": (3, {}, lambda b, i, a: engulfing(b, i)),
    "cdlharami": (2, {"long": ("BodyLong", 1), "short": ("BodyShort", 0)},
                  lambda b, i, a: harami(b, i, a)),
    "cdlpiercing": (2, {"long1": ("BodyLong", 1), "long2": ("BodyLong", 0)},
                    lambda b, i, a: 100 * (not b.white(i - 1) and b.body(i - 1) > a["long1"]
                                           and b.white(i) and b.body(i) > a["long2"]
                                           and b.o[i] < b.l[i - 1] and b.c[i] < b.o[i - 1]
                                           and b.c[i] > fused(b.body(i - 1), 0.5, b.c[i - 1]))),
    "cdldarkcloudcover": (2, {"long": ("BodyLong", 1)},
                          lambda b, i, a: -100 * (b.white(i - 1) and b.body(i - 1) > a["long"]
                                                  and not b.white(i) and b.o[i] > b.h[i - 1]
                                                  and b.o[i - 1] < b.c[i]
                                                  < b.c[i - 1] - b.body(i - 1) * 0.5)),
    "cdlmorningstar": (3, {"long": ("BodyLong", 2), "short": ("BodyShort", 1),
                           "short3": ("BodyShort", 0)}, lambda b, i, a: star(b, i, a, +1)),
    "cdleveningstar": (3, {"long": ("BodyLong", 2), "short": ("BodyShort", 1),
                           "short3": ("BodyShort", 0)}, lambda b, i, a: star(b, i, a, -1)),
    "cdl3whitesoldiers": (3, {**{f"tiny{k}": ("ShadowVeryShort", k) for k in (0, 1, 2)},
                              "near2": ("Near", 2), "near1": ("Near", 1), "far2": ("Far", 2),
                              "far1": ("Far", 1), "short": ("BodyShort", 0)},
                          lambda b, i, a: soldiers(b, i, a)),
    "cdl3blackcrows": (4, {f"tiny{k}": ("ShadowVeryShort", k) for k in (0, 1, 2)},
                       lambda b, i, a: crows(b, i, a)),
}


def engulfing(b: Bars, i: int) -> int:
    o, c, po, pc = b.o[i], b.c[i], b.o[i - 1], b.c[i - 1]
    bull = b.white(i) and not b.white(i - 1) and ((c >= po and o < pc) or (c > po and o <= pc))
    bear = not b.white(i) and b.white(i - 1) and ((o >= pc and c < po) or (o > pc and c <= po))
    if not (bull or bear):
        return 0
    return (1 if b.white(i) else -1) * (100 if o != pc and c != po else 80)


def harami(b: Bars, i: int, a: dict[str, float]) -> int:
    if not (b.body(i - 1) > a["long"] and b.body(i) <= a["short"]):
        return 0
    sign = -1 if b.white(i - 1) else 1
    if b.top(i) < b.top(i - 1) and b.bottom(i) > b.bottom(i - 1):
        return sign * 100
    if b.top(i) <= b.top(i - 1) and b.bottom(i) >= b.bottom(i - 1):
        return sign * 80
    return 0


def fused(a: float, b: float, c: float) -> float:
    """``a * b + c`` rounded once (what an FMA instruction gives)."""
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def star(b: Bars, i: int, a: dict[str, float], s: int, pen: float = 0.3) -> int:
    """Morning star for s = +1, evening star for s = -1 (the same shape mirrored). TA-Lib 0.8
    rounds the morning star's threshold once (fused) and the evening star's twice."""
    first, third = i - 2, i
    gap = (b.top(i - 1) < b.bottom(first)) if s > 0 else (b.bottom(i - 1) > b.top(first))
    closes_in = (b.c[third] > fused(b.body(first), pen, b.c[first]) if s > 0
                 else b.c[third] < b.c[first] - b.body(first) * pen)
    ok = (b.white(first) == (s < 0) and b.white(third) == (s > 0) and gap and closes_in
          and b.body(first) > a["long"] and b.body(i - 1) <= a["short"]
          and b.body(third) > a["short3"])
    return s * 100 if ok else 0


def soldiers(b: Bars, i: int, a: dict[str, float]) -> int:
    k1, k2, k3 = i - 2, i - 1, i
    ok = (all(b.white(k) for k in (k1, k2, k3))
          and all(b.upper(i - lag) < a[f"tiny{lag}"] for lag in (2, 1, 0))
          and b.c[k3] > b.c[k2] > b.c[k1]
          and b.o[k1] < b.o[k2] <= b.c[k1] + a["near2"]
          and b.o[k2] < b.o[k3] <= b.c[k2] + a["near1"]
          and b.body(k2) > b.body(k1) - a["far2"] and b.body(k3) > b.body(k2) - a["far1"]
          and b.body(k3) > a["short"])
    return 100 if ok else 0


def crows(b: Bars, i: int, a: dict[str, float]) -> int:
    k1, k2, k3 = i - 2, i - 1, i
    ok = (b.white(i - 3) and not any(b.white(k) for k in (k1, k2, k3))
          and b.c[k1] < b.o[k2] < b.o[k1] and b.c[k2] < b.o[k3] < b.o[k2]
          and b.h[i - 3] > b.c[k1] > b.c[k2] > b.c[k3]
          and all(b.lower(i - lag) < a[f"tiny{lag}"] for lag in (2, 1, 0)))
    return -100 if ok else 0


def twin(name: str, d: Data) -> np.ndarray:
    size, averages, rule = TWINS[name]
    bars = Bars(d)
    n = len(bars.o)
    # TA-Lib's lookback: the longest average, reaching back from the bar it measures.
    first = max([SETTINGS[s][1] + lag for s, lag in averages.values()] + [size - 1])
    out = [0] * n
    avgs = {k: Average(bars, s, lag, first) for k, (s, lag) in averages.items()} if n > first \
        else {}
    for i in range(first, n):
        out[i] = rule(bars, i, {k: avg.at(i) for k, avg in avgs.items()})
        for avg in avgs.values():
            avg.advance(i)
    return np.array(out, dtype=np.int32)


@pytest.mark.parametrize("name", list(cdl.PATTERNS))
def test_kernels_match_slow_twins(name: str) -> None:
    """The twins restate TA-Lib's rules and averages plainly; they must agree with the kernels
    (and so with TA-Lib) bar for bar, lookback included."""
    assert set(TWINS) == set(cdl.PATTERNS)
    for d in (motif_bars(4000, 21), knife_edge_bars(20_000, 22), motif_bars(30, 23)):
        ours, ref = ours_and_talib(name, d)
        slow = twin(name, d)
        np.testing.assert_array_equal(slow, ref, err_msg=f"{name}: the twin is not TA-Lib")
        np.testing.assert_array_equal(ours, slow, err_msg=name)
        assert np.count_nonzero(slow) > 0 or d["open"].size < 100, name


# --------------------------------------------------------------- rounding of the penetration
def _quiet(n: int, p: float) -> list[tuple[float, float, float, float]]:
    """Bars with body 0.5 and range 1, so the long/short body averages are known."""
    return [(p + k * 0.5, p + k * 0.5 + 0.75, p + k * 0.5 - 0.25, p + k * 0.5 + 0.5)
            for k in range(n)]


def on_the_edge(kind: str, seed: int, count: int) -> list[tuple[Data, float, bool, bool]]:
    """Complete patterns whose last close sits on ``c1 ± b1 * pen`` where the fused and the
    unfused rounding disagree; with whether each would fire."""
    rng = np.random.default_rng(seed)
    cases: list[tuple[Data, float, bool, bool]] = []
    while len(cases) < count:
        pen = float(rng.choice([0.1, 0.2, 0.3, 0.6, 0.7, 0.8, 0.9]))
        c1 = round(float(rng.uniform(100, 110)), 2)
        b1 = round(float(rng.uniform(3, 6)), 2)
        s = 1.0 if kind == "cdlmorningstar" else -1.0  # morning: black first bar, rising end
        o1 = c1 + s * b1
        b1 = abs(c1 - o1)
        plain, one = c1 + s * (b1 * pen), fused(s * b1, pen, c1)
        if plain == one:
            continue
        c3 = max(plain, one) if s > 0 else min(plain, one)  # fires with one rounding only
        rows = _quiet(12, 100.0)
        hi1, lo1 = max(o1, c1) + 0.1, min(o1, c1) - 0.1
        if kind == "cdldarkcloudcover":
            rows += [(o1, hi1, lo1, c1), (c1 + 0.5, c1 + 0.6, c3 - 0.1, c3)]
        else:  # the star gaps 1.0 beyond the first close, the third bar closes on the edge
            star = c1 - s * 1.0
            rows += [(o1, hi1, lo1, c1), (star, star + 0.2, star - 0.2, star - s * 0.05),
                     (star, max(star, c3) + 0.1, min(star, c3) - 0.1, c3)]
        a = np.array(rows)
        d = {k: np.ascontiguousarray(a[:, i]) for i, k in enumerate(COLS)}
        if s > 0:
            cases.append((d, pen, c3 > one, c3 > plain))
        else:
            cases.append((d, pen, c3 < one, c3 < plain))
    return cases


@pytest.mark.parametrize(("name", "rounding"), [
    ("cdlmorningstar", "fused"), ("cdleveningstar", "two roundings"),
    ("cdldarkcloudcover", "two roundings"),
])
def test_penetration_threshold_rounds_as_talib(name: str, rounding: str) -> None:
    cases = on_the_edge(name, 17, 150)
    for d, pen, fires_fused, fires_plain in cases:
        assert fires_fused != fires_plain  # each case separates the two roundings
        got, want = ours_and_talib(name, d, penetration=pen)
        expected = fires_fused if rounding == "fused" else fires_plain
        assert bool(want[-1]) == expected, f"{name}: TA-Lib does not round {rounding} (pen {pen})"
        assert got[-1] == want[-1], f"{name} pen={pen}: ours {got[-1]}, TA-Lib {want[-1]}"
    fired = sum(bool(ours_and_talib(name, d, penetration=p)[1][-1]) for d, p, *_ in cases)
    assert 0 < fired < len(cases)  # both outcomes occur, so the comparison is not vacuous
