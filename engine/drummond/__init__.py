"""Drummond Geometry: PLdot, envelope, 1-1 levels, lines, zones, market states and patterns.

See ``engine/README.md`` for the conventions, and ``../shared/spec/drummond-geometry.md`` for the
methodology the kernels follow.
"""

from engine.drummond.analyze import allocate, analyze, compute_into
from engine.drummond.nextbar import Congestion, NextBarMap, Termination, next_bar_map
from engine.drummond.outcomes import LiveProjection, level_outcomes, live_projection
from engine.drummond.params import DGParams
from engine.drummond.result import (
    PER_BAR_FIELDS,
    PROJECTED_FIELDS,
    REPORT_FIELDS,
    DGResult,
    LineType,
    State,
)
from engine.drummond.zones import Level, Zone, air, zones

__all__ = [
    "PER_BAR_FIELDS",
    "PROJECTED_FIELDS",
    "REPORT_FIELDS",
    "Congestion",
    "DGParams",
    "DGResult",
    "Level",
    "LineType",
    "LiveProjection",
    "NextBarMap",
    "State",
    "Termination",
    "Zone",
    "air",
    "allocate",
    "analyze",
    "compute_into",
    "level_outcomes",
    "live_projection",
    "next_bar_map",
    "zones",
]
