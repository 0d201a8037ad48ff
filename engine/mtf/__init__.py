"""Multi-timeframe coordination (spec §B9): higher-timeframe overlays on lower-timeframe bars
without look-ahead, confluence zones pooled over timeframes, coordination flags, and ladders.

* ``overlay(bars, rule)``: one higher timeframe's projected levels and last completed state on
  every bar of ``bars`` (N+1 elements, element N for the next bar), optionally its live dot;
* ``analyze_ladder(bars, ladder)``: every timeframe of a ladder (``LADDERS``: intraday, swing,
  position, or a custom ``Ladder``) with its overlays on the lowest one and the §B9 flags;
* ``confluence(result, i)``: the zones of one bar pooled over the focal timeframe and the ones
  above it, with per-timeframe weights.

Importing this package loads numpy only; numba loads with the first computation.
"""

from engine.mtf.analyze import MTFResult, analyze_ladder
from engine.mtf.confluence import confluence, default_weights, htf_containing, pooled_levels
from engine.mtf.coordination import Coordination
from engine.mtf.ladder import DEFAULT_LADDER, LADDERS, Ladder, as_ladder
from engine.mtf.overlay import LiveOverlay, Overlay, overlay

__all__ = [
    "DEFAULT_LADDER",
    "LADDERS",
    "Coordination",
    "Ladder",
    "LiveOverlay",
    "MTFResult",
    "Overlay",
    "analyze_ladder",
    "as_ladder",
    "confluence",
    "default_weights",
    "htf_containing",
    "overlay",
    "pooled_levels",
]
