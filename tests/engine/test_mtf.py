"""engine.mtf (spec §B9): the HTF overlay against the spec's searchsorted twin and against "what
was known at the bar's open", the no-look-ahead property (recomputing on truncated input leaves
every earlier value and flag unchanged), constant periods, the forming last period, the live
dot, coordination flags and confluence against plain twins, ladders, and the shared market
files (daily -> weekly/monthly, 5- and 1-minute -> 15m/60m)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from drummond_desktop.feeds.csv_bars import read_csv_bars
from engine import Bars
from engine.drummond import DGParams, Level, State, analyze, live_projection, zones
from engine.drummond.zones import tolerance
from engine.mtf import (
    LADDERS,
    Ladder,
    MTFResult,
    Overlay,
    analyze_ladder,
    as_ladder,
    confluence,
    htf_containing,
    overlay,
)
from engine.mtf.overlay import COMPLETED, PROJECTED
from engine.resample import SESSIONS, Session, resample
from tests.synthetic import walk_bars

US = SESSIONS["US"]
_NY = ZoneInfo("America/New_York")
XETRA = SESSIONS["XETRA"]
FDAX = Session("Europe/Berlin", time(9, 0), time(22, 0), name="FDAX 09-22")
LIVE = ("pldot", "etop", "ebot", "one_one_dot", "one_one_high", "one_one_low")
FLAGS = ("coordinated_up", "coordinated_down", "conflicting", "htf_support_test",
         "htf_resistance_test")


# ------------------------------------------------------------------------------ bar series
def utc(year: int, month: int, day: int) -> int:
    return int(datetime(year, month, day, tzinfo=UTC).timestamp())


def weekdays(start: date, count: int, seed: int = 0, holidays: float = 0.0) -> Bars:
    """``count`` daily bars on the US trading days from ``start`` (weekdays but the built-in
    calendar's holidays; a share ``holidays`` of them left out as well)."""
    from engine.resample import SESSIONS

    closed = SESSIONS["US"].holidays
    rng = np.random.default_rng(seed)
    days: list[int] = []
    d = start
    while len(days) < count:
        if d.weekday() < 5 and d not in closed and rng.random() >= holidays:
            days.append(utc(d.year, d.month, d.day))
        d += timedelta(days=1)
    return walk_bars(np.array(days), seed, timeframe="1d", symbol="X.US")


def us_minutes(first: date, sessions: int, step: int = 60, seed: int = 0) -> Bars:
    """Every ``step``-second bar of ``sessions`` US sessions (09:30-16:00 New York) from
    ``first``, weekends skipped."""
    ts: list[int] = []
    d = first
    while sessions:
        if d.weekday() < 5:
            open_ = int(datetime.combine(d, time(9, 30), tzinfo=_NY).timestamp())
            ts += range(open_, open_ + 390 * 60, step)
            sessions -= 1
        d += timedelta(days=1)
    return walk_bars(np.array(ts), seed, timeframe={60: "1m", 300: "5m"}[step],
                     symbol="X.US")



# ------------------------------------------------------------------------------ the twins
def spec_twin(bars: Bars, rule: str, session: Session, params: DGParams | None = None,
              ) -> dict[str, np.ndarray]:
    """Spec §B11 ``dg_overlay``: pidx = searchsorted(HTF period starts, LTF time, 'right') - 1;
    projected values at pidx, state at pidx - 1; the HTF analysed on its complete periods; the
    next bar in the last period while it is forming, else in the next."""
    res = resample(bars, rule, session=session)
    m = len(res.bars) - (0 if res.complete[-1] else 1)
    htf = analyze(res.bars[:m], params)
    pidx = np.searchsorted(res.period_start, bars.ts, side="right") - 1
    pidx = np.r_[pidx, len(res.bars) - 1 + int(res.complete[-1])]
    out: dict[str, np.ndarray] = {"period": pidx}
    for name in PROJECTED:
        a = getattr(htf, name)
        out[name] = np.array([a[p] if p >= 0 else np.nan for p in pidx])
    for name in COMPLETED:
        a = getattr(htf, name)
        out[name] = np.array([a[p - 1] if p >= 1 else (np.nan if a.dtype.kind == "f" else 0)
                              for p in pidx], dtype=a.dtype)
    return out


def known_at_open(bars: Bars, rule: str, session: Session, i: int) -> dict[str, float]:
    """What is known of the ``rule`` timeframe when bar i opens: its complete periods among
    bars[:i] at the clock ts[i], their projection for the next period and the last state."""
    res = resample(bars[:i], rule, session=session, now=float(bars.ts[i]))
    done = res.bars if res.last_complete else res.bars[:len(res.bars) - 1]
    r = analyze(done)
    out = {name: float(getattr(r, name)[-1]) for name in PROJECTED}
    out["state"] = float(r.state[-1]) if len(done) else 0.0
    out["trend_dir"] = float(r.trend_dir[-1]) if len(done) else 0.0
    return out


def assert_overlay_equals(ov: Overlay, want: dict[str, np.ndarray], upto: int | None = None):
    for name, arr in want.items():
        np.testing.assert_array_equal(getattr(ov, name)[:upto], arr[:upto], name)


def assert_prefix(full: MTFResult, part: MTFResult, next_bar: bool) -> None:
    """Every value ``part`` (computed on truncated input) has equals ``full``'s, bit for bit;
    the next-bar elements too when ``next_bar``."""
    n = len(part)
    assert len(full) >= n
    upto = n + 1 if next_bar else n
    for tf, ov in part.overlays.items():
        fo = full.overlays[tf]
        for name in ("period", *PROJECTED, *COMPLETED):
            np.testing.assert_array_equal(getattr(ov, name)[:upto], getattr(fo, name)[:upto],
                                          f"{tf} {name} (cut at {n} base bars)")
        if ov.live is not None:
            for name in LIVE:
                np.testing.assert_array_equal(getattr(ov.live, name),
                                              getattr(fo.live, name)[:n], f"{tf} live {name}")
    c, fc = part.coordination, full.coordination
    np.testing.assert_array_equal(c.flow, fc.flow[:, :n], "flow")
    for name in FLAGS:
        np.testing.assert_array_equal(getattr(c, name), getattr(fc, name)[:n], name)
    np.testing.assert_array_equal(part.base.state, full.base.state[:n], "base state")


def flags_twin(r: MTFResult) -> dict[str, np.ndarray]:
    """Spec §B9 flags bar by bar: flows from each timeframe's last completed bar, and the
    support/resistance tests from ``confluence`` (plain Python clustering)."""
    ld, n = r.ladder, len(r)
    b = r.base.bars
    flows = np.zeros((len(ld.timeframes), n), dtype=np.int8)
    for k, tf in enumerate(ld.timeframes):
        res, per = r.result(tf), r.period(tf)
        for i in range(n):
            last = i if tf == ld.base else per[i] - 1
            if last >= 0 and res.state[last] in (State.TREND, State.CONG_EXIT,
                                                 State.TREND_REVERSAL):
                flows[k, i] = res.trend_dir[last]
    f, h = flows[ld.focal_index], flows[ld.focal_index + 1]
    out = {"flow": flows,
           "coordinated_up": np.array([h[i] == 1 and f[i] == 1 for i in range(n)]),
           "coordinated_down": np.array([h[i] == -1 and f[i] == -1 for i in range(n)]),
           "conflicting": np.array([int(h[i]) * int(f[i]) == -1 for i in range(n)])}
    sup = np.zeros(n, dtype=bool)
    res_ = np.zeros(n, dtype=bool)
    for i in range(1, n):
        q = r.period(ld.focal)[i]
        if q < 0 or not np.isfinite(tolerance(r.focal, q)):
            continue
        tau = tolerance(r.focal, q)
        for z in confluence(r, i):
            if not htf_containing(z):
                continue
            sup[i] |= z.kind == "S" and b.low[i] <= z.hi + tau and b.close[i] > z.lo
            res_[i] |= z.kind == "R" and b.high[i] >= z.lo - tau and b.close[i] < z.hi
    out["htf_support_test"], out["htf_resistance_test"] = sup, res_
    return out


def assert_flags(r: MTFResult) -> None:
    want = flags_twin(r)
    np.testing.assert_array_equal(r.coordination.flow, want.pop("flow"), "flow")
    for name, arr in want.items():
        np.testing.assert_array_equal(getattr(r.coordination, name), arr, name)


# ------------------------------------------------------------------------------- overlay
@pytest.mark.parametrize(("rule", "seed", "holidays"), [("1w", 1, 0.0), ("1mo", 2, 0.0),
                                                        ("1w", 3, 0.1), ("1q", 4, 0.05)])
def test_overlay_matches_the_spec_searchsorted_twin(rule, seed, holidays):
    bars = weekdays(date(2020, 1, 1), 700, seed, holidays)
    ov = overlay(bars, rule, session=US)
    assert_overlay_equals(ov, spec_twin(bars, rule, US))
    assert len(ov) == len(bars) and ov.pldot.shape == (len(bars) + 1,)


@pytest.mark.parametrize("rule", ["15m", "1h", "4h", "1d"])
def test_intraday_overlay_matches_the_spec_twin(rule):
    bars = us_minutes(date(2025, 3, 3), 12, step=300, seed=5)  # across the DST change
    assert_overlay_equals(overlay(bars, rule, session=US), spec_twin(bars, rule, US))


def test_bars_outside_the_session_take_the_last_period_begun_before_them():
    # 08:00-18:00 New York: pre-market bars before the first period get NaN and UNDEF, later
    # ones (after hours, next pre-market) the last period that began before them, as the
    # spec's searchsorted does.
    ts: list[int] = []
    for d in (date(2025, 3, 4), date(2025, 3, 5), date(2025, 3, 6)):
        o = int(datetime.combine(d, time(8, 0), tzinfo=_NY).timestamp())
        ts += range(o, o + 10 * 3_600, 300)
    bars = walk_bars(np.array(ts), 3, timeframe="5m", symbol="X.US")
    ov = overlay(bars, "1h", session=US)
    assert_overlay_equals(ov, spec_twin(bars, "1h", US))
    assert ov.period[0] == -1 and np.isnan(ov.pldot[0]) and ov.state[0] == State.UNDEF
    r = analyze_ladder(bars, "intraday", session=US)  # the base drops them like the HTFs
    assert len(r) == len(resample(bars, "5m", session=US).bars) < len(bars)


def test_empty_and_tiny_inputs():
    empty = analyze_ladder(Bars.empty(symbol="X.US", timeframe="1d"), "swing", session=US)
    assert len(empty) == 0 and empty.coordination.flow.shape == (3, 0)
    ov = empty.overlays["1w"]
    assert ov.period.tolist() == [0] and np.isnan(ov.pldot[0])
    for n, nxt in ((1, 0), (4, 0), (5, 1)):  # Mon 10 Jul 2023 on: the week ends after 5 bars
        r = analyze_ladder(weekdays(date(2023, 7, 10), n), "swing", session=US, live=True)
        assert r.overlays["1w"].period.tolist() == [0] * n + [nxt]
        if n < 3:
            with pytest.raises(ValueError, match="confluence needs the focal"):
                confluence(r)
        else:  # the week's 1-1 levels join once it has ended
            tfs = {lv.tf for z in confluence(r) for lv in z.sources}
            assert tfs == ({0, 1} if nxt else {0})


def test_result_accessors():
    r = analyze_ladder(weekdays(date(2023, 1, 1), 200, 5), "swing", session=US)
    assert r.result("1D") is r.base is r.focal and r.result("1M") is r.overlays["1mo"].htf
    assert r.period("1d").tolist() == list(range(201)) and not r.period("1d").flags.writeable
    assert r.period("1w") is r.overlays["1w"].period
    assert r.coordination.flow_of("1w") is not None
    np.testing.assert_array_equal(r.coordination.flow_of("1mo"), r.coordination.flow[2])
    with pytest.raises(ValueError, match=r"1q is not a timeframe of the ladder"):
        r.result("1q")


def test_importing_engine_mtf_loads_neither_numba_nor_pandas():
    import subprocess
    import sys

    code = ("import sys, engine.mtf; "
            "print(sorted(m for m in ('numba', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(("make", "rule"), [
    (lambda: weekdays(date(2021, 6, 1), 130, 7, 0.05), "1w"),
    (lambda: weekdays(date(2021, 6, 1), 130, 8), "1mo"),
    (lambda: us_minutes(date(2025, 11, 3), 3, step=300, seed=9), "1h"),
])
def test_overlay_is_what_was_known_when_the_bar_opened(make, rule):
    bars = make()
    ov = overlay(bars, rule, session=US)
    for i in range(len(bars)):
        want = known_at_open(bars, rule, US, i)
        for name, value in want.items():
            np.testing.assert_array_equal(float(getattr(ov, name)[i]), value, f"{name} {i}")


