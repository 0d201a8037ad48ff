"""A higher timeframe's DG levels drawn on lower-timeframe bars without look-ahead (spec §B9).

Base bar i lies in HTF period ``p = period[i]`` (the period holding its first input bar). The
overlay holds the HTF *projected* values for period p, built from complete periods p-1, p-2,
p-3 only, and the state of HTF bar p-1, the last completed one: constant through the period
and known at its first base bar. Every array has N+1 elements; element N is for the base bar
that has not formed yet (the one still forming, if any, else the next).

The HTF analysis only ever sees complete periods: a last period still forming (``Resampled``
says so) is left out, so its values cannot leak. The optional live overlay (UI only, never in
backtests) is the provisional dot for period p+1 from the partial period p as it stood at the
close of base bar i, so it too uses bars <= i only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.bars import Bars
from engine.drummond import DGParams, DGResult, analyze
from engine.mtf.ladder import canonical
from engine.resample import Resampled, Session, resample

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]

# HTF projected fields gathered at period p, and per-bar fields taken from HTF bar p-1.
PROJECTED = ("pldot", "etop", "ebot", "ar3", "one_one_high", "one_one_low",
             "line_hh", "line_ll", "line_lh", "line_hl")
COMPLETED = ("state", "trend_dir", "prior_dir", "dotted", "block", "conf_hi", "conf_lo")


@dataclass(frozen=True, eq=False)
class LiveOverlay:
    """Provisional HTF projection for period ``period[i] + 1`` at the close of base bar i, from
    the partial period (its base bars up to i). N elements. UI only: it changes until the
    period ends, and equals the HTF projection at the period's last base bar."""

    pldot: F64
    etop: F64
    ebot: F64
    one_one_dot: F64
    one_one_high: F64
    one_one_low: F64


@dataclass(frozen=True, eq=False)
class Overlay:
    """One higher timeframe on N base bars; every array has N+1 elements (element N: the next
    base bar) and is read-only. ``period[i]`` indexes ``htf`` (-1: before its first period,
    values NaN and state UNDEF). Projected fields are ``htf``'s at ``period``; ``state``,
    ``trend_dir``, ``prior_dir``, ``dotted``, ``block``, ``conf_hi``, ``conf_lo`` are those of
    the last completed HTF bar, ``period - 1``."""

    rule: str
    htf: DGResult  # complete HTF periods only (given history first, if any)
    resampled: Resampled  # the periods built from the base data, the forming one included
    period: I64
    pldot: F64
    etop: F64
    ebot: F64
    ar3: F64
    one_one_high: F64
    one_one_low: F64
    line_hh: F64
    line_ll: F64
    line_lh: F64
    line_hl: F64
    state: I8
    trend_dir: I8
    prior_dir: I8
    dotted: F64
    block: F64
    conf_hi: F64
    conf_lo: F64
    live: LiveOverlay | None = field(default=None)

    def __len__(self) -> int:
        """The number of base bars N (arrays have N+1 elements)."""
        return int(self.period.shape[0]) - 1


def _frozen(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    a.flags.writeable = False
    return a


def check_params(params: DGParams | None) -> DGParams:
    p = DGParams() if params is None else params
    if not isinstance(p, DGParams):
        raise TypeError(f"params must be DGParams, got {type(p).__name__}")
    if p.displacement != 1:
        raise ValueError("multi-timeframe analysis needs DGParams.displacement=1: with 0 an "
                         "HTF value would include its own, still forming, period")
    return p


def period_index(base_first: I64, htf_first: I64) -> I64:
    """The HTF period holding each base bar: the last one whose first input bar is at or before
    the base bar's first input bar (-1 when none is)."""
    out: I64 = np.searchsorted(htf_first, base_first, side="right").astype(np.int64) - 1
    return out


def take(values: npt.NDArray[Any], index: I64) -> npt.NDArray[Any]:
    """``values[index]``, with NaN (0 for integer or bool values) where ``index`` < 0."""
    out = np.take(values, np.maximum(index, 0))
    before = index < 0
    if before.any():
        out[before] = np.nan if out.dtype.kind == "f" else 0
    return out


def gather(htf: DGResult, period: I64) -> dict[str, npt.NDArray[Any]]:
    """The overlay arrays for ``period`` (one entry per base target bar)."""
    out: dict[str, npt.NDArray[Any]] = {}
    for name in PROJECTED:
        out[name] = _frozen(take(getattr(htf, name), period))
    done = period - 1
    for name in COMPLETED:
        src = getattr(htf, name)
        out[name] = _frozen(take(src, done) if src.shape[0] else
                            np.full(period.shape[0], np.nan if src.dtype.kind == "f" else 0,
                                    dtype=src.dtype))
    return out


def live_overlay(base: Bars, period: I64, htf: DGResult) -> LiveOverlay:
    """The live overlay of ``base`` bars in HTF periods ``period`` (length N)."""
    from engine.nb.mtf import htf_live_nb

    n = len(base)
    outs = [np.empty(n) for _ in range(6)]
    hb = htf.bars
    htf_live_nb(base.high, base.low, base.close, np.ascontiguousarray(period[:n]), hb.high,
                hb.low, hb.close, htf.params.win, htf.params.envelope_mode == "hl_avg", *outs)
    return LiveOverlay(*(_frozen(a) for a in outs))


def complete_bars(res: Resampled) -> Bars:
    """The periods of ``res`` that have ended (the last one left out while it is forming)."""
    return res.bars if res.last_complete else res.bars[:len(res.bars) - 1]


def build(rule: str, res: Resampled, htf: DGResult, period: I64, base: Bars,
          live: bool) -> Overlay:
    """Gather an ``Overlay`` (``period`` has N+1 entries, indexes ``htf``)."""
    arrays = gather(htf, period)
    lv = live_overlay(base, period, htf) if live else None
    return Overlay(rule=rule, htf=htf, resampled=res, period=_frozen(period), live=lv,
                   **arrays)


def overlay(bars: Bars, rule: str, *, params: DGParams | None = None,
            session: Session | None = None, now: float | None = None,
            live: bool = False) -> Overlay:
    """The ``rule`` timeframe's DG levels on ``bars`` (spec §B9), without look-ahead.

    ``bars`` are taken as they are (all complete); the HTF is ``resample(bars, rule,
    session=session, now=now)``, analysed on its complete periods with ``params``. Element N is
    for the next bar of ``bars``: in the last HTF period while it is forming, else in the next
    period. ``live=True`` adds the provisional next-period dot (UI only). ``ValueError`` for a
    rule ``resample`` cannot build from ``bars`` or ``params.displacement`` 0.

    >>> import numpy as np
    >>> from engine import Bars
    >>> days = np.arange(20, dtype=np.int64) * 86_400 + 4 * 86_400  # Mon 5 Jan 1970 on
    >>> c = 100.0 + np.arange(20)
    >>> ov = overlay(Bars.from_arrays(days, c, c + 1, c - 1, c), "1w")
    >>> ov.period[:8].tolist()
    [0, 0, 0, 0, 0, 0, 0, 1]
    """
    if not isinstance(bars, Bars):
        raise TypeError(f"overlay() needs engine.Bars, got {type(bars).__name__}")
    p = check_params(params)
    r = canonical(rule)
    res = resample(bars, r, session=session, now=now)
    htf = analyze(complete_bars(res), p)
    n = len(bars)
    period = np.empty(n + 1, dtype=np.int64)
    period[:n] = period_index(np.arange(n, dtype=np.int64), res.first_index)
    period[n] = len(res.bars) - 1 + int(res.last_complete)
    return build(r, res, htf, period, bars, live)
