"""``MTFDataService``: the three-timeframe workspace's data from the demo universe and from a
real SQLite store, checked against ``engine.mtf`` computed directly on the same bars, and
against calendar dates for the mapping between timeframes. (No look-ahead is the engine's,
tested in ``tests/engine/test_mtf.py``.)"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from drummond_desktop.core.errors import AppError, Cancelled, DataError
from drummond_desktop.core.tasks import CancelToken
from drummond_desktop.feeds import demo
from drummond_desktop.services.market_data import MarketDataService
from drummond_desktop.services.mtf_data import MTFDataService, MTFRequest, input_candidates
from engine.mtf import Ladder, analyze_ladder, as_ladder, confluence
from engine.resample import Session, session_for
from tests.services.test_timeframes import daily_bars, ny_session
from tests.synthetic import walk_bars

FAR_FUTURE = 4_102_444_800.0
DAILY = demo.daily_codes()[0]
MINUTE = demo.intraday_codes()[0]


def demo_service() -> MTFDataService:
    def no_store():
        raise AssertionError("demo mode must not open the market store")

    return MTFDataService(no_store)


def store_service(store) -> MTFDataService:
    return MTFDataService(lambda: MarketDataService(store), clock=lambda: FAR_FUTURE)


def demo_session(code: str) -> Session:
    cal = demo.demo_symbol(code).calendar
    return Session(cal.timezone, cal.session_open, cal.session_close, name="DEMO")


def day_of(ts: int) -> date:
    return datetime.fromtimestamp(int(ts), UTC).date()


def same(a, b) -> bool:
    return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))


# ------------------------------------------------------------------------------ demo data


@pytest.fixture(scope="module")
def swing():
    return demo_service().build(MTFRequest(DAILY))


def test_a_daily_demo_symbol_opens_on_the_swing_ladder(swing):
    assert swing.ladder == as_ladder("swing")
    assert [(f.label, f.role) for f in swing.frames] == [
        ("1d", "focal"), ("1w", "higher"), ("1M", "higher")]
    assert swing.synthetic and swing.source == demo.DEMO_LABEL
    assert len(swing.focal.bars) == len(demo.demo_bars(DAILY))


def test_swing_overlays_and_zones_equal_engine_mtf_on_the_same_bars(swing):
    direct = analyze_ladder(demo.demo_bars(DAILY), "swing", session=demo_session(DAILY))
    assert [h.tf for h in swing.htf] == ["1w", "1mo"]
    for levels in swing.htf:
        ov = direct.overlays[levels.tf]
        assert levels.period.tolist() == ov.period.tolist()
        for name in ("pldot", "etop", "ebot"):
            assert same(getattr(levels, name), getattr(ov, name)), (levels.tf, name)
        frame = swing.frame(levels.tf)
        assert frame.bars.ts.tolist() == ov.htf.bars.ts.tolist()
        assert same(frame.result.pldot, ov.htf.pldot)
    assert swing.zones == confluence(direct)
    assert swing.focal.zones == swing.zones  # the focal pane draws the pooled zones


def test_the_overlay_is_constant_through_each_higher_period(swing):
    for levels in swing.htf:
        for p in np.unique(levels.period[levels.period >= 0])[:200]:
            values = levels.pldot[levels.period == p]
            assert np.all(values == values[0]) or np.all(np.isnan(values))


def test_confluence_rows_name_their_timeframes_and_weights(swing):
    rows = swing.confluence
    zones = swing.zones[::-1]  # rows run highest first
    assert [(r.lo, r.hi, r.strength, r.weight, r.kind) for r in rows] == [
        (z.lo, z.hi, z.strength, z.weight, z.kind) for z in zones]
    names = {0: "1d", 1: "1w", 2: "1M"}
    for row, zone in zip(rows, zones, strict=True):
        assert set(row.timeframes) == {names[lv.tf] for lv in zone.sources}
        assert len(row.timeframes) == zone.tf_count
    assert any(r.tf_count >= 2 for r in rows)


def test_flags_are_the_last_bars_coordination(swing):
    c = analyze_ladder(demo.demo_bars(DAILY), "swing", session=demo_session(DAILY)).coordination
    n = len(swing.mtf) - 1
    f = swing.flags
    assert f.bar == n and f.htf == "1w"
    assert (f.coordinated_up, f.coordinated_down, f.conflicting, f.htf_support_test,
            f.htf_resistance_test) == (bool(c.coordinated_up[n]), bool(c.coordinated_down[n]),
                                        bool(c.conflicting[n]), bool(c.htf_support_test[n]),
                                        bool(c.htf_resistance_test[n]))
    assert f.flows == (("1d", int(c.flow[0][n])), ("1w", int(c.flow[1][n])),
                       ("1M", int(c.flow[2][n])))
    for line in f.lines():
        assert line in swing.summary
    assert "1d (focal) on its own:" in swing.summary and "Zones for the next bar" in swing.summary


def test_mapping_between_timeframes_follows_the_calendar(swing):
    days = swing.focal.bars.ts
    weeks, months = swing.frame("1w").bars.ts, swing.frame("1M").bars.ts
    for i in (10, 500, 1234, 2000):
        d = day_of(days[i])
        w = swing.map_index("1d", i, "1w")
        m = swing.map_index("1d", i, "1M")
        assert day_of(weeks[w]).isocalendar()[:2] == d.isocalendar()[:2]
        assert (day_of(months[m]).year, day_of(months[m]).month) == (d.year, d.month)
        back = swing.map_index("1w", w, "1d")  # a week maps onto its first day
        assert day_of(days[back]).isocalendar()[:2] == d.isocalendar()[:2]
        assert back == 0 or day_of(days[back - 1]).isocalendar()[:2] != d.isocalendar()[:2]
    x0, x1 = swing.map_range("1d", 999.5, 1400.5, "1M")
    first, last = day_of(days[1000]), day_of(days[1400])
    assert (day_of(months[int(x0 + 0.5)]).month, day_of(months[int(x1 - 0.5)]).month) == (
        first.month, last.month)
    n, nm = len(days), len(months)
    assert swing.map_range("1d", n - 100.5, n + 4.5, "1M")[1] == pytest.approx(nm + 4.5)


def test_an_intraday_demo_symbol_opens_on_the_intraday_ladder_with_the_focal_in_the_middle():
    data = demo_service().build(MTFRequest(MINUTE))
    assert data.ladder == as_ladder("intraday")
    assert [(f.label, f.role) for f in data.frames] == [
        ("5m", "lower"), ("15m", "focal"), ("1h", "higher")]
    bars, session = demo.demo_bars(MINUTE), demo_session(MINUTE)
    upper = analyze_ladder(bars, Ladder(("15m", "1h"), "15m"), session=session)
    (levels,) = data.htf
    ov = upper.overlays["1h"]
    assert same(levels.pldot, ov.pldot) and same(levels.etop, ov.etop)
    assert levels.period.tolist() == ov.period.tolist()
    assert data.focal.bars.ts.tolist() == upper.base.bars.ts.tolist()
    assert data.zones == confluence(upper)
    # the same levels as the whole ladder's overlay at each 15m bar's first 5m bar
    full = analyze_ladder(bars, "intraday", session=session).overlays["1h"]
    firsts = [data.focal.first_base(j) for j in range(len(data.focal.bars))]
    assert same(levels.pldot[:-1], full.pldot[firsts])


def test_presets_and_custom_ladders_and_the_engines_refusals():
    svc = demo_service()
    position = svc.build(MTFRequest(DAILY, "position"))
    assert [f.label for f in position.frames] == ["1w", "1M", "1q"]
    assert position.focal.label == "1M"
    custom = svc.build(MTFRequest(DAILY, ("1d", "1w", "1M"), focal="1w"))
    assert custom.focal.label == "1w" and [h.label for h in custom.htf] == ["1M"]
    with pytest.raises(DataError) as err:
        svc.build(MTFRequest(DAILY, ("1d", "1d", "1w")))
    with pytest.raises(ValueError) as engine_err:
        as_ladder(("1d", "1d", "1w"))
    assert err.value.user_message == str(engine_err.value)
    with pytest.raises(DataError) as daily_only:
        svc.build(MTFRequest(DAILY, "intraday"))
    assert "5m" in daily_only.value.user_message
    with pytest.raises(AppError, match="unknown demo symbol"):
        svc.build(MTFRequest("NOPE.DEMO"))


def test_a_cancelled_request_stops():
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        demo_service().build(MTFRequest(DAILY), token)


# --------------------------------------------------------------------------------- store


def test_the_store_builds_the_swing_ladder_from_daily_bars(store):
    bars = daily_bars(date(2019, 1, 1), 2000)
    store.bars.upsert("DAY.US", "1d", bars)
    data = store_service(store).build(MTFRequest("DAY.US", demo=False))
    assert data.ladder.name == "swing" and not data.synthetic
    direct = analyze_ladder(bars, "swing", session=session_for("DAY.US"), now=FAR_FUTURE)
    for levels in data.htf:
        assert same(levels.pldot, direct.overlays[levels.tf].pldot)
    assert data.zones == confluence(direct)


def test_a_ladder_the_store_cannot_build_names_the_interval(store):
    store.bars.upsert("DAY.US", "1d", daily_bars(date(2024, 1, 1), 300))
    with pytest.raises(DataError) as err:
        store_service(store).build(MTFRequest("DAY.US", "intraday", demo=False))
    assert "5m" in err.value.user_message and "DAY.US" in err.value.user_message
    with pytest.raises(DataError) as nothing:
        store_service(store).build(MTFRequest("NONE.US", demo=False))
    assert nothing.value.user_message == "no data for NONE.US"


def test_minute_bars_in_the_store_give_the_intraday_ladder_in_the_session(store):
    days = [date(2025, 11, 3) + timedelta(days=i) for i in range(21)]
    minutes = walk_bars([t for d in days if d.weekday() < 5 for t in ny_session(d)],
                        symbol="MIN.US")
    store.bars.upsert("MIN.US", "1m", minutes)
    data = store_service(store).build(MTFRequest("MIN.US", demo=False))
    assert [f.label for f in data.frames] == ["5m", "15m", "1h"]
    assert datetime.fromtimestamp(int(data.focal.bars.ts[0]), UTC).strftime("%H:%M") == "14:30"
    upper = analyze_ladder(minutes, Ladder(("15m", "1h"), "15m"),
                           session=session_for("MIN.US"), now=FAR_FUTURE)
    assert same(data.htf[0].pldot, upper.overlays["1h"].pldot)


def test_input_candidates_are_finest_first():
    assert input_candidates("15m") == ("1m", "5m", "15m")
    assert input_candidates("1h")[:2] == ("1m", "5m")
    assert input_candidates("1w")[0] == "1d"
