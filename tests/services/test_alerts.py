"""AlertService on a real market store and a real user store: every rule kind fires on the bar
its construction says (see each test's comment), never twice for the same data, and remembers
what it saw across runs and reopening."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from sqlalchemy import update

from drummond_desktop.core.errors import Cancelled, DataError
from drummond_desktop.core.tasks import CancelToken
from drummond_desktop.services.alerts import (
    AlertRequest,
    AlertService,
    ScanQuery,
    request_after_sync,
    store_bar_loader,
)
from drummond_desktop.services.market_data import MarketDataService
from drummond_desktop.services.market_sync import SymbolSync, SyncReport
from drummond_desktop.store import MarketStore, UserStore, open_market_store, open_user_store
from drummond_desktop.store.alert_spec import AlertRuleSpec
from drummond_desktop.store.alerts import AlertRepository, AlertRule
from drummond_desktop.store.engines import write_transaction
from drummond_desktop.store.schema import user_table
from engine import Bars
from engine.drummond import analyze, zones
from tests.services.alert_bars import bars, rising, weekdays

NOW = 1_767_225_600.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def market(tmp_path: Path) -> Iterator[MarketStore]:
    with open_market_store(f"sqlite:///{tmp_path / 'market.sqlite'}") as s:
        yield s


@pytest.fixture
def user(tmp_path: Path) -> Iterator[UserStore]:
    with open_user_store(f"sqlite:///{tmp_path / 'user.sqlite'}") as s:
        yield s


class Env:
    """The stores, the service and helpers to store bars and read what fired."""

    def __init__(self, market: MarketStore, user: UserStore, scan=None) -> None:
        self.market, self.user, self.clock = market, user, Clock()
        self.repo = AlertRepository(user.engine, user.where, self.clock)
        self.load = store_bar_loader(MarketDataService(market))
        self.service = AlertService(self.repo, self.load, user.watchlists, scan, self.clock)

    def store(self, b: Bars) -> None:
        self.market.bars.upsert(b.symbol, "1d", b)

    def rule(self, kind: str, params: Mapping[str, object], target: str = "AAA.US",
             target_kind: str = "symbol") -> AlertRule:
        return self.repo.create(AlertRuleSpec(f"{kind} rule", target_kind, target, kind,
                                              params, ["tray"]))

    def run(self, **kw: object) -> list[tuple[str, str, int]]:
        """(rule name, symbol, index of the bar it fired on) for each new event."""
        result = self.service.evaluate(AlertRequest(**kw))  # type: ignore[arg-type]
        self.last = result
        days = weekdays(400)
        return [(e.rule_name, e.symbol, days.index(e.bar_ts)) for e in result.fired]


@pytest.fixture
def env(market, user) -> Env:
    return Env(market, user)


def fired_bars(events: list[tuple[str, str, int]], name: str) -> list[int]:
    return [i for n, _, i in events if n == name]


# -- price -----------------------------------------------------------------------------------
# Closes around the level 100 (spread 0.5 around open and close, open = previous close):
# bar 12 closes 101 (cross up), 14 closes 99 (cross down), 15 closes exactly 100 (reaches it
# from below: a cross up), 16 closes 100.5 (from "on the level": no cross), 17 closes 99
# (cross down), 18 closes 99.5 with a high of 100.2 (reaches 100 from below, no cross), 19 stays
# below. Reach: 12 up (high 101.5), 14 down (low 98.5), 15 up (high 100.5), 17 down, 18 up.
PRICE = [95.0] * 12 + [101, 102, 99, 100, 100.5, 99, 99.5, 99]
PRICE_HIGHS = {18: 100.2, 19: 99.8}


@pytest.mark.parametrize(("kind", "direction", "expected"), [
    ("price_cross", "up", [12, 15]),
    ("price_cross", "down", [14, 17]),
    ("price_cross", "either", [12, 14, 15, 17]),
    ("price_reach", "up", [12, 15, 18]),
    ("price_reach", "down", [14, 17]),
])
def test_price_rules_fire_on_the_constructed_bars(env, kind, direction, expected):
    full = bars(PRICE, highs=PRICE_HIGHS)
    env.store(full[:12])
    env.rule(kind, {"level": 100, "direction": direction})
    assert env.run() == []  # bar 11 against bar 10: both at 95
    env.store(full)
    assert fired_bars(env.run(), f"{kind} rule") == expected
    assert env.run() == []  # the same data again fires nothing
    assert len(env.repo.latest(50)) == len(expected)


def test_a_new_rule_reports_the_last_bar_once_even_when_its_memory_is_lost(env, user):
    env.store(bars(PRICE[:13]))  # bar 12 crosses 100
    rule = env.rule("price_cross", {"level": 100})
    assert env.run() == [("price_cross rule", "AAA.US", 12)]
    with write_transaction(user.engine, user.where, "test") as conn:  # forget everything
        conn.execute(update(user_table("alert_rules")).values(memory="{}"))
    assert env.run() == []  # the event for bar 12 is stored: it cannot fire again
    assert dict(env.repo.get(rule.id).memory)["AAA.US"]["v"] == 1


def test_catch_up_evaluates_only_the_newest_bars(env):
    closes = [95.0] * 12 + [101.0] * 3 + [95.0] * 20 + [101.0]  # crosses at 12, 15, 35
    full = bars(closes)
    env.store(full[:12])
    env.rule("price_cross", {"level": 100})
    env.run()
    env.store(full)
    assert fired_bars(env.run(catch_up=5), "price_cross rule") == [35]


def test_watchlist_rules_fire_per_symbol_and_a_deleted_list_is_a_problem(env, user):
    tech = user.watchlists.create("Tech", ["AAA.US", "BBB.US"])
    env.store(bars([95.0] * 12, "AAA.US"))
    env.store(bars([95.0] * 12, "BBB.US"))
    env.rule("price_cross", {"level": 100}, str(tech.id), "watchlist")
    env.run()
    env.store(bars([95.0] * 12 + [101.0], "BBB.US"))
    assert env.run() == [("price_cross rule", "BBB.US", 12)]
    user.watchlists.delete(tech.id)
    assert env.run() == []
    assert [(p.symbol, "watchlist" in p.reason) for p in env.last.problems] == [("", True)]


def test_a_symbol_without_data_is_a_problem_and_other_rules_still_fire(env):
    env.rule("price_cross", {"level": 100}, "NONE.US")
    env.store(bars(PRICE[:13], "AAA.US"))
    env.rule("price_cross", {"level": 100})
    events = env.run()
    assert [(n, s) for n, s, _ in events] == [("price_cross rule", "AAA.US")]
    (problem,) = env.last.problems
    assert problem.symbol == "NONE.US" and "no data" in problem.reason


# -- market state ----------------------------------------------------------------------------
# Closes rise by 1 a bar (0..14): every close is above the dot, so the trend is up from bar 5.
# Bar 15 closes 104, below its dot (112.7): the first opposite close is the congestion entrance
# (prior trend up). Bars 16 and 17 close 100 and 96, below their dots (111.2, 107.4): the
# entrance and the next two bars close on the new side, so bar 17 is a trend reversal (down).
STATE = [*rising(15), 104.0, 100.0, 96.0]


@pytest.mark.parametrize(("params", "expected"), [
    ({"to": "cong_entrance"}, [15]),
    ({"to": "cong_entrance", "direction": "up"}, [15]),
    ({"to": "cong_entrance", "direction": "down"}, []),
    ({"to": "trend_reversal", "direction": "down"}, [17]),
    ({"to": "trend_reversal", "direction": "up"}, []),
])
def test_state_changes_fire_at_the_entrance_and_the_reversal(env, params, expected):
    full = bars(STATE)
    env.store(full[:12])
    env.rule("state", params)
    assert env.run() == []
    env.store(full)
    assert fired_bars(env.run(), "state rule") == expected


def test_any_state_change_fires_on_each_change_of_the_state_code(env):
    full = bars(STATE)
    env.store(full[:12])
    env.rule("state", {"to": "any"})
    env.run()
    env.store(full)
    got = fired_bars(env.run(), "state rule")
    state = analyze(full).state
    assert got == [t for t in range(12, 18) if state[t] != state[t - 1]]
    assert {15, 17} <= set(got)


# -- DG patterns -----------------------------------------------------------------------------
# Rising bars (close +1 a bar, low 1.5 under the close) stay wholly above the dot and push it.
# Bar 12 closes 111.5 with its low at 109.5, under its dot (109.67): a refresh from above, and
# no push (the bar trades through the dot). Bar 13 (close 113, low 111) is wholly above its
# dot (110.4) again with the dot rising: the push starts again. Bars 14-15 push on.
def pattern_bars() -> Bars:
    closes = rising(16)
    closes[12] = 111.5
    return bars(closes, highs={12: 112.0}, lows={12: 109.5})


@pytest.mark.parametrize(("patterns", "expected"), [
    (["refresh"], [12]),
    (["push_up"], [13]),
    (["refresh_from_below", "push_down", "exhaust", "cwave_down"], []),
])
def test_patterns_fire_when_a_flag_starts(env, patterns, expected):
    full = pattern_bars()
    env.store(full[:12])
    env.rule("pattern", {"patterns": patterns})
    assert env.run() == []  # push_up on bars 10 and 11: no start
    env.store(full)
    assert fired_bars(env.run(), "pattern rule") == expected


# -- zones -----------------------------------------------------------------------------------
# Ten flat bars (high 101, low 99, close 100): the levels projected for the next bar are the dot
# at 100, the envelope, 1-1 levels and the high-high / low-low lines at 101 and 99, and the
# low-to-high / high-to-low lines at 103 and 97 (a 2-point rise or fall per bar, extended). So
# the zones are resistance at 101 and 103, price at 100, support at 99 and 97. A flat bar
# touches 101 and 99 and closes between them: it enters and holds both. Bar 10 is under test.
FLAT = [100.0] * 10


def zone_bars(close: float, high: float, low: float) -> Bars:
    return bars([*FLAT, close], highs={10: high}, lows={10: low}, spread=1.0)


def test_the_flat_base_has_the_zones_the_comments_say(env):
    found = zones(analyze(zone_bars(100, 101, 99)), 10)
    assert [(z.kind, z.lo, z.hi) for z in found] == [
        ("S", 97, 97), ("S", 99, 99), ("P", 100, 100), ("R", 101, 101), ("R", 103, 103)]


@pytest.mark.parametrize(("event", "side", "bar", "expected"), [
    ("hold", "resistance", (100.5, 101.5, 99.5), [9, 10]),  # touched 101, closed under it
    ("break", "resistance", (101.6, 102.0, 99.8), [10]),  # closed above 101
    ("break", "resistance", (100.5, 101.5, 99.5), []),
    ("hold", "support", (99.5, 100.5, 98.5), [9, 10]),
    ("break", "support", (98.4, 100.2, 98.0), [10]),
    ("break", "either", (98.4, 100.2, 98.0), [10]),
    ("enter", "resistance", (99.8, 100.6, 99.4), [9]),  # bar 10 stays inside the channel
    ("enter", "support", (98.4, 100.2, 98.0), [9, 10]),
])
def test_zone_touch_events_fire_on_the_constructed_bar(env, event, side, bar, expected):
    full = zone_bars(*bar)
    env.store(full[:10])
    env.rule("zone", {"event": event, "side": side})
    first = fired_bars(env.run(), "zone rule")  # the new rule checks the last flat bar, 9
    env.store(full)
    assert first + fired_bars(env.run(), "zone rule") == expected


# Bar 10 closes 100.8 (high 101, low 99): the zones for bar 11 are resistance 101-101.18 (the
# highs' lines at 101, the envelope top at 101.18; the 1-1 high 101.53 is a zone of its own) and
# support at 99; the close is 0.2 under the resistance, within 0.25 AR3 (0.5). After a flat bar
# both zones are 1.0 away: not within.
@pytest.mark.parametrize(("side", "expected"), [("resistance", [10]), ("either", [10]),
                                                ("support", [])])
def test_zone_approach_fires_when_the_close_comes_near(env, side, expected):
    full = zone_bars(100.8, 101.0, 99.0)
    env.store(full[:10])
    env.rule("zone", {"event": "approach", "within_ar3": 0.25, "side": side})
    assert env.run() == []
    env.store(full)
    events = env.run()
    assert fired_bars(events, "zone rule") == expected
    if expected:
        (event,) = env.repo.latest(1)
        assert (event.payload["zone_lo"], event.payload["zone_kind"]) == (101.0, "R")
        assert event.payload["zone_hi"] == pytest.approx(101 + 0.8 / 3 * 2 / 3)


# -- multi-timeframe coordination ------------------------------------------------------------
# Eight weeks of daily closes rising by 1 (bars 0-39, Monday 2024-01-01 on): daily and weekly
# both trend up (coordinated up). Monday of week 9 (bar 40) closes 129, under its dot: a daily
# congestion entrance (daily flow 0: coordination "none"). Bars 41-42 close 125 and 121: the
# daily trend reverses down on Wednesday (bar 42) while the weekly state in force, that of week
# 8 (the last one completed before week 9), still trends up: conflicting.
MTF = [*rising(40), 129.0, 125.0, 121.0]
FRIDAYS = [weekdays(45)[i] for i in range(4, 45, 5)]


@pytest.mark.parametrize(("to", "expected"), [("conflicting", [42]), ("any", [40, 42]),
                                              ("coordinated_down", [])])
def test_mtf_coordination_changes_fire_on_the_daily_turns(env, to, expected):
    full = bars(MTF)
    env.store(full[:38])
    env.rule("mtf", {"higher": "1w", "to": to})
    assert env.run() == []
    env.store(full)
    assert fired_bars(env.run(), "mtf rule") == expected
    last = env.repo.latest(1)
    if to == "conflicting":
        p = last[0].payload
        assert (p["focal_flow"], p["higher_flow"]) == (-1, 1)
        assert p["higher_bar_ts"] == FRIDAYS[7]  # week 8, completed before week 9 began


def test_mtf_reads_the_last_completed_week_and_never_looks_ahead():
    from drummond_desktop.services.alerts_rules import MtfCheck, Series

    def check(n: int) -> MtfCheck:
        b = bars(MTF[:n])
        return MtfCheck(Series(b, analyze(b).params), {"higher": "1w", "to": "any"})

    full = check(43)
    # every day of a week reads the week before it (week 1 has none before it)
    assert [full.higher_flow(t) for t in range(5)] == [None] * 5
    for t in range(5, 43):
        assert full.higher_flow(t)[1] == FRIDAYS[t // 5 - 1]  # type: ignore[index]
    # the weekly trend is up from week 6 on: 3 rising weeks after the 3 the dot needs
    assert [full.higher_flow(t)[0] for t in range(35, 43)] == [1] * 8  # type: ignore[index]
    for n in (38, 40, 41, 42):  # the same answers from the bars known at each close
        short = check(n)
        assert [short.higher_flow(t) for t in range(n)] == \
            [full.higher_flow(t) for t in range(n)]


# -- scans -----------------------------------------------------------------------------------
def test_a_scan_gaining_a_symbol_fires_for_that_symbol_only(market, user):
    calls: list[ScanQuery] = []

    def last_close_over_100(query: ScanQuery, cancel: CancelToken) -> dict[str, int]:
        calls.append(query)
        out = {}
        for symbol in query.symbols:
            try:
                b = e.load(symbol, query.interval)
            except DataError:
                continue
            if b.close[-1] > 100:
                out[symbol] = int(b.ts[-1])
        return out

    e = Env(market, user, scan=last_close_over_100)
    tech = user.watchlists.create("Tech", ["AAA.US", "BBB.US"])
    e.store(bars([101.0] * 5, "AAA.US"))
    e.store(bars([99.0] * 5, "BBB.US"))
    e.rule("scan", {"expr": "close > 100"}, str(tech.id), "watchlist")
    assert e.run() == []  # the first run only notes that AAA matches
    e.store(bars([99.0] * 5 + [102.0], "BBB.US"))
    assert e.run() == [("scan rule", "BBB.US", 5)]
    assert e.run() == []
    e.store(bars([101.0] * 5 + [99.0], "AAA.US"))
    assert e.run() == []  # leaving the scan does not fire
    e.store(bars([101.0] * 5 + [99.0, 103.0], "AAA.US"))
    assert e.run() == [("scan rule", "AAA.US", 6)]  # back in: fires again, on the new bar
    assert calls[-1] == ScanQuery("", "close > 100", "1d", ("AAA.US", "BBB.US"))


def test_a_scan_rule_without_a_scanner_is_a_problem(env):
    env.rule("scan", {"expr": "close > 100"})
    env.store(bars([101.0] * 5))
    assert env.run() == [] and "scanner" in env.last.problems[0].reason


# -- runs: after a sync, on demand, across restarts ------------------------------------------
def test_after_sync_evaluates_only_the_symbols_that_changed(env):
    for symbol in ("AAA.US", "BBB.US"):
        env.store(bars([95.0] * 12, symbol))
        env.rule("price_cross", {"level": 100}, symbol)
    env.run()
    for symbol in ("AAA.US", "BBB.US"):
        env.store(bars([95.0] * 12 + [101.0], symbol))
    report = SyncReport("1d", (SymbolSync("AAA.US", True, received=13, inserted=1),
                               SymbolSync("BBB.US", True, received=12),
                               SymbolSync("CCC.US", False, error="quota")))
    request = request_after_sync(report)
    assert request is not None and request.symbols == ("AAA.US",)
    assert [s for _, s, _ in env.run(symbols=request.symbols)] == ["AAA.US"]
    assert request_after_sync(SyncReport("1d", (SymbolSync("BBB.US", True),))) is None
    assert [s for _, s, _ in env.run()] == ["BBB.US"]  # on demand: BBB's cross, once


def test_memory_survives_reopening_the_store_and_runs_are_deterministic(tmp_path):
    closes = [95.0] * 12 + [101.0, 99.0, 101.0]
    results = []
    for name in ("one", "two"):  # two separate pairs of stores given the same bars
        user_url = f"sqlite:///{tmp_path / f'{name}-user.sqlite'}"
        with open_market_store(f"sqlite:///{tmp_path / f'{name}-market.sqlite'}") as market:
            with open_user_store(user_url) as user:
                e = Env(market, user)
                e.store(bars(closes[:12]))
                e.rule("price_cross", {"level": 100})
                e.run()
            with open_user_store(user_url) as reopened:  # a restart
                e = Env(market, reopened)
                e.store(bars(closes))
                assert [i for _, _, i in e.run()] == [12, 13, 14]
                assert e.run() == []
                results.append([(ev.bar_ts, ev.message, dict(ev.payload), ev.fired_at)
                                for ev in e.repo.latest(10)])
    assert results[0] == results[1] and len(results[0]) == 3


def test_a_cancelled_run_records_nothing(env):
    env.store(bars(PRICE[:13]))
    env.rule("price_cross", {"level": 100})
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        env.service.evaluate(AlertRequest(), token)
    assert env.repo.latest(5) == [] and dict(env.repo.rules()[0].memory) == {}


def test_new_events_queue_their_channels_in_the_outbox(env):
    env.store(bars(PRICE[:13]))
    env.rule("price_cross", {"level": 100})
    env.run()
    (d,) = env.repo.outbox.deliveries()
    assert (d.channel, d.status, d.symbol) == ("tray", "pending", "AAA.US")
    assert d.fired_at == int(NOW * 1_000_000)  # the injected clock
