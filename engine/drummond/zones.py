"""Support/resistance zones for a target bar ("energy fields", spec §B7).

Levels projected onto the same target bar are clustered by price (single linkage with a width cap);
each zone is then classified against the last close as resistance, support or price-inside, and as
*nearby* or *further out* by the spec's nearby rule:

* close above the envelope: nearby support is every zone meeting [PL, ETop];
* close below the envelope: nearby resistance is every zone meeting [EBot, PL];
* close inside: PL is the balance point; every zone meeting [EBot, ETop] is nearby.

On the side the rule does not cover, the closest zone is nearby (our choice, so a trader always
sees the nearest support and resistance); every other zone is further out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from engine.drummond.result import DGResult, State

# Source weights of §B7 (w_src) and the group each source id belongs to.
SOURCE_WEIGHT = {"PL": 1.0, "ETOP": 1.0, "EBOT": 1.0, "OOH": 0.75, "OOL": 0.75,
                 "DOTTED": 1.0, "BLOCK": 1.0, "CONF_HI": 1.0, "CONF_LO": 1.0}
LINE_WEIGHT = 0.5
HTF_STEP_WEIGHT = 1.5
_CONGESTION = (State.CONG_ENTRANCE, State.CONG_ACTION)


@dataclass(frozen=True)
class Level:
    """One candidate level for a target bar. ``tf`` counts timeframe steps above the focal one
    (0 = focal); ``source`` is an id such as ``PL``, ``ETOP``, ``HH`` or ``DOTTED``."""

    price: float
    source: str
    tf: int = 0

    @property
    def weight(self) -> float:
        return SOURCE_WEIGHT.get(self.source, LINE_WEIGHT) * HTF_STEP_WEIGHT ** self.tf


@dataclass(frozen=True)
class Zone:
    """A cluster of levels. ``kind``: ``'R'`` above the last close, ``'S'`` below, ``'P'`` price
    inside. ``strength``: distinct (timeframe, source) pairs; ``weight``: their summed weights."""

    lo: float
    hi: float
    mid: float
    strength: int
    tf_count: int
    kind: str
    sources: tuple[Level, ...]
    weight: float
    nearby: bool

    @property
    def area(self) -> str:
        return "nearby" if self.nearby else "further"


def focal_levels(result: DGResult, t: int) -> list[Level]:
    """The focal timeframe's levels projected onto bar ``t`` (NaNs dropped)."""
    cand: list[tuple[str, float]] = [
        ("PL", result.pldot[t]), ("ETOP", result.etop[t]), ("EBOT", result.ebot[t]),
        ("OOH", result.one_one_high[t]), ("OOL", result.one_one_low[t]),
        ("HH", result.line_hh[t]), ("LL", result.line_ll[t]),
        ("LH", result.line_lh[t]), ("HL", result.line_hl[t]),
    ]
    cand += [(name, arr[t]) for name, arr in result.extra_lines.items()]
    if result.z6t is not None:
        cand += [("Z6T", result.z6t[t]), ("Z5T", result.z5t[t]),  # type: ignore[index]
                 ("Z2B", result.z2b[t]), ("Z1B", result.z1b[t])]  # type: ignore[index]
    if (result.params.zone_congestion_levels and t >= 1
            and result.state[t - 1] in _CONGESTION):
        cand += [("DOTTED", result.dotted[t - 1]), ("BLOCK", result.block[t - 1]),
                 ("CONF_HI", result.conf_hi[t - 1]), ("CONF_LO", result.conf_lo[t - 1])]
    return [Level(float(p), s) for s, p in cand if math.isfinite(p)]


def cluster(levels: Iterable[Level], tau: float, max_width: float = 2.0) -> list[list[Level]]:
    """Sort by price; join a level to the current cluster while its gap to the previous level is
    <= ``tau`` and the cluster stays within ``max_width · tau``."""
    ordered = sorted(levels, key=lambda lv: (lv.price, lv.tf, lv.source))
    groups: list[list[Level]] = []
    for lv in ordered:
        cur = groups[-1] if groups else None
        if (cur and lv.price - cur[-1].price <= tau
                and lv.price - cur[0].price <= max_width * tau):
            cur.append(lv)
        else:
            groups.append([lv])
    return groups


def tolerance(result: DGResult, t: int) -> float:
    p = result.params
    if p.zone_ticks > 0 and p.tick > 0:
        return p.zone_ticks * p.tick
    return p.k_zone * float(result.ar3[t])


def zones(result: DGResult, t: int | None = None,
          extra_levels: Sequence[Level] = ()) -> list[Zone]:
    """Zones for target bar ``t`` (default N, the next bar), lowest first.

    ``extra_levels`` adds levels from other timeframes (``Level.tf`` >= 1). Raises ``ValueError``
    when ``t`` is out of range or the focal AR3 of bar ``t`` is not defined yet.
    """
    n = len(result)
    t = n if t is None else int(t)
    if not 1 <= t <= n:
        raise ValueError(f"target bar t must be in 1..{n}, got {t}")
    tau = tolerance(result, t)
    if not math.isfinite(tau):
        raise ValueError(f"zones need the AR3 of bar {t}; it needs {result.params.win} "
                         f"earlier bars")
    levels = focal_levels(result, t) + [lv for lv in extra_levels if math.isfinite(lv.price)]
    close = float(result.bars.close[t - 1])
    groups = cluster(levels, tau, result.params.zone_max_width)
    near = _nearby_flags(groups, close, float(result.pldot[t]), float(result.etop[t]),
                         float(result.ebot[t]))
    return [_zone(g, close, nb) for g, nb in zip(groups, near, strict=True)]


def _zone(group: list[Level], close: float, nearby: bool) -> Zone:
    lo, hi = group[0].price, group[-1].price
    pairs = {(lv.tf, lv.source): lv for lv in group}
    kind = "R" if lo > close else ("S" if hi < close else "P")
    return Zone(lo=lo, hi=hi, mid=float(np.mean([lv.price for lv in group])),
                strength=len(pairs), tf_count=len({lv.tf for lv in group}), kind=kind,
                sources=tuple(group), weight=sum(lv.weight for lv in pairs.values()),
                nearby=nearby)


def _nearby_flags(groups: list[list[Level]], close: float, pl: float, etop: float,
                  ebot: float) -> list[bool]:
    def meets(g: list[Level], lo: float, hi: float) -> bool:
        return g[0].price <= hi and g[-1].price >= lo

    if close > etop:
        flags = [meets(g, pl, etop) for g in groups]
    elif close < ebot:
        flags = [meets(g, ebot, pl) for g in groups]
    else:
        flags = [meets(g, ebot, etop) for g in groups]
    above = [i for i, g in enumerate(groups) if g[0].price > close]
    below = [i for i, g in enumerate(groups) if g[-1].price < close]
    if above and not any(flags[i] for i in above):
        flags[above[0]] = True
    if below and not any(flags[i] for i in below):
        flags[below[-1]] = True
    return flags


def air(zone_list: Sequence[Zone], close: float, ar3: float) -> tuple[bool, bool]:
    """(air above, air below): no zone within 1·AR3 of the close on that side (spec §B7)."""
    above = any(z.lo > close and z.lo - close <= ar3 for z in zone_list)
    below = any(z.hi < close and close - z.hi <= ar3 for z in zone_list)
    inside = any(z.kind == "P" for z in zone_list)
    return (not (above or inside), not (below or inside))
