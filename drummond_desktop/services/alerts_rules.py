"""The alert checks, one per rule kind: pure functions of a symbol's bars, their Drummond
Geometry analysis, and the value the rule remembered from the bar before.

A check walks the bars not evaluated yet: ``step(prev, t)`` returns the value to remember after
bar ``t`` and the firing on bar ``t``, if any. ``run_check`` does the walk for one symbol from the
rule's memory entry ``{"ts": last bar evaluated, "v": value remembered}``:

* with memory, every bar after ``ts`` is evaluated (the last ``catch_up`` of them when the app
  was away longer; the value before the window is then recomputed from the bars);
* without memory (a new rule, a symbol new to a watchlist), the last bar is evaluated against
  the value of the bar before it, so a rule created just after a cross reports it once.

Everything is decided at a bar's close from bars up to it (DG projections for bar t use bars
before t), so the same bars and memory always give the same firings. Zones are the engine's
(``engine.drummond.zones``). The multi-timeframe check reads the higher timeframe through
``engine.mtf.overlay``: at bar t, the state of the higher bar before the period holding bar t,
the last completed one (spec §B9), so nothing of a forming higher bar is used.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from engine.bars import Bars
from engine.drummond import DGParams, DGResult, State, Zone, analyze, zones

if TYPE_CHECKING:
    from engine.mtf import Overlay

Json = Any  # what a check remembers: None, bool, int, str or a list of str
_FLOWING = (State.TREND, State.CONG_EXIT, State.TREND_REVERSAL)
STATE_NAMES = {State.TREND: "trend", State.CONG_ENTRANCE: "cong_entrance",
               State.CONG_ACTION: "cong_action", State.CONG_EXIT: "cong_exit",
               State.TREND_REVERSAL: "trend_reversal"}


@dataclass(frozen=True)
class Firing:
    bar_ts: int
    message: str
    payload: dict[str, Any]


class Series:
    """One symbol's bars at one interval, analysed on first use (shared by the rules that
    watch the same symbol and interval in one run)."""

    def __init__(self, bars: Bars, params: DGParams) -> None:
        self.bars = bars
        self.params = params

    @cached_property
    def result(self) -> DGResult:
        return analyze(self.bars, self.params)

    def fired(self, t: int, message: str, **payload: Any) -> Firing:
        b = self.bars
        return Firing(int(b.ts[t]), f"{b.symbol}: {message}",
                      {"symbol": b.symbol, "interval": b.timeframe, "bar_ts": int(b.ts[t]),
                       "close": float(b.close[t]), **payload})


class Check(Protocol):
    def step(self, prev: Json, t: int) -> tuple[Json, Firing | None]: ...


def _wants(direction: str, up: bool) -> bool:
    return direction == "either" or (direction == "up") == up


class PriceCheck:
    """Remembers the side of the last close (-1 below the level, 0 on it, +1 above)."""

    def __init__(self, series: Series, params: Mapping[str, Any], reach: bool) -> None:
        self.s, self.level, self.reach = series, float(params["level"]), reach
        self.direction = str(params["direction"])

    def step(self, prev: Json, t: int) -> tuple[Json, Firing | None]:
        b, lv = self.s.bars, self.level
        cur = int(np.sign(b.close[t] - lv))
        if prev is None:
            return cur, None
        if self.reach:
            up, down = prev < 0 and b.high[t] >= lv, prev > 0 and b.low[t] <= lv
            verb = "reached {lv:g} from {side}"
        else:
            up, down = prev < 0 and cur >= 0, prev > 0 and cur <= 0
            verb = "closed through {lv:g} from {side}"
        for hit, is_up in ((up, True), (down, False)):
            if hit and _wants(self.direction, is_up):
                text = verb.format(lv=lv, side="below" if is_up else "above")
                return cur, self.s.fired(t, f"{text} (close {b.close[t]:g})", level=lv,
                                         direction="up" if is_up else "down")
        return cur, None


def _zone_info(z: Zone) -> dict[str, Any]:
    return {"zone_lo": z.lo, "zone_hi": z.hi, "zone_kind": z.kind, "strength": z.strength,
            "sources": sorted({lv.source for lv in z.sources})}


class ZoneCheck:
    """``approach`` remembers whether the close was near a zone; the touch events need no
    memory (a zone the previous close was inside is neither support nor resistance)."""

    def __init__(self, series: Series, params: Mapping[str, Any]) -> None:
        self.s, self.event = series, str(params["event"])
        self.within = float(params.get("within_ar3", 0.0))
        side = str(params["side"])
        self.kinds = {"support": ("S",), "resistance": ("R",)}.get(side, ("R", "S"))
        self.min_strength = int(params["min_strength"])

    def _zones(self, t: int) -> list[Zone] | None:
        """Zones projected for bar ``t`` (built at the close of bar t-1), as the rule wants."""
        if not 1 <= t <= len(self.s.bars):
            return None
        try:
            found = zones(self.s.result, t)
        except ValueError:  # AR3 not defined yet
            return None
        return [z for z in found if z.kind in self.kinds and z.strength >= self.min_strength]

    def step(self, prev: Json, t: int) -> tuple[Json, Firing | None]:
        if self.event == "approach":
            return self._approach(prev, t)
        return None, self._touch(t)

    def _approach(self, prev: Json, t: int) -> tuple[Json, Firing | None]:
        found = self._zones(t + 1)  # the next bar's zones, seen at this close
        ar3 = float(self.s.result.ar3[t + 1]) if t + 1 <= len(self.s.bars) else math.nan
        if found is None or not math.isfinite(ar3):
            return prev, None
        c, reach = float(self.s.bars.close[t]), self.within * ar3
        near = sorted((z.lo - c if z.kind == "R" else c - z.hi, i) for i, z in enumerate(found)
                      if (z.lo - c if z.kind == "R" else c - z.hi) <= reach)
        if prev is not False or not near:
            return bool(near), None
        z = found[near[0][1]]
        what = "resistance" if z.kind == "R" else "support"
        return True, self.s.fired(t, f"within {self.within:g} AR3 of the {what} zone "
                                     f"{z.lo:g}-{z.hi:g}", event="approach", ar3=ar3,
                                  distance=near[0][0], **_zone_info(z))

    def _touch(self, t: int) -> Firing | None:
        found = self._zones(t)
        if not found:
            return None
        b = self.s.bars
        prev_close, h, lo, c = (float(x) for x in (b.close[t - 1], b.high[t], b.low[t],
                                                   b.close[t]))
        for z in sorted(found, key=lambda z: min(abs(z.lo - prev_close),
                                                 abs(z.hi - prev_close))):
            if z.kind == "R":
                touched, held, broken = h >= z.lo, h >= z.lo and c < z.lo, c > z.hi
            else:
                touched, held, broken = lo <= z.hi, lo <= z.hi and c > z.hi, c < z.lo
            hit = {"enter": touched, "hold": held, "break": broken}[self.event]
            if hit:
                what = "resistance" if z.kind == "R" else "support"
                verb = {"enter": "traded into", "hold": "held on close at",
                        "break": "closed beyond"}[self.event]
                return self.s.fired(t, f"{verb} the {what} zone {z.lo:g}-{z.hi:g}",
                                    event=self.event, **_zone_info(z))
        return None


def _state_name(code: object) -> str:
    known = {int(s): name for s, name in STATE_NAMES.items()}
    return known.get(code, "undefined") if isinstance(code, int) else "undefined"


def _direction(result: DGResult, t: int, state: int) -> int:
    """A state's direction: the trend's while flowing, the prior trend's in congestion."""
    return int(result.trend_dir[t] if state in _FLOWING else result.prior_dir[t])