def test_overlay_is_constant_through_each_period_and_the_arrays_are_frozen():
    bars = weekdays(date(2019, 1, 1), 400, 11)
    ov = overlay(bars, "1w", session=US, live=True)
    per = ov.period
    assert per[0] == 0 and np.all(np.diff(per) >= 0) and np.all(np.diff(per) <= 1)
    starts = np.flatnonzero(np.r_[True, np.diff(per) != 0])
    for name in ("period", *PROJECTED, *COMPLETED):
        a = getattr(ov, name)
        first = np.repeat(a[starts], np.diff(np.r_[starts, per.shape[0]]))
        np.testing.assert_array_equal(a, first, name)
        assert not a.flags.writeable
    assert not ov.live.pldot.flags.writeable  # type: ignore[union-attr]
    with pytest.raises(AttributeError):
        ov.rule = "1mo"  # type: ignore[misc]


def test_a_forming_last_period_is_never_used_as_complete():
    wed = weekdays(date(2023, 7, 10), 38, 3)  # Mon 10 Jul 2023 .. Wed 30 Aug (no holiday)
    assert datetime.fromtimestamp(int(wed.ts[-1]), UTC).weekday() == 2
    ov = overlay(wed, "1w", session=US)
    res = ov.resampled
    assert not res.last_complete and len(ov.htf) == len(res.bars) - 1
    assert ov.period[-1] == ov.period[-2] == len(res.bars) - 1
    # Wild prices in the forming week change nothing but the live dot.
    wild = Bars.from_arrays(wed.ts, wed.open, np.r_[wed.high[:-2], 500.0, 500.0],
                            np.r_[wed.low[:-2], 1.0, 1.0], wed.close, timeframe="1d",
                            symbol="X.US")
    ow = overlay(wild, "1w", session=US, live=True)
    for name in ("period", *PROJECTED, *COMPLETED):
        np.testing.assert_array_equal(getattr(ow, name), getattr(ov, name), name)
    calm = overlay(wed, "1w", session=US, live=True).live
    assert ow.live is not None and calm is not None and ow.live.pldot[-1] != calm.pldot[-1]
    # The week ends on Friday: the next bar is in the next period, with its projection.
    fri = weekdays(date(2023, 7, 10), 40, 3)
    of = overlay(fri, "1w", session=US)
    assert of.resampled.last_complete and of.period[-1] == len(of.resampled.bars)
    assert of.pldot[-1] == of.htf.pldot[-1] and of.state[-1] == of.htf.state[-1]
    # A clock before the week's end keeps it forming.
    early = overlay(fri, "1w", session=US, now=float(fri.ts[-1]) + 3_600)
    assert early.period[-1] == early.period[-2] and len(early.htf) == len(of.htf) - 1


