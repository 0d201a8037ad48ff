"""Trend indicators: Parabolic SAR and SuperTrend (both TA-Lib's), Keltner channels, Ichimoku.

Decisions where no TA-Lib function fixes the answer are in ``engine/README.md`` ("Trend and
levels"); in short: Keltner is an EMA ± a multiple of TA-Lib's ATR, and Ichimoku's
forward-shifted spans are stored at the bar they apply to, with the values projected past the
last bar returned separately.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.indicators._common import F64, factor, frozen, outputs, period, same_length, series
from engine.indicators.oscillators import _hlc

I32 = npt.NDArray[np.int32]


@dataclass(frozen=True)
class SuperTrend:
    """TA-Lib SUPERTREND's outputs, length N: ``supertrend`` (float64, NaN for the first
    ``timeperiod`` bars) and ``trend`` (int32 as TA-Lib's: 1 up, the line is the lower band;
    -1 down, the upper band; 0 before the first value)."""

    supertrend: F64
    trend: I32


@dataclass(frozen=True)
class Keltner:
    """Keltner channel ``upper``, ``middle`` (the EMA) and ``lower``, read-only, length N."""

    upper: F64
    middle: F64
    lower: F64


@dataclass(frozen=True)
class Ichimoku:
    """Ichimoku lines, length N, plus the cloud projected past the last bar.

    ``senkou_a[i]``/``senkou_b[i]`` are the cloud that applies to bar i, computed from bars up
    to ``i - displacement``; ``senkou_a_ahead[j]``/``senkou_b_ahead[j]`` (length
    ``displacement``) are the cloud for the future bar ``N + j``, from bar ``N - displacement +
    j``. ``chikou[i]`` is ``close[i + displacement]``, plotted back on bar i: it is a drawing
    aid that looks ahead (NaN for the last ``displacement`` bars) and must not feed a backtest;
    compare ``close[i]`` with ``close[i - displacement]`` instead.
    """

    tenkan: F64
    kijun: F64
    senkou_a: F64
    senkou_b: F64
    chikou: F64
    senkou_a_ahead: F64
    senkou_b_ahead: F64


def _at_least(func: str, name: str, value: Any, low: float) -> float:
    v = factor(func, name, value)
    if v < low:
        raise ValueError(f"{func}: {name} must be >= {low}, got {v}")
    return v


def sar(high: Any, low: Any, acceleration: float = 0.02, maximum: float = 0.2) -> F64:
    """Parabolic SAR exactly as TA-Lib's SAR (Wilder's stop and reverse; TA-Lib's start: the
    first trend is short when bar 1's -DM is positive, else long). NaN at bar 0. An
    ``acceleration`` above ``maximum`` is lowered to it, as TA-Lib does.

    >>> import numpy as np
    >>> sar(np.array([10.0, 11.0, 12.0]), np.array([9.0, 10.0, 11.0])).round(2).tolist()
    [nan, 9.0, 9.04]
    """
    from engine.nb.indicators_trend import sar_nb

    h = series("sar", "high", high)
    lo = series("sar", "low", low)
    same_length("sar", high=h, low=lo)
    mx = _at_least("sar", "maximum", maximum, 0.0)
    acc = min(_at_least("sar", "acceleration", acceleration, 0.0), mx)
    out = outputs(h.shape[0], 1)[0]
    sar_nb(h, lo, acc, mx, out)
    return frozen(out)


def supertrend(high: Any, low: Any, close: Any, timeperiod: int = 10,
               multiplier: float = 3.0) -> SuperTrend:
    """SuperTrend exactly as TA-Lib's SUPERTREND: bands ``(H+L)/2 ± multiplier·ATR(timeperiod)``
    (TA-Lib's Wilder ATR) that move only toward price until a close crosses them; the line is
    the lower band in an uptrend and the upper band in a downtrend. The first value, at bar
    ``timeperiod``, is an uptrend (TA-Lib's start; TradingView starts down and signs its
    direction the other way round, see ``engine/README.md``). A trend turns down when a close
    falls below the lower band and up when one rises above the upper band. ``timeperiod >= 2``
    and ``multiplier >= 0`` as TA-Lib requires.

    >>> import numpy as np
    >>> st = supertrend(np.array([10.0, 11, 12, 13]), np.array([9.0, 10, 11, 12]),
    ...                 np.array([9.5, 10.5, 11.5, 12.5]), timeperiod=2, multiplier=1.0)
    >>> st.supertrend.tolist(), st.trend.tolist()
    ([nan, nan, 10.0, 11.0], [0, 0, 1, 1])
    """
    from engine.nb.indicators_trend import supertrend_nb

    h, lo, c = _hlc("supertrend", high, low, close)
    p = period("supertrend", "timeperiod", timeperiod, 2)
    m = _at_least("supertrend", "multiplier", multiplier, 0.0)
    line = outputs(c.shape[0], 1)[0]
    trend = np.empty(c.shape[0], dtype=np.int32)
    supertrend_nb(h, lo, c, p, m, line, trend)
    trend.flags.writeable = False
    return SuperTrend(frozen(line), trend)


def keltner(high: Any, low: Any, close: Any, timeperiod: int = 20, multiplier: float = 2.0,
            atr_period: int = 10, *, source: str = "close") -> Keltner:
    """Keltner channels: middle = EMA(``timeperiod``) of the close (``source="typical"``: of
    (H+L+C)/3), bands middle ± ``multiplier`` · ATR(``atr_period``). Defaults are
    TradingView's (20, 2.0, 10); the EMA and ATR are TA-Lib's (``ema``, ``atr``), where
    TradingView smooths the true range with an EMA instead of Wilder's average, so its bands
    differ slightly. All three NaN for the first ``max(timeperiod - 1, atr_period)`` bars."""
    from engine.nb.indicators_trend import keltner_nb, typical_nb

    h, lo, c = _hlc("keltner", high, low, close)
    p = period("keltner", "timeperiod", timeperiod)
    ap = period("keltner", "atr_period", atr_period)
    m = _at_least("keltner", "multiplier", multiplier, 0.0)
    if source not in ("close", "typical"):
        raise ValueError(f"keltner: source must be 'close' or 'typical', got {source!r}")
    upper, middle, lower = outputs(c.shape[0], 3)
    src = c
    if source == "typical":
        typical_nb(h, lo, c, lower)  # lower doubles as the EMA's input until the bands exist
        src = lower
    keltner_nb(h, lo, c, src, p, ap, m, upper, middle, lower)
    return Keltner(frozen(upper), frozen(middle), frozen(lower))


def ichimoku(high: Any, low: Any, close: Any, tenkan: int = 9, kijun: int = 26,
             senkou_b: int = 52, displacement: int = 26) -> Ichimoku:
    """Ichimoku Kinko Hyo. Tenkan and kijun are the midpoints of the ``tenkan``- and
    ``kijun``-bar high-low ranges; senkou A = (tenkan + kijun)/2 and senkou B = the
    ``senkou_b``-bar midpoint, both shifted forward ``displacement`` bars (see ``Ichimoku`` for
    the alignment). TradingView draws the spans ``displacement - 1`` bars ahead (it counts the
    current bar): pass ``displacement=25`` to reproduce its chart."""
    from engine.nb.indicators_trend import ichimoku_nb

    h, lo, c = _hlc("ichimoku", high, low, close)
    tp = period("ichimoku", "tenkan", tenkan)
    kp = period("ichimoku", "kijun", kijun)
    bp = period("ichimoku", "senkou_b", senkou_b)
    disp = period("ichimoku", "displacement", displacement, 0)
    n = c.shape[0]
    tk, kj, sa, sb, ch = outputs(n, 5)
    ahead_a, ahead_b = outputs(disp, 2)
    scratch = np.empty(2 * (tp + kp + bp), dtype=np.float64)
    ichimoku_nb(h, lo, c, tp, kp, bp, disp, scratch, tk, kj, sa, sb, ch, ahead_a, ahead_b)
    return Ichimoku(*(frozen(a) for a in (tk, kj, sa, sb, ch, ahead_a, ahead_b)))
