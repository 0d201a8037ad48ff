"""How projected levels fared on their bar (spec §B6 "holds on close"), and the live PLdot
(spec §B2) for a bar that is still forming."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.drummond.result import DGResult

# Outcome codes of a level on its target bar, judged at that bar's close.
NOT_REACHED = 0
HELD = 1  # touched, and the close stayed on the original side
BROKEN = 2  # closed beyond the level
AT_CLOSE = 3  # touched and closed exactly on it

# Role of a level for its target bar t, against the close of bar t-1.
RESISTANCE = 1
SUPPORT = -1
PIVOT = 0

LEVEL_FIELDS = ("pldot", "etop", "ebot", "one_one_high", "one_one_low",
                "line_hh", "line_ll", "line_lh", "line_hl")


def level_outcomes(result: DGResult, field: str) -> tuple[npt.NDArray[np.int8],
                                                           npt.NDArray[np.int8]]:
    """(role, outcome) per bar for the projected level ``field`` (e.g. ``"line_hh"``).

    A resistance (level above the previous close) is touched when the high reaches it and holds
    when the close stays below it; a support mirrors that. A pivot (level equal to the previous
    close) holds as whichever side the close leaves it on. Bars whose level is undefined get
    role 0 and outcome ``NOT_REACHED``.
    """
    if field not in LEVEL_FIELDS and field not in result.extra_lines:
        raise ValueError(f"unknown level {field!r}; one of {', '.join(LEVEL_FIELDS)}")
    level = result.extra_lines[field] if field in result.extra_lines else getattr(result, field)
    b = result.bars
    n = len(b)
    lv = np.asarray(level[:n], dtype=np.float64)
    prev = np.full(n, np.nan)
    prev[1:] = b.close[:-1]
    h, lo, c = b.high, b.low, b.close
    ok = np.isfinite(lv) & np.isfinite(prev)
    role = np.where(lv > prev, RESISTANCE, np.where(lv < prev, SUPPORT, PIVOT))
    role = np.where(ok, role, PIVOT).astype(np.int8)
    up_touch = h >= lv
    down_touch = lo <= lv
    touched = np.where(role == RESISTANCE, up_touch,
                       np.where(role == SUPPORT, down_touch, up_touch & down_touch))
    beyond = np.where(role == RESISTANCE, c > lv, np.where(role == SUPPORT, c < lv, False))
    out = np.full(n, NOT_REACHED, dtype=np.int8)
    out[touched] = HELD
    out[touched & (c == lv)] = AT_CLOSE
    out[beyond] = BROKEN
    out[~ok] = NOT_REACHED
    return role, out


@dataclass(frozen=True)
class LiveProjection:
    """Provisional projections for the bar after the one still forming. UI only: never use them
    in a backtest (they change until the forming bar closes)."""

    pldot: float
    etop: float
    ebot: float
    one_one_dot: float
    one_one_high: float
    one_one_low: float


def live_projection(result: DGResult, high: float, low: float, last: float) -> LiveProjection:
    """The live PLdot (spec §B2) and envelope from the forming bar's running high, low and last
    price plus the two newest completed bars. Needs at least ``win - 1`` completed bars."""
    win = result.params.win
    b = result.bars
    if len(b) < win - 1:
        raise ValueError(f"the live PLdot needs {win - 1} completed bars, got {len(b)}")
    if not (np.isfinite([high, low, last]).all() and low <= last <= high):
        raise ValueError(f"forming bar must satisfy low <= last <= high, got "
                         f"high={high!r} low={low!r} last={last!r}")
    k = win - 1
    hs = np.append(b.high[len(b) - k:], high)
    ls = np.append(b.low[len(b) - k:], low)
    cs = np.append(b.close[len(b) - k:], last)
    sh, sl, sc = float(hs.sum()), float(ls.sum()), float(cs.sum())
    pl = (sh + sl + sc) / (3.0 * win)
    if result.params.envelope_mode == "hl_avg":
        etop, ebot = sh / win, sl / win
    else:
        etop, ebot = 2.0 * pl - sl / win, 2.0 * pl - sh / win
    tp = (high + low + last) / 3.0
    return LiveProjection(pldot=pl, etop=etop, ebot=ebot, one_one_dot=tp,
                          one_one_high=2.0 * tp - low, one_one_low=2.0 * tp - high)