def test_a_forming_base_bar_is_left_out_of_the_ladder():
    minutes = us_minutes(date(2025, 3, 3), 2, seed=4)[:-3]  # the last 5m bar lacks 3 minutes
    r = analyze_ladder(minutes, "intraday", session=US)
    assert r.forming is not None and len(r.forming) == 1
    five = resample(minutes, "5m", session=US)
    assert len(r.base.bars) == len(five.bars) - 1
    assert r.forming.ts[0] == five.bars.ts[-1]
    for ov in r.overlays.values():  # the forming bar's periods: the forming HTF periods
        assert ov.period[-1] == len(ov.resampled.bars) - 1 and not ov.resampled.last_complete


def test_displacement_zero_and_bad_inputs_are_refused():
    bars = weekdays(date(2024, 1, 1), 30)
    with pytest.raises(ValueError, match="displacement=1"):
        overlay(bars, "1w", params=DGParams(displacement=0))
    with pytest.raises(ValueError, match="unknown timeframe '3w'"):
        overlay(bars, "3w")
    with pytest.raises(ValueError, match="cannot build 1h bars from 1d bars"):
        overlay(bars, "1h")
    with pytest.raises(TypeError, match=r"needs engine\.Bars"):
        overlay(bars.close, "1w")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------- the live dot
