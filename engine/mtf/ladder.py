"""Timeframe ladders (spec §B9 "typical ladders"): the presets and the checks a custom one passes.

A ladder lists its timeframes from the lowest up and names the *focal* one (where decisions are
made); everything above the focal is a higher timeframe (the first one above it is "the HTF" of
the coordination flags), anything below it a lower one. Every timeframe is built by
``engine.resample`` from the same input bars, so each must be a rule ``resample`` knows (the
lowest may also be one of its input lengths, e.g. ``1m``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from engine.resample import _ALIASES, _INPUT_SECONDS, INTRADAY_RULES, RULES

DAY = 86_400
# Nominal lengths, only to order calendar rules (a month is longer than a week, ...).
_CALENDAR_DAYS = {"1d": 1, "1w": 7, "1mo": 31, "1q": 92, "1y": 366}


def canonical(tf: str) -> str:
    """The engine's name of a timeframe (``1M`` -> ``1mo``, ``60m`` -> ``1h``); ValueError for a
    name neither ``engine.resample`` builds nor reads."""
    if not isinstance(tf, str):
        raise ValueError(f"ladder: a timeframe must be a string such as '1d', got {tf!r}")
    name = _ALIASES.get(tf, tf)
    if name not in RULES and name not in _INPUT_SECONDS:
        known = ", ".join(dict.fromkeys((*_INPUT_SECONDS, *RULES)))
        raise ValueError(f"ladder: unknown timeframe {tf!r} (known: {known})")
    return name


def length(tf: str) -> int:
    """Nominal seconds of a canonical timeframe (calendar rules by nominal day counts)."""
    if tf in _CALENDAR_DAYS:
        return _CALENDAR_DAYS[tf] * DAY
    return _INPUT_SECONDS.get(tf, INTRADAY_RULES.get(tf, 0))


@dataclass(frozen=True)
class Ladder:
    """Timeframes from the lowest up; ``focal`` is one of them, below the highest.

    >>> Ladder(("1d", "1w", "1mo")).htf
    '1w'
    """

    timeframes: tuple[str, ...]
    focal: str = ""
    name: str = "custom"

    def __post_init__(self) -> None:
        if isinstance(self.timeframes, str) or not isinstance(self.timeframes, Sequence):
            raise ValueError(f"ladder: timeframes must be a sequence such as ('1d', '1w'), "
                             f"got {self.timeframes!r}")
        tfs = tuple(canonical(tf) for tf in self.timeframes)
        if len(tfs) < 2:
            raise ValueError(f"ladder: needs at least two timeframes (a focal and a higher "
                             f"one), got {tfs}")
        for lower, higher in itertools.pairwise(tfs):
            _check_step(lower, higher)
        for tf in tfs[1:]:
            if tf not in RULES:
                raise ValueError(f"ladder: {tf} can only be the lowest timeframe "
                                 f"(engine.resample reads it but cannot build it)")
            _check_buildable(tfs[0], tf)
        focal = canonical(self.focal) if self.focal else tfs[0]
        if focal not in tfs:
            raise ValueError(f"ladder: focal {self.focal!r} is not one of {tfs}")
        if focal == tfs[-1]:
            raise ValueError(f"ladder: focal {focal} must be below the highest timeframe "
                             f"(the coordination needs a higher timeframe above it)")
        object.__setattr__(self, "timeframes", tfs)
        object.__setattr__(self, "focal", focal)

    @property
    def base(self) -> str:
        """The lowest timeframe: the bars every overlay is drawn on."""
        return self.timeframes[0]

    @property
    def focal_index(self) -> int:
        return self.timeframes.index(self.focal)

    @property
    def htf(self) -> str:
        """The timeframe directly above the focal one (the HTF of the coordination flags)."""
        return self.timeframes[self.focal_index + 1]

    @property
    def above_focal(self) -> tuple[str, ...]:
        return self.timeframes[self.focal_index + 1:]


def _check_step(lower: str, higher: str) -> None:
    if length(higher) <= length(lower):
        raise ValueError(f"ladder: each timeframe must be strictly higher than the one before "
                         f"it; {higher} follows {lower}")


def _check_buildable(base: str, tf: str) -> None:
    """``tf`` must be a whole number of ``base`` bars (resample's rule for intraday steps)."""
    if tf in INTRADAY_RULES and INTRADAY_RULES[tf] % length(base):
        raise ValueError(f"ladder: {tf} is not a whole number of {base} bars, so it cannot be "
                         f"built from them")


# Spec §B9. Intraday: 5m LTF / 15m focal / 60m HTF (src 10e). Swing: the spec's recommended app
# default, swing (B) on end-of-day data: daily focal with weekly and monthly overlays (§B12 "MTF
# preset: W + M over D"). Position: weekly LTF / monthly focal / quarterly HTF (src 10e).
LADDERS: dict[str, Ladder] = {
    "intraday": Ladder(("5m", "15m", "1h"), focal="15m", name="intraday"),
    "swing": Ladder(("1d", "1w", "1mo"), focal="1d", name="swing"),
    "position": Ladder(("1w", "1mo", "1q"), focal="1mo", name="position"),
}
DEFAULT_LADDER = "swing"


def as_ladder(spec: str | Sequence[str] | Ladder, focal: str = "") -> Ladder:
    """A ``Ladder`` from a preset name (``'intraday'``, ``'swing'``, ``'position'``), a sequence
    of timeframes (focal: ``focal``, else the lowest) or a ``Ladder``."""
    if isinstance(spec, Ladder):
        return spec if not focal else Ladder(spec.timeframes, focal, spec.name)
    if isinstance(spec, str):
        if spec not in LADDERS:
            raise ValueError(f"ladder: unknown preset {spec!r} (presets: "
                             f"{', '.join(LADDERS)}; or give the timeframes, e.g. "
                             f"('1d', '1w'))")
        preset = LADDERS[spec]
        return preset if not focal else Ladder(preset.timeframes, focal, spec)
    return Ladder(tuple(spec), focal)
