"""Price levels: Donchian channels, session VWAP, pivot points, fractal swing highs and lows.

Donchian is TA-Lib's DONCHIAN and VWAP, with one session, TA-Lib's VWAP. Decisions (session
anchors, alignment, ties, look-ahead) are in ``engine/README.md`` ("Trend and levels"). Pivots
and swings are where look-ahead hides: pivots for period i come from period i-1 only, and a
swing at bar i is known only at bar ``i + right`` (``Swings.*_known``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.indicators._common import F64, frozen, outputs, period, same_length, series
from engine.indicators.oscillators import _hlc

I64 = npt.NDArray[np.int64]
B1 = npt.NDArray[np.bool_]
DAY = 86_400
PIVOT_METHODS = {"floor": 0, "classic": 0, "fibonacci": 1, "camarilla": 2}


@dataclass(frozen=True)
class Donchian:
    """Donchian channel ``upper`` (highest high), ``middle``, ``lower`` (lowest low), length N."""

    upper: F64
    middle: F64
    lower: F64


@dataclass(frozen=True)
class Pivots:
    """Pivot levels, each of length N+1 (the engine's *projected* alignment): element i holds
    the levels for period i computed from period i-1 (element 0 is NaN), element N the levels
    for the period after the last one. R4/S4 are NaN except for Camarilla."""

    pivot: F64
    r1: F64
    r2: F64
    r3: F64
    r4: F64
    s1: F64
    s2: F64
    s3: F64
    s4: F64


@dataclass(frozen=True)
class Swings:
    """Fractal swing flags (bool, length N). ``high[i]``/``low[i]`` mark the swing bar itself,
    which is only known ``delay`` (= ``right``) bars later; ``high_known[t]``/``low_known[t]``
    are set at that later bar t = i + delay, the only flags a scanner or backtest may read at
    bar t."""

    high: B1
    low: B1
    high_known: B1
    low_known: B1
    delay: int


def donchian(high: Any, low: Any, timeperiod: int = 20) -> Donchian:
    """Donchian channels over ``timeperiod`` bars *including* the current one, as TA-Lib's
    DONCHIAN (its ``upperband``/``middleband``/``lowerband`` are ``upper``/``middle``/``lower``):
    the highest high, their mean, the lowest low; NaN for the first ``timeperiod - 1`` bars.
    ``timeperiod=1`` (TA-Lib: 2 at least) gives the bar's own high and low. A breakout rule
    compares a bar with the channel of the bar before it."""
    from engine.nb.indicators_trend import donchian_nb

    h = series("donchian", "high", high)
    lo = series("donchian", "low", low)
    same_length("donchian", high=h, low=lo)
    p = period("donchian", "timeperiod", timeperiod)
    upper, middle, lower = outputs(h.shape[0], 3)
    donchian_nb(h, lo, p, np.empty(p), np.empty(p), upper, middle, lower)
    return Donchian(frozen(upper), frozen(middle), frozen(lower))


def vwap(high: Any, low: Any, close: Any, volume: Any, session_id: Any, *,
         before_volume: float = 0.0) -> F64:
    """Session-anchored VWAP of the typical price (H+L+C)/3 weighted by volume. A session
    starts wherever ``session_id`` (an integer per bar, e.g. ``session_ids(bars.ts, session)``)
    changes; ``None`` is one session over the whole series. TA-Lib's VWAP is that one-session
    case, reproduced exactly: a zero-volume bar repeats the last value, a bar whose price or
    volume is not finite is skipped (repeats it too), and until the session has traded the
    value is ``before_volume`` -- 0.0 as TA-Lib; pass ``before_volume=np.nan`` to draw nothing
    there (a volume-less series is then all NaN). Negative volume is refused."""
    from engine.nb.indicators_trend import VWAP_BLOCK, vwap_nb

    h, lo, c = _hlc("vwap", high, low, close)
    v = series("vwap", "volume", volume)
    same_length("vwap", close=c, volume=v)
    sid = _session_ids_arg(session_id, c.shape[0])
    if isinstance(before_volume, bool) or not isinstance(before_volume, float | int):
        raise ValueError(f"vwap: before_volume must be a number, got {before_volume!r}")
    out = outputs(c.shape[0], 1)[0]
    spv, svol = np.empty(VWAP_BLOCK), np.empty(VWAP_BLOCK)
    if vwap_nb(h, lo, c, v, sid, float(before_volume), spv, svol, out) < 0.0:
        bar = int(np.flatnonzero(v < 0)[0])
        raise ValueError(f"vwap: volume must not be negative (bar {bar}: {v[bar]})")
    return frozen(out)


def _session_ids_arg(session_id: Any, n: int) -> I64:
    """``session_id`` as contiguous int64 of length ``n``; ``None`` (one session) as an empty
    array, which the kernel reads as "no boundaries"."""
    if session_id is None:
        return np.zeros(0, dtype=np.int64)
    sid = np.asarray(session_id)
    if sid.dtype.kind not in "iu" or sid.ndim != 1:
        raise ValueError(f"vwap: session_id must be a 1-D integer array or None, got dtype "
                         f"{sid.dtype} and shape {sid.shape}")
    if sid.shape[0] != n:
        raise ValueError(f"vwap: session_id has {sid.shape[0]} values but close has {n}; all "
                         f"inputs must have the same length")
    return np.ascontiguousarray(sid, dtype=np.int64)


def session_ids(ts: Any, session: Any) -> I64:
    """The local trading date of each bar in ``session``'s time zone (days since 1970-01-01), to
    anchor ``vwap`` to sessions. ``session`` is an ``engine.resample.Session`` (e.g.
    ``session_for(bars.symbol)``); sessions do not cross midnight, so a local date is one
    session, and pre- or post-market bars join their day's VWAP (pass your own ids to anchor
    differently, e.g. by week)."""
    from engine.resample import Session, zone_transitions

    if not isinstance(session, Session):
        raise ValueError(f"session_ids: session must be an engine.resample.Session, "
                         f"got {type(session).__name__}")
    t = np.asarray(ts)
    if t.dtype.kind not in "iu" or t.ndim != 1:
        raise ValueError(f"session_ids: ts must be 1-D integer epoch seconds, got dtype "
                         f"{t.dtype} and shape {t.shape}")
    t = t.astype(np.int64, copy=False)
    if t.size == 0:
        return _frozen_i64(np.zeros(0, dtype=np.int64))
    starts, offs = zone_transitions(session.tz, int(t.min()), int(t.max()))
    local = t + offs[np.searchsorted(starts, t, side="right") - 1]
    return _frozen_i64(local // DAY)


def _frozen_i64(a: I64) -> I64:
    a.flags.writeable = False
    return a


def pivots(high: Any, low: Any, close: Any, method: str = "floor") -> Pivots:
    """Pivot points from per-period H/L/C (e.g. daily bars): ``floor`` (alias ``classic``: P,
    R1-R3, S1-S3), ``fibonacci`` (P ± 0.382/0.618/1.0 of the range) or ``camarilla`` (C ±
    1.1/12, 1.1/6, 1.1/4, 1.1/2 of the range, R1-R4 and S1-S4). See ``Pivots`` for the N+1
    alignment.

    On intraday bars, give each bar the levels from the last session *before* its local date
    (the N+1 alignment makes this one lookup; element 0 is NaN before the first session)::

        day = resample(bars, "1d").bars            # session dates at 00:00 UTC
        pv = pivots(day.high, day.low, day.close)
        k = np.searchsorted(day.ts, session_ids(bars.ts, session) * 86_400)
        level = pv.pivot[k]

    Pre- and post-market bars get their date's levels; a weekend or holiday bar those for the
    next session (from the last completed one).
    """
    from engine.nb.indicators_trend import pivots_nb

    h, lo, c = _hlc("pivots", high, low, close)
    if method not in PIVOT_METHODS:
        raise ValueError(f"pivots: method must be one of {', '.join(PIVOT_METHODS)}, "
                         f"got {method!r}")
    levels = np.empty((9, c.shape[0] + 1), dtype=np.float64)
    pivots_nb(h, lo, c, PIVOT_METHODS[method], levels)
    levels.flags.writeable = False
    return Pivots(*levels)


def swings(high: Any, low: Any, left: int = 2, right: int = 2) -> Swings:
    """Fractal swing highs and lows: bar i is a swing high when its high is strictly above the
    highs of the ``left`` bars before and the ``right`` bars after it (equal highs are not a
    swing, so a flat double top marks neither bar); a swing low mirrors it with lows. The first
    ``left`` and last ``right`` bars lack a full window and are never swings. The flag at bar i
    looks ahead ``right`` bars; ``high_known``/``low_known`` carry it at bar ``i + right``."""
    from engine.nb.indicators_trend import swings_nb

    h = series("swings", "high", high)
    lo = series("swings", "low", low)
    n = same_length("swings", high=h, low=lo)
    lf = period("swings", "left", left)
    rt = period("swings", "right", right, 0)
    flags = np.zeros((4, n), dtype=np.bool_)
    swings_nb(h, lo, lf, rt, flags[0], flags[1], flags[2], flags[3])
    flags.flags.writeable = False
    return Swings(flags[0], flags[1], flags[2], flags[3], rt)