@pytest.mark.parametrize("params", [DGParams(), DGParams(envelope_mode="hl_avg")])
def test_live_overlay_matches_live_projection_and_ends_on_the_htf_projection(params):
    bars = weekdays(date(2022, 3, 1), 160, 12, 0.05)
    ov = overlay(bars, "1w", session=US, live=True, params=params)
    live = ov.live
    assert live is not None
    htf = ov.htf
    for i in range(len(bars)):
        p = int(ov.period[i])
        start = int(np.flatnonzero(ov.period == p)[0])
        hi, lo, last = bars.high[start:i + 1].max(), bars.low[start:i + 1].min(), bars.close[i]
        if p >= 2:
            want = live_projection(analyze(htf.bars[:p], params), float(hi), float(lo),
                                   float(last))
            for name in LIVE:
                assert getattr(live, name)[i] == getattr(want, name), (name, i)
        else:
            assert np.isnan(live.pldot[i])
            assert live.one_one_dot[i] == pytest.approx((hi + lo + last) / 3, rel=1e-14)
        is_last = i + 1 < len(bars) and ov.period[i + 1] != p
        if is_last and p >= 2:  # the period has ended: live = the HTF projection for p + 1
            for name in ("pldot", "etop", "ebot", "one_one_high", "one_one_low"):
                assert getattr(live, name)[i] == pytest.approx(getattr(htf, name)[p + 1],
                                                               rel=1e-13)


