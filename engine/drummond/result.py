"""``DGResult``: the frozen outcome of ``analyze``, and the field catalogue the adapters use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.bars import Bars
from engine.drummond.params import DGParams

F64 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]
I32 = npt.NDArray[np.int32]
B1 = npt.NDArray[np.bool_]


class State(IntEnum):
    """Market state codes (spec §B8)."""

    UNDEF = 0
    TREND = 1
    CONG_ENTRANCE = 2
    CONG_ACTION = 3
    CONG_EXIT = 4
    TREND_REVERSAL = 5


class LineType(IntEnum):
    """Drummond line types. The numbered slots stay unmapped until their constructions are known
    (spec §B6); the UI can label lines with them without a schema change."""

    HH = 1
    LL = 2
    LH = 3  # read as "5-9 sell" by one public code base
    HL = 4  # read as "5-9 buy"
    D5_1 = 51
    D5_2 = 52
    D5_3 = 53
    D5_9 = 59
    D6_1 = 61
    D6_5 = 65
    D1_1 = 11


# Projected series: length N+1, element N is the value for the bar that has not formed yet.
PROJECTED_FIELDS: dict[str, type[np.generic]] = {
    "pldot": np.float64, "etop": np.float64, "ebot": np.float64, "ar3": np.float64,
    "one_one_dot": np.float64, "one_one_high": np.float64, "one_one_low": np.float64,
    "slope": np.float64, "dot_shape": np.int8, "dot_crest": np.bool_, "dot_valley": np.bool_,
    "dot_distance_increasing": np.bool_,
    "line_hh": np.float64, "line_ll": np.float64, "line_lh": np.float64, "line_hl": np.float64,
}
# Per-bar outcomes: length N, element t is known at the close of bar t.
PER_BAR_FIELDS: dict[str, type[np.generic]] = {
    "side": np.float64, "state": np.int8, "trend_dir": np.int8, "prior_dir": np.int8,
    "run_len": np.int32, "run_side": np.int8,
    "dotted": np.float64, "block": np.float64, "conf_hi": np.float64, "conf_lo": np.float64,
    "conf_expanded": np.bool_, "continued_entrance": np.bool_,
    "away_above": np.bool_, "away_below": np.bool_, "touch": np.bool_,
    "push_up": np.bool_, "push_down": np.bool_, "push_run": np.int32,
    "refresh_from_above": np.bool_, "refresh_from_below": np.bool_,
    "exhaust_up": np.bool_, "exhaust_down": np.bool_,
    "exhaust_up_confirmed": np.bool_, "exhaust_down_confirmed": np.bool_,
    "cwave_up": np.bool_, "cwave_down": np.bool_,
}
ARRAY_FIELDS: tuple[str, ...] = (*PROJECTED_FIELDS, *PER_BAR_FIELDS)
AREA_FIELDS: tuple[str, ...] = ("z6t", "z5t", "z2b", "z1b")
# The optional lines of ``DGParams.extended_lines``, in the row order of ``dg_lines_ext_nb``.
EXT_LINE_NAMES: tuple[str, ...] = (
    "HH_31", "LL_31", "LH_31", "HL_31", "HH_32", "LL_32", "LH_32", "HL_32", "CC", "DD",
)

# The report columns of `drummond analyze --out`, in this order (the contract).
REPORT_FIELDS: tuple[str, ...] = (
    "pldot", "etop", "ebot", "ar3", "one_one_dot", "one_one_high", "one_one_low", "slope",
    "dot_shape", "line_hh", "line_ll", "line_lh", "line_hl", "side", "state", "trend_dir",
    "prior_dir", "run_len", "dotted", "block", "conf_hi", "conf_lo", "conf_expanded", "push_up",
    "push_down", "refresh_from_above", "refresh_from_below", "exhaust_up", "exhaust_down",
    "cwave_up", "cwave_down",
)


@dataclass(frozen=True, eq=False)
class DGResult:
    """Every Drummond Geometry element for a series of bars (read-only arrays).

    ``exhaust_up[t]`` is the exhaust candidate of bar t; ``exhaust_up_confirmed[t]`` confirms the
    candidate of bar t-1. ``extra_lines`` holds the optional lines (``DGParams.extended_lines``),
    each aligned like the projected series; ``z6t``..``z1b`` are the experimental outer areas
    (``DGParams.experimental_areas``), else ``None``.
    """

    bars: Bars
    params: DGParams
    pldot: F64
    etop: F64
    ebot: F64
    ar3: F64
    one_one_dot: F64
    one_one_high: F64
    one_one_low: F64
    slope: F64
    dot_shape: I8
    dot_crest: B1
    dot_valley: B1
    dot_distance_increasing: B1
    line_hh: F64
    line_ll: F64
    line_lh: F64
    line_hl: F64
    side: F64
    state: I8
    trend_dir: I8
    prior_dir: I8
    run_len: I32
    run_side: I8
    dotted: F64
    block: F64
    conf_hi: F64
    conf_lo: F64
    conf_expanded: B1
    continued_entrance: B1
    away_above: B1
    away_below: B1
    touch: B1
    push_up: B1
    push_down: B1
    push_run: I32
    refresh_from_above: B1
    refresh_from_below: B1
    exhaust_up: B1
    exhaust_down: B1
    exhaust_up_confirmed: B1
    exhaust_down_confirmed: B1
    cwave_up: B1
    cwave_down: B1
    extra_lines: Mapping[str, F64] = field(default_factory=lambda: MappingProxyType({}))
    z6t: F64 | None = None
    z5t: F64 | None = None
    z2b: F64 | None = None
    z1b: F64 | None = None

    def __len__(self) -> int:
        """The number of input bars N (projected arrays have N+1 elements)."""
        return len(self.bars)

    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        """All array fields by name (projected and per-bar), without copies."""
        return {name: getattr(self, name) for name in ARRAY_FIELDS}
