"""``DGParams``: every parameter and variant of the spec's §B12, with the spec's defaults."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

EnvelopeMode = Literal["one_one", "hl_avg"]
TiePolicy = Literal["neutral", "carry"]
ReversalMode = Literal["direct", "any_opposite"]

_CHOICES: dict[str, tuple[str, ...]] = {
    "envelope_mode": ("one_one", "hl_avg"),
    "tie_policy": ("neutral", "carry"),
    "reversal_mode": ("direct", "any_opposite"),
}
_MIN_INT = {"win": 1, "trend_len": 1, "min_away": 1, "n_cw": 1}
_NONNEG_FLOAT = ("tie_eps", "flat_thr", "k_push", "k_exh", "m_exh", "k_zone", "zone_ticks",
                 "buffer", "tick")


@dataclass(frozen=True)
class DGParams:
    """Drummond Geometry parameters. Tags: [S] sourced, [P] practitioner, [I] our design choice.

    Attributes
    ----------
    win : bars in the dot and envelope averages (3) [S]; other values are for research only.
    displacement : 1 plots the dot on the next bar [S]; 0 is the non-displaced research variant,
        whose element t uses bars t-2..t and whose element N is NaN.
    envelope_mode : ``'one_one'`` mean of 1-1 highs/lows [P]; ``'hl_avg'`` mean of highs/lows.
    trend_len : closes on one side of the dot that make a trend run (3) [S].
    tie_eps : a close within ``tie_eps`` of the dot is a tie (side 0) [I].
    tie_policy : ``'neutral'`` a tie resets the run and keeps a trend; ``'carry'`` a tie counts as
        the side of the previous close [I].
    dotted_includes_entrance : the dotted line also considers the entrance bar [I].
    exit_requires_break : a congestion exit needs its completing close beyond the confines [P].
    reversal_mode : ``'direct'`` entrance + next closes all on the new side [S];
        ``'any_opposite'`` any exit against the prior trend [P].
    flat_thr : |slope| / AR3 at or below this is a flat dot [I].
    k_push : allowed penetration of the dot in a push bar, × AR3 [I].
    min_away : bars wholly away from the dot before a touch counts as a refresh [I].
    k_exh, m_exh : exhaust: close distance from the dot and bar range, × AR3 [I].
    n_cw : consecutive closes beyond the envelope for a C-wave [I].
    cwave_requires_slope : a C-wave also needs the dot sloping its way [I].
    k_zone : zone clustering tolerance, × focal AR3 of the target bar [I].
    zone_ticks : when > 0 (and ``tick`` > 0), the tolerance is this many ticks instead [I].
    zone_max_width : a zone never grows wider than this multiple of the tolerance [I].
    zone_congestion_levels : while in congestion, the dotted line, block level and confines of
        the bar before join the zone levels (spec §B7). The spec's worked example C5 leaves them
        out; set False to reproduce it.
    buffer : stop buffer for the setups, × AR3 [I] (used by the backtester).
    tick : the instrument's minimum price increment; 0 means exact float comparison.
    extended_lines : also project lines anchored one and two bars further back, the
        close-to-close line and the dot-to-dot line [I].
    experimental_areas : also compute the unverified outer areas Z6T, Z5T, Z2B, Z1B [I].
    """

    win: int = 3
    displacement: int = 1
    envelope_mode: EnvelopeMode = "one_one"
    trend_len: int = 3
    tie_eps: float = 0.0
    tie_policy: TiePolicy = "neutral"
    dotted_includes_entrance: bool = False
    exit_requires_break: bool = False
    reversal_mode: ReversalMode = "direct"
    flat_thr: float = 0.10
    k_push: float = 0.0
    min_away: int = 1
    k_exh: float = 1.0
    m_exh: float = 1.5
    n_cw: int = 2
    cwave_requires_slope: bool = False
    k_zone: float = 0.10
    zone_ticks: float = 0.0
    zone_max_width: float = 2.0
    zone_congestion_levels: bool = True
    buffer: float = 0.10
    tick: float = 0.0
    extended_lines: bool = False
    experimental_areas: bool = False

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type in ("bool",) and not isinstance(value, bool):
                raise TypeError(f"DGParams.{f.name} must be a bool, got {value!r}")
        for name, lowest in _MIN_INT.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
                raise ValueError(f"DGParams.{name} must be an integer >= {lowest}, got {value!r}")
        if self.displacement not in (0, 1) or isinstance(self.displacement, bool):
            raise ValueError(f"DGParams.displacement must be 0 or 1, got {self.displacement!r}")
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"DGParams.{name} must be one of {allowed}, got {getattr(self, name)!r}")
        for name in _NONNEG_FLOAT:
            value = getattr(self, name)
            if (isinstance(value, bool) or not isinstance(value, int | float)
                    or not math.isfinite(value) or value < 0):
                raise ValueError(f"DGParams.{name} must be a finite number >= 0, got {value!r}")
        if self.zone_max_width < 1:
            raise ValueError(
                f"DGParams.zone_max_width must be >= 1, got {self.zone_max_width!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DGParams:
        """Build from a mapping; unknown keys are an error that names them."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown DGParams field(s): {', '.join(unknown)}")
        return cls(**data)