# ------------------------------------------------------------------------ no look-ahead
def _cuts(n: int, every: bool, seed: int, count: int = 40) -> list[int]:
    if every:
        return list(range(1, n))
    return sorted(set(np.random.default_rng(seed).integers(1, n, count).tolist()))


@pytest.mark.parametrize(("ladder", "make", "every"), [
    ("swing", lambda: weekdays(date(2021, 11, 1), 150, 21), True),
    (("1d", "1w"), lambda: weekdays(date(2020, 1, 1), 900, 22, 0.0), False),
    ("position", lambda: weekdays(date(2015, 1, 1), 1600, 23), False),
    ("intraday", lambda: us_minutes(date(2025, 3, 6), 2, seed=24), True),
    (Ladder(("5m", "30m", "1h", "1d"), focal="30m"),
     lambda: us_minutes(date(2025, 10, 30), 6, seed=25), False),
])
def test_truncated_input_leaves_every_earlier_value_and_flag_unchanged(ladder, make, every):
    bars = make()
    full = analyze_ladder(bars, ladder, session=US, live=True)
    for k in _cuts(len(bars), every, seed=len(bars)):
        part = analyze_ladder(bars[:k], ladder, session=US, live=True)
        # These series have every session bar, so the next-bar period is known too.
        assert_prefix(full, part, next_bar=True)


def test_truncated_overlay_with_gaps_keeps_every_bar_value():
    bars = weekdays(date(2018, 1, 1), 500, 31, holidays=0.15)
    full = overlay(bars, "1mo", session=US, live=True)
    for k in _cuts(len(bars), False, 31, 60):
        part = overlay(bars[:k], "1mo", session=US, live=True)
        for name in ("period", *PROJECTED, *COMPLETED):
            np.testing.assert_array_equal(getattr(part, name)[:k], getattr(full, name)[:k],
                                          name)
        for name in LIVE:
            np.testing.assert_array_equal(getattr(part.live, name),
                                          getattr(full.live, name)[:k], name)


