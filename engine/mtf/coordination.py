"""Coordination flags per base bar (spec §B9) and the level columns they and confluence pool.

``flow`` of a timeframe is +1/-1 while its last completed bar is in TREND, CONG_EXIT or
TREND_REVERSAL with that trend direction, else 0 (congestion). For the base timeframe the last
completed bar at the close of bar i is bar i itself; for every higher one it is the bar before
the period holding bar i (the overlay's ``state``), so a flag at bar i is known at its close.

The support/resistance tests pool, for target bar i, the focal timeframe's levels and those of
every timeframe above it (spec §B7) with the focal tolerance, and look at the zones that hold at
least one higher-timeframe level (an "HTF-containing" zone) and lie wholly below (S) or above
(R) the previous close.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.drummond import DGResult, State
from engine.mtf.overlay import take

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]
B1 = npt.NDArray[np.bool_]

FLOW_STATES = (State.TREND, State.CONG_EXIT, State.TREND_REVERSAL)
_CONGESTION = (State.CONG_ENTRANCE, State.CONG_ACTION)


@dataclass(frozen=True, eq=False)
class Coordination:
    """Per base bar (N elements, known at the bar's close; read-only).

    ``flow[k]`` is the flow of ``timeframes[k]``; ``coordinated_up``: the HTF (the timeframe
    directly above the focal) and the focal both flow up; ``conflicting``: they flow opposite
    ways; ``htf_support_test``: the bar's low came within tau of (or into) an HTF-containing
    support zone and the close stayed above its bottom; ``htf_resistance_test`` mirrors it.
    """

    timeframes: tuple[str, ...]
    focal: str
    htf: str
    flow: I8  # shape (len(timeframes), N)
    coordinated_up: B1
    coordinated_down: B1
    conflicting: B1
    htf_support_test: B1
    htf_resistance_test: B1

    def flow_of(self, tf: str) -> I8:
        """The flow row of timeframe ``tf``."""
        row: I8 = self.flow[self.timeframes.index(tf)]
        return row


def flow(state: I8, trend_dir: I8) -> I8:
    """Spec §B9 flow: the trend direction while the state is a trending one, else 0."""
    trending = np.isin(state, np.array(FLOW_STATES, dtype=np.int8))
    out: I8 = np.where(trending, trend_dir, 0).astype(np.int8)
    return out


def level_sources(result: DGResult) -> list[tuple[str, F64]]:
    """Every level ``engine.drummond.zones.focal_levels`` gathers, as columns over the target
    bars 0..M of ``result`` (congestion levels as of the bar before, while it is in congestion).
    """
    cols: list[tuple[str, F64]] = [
        ("PL", result.pldot), ("ETOP", result.etop), ("EBOT", result.ebot),
        ("OOH", result.one_one_high), ("OOL", result.one_one_low),
        ("HH", result.line_hh), ("LL", result.line_ll), ("LH", result.line_lh),
        ("HL", result.line_hl),
    ]
    cols += list(result.extra_lines.items())
    if result.z6t is not None and result.z5t is not None and result.z2b is not None \
            and result.z1b is not None:
        cols += [("Z6T", result.z6t), ("Z5T", result.z5t), ("Z2B", result.z2b),
                 ("Z1B", result.z1b)]
    if result.params.zone_congestion_levels:
        congested = np.isin(result.state, np.array(_CONGESTION, dtype=np.int8))
        for name, arr in (("DOTTED", result.dotted), ("BLOCK", result.block),
                          ("CONF_HI", result.conf_hi), ("CONF_LO", result.conf_lo)):
            col = np.full(arr.shape[0] + 1, np.nan)
            col[1:] = np.where(congested, arr, np.nan)
            cols.append((name, col))
    return cols


def level_matrix(results: Sequence[DGResult], periods: Sequence[I64]) -> tuple[F64, I64]:
    """(levels, tf): one row per base target bar, one column per (timeframe, source); ``tf`` is
    the column's step above the focal timeframe (``results[0]``)."""
    cols: list[tuple[int, F64, I64]] = []
    for step, (res, period) in enumerate(zip(results, periods, strict=True)):
        cols += [(step, arr, period) for _, arr in level_sources(res)]
    levels = np.empty((periods[0].shape[0], len(cols)))
    for j, (_, arr, period) in enumerate(cols):
        levels[:, j] = take(arr, period)
    return levels, np.array([c[0] for c in cols], dtype=np.int64)


def tolerance(focal: DGResult, period: I64) -> F64:
    """The zone tolerance of every base target bar (``engine.drummond.zones.tolerance`` of the
    focal timeframe at its period)."""
    p = focal.params
    if p.zone_ticks > 0 and p.tick > 0:
        ticks = np.full(focal.ar3.shape[0], p.zone_ticks * p.tick)
        return take(ticks, period)
    out: F64 = p.k_zone * take(focal.ar3, period)
    return out


def zone_tests(base: DGResult, pooled: Sequence[DGResult],
               periods: Sequence[I64]) -> tuple[B1, B1]:
    """(htf_support_test, htf_resistance_test) per base bar; ``pooled`` runs from the focal
    timeframe up, ``periods[k]`` maps base target bars (N+1) onto ``pooled[k]``."""
    from engine.nb.mtf import htf_zone_tests_nb

    n = len(base)
    levels, tf = level_matrix(pooled, periods)
    tau = tolerance(pooled[0], periods[0])
    sup = np.empty(n, dtype=np.bool_)
    res = np.empty(n, dtype=np.bool_)
    b = base.bars
    htf_zone_tests_nb(levels, tf, tau, b.high, b.low, b.close,
                      float(pooled[0].params.zone_max_width), sup, res)
    return sup, res


def coordinate(timeframes: tuple[str, ...], focal: str, base: DGResult,
               completed: Sequence[tuple[I8, I8]], pooled: Sequence[DGResult],
               periods: Sequence[I64]) -> Coordination:
    """The flags. ``completed[k]`` is (state, trend_dir) of ``timeframes[k + 1]``'s last
    completed bar per base bar (the overlays'); the base's own come from ``base``."""
    n = len(base)
    rows = [flow(base.state, base.trend_dir)]
    rows += [flow(s[:n], d[:n]) for s, d in completed]
    flows = np.vstack(rows).astype(np.int8) if n else np.zeros((len(rows), 0), np.int8)
    k = timeframes.index(focal)
    f_focal, f_htf = flows[k], flows[k + 1]
    sup, res = zone_tests(base, pooled, periods)
    arrays = {"flow": flows, "coordinated_up": (f_htf == 1) & (f_focal == 1),
              "coordinated_down": (f_htf == -1) & (f_focal == -1),
              "conflicting": (f_htf.astype(np.int16) * f_focal) == -1,
              "htf_support_test": sup, "htf_resistance_test": res}
    for a in arrays.values():
        a.flags.writeable = False
    return Coordination(timeframes=timeframes, focal=focal, htf=timeframes[k + 1],
                        **arrays)