class StateCheck:
    """Remembers the last defined state code (UNDEF bars are skipped)."""

    def __init__(self, series: Series, params: Mapping[str, Any]) -> None:
        self.s, self.to, self.direction = series, str(params["to"]), str(params["direction"])

    def step(self, prev: Json, t: int) -> tuple[Json, Firing | None]:
        r = self.s.result
        cur = int(r.state[t])
        if cur == State.UNDEF:
            return prev, None
        if prev is None or cur == prev:
            return cur, None
        name, d = STATE_NAMES[State(cur)], _direction(r, t, cur)
        if self.to not in ("any", name) or (self.direction != "either"
                                            and d != (1 if self.direction == "up" else -1)):
            return cur, None
        old = _state_name(prev)
        arrow = {1: " up", -1: " down"}.get(d, "")
        return cur, self.s.fired(t, f"state {old} -> {name}{arrow}", state=name,
                                 previous_state=old, direction=d)


class PatternCheck:
    """Remembers which of the rule's pattern flags were set on the last bar; fires on a flag
    that starts."""

    def __init__(self, series: Series, params: Mapping[str, Any]) -> None:
        self.s, self.names = series, tuple(params["patterns"])

    def step(self, prev: Json, t: int) -> tuple[Json, Firing | None]:
        r = self.s.result
        cur = [n for n in self.names if bool(getattr(r, n)[t])]
        started = [n for n in cur if n not in (prev or ())]
        if prev is None or not started:
            return cur, None
        return cur, self.s.fired(t, f"{', '.join(started)}", patterns=started)