# ------------------------------------------------------------------------ coordination
@pytest.mark.parametrize(("ladder", "make"), [
    ("swing", lambda: weekdays(date(2016, 1, 1), 900, 41, 0.03)),
    ("position", lambda: weekdays(date(2005, 1, 1), 2500, 44)),
    ("intraday", lambda: us_minutes(date(2025, 3, 3), 4, seed=43)),
])
def test_coordination_flags_match_the_plain_twin(ladder, make):
    r = analyze_ladder(make(), ladder, session=US)
    assert_flags(r)
    c = r.coordination
    assert c.htf == r.ladder.htf and c.flow.shape == (3, len(r))
    for name in FLAGS:  # both values occur, so the comparison with the twin means something
        assert 0 < getattr(c, name).sum() < len(r), name
    assert not (c.coordinated_up & c.coordinated_down).any()


def test_flags_with_extended_lines_areas_and_without_congestion_levels():
    bars = weekdays(date(2016, 1, 1), 500, 44)
    for params in (DGParams(extended_lines=True, experimental_areas=True),
                   DGParams(zone_congestion_levels=False, k_zone=0.3),
                   DGParams(tick=0.01, zone_ticks=5)):
        assert_flags(analyze_ladder(bars, "swing", params=params, session=US))


# --------------------------------------------------------------------------- confluence
def test_confluence_with_a_daily_focal_is_the_engines_zones_plus_htf_levels():
    r = analyze_ladder(weekdays(date(2017, 1, 1), 400, 51), "swing", session=US)
    for i in (60, 150, 399, 400):
        extra = [replace(lv, tf=step + 1) for step, tf in enumerate(("1w", "1mo"))
                 for lv in _levels(r, tf, i)]
        want = zones(r.base, i, extra_levels=extra)
        got = confluence(r, i)
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            assert (g.lo, g.hi, g.mid, g.kind, g.strength, g.tf_count, g.nearby, g.weight) == (
                w.lo, w.hi, w.mid, w.kind, w.strength, w.tf_count, w.nearby, w.weight)
    assert any(z.tf_count >= 2 for z in confluence(r))


def _levels(r: MTFResult, tf: str, i: int) -> list[Level]:
    from engine.drummond.zones import focal_levels

    return focal_levels(r.result(tf), int(r.period(tf)[i]))


def test_confluence_tolerance_is_the_focal_ar3():
    # Intraday: base 5m, focal 15m, HTF 1h; tau comes from the three 15m bars before the
    # period (computed here from the resampled bars, not from the engine's AR3).
    bars = us_minutes(date(2025, 3, 3), 3, seed=52)
    r = analyze_ladder(bars, "intraday", session=US)
    fifteen = resample(bars, "15m", session=US).bars
    for i in (40, 100, len(r)):
        q = int(r.period("15m")[i])
        tau = 0.1 * float(np.mean(fifteen.high[q - 3:q] - fifteen.low[q - 3:q]))
        zl = confluence(r, i)
        for z in zl:
            prices = [lv.price for lv in z.sources]
            assert np.all(np.diff(prices) <= tau * (1 + 1e-12))
            assert z.hi - z.lo <= 2 * tau * (1 + 1e-12)
        # A gap above tau always splits; a gap within tau only where the width cap does.
        assert all(b.lo - a.hi > tau * (1 - 1e-12) or b.lo - a.lo > 2 * tau * (1 - 1e-12)
                   for a, b in itertools.pairwise(zl))
        close = float(r.base.bars.close[i - 1])
        for z in zl:
            assert z.kind == ("R" if z.lo > close else "S" if z.hi < close else "P")
        assert {lv.tf for z in zl for lv in z.sources} == {0, 1}


