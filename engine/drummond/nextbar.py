"""The Drummond map for one target bar (default: the next bar), as plain frozen values.

This is what a trader reads before the bar opens: the state the last bar left, the projected dot,
envelope and 1-1 levels, the line terminations with their role, the zones split into nearby and
further out, open air, and the last congestion's levels. Front ends format it; they never
recompute it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.drummond.result import DGResult, State
from engine.drummond.zones import Level, Zone, air, zones

_LINES = (("HH", "line_hh"), ("LL", "line_ll"), ("LH", "line_lh"), ("HL", "line_hl"))
_CONGESTION = (State.CONG_ENTRANCE, State.CONG_ACTION)


@dataclass(frozen=True)
class Termination:
    """A line's projected value on the target bar; ``role`` R above the last close, S below,
    P (pivot) equal to it (spec §B6)."""

    line: str
    price: float
    role: str


@dataclass(frozen=True)
class Congestion:
    """The levels of the most recent congestion at or before the bar ``index``."""

    index: int
    entrance_index: int
    prior_dir: int
    dotted: float
    block: float
    conf_hi: float
    conf_lo: float
    expanded: bool
    active: bool


@dataclass(frozen=True)
class NextBarMap:
    """The DG map for target bar ``t`` (``t == N`` is the bar that has not formed yet)."""

    t: int
    last_close: float
    state: State
    trend_dir: int
    prior_dir: int
    run_len: int
    pldot: float
    etop: float
    ebot: float
    ar3: float
    slope: float
    dot_shape: int
    one_one_dot: float
    one_one_high: float
    one_one_low: float
    position: str
    terminations: tuple[Termination, ...]
    zones: tuple[Zone, ...]
    air_above: bool
    air_below: bool
    congestion: Congestion | None

    @property
    def nearby(self) -> tuple[Zone, ...]:
        return tuple(z for z in self.zones if z.nearby)

    @property
    def further_out(self) -> tuple[Zone, ...]:
        return tuple(z for z in self.zones if not z.nearby)


def _f(a: npt.NDArray[Any], i: int) -> float:
    return float(a[i])


def last_congestion(result: DGResult, upto: int) -> Congestion | None:
    """The newest bar <= ``upto`` that was in congestion with its levels, or None."""
    if upto < 0:
        return None
    cong = np.isin(result.state[: upto + 1], np.array(_CONGESTION, dtype=np.int8))
    idx = np.flatnonzero(cong & np.isfinite(result.dotted[: upto + 1]))
    if idx.size == 0:
        return None
    i = int(idx[-1])
    ent = np.flatnonzero(result.state[: i + 1] == State.CONG_ENTRANCE)
    e = int(ent[-1]) if ent.size else i
    return Congestion(index=i, entrance_index=e, prior_dir=int(result.prior_dir[i]),
                      dotted=_f(result.dotted, i), block=_f(result.block, i),
                      conf_hi=_f(result.conf_hi, i), conf_lo=_f(result.conf_lo, i),
                      expanded=bool(result.conf_expanded[e: i + 1].any()), active=i == upto)


def next_bar_map(result: DGResult, t: int | None = None,
                 extra_levels: Sequence[Level] = ()) -> NextBarMap:
    """Build the map for target bar ``t`` (default N). Needs ``t >= win`` (AR3 defined)."""
    n = len(result)
    t = n if t is None else int(t)
    zl = zones(result, t, extra_levels)
    close = float(result.bars.close[t - 1])
    ar3 = _f(result.ar3, t)
    etop, ebot = _f(result.etop, t), _f(result.ebot, t)
    position = "above" if close > etop else ("below" if close < ebot else "inside")
    terms = []
    for name, field in _LINES:
        price = _f(getattr(result, field), t)
        if math.isfinite(price):
            role = "R" if price > close else ("S" if price < close else "P")
            terms.append(Termination(name, price, role))
    up, down = air(zl, close, ar3)
    i = t - 1
    return NextBarMap(
        t=t, last_close=close, state=State(int(result.state[i])),
        trend_dir=int(result.trend_dir[i]), prior_dir=int(result.prior_dir[i]),
        run_len=int(result.run_len[i]), pldot=_f(result.pldot, t), etop=etop, ebot=ebot,
        ar3=ar3, slope=_f(result.slope, t), dot_shape=int(result.dot_shape[t]),
        one_one_dot=_f(result.one_one_dot, t), one_one_high=_f(result.one_one_high, t),
        one_one_low=_f(result.one_one_low, t), position=position, terminations=tuple(terms),
        zones=tuple(zl), air_above=up, air_below=down, congestion=last_congestion(result, i))