def flow(state: int, trend_dir: int) -> int:
    """Spec §B9: +1/-1 while a trend flows up/down (trend, exit, reversal), else 0."""
    return int(trend_dir) if state in _FLOWING else 0


def coordination(focal: int, higher: int) -> str:
    if focal == higher != 0:
        return "coordinated_up" if focal > 0 else "coordinated_down"
    return "conflicting" if focal * higher == -1 else "none"


class MtfCheck:
    """Remembers the last coordination label (``coordination``)."""

    def __init__(self, series: Series, params: Mapping[str, Any]) -> None:
        self.s, self.higher, self.to = series, str(params["higher"]), str(params["to"])

    @cached_property
    def overlay(self) -> Overlay:
        from engine.mtf import overlay

        return overlay(self.s.bars, self.higher, params=self.s.params)

    def higher_flow(self, t: int) -> tuple[int, int] | None:
        """(flow, ts) of the higher timeframe's last completed bar at the close of bar ``t``
        (spec §B9: the bar before the period holding bar t); ``None`` before there is one."""
        ov = self.overlay
        done = int(ov.period[t]) - 1
        if done < 0:
            return None
        return flow(int(ov.state[t]), int(ov.trend_dir[t])), int(ov.htf.bars.ts[done])

    def step(self, prev: Json, t: int) -> tuple[Json, Firing | None]:
        hf = self.higher_flow(t)
        if hf is None:
            return prev, None
        r = self.s.result
        f = flow(int(r.state[t]), int(r.trend_dir[t]))
        cur = coordination(f, hf[0])
        if prev is None or cur == prev or self.to not in ("any", cur):
            return cur, None
        return cur, self.s.fired(t, f"{self.s.bars.timeframe}/{self.higher} {prev} -> {cur}",
                                 coordination=cur, previous=prev, focal_flow=f,
                                 higher=self.higher, higher_flow=hf[0], higher_bar_ts=hf[1])


def build_check(kind: str, params: Mapping[str, Any], series: Series) -> Check:
    """The check of a ``kind`` rule (every kind but ``scan``, which is not per bar)."""
    if kind in ("price_cross", "price_reach"):
        return PriceCheck(series, params, reach=kind == "price_reach")
    checks: dict[str, type[ZoneCheck | StateCheck | PatternCheck | MtfCheck]] = {
        "zone": ZoneCheck, "state": StateCheck, "pattern": PatternCheck, "mtf": MtfCheck}
    if kind not in checks:
        raise ValueError(f"no per-bar check for alert kind {kind!r}")
    return checks[kind](series, params)


def run_check(check: Check, bars: Bars, entry: Mapping[str, Any] | None,
              catch_up: int) -> tuple[list[Firing], dict[str, Any] | None]:
    """Evaluate the bars after ``entry["ts"]`` (see the module docstring); returns the firings
    and the new memory entry (a copy of ``entry`` when there is nothing new)."""
    kept = dict(entry) if entry is not None else None
    n = len(bars)
    if n == 0:
        return [], kept
    ts = bars.ts
    last = kept.get("ts") if kept is not None else None
    if isinstance(last, int) and not isinstance(last, bool):
        after = int(np.searchsorted(ts, last, side="right"))
    else:
        last, after = None, n - 1
    start = max(after, n - max(catch_up, 1))
    if start >= n:
        return [], kept
    prev: Json = None
    if last is not None and start == after and start >= 1 and int(ts[start - 1]) == last:
        prev = (kept or {}).get("v")  # the memory continues right before the new bars
    elif start >= 1:
        prev = check.step(None, start - 1)[0]  # the value before the window, from the bars
    fired: list[Firing] = []
    for t in range(start, n):
        prev, firing = check.step(prev, t)
        if firing is not None:
            fired.append(firing)
    return fired, {"ts": int(ts[-1]), "v": prev}