def test_confluence_weights_per_timeframe():
    r = analyze_ladder(weekdays(date(2017, 1, 1), 400, 53), "swing", session=US)
    custom = confluence(r, tf_weights=(1.0, 10.0, 100.0))
    src_w = {"PL": 1.0, "ETOP": 1.0, "EBOT": 1.0, "OOH": 0.75, "OOL": 0.75}
    for z in custom:
        pairs = {(lv.tf, lv.source) for lv in z.sources}
        want = sum((1.0, 10.0, 100.0)[tf] * src_w.get(s, 0.5 if s in ("HH", "LL", "LH", "HL")
                                                         else 1.0) for tf, s in pairs)
        assert z.weight == pytest.approx(want)
        assert z.strength == len(pairs) and z.tf_count == len({tf for tf, _ in pairs})
    default = confluence(r)
    pl = {lv.tf: z.weight for z in default for lv in z.sources if lv.source == "PL"
          and z.strength == 1}
    assert all(pl[tf] == 1.5 ** tf for tf in pl)  # a lone PL: 1.0 focal, 1.5 W, 2.25 M
    with pytest.raises(ValueError, match="one weight per timeframe from the focal up"):
        confluence(r, tf_weights=(1.0, 2.0))
    with pytest.raises(ValueError, match=r"tf_weights\[1\] must be a finite number > 0"):
        confluence(r, tf_weights=(1.0, -2.0, 3.0))
    with pytest.raises(ValueError, match=r"base bar i must be in 1\.\.400"):
        confluence(r, 401)
    with pytest.raises(ValueError, match="confluence needs the focal"):
        confluence(r, 2)


# ------------------------------------------------------------------------------- ladders
def test_presets_follow_the_spec():
    assert LADDERS["intraday"].timeframes == ("5m", "15m", "1h")
    assert LADDERS["intraday"].focal == "15m" and LADDERS["intraday"].htf == "1h"
    assert LADDERS["swing"].timeframes == ("1d", "1w", "1mo") and LADDERS["swing"].focal == "1d"
    assert LADDERS["position"].timeframes == ("1w", "1mo", "1q")
    assert LADDERS["position"].focal == "1mo"
    assert as_ladder(("1D", "1W", "1M")).timeframes == ("1d", "1w", "1mo")
    assert as_ladder(["1m", "5m", "60m"], focal="5m").timeframes == ("1m", "5m", "1h")
    assert as_ladder("swing", focal="1w").htf == "1mo"


@pytest.mark.parametrize(("spec", "focal", "message"), [
    (("1d",), "", r"needs at least two timeframes"),
    (("1d", "45m"), "", r"unknown timeframe '45m'"),
    (("1w", "1d"), "", r"strictly higher than the one before it; 1d follows 1w"),
    (("1h", "60m"), "", r"strictly higher .* 1h follows 1h"),
    (("2m", "5m"), "", r"5m is not a whole number of 2m bars"),
    (("5m", "10m"), "", r"10m can only be the lowest timeframe"),
    (("1d", "1w"), "1w", r"focal 1w must be below the highest timeframe"),
    (("1d", "1w"), "1h", r"focal '1h' is not one of \('1d', '1w'\)"),
    ("daily", "", r"unknown preset 'daily'"),
    ("1d", "", r"unknown preset '1d'"),
])
def test_bad_ladders_are_named(spec, focal, message):
    with pytest.raises(ValueError, match=message):
        as_ladder(spec, focal)


def test_ladder_inputs_are_checked():
    days = weekdays(date(2024, 1, 1), 60)
    with pytest.raises(ValueError, match="cannot build 5m bars from 1d bars"):
        analyze_ladder(days, "intraday")
    with pytest.raises(ValueError, match=r"bars given for 1q: only the ladder's higher"):
        analyze_ladder({"1d": days, "1q": days}, "swing")
    with pytest.raises(TypeError, match=r"bars\['1w'\] must be engine.Bars"):
        analyze_ladder({"1d": days, "1w": [1, 2]}, "swing")  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="history bars for 1w: bar 1"):
        analyze_ladder({"1d": days[30:], "1w": days[:30]}, "swing", session=US)
    with pytest.raises(ValueError, match="ladder base 1m needs 1m input bars"):
        analyze_ladder(days, ("1m", "5m"))


