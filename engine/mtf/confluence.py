"""Multi-timeframe confluence (spec §B9, §B7): the zones of one base bar pooled over the focal
timeframe and every timeframe above it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from engine.drummond.zones import (
    LINE_WEIGHT,
    SOURCE_WEIGHT,
    Level,
    Zone,
    _nearby_flags,
    cluster,
    focal_levels,
    tolerance,
)
from engine.mtf.analyze import MTFResult

HTF_STEP_WEIGHT = 1.5  # spec §B7: w_tf is 1.0 for the focal timeframe, x1.5 per HTF step


def default_weights(count: int) -> tuple[float, ...]:
    """The spec's timeframe weights from the focal up: 1.0, 1.5, 2.25, ..."""
    return tuple(HTF_STEP_WEIGHT ** k for k in range(count))


def _weights(result: MTFResult, tf_weights: Sequence[float] | None) -> tuple[float, ...]:
    count = len(result.ladder.timeframes) - result.ladder.focal_index
    if tf_weights is None:
        return default_weights(count)
    w = tuple(tf_weights)
    if len(w) != count:
        raise ValueError(f"tf_weights needs one weight per timeframe from the focal up "
                         f"({count}: {result.ladder.timeframes[result.ladder.focal_index:]}), "
                         f"got {len(w)}")
    for k, x in enumerate(w):
        if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x) \
                or x <= 0:
            raise ValueError(f"tf_weights[{k}] must be a finite number > 0, got {x!r}")
    return tuple(float(x) for x in w)


def pooled_levels(result: MTFResult, i: int) -> list[Level]:
    """The levels projected onto base bar ``i``: the focal timeframe's (``Level.tf`` 0) and each
    higher timeframe's (``Level.tf`` = steps above the focal), NaNs dropped."""
    ld = result.ladder
    levels: list[Level] = []
    for step, tf in enumerate(ld.timeframes[ld.focal_index:]):
        p = int(result.period(tf)[i])
        if p >= 0:
            levels += [replace(lv, tf=step) for lv in focal_levels(result.result(tf), p)]
    return levels


def confluence(result: MTFResult, i: int | None = None, *,
               tf_weights: Sequence[float] | None = None) -> tuple[Zone, ...]:
    """Zones for base bar ``i`` (default N, the next bar), lowest first (spec §B9 confluence).

    Levels of the focal timeframe and of every timeframe above it, clustered with the focal
    tolerance (``k_zone`` x the focal AR3 of the period holding bar i); ``kind`` against the
    previous base close; ``nearby`` by the focal envelope rule (as ``engine.drummond.zones``).
    ``weight`` sums ``tf_weights[tf] · w_src`` over the zone's distinct (timeframe, source)
    pairs; ``tf_weights`` runs from the focal up (default 1.0, 1.5, 2.25: each HTF step x1.5).
    ``tf_count >= 2`` marks a multi-timeframe confluence. ``ValueError`` when ``i`` is out of
    1..N or the focal AR3 is not defined there yet.
    """
    n = len(result)
    i = n if i is None else int(i)
    if not 1 <= i <= n:
        raise ValueError(f"base bar i must be in 1..{n}, got {i}")
    weights = _weights(result, tf_weights)
    focal = result.focal
    q = int(result.period(result.ladder.focal)[i])
    tau = tolerance(focal, q) if q >= 0 else math.nan
    if not math.isfinite(tau):
        raise ValueError(f"confluence needs the focal ({result.ladder.focal}) AR3 for base bar "
                         f"{i}; it needs {focal.params.win} earlier {result.ladder.focal} bars")
    close = float(result.base.bars.close[i - 1])
    groups = cluster(pooled_levels(result, i), tau, focal.params.zone_max_width)
    near = _nearby_flags(groups, close, float(focal.pldot[q]), float(focal.etop[q]),
                         float(focal.ebot[q]))
    return tuple(_zone(g, close, nb, weights) for g, nb in zip(groups, near, strict=True))


def _zone(group: list[Level], close: float, nearby: bool,
          weights: tuple[float, ...]) -> Zone:
    lo, hi = group[0].price, group[-1].price
    pairs = dict.fromkeys((lv.tf, lv.source) for lv in group)  # in order: a stable sum
    weight = sum(weights[tf] * SOURCE_WEIGHT.get(src, LINE_WEIGHT) for tf, src in pairs)
    return Zone(lo=lo, hi=hi, mid=float(np.mean([lv.price for lv in group])),
                strength=len(pairs), tf_count=len({lv.tf for lv in group}),
                kind="R" if lo > close else ("S" if hi < close else "P"),
                sources=tuple(group), weight=weight, nearby=nearby)


def htf_containing(zone: Zone) -> bool:
    """Whether ``zone`` holds a level of a timeframe above the focal one."""
    return any(lv.tf > 0 for lv in zone.sources)