def test_history_bars_extend_the_htf_without_changing_it():
    days = weekdays(date(2019, 1, 1), 700, 61)
    full = analyze_ladder(days, "swing", session=US)
    k = 333  # a Wednesday-ish cut: the input's first week and month are partial
    weekly = resample(days, "1w", session=US).bars
    monthly = resample(days, "1mo", session=US).bars
    part = analyze_ladder({"1d": days[k:], "1w": weekly, "1M": monthly}, "swing", session=US)
    for tf in ("1w", "1mo"):
        fo, po = full.overlays[tf], part.overlays[tf]
        for name in ("period", *PROJECTED, *COMPLETED):
            np.testing.assert_array_equal(getattr(po, name), getattr(fo, name)[k:], name)


# ------------------------------------------------------------------------ shared market data
@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["nvda-1999-2014.txt", "orcl-1995-2014.txt"])
def test_daily_files_weekly_and_monthly_overlays(market_data_dir: Path, name):
    days = read_csv_bars(market_data_dir / name, symbol="X.US")
    r = analyze_ladder(days, "swing", session=US, live=True)
    for tf in ("1w", "1mo"):
        assert_overlay_equals(r.overlays[tf], spec_twin(days, tf, US))
    for k in _cuts(len(days), False, seed=len(days), count=25):
        # Holidays are not in the built-in session: next-bar values are not compared.
        assert_prefix(r, analyze_ladder(days[:k], "swing", session=US, live=True), False)
    tail = analyze_ladder(days[-700:], "swing", session=US)
    assert_flags(tail)


@pytest.mark.shared_data
def test_stored_weekly_and_monthly_files_as_history(market_data_dir: Path):
    days = read_csv_bars(market_data_dir / "2006-day-001.txt")
    weekly = read_csv_bars(market_data_dir / "2006-week-001.txt")
    monthly = read_csv_bars(market_data_dir / "2006-month-001.txt")
    full = analyze_ladder(days, "swing", session=XETRA)
    k = 120
    part = analyze_ladder({"1d": days[k:], "1w": weekly, "1mo": monthly}, "swing",
                          session=XETRA)
    for tf in ("1w", "1mo"):
        for name in ("period", *PROJECTED, *COMPLETED):
            np.testing.assert_array_equal(getattr(part.overlays[tf], name),
                                          getattr(full.overlays[tf], name)[k:], name)


def _dax_minutes(path: Path, length: int) -> Bars:
    """The shared DAX minute files stamp a bar with its end, in Frankfurt time."""
    raw = read_csv_bars(path, tz="Europe/Berlin")
    return Bars.from_arrays(raw.ts - length, raw.open, raw.high, raw.low, raw.close,
                            raw.volume, timeframe=raw.timeframe, symbol="DAX.XETRA")


@pytest.mark.shared_data
def test_five_minute_file_to_15m_and_60m(market_data_dir: Path):
    five = _dax_minutes(market_data_dir / "2006-min-005.txt", 300)
    r = analyze_ladder(five, "intraday", session=XETRA, live=True)
    assert len(r) == len(five) and r.forming is None
    for tf in ("15m", "1h"):
        assert_overlay_equals(r.overlays[tf], spec_twin(five, tf, XETRA))
    for k in _cuts(len(five), False, seed=5, count=30):
        assert_prefix(r, analyze_ladder(five[:k], "intraday", session=XETRA, live=True), True)
    assert_flags(r)


@pytest.mark.shared_data
def test_one_minute_file_with_forming_bars(market_data_dir: Path):
    ones = _dax_minutes(market_data_dir / "2006-01-02-volume-min-001.txt", 60)
    ones = ones[:8_000]
    r = analyze_ladder(ones, "intraday", session=FDAX, live=True)
    five = resample(ones, "5m", session=FDAX)
    assert len(r) == len(five.bars) - (0 if five.last_complete else 1)
    for k in _cuts(len(ones), False, seed=1, count=30):
        part = analyze_ladder(ones[:k], "intraday", session=FDAX, live=True)
        assert_prefix(r, part, False)  # minutes are missing here and there: no next-bar check
