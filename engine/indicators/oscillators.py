"""Oscillators: RSI, STOCH, STOCHRSI, WILLR, CCI, ROC, MFI (TA-Lib semantics)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.indicators._common import F64, frozen, outputs, period, same_length, series


@dataclass(frozen=True)
class Stoch:
    """TA-Lib STOCH outputs (``slowk``, ``slowd``), read-only, length N."""

    slowk: F64
    slowd: F64


@dataclass(frozen=True)
class StochRSI:
    """TA-Lib STOCHRSI outputs (``fastk``, ``fastd``), read-only, length N."""

    fastk: F64
    fastd: F64


def _hlc(func: str, high: Any, low: Any, close: Any) -> tuple[F64, F64, F64]:
    h = series(func, "high", high)
    lo = series(func, "low", low)
    c = series(func, "close", close)
    same_length(func, high=h, low=lo, close=c)
    return h, lo, c


def _suffix(p: int) -> np.ndarray:
    # Suffix extrema of the previous block of the rolling max/min (engine.nb.indicators_osc).
    return np.empty(p, dtype=np.float64)


CHUNK = 512  # bars per chunk of the window kernels: their scratch rows stay in L1/L2


def chunk_scratch(p: int, rows: int) -> np.ndarray:
    """Scratch of a window kernel that works in chunks (``indicators_osc.roll_chunk_nb``,
    ``cci_chunk_nb``): ``rows`` rows of one chunk plus the ``p`` bars before it."""
    return np.empty((rows, p + CHUNK), dtype=np.float64)


def roll_scratch(p: int) -> np.ndarray:
    """Scratch of the rolling extrema (``indicators_osc.roll_chunk_nb``)."""
    from engine.nb.indicators_osc import ROLL_ROWS

    return chunk_scratch(p, ROLL_ROWS)


def rsi(close: Any, timeperiod: int = 14) -> F64:
    """Wilder's RSI; NaN for the first ``timeperiod`` bars."""
    from engine.nb.indicators_osc import rsi_nb

    x = series("rsi", "close", close)
    p = period("rsi", "timeperiod", timeperiod, 2)
    out = outputs(x.shape[0], 1)[0]
    rsi_nb(x, p, out)
    return frozen(out)


def stoch(high: Any, low: Any, close: Any, fastk_period: int = 14, slowk_period: int = 3,
          slowd_period: int = 3) -> Stoch:
    """Slow stochastic with SMA smoothing (TA-Lib's default MA type): %K of ``fastk_period``
    bars, slow %K its ``slowk_period`` SMA, slow %D the ``slowd_period`` SMA of that; NaN for
    the first ``fastk + slowk + slowd - 3`` bars."""
    from engine.nb.indicators_osc import stoch_nb

    h, lo, c = _hlc("stoch", high, low, close)
    fk = period("stoch", "fastk_period", fastk_period)
    sk = period("stoch", "slowk_period", slowk_period)
    sd = period("stoch", "slowd_period", slowd_period)
    k, d = outputs(c.shape[0], 2)
    stoch_nb(h, lo, c, 0, fk, sk, sd, roll_scratch(fk), np.empty(sk), np.empty(sd), k, d)
    return Stoch(frozen(k), frozen(d))


def stochrsi(close: Any, timeperiod: int = 14, fastk_period: int = 5,
             fastd_period: int = 3) -> StochRSI:
    """Fast stochastic (SMA %D) of the RSI, as TA-Lib's STOCHRSI; NaN for the first
    ``timeperiod + fastk_period + fastd_period - 2`` bars."""
    from engine.nb.indicators_osc import rsi_nb, stoch_nb

    x = series("stochrsi", "close", close)
    p = period("stochrsi", "timeperiod", timeperiod, 2)
    fk = period("stochrsi", "fastk_period", fastk_period)
    fd = period("stochrsi", "fastd_period", fastd_period)
    r = np.empty(x.shape[0])
    rsi_nb(x, p, r)
    k, d = outputs(x.shape[0], 2)
    stoch_nb(r, r, r, p, fk, 1, fd, roll_scratch(fk), np.empty(1), np.empty(fd), k, d)
    return StochRSI(frozen(k), frozen(d))


def willr(high: Any, low: Any, close: Any, timeperiod: int = 14) -> F64:
    """Williams %R (0 to -100); NaN for the first ``timeperiod - 1`` bars."""
    from engine.nb.indicators_osc import willr_nb

    h, lo, c = _hlc("willr", high, low, close)
    p = period("willr", "timeperiod", timeperiod, 2)
    out = outputs(c.shape[0], 1)[0]
    willr_nb(h, lo, c, p, roll_scratch(p), out)
    return frozen(out)


def cci(high: Any, low: Any, close: Any, timeperiod: int = 14) -> F64:
    """Commodity Channel Index of the typical price; NaN for the first ``timeperiod - 1`` bars."""
    from engine.nb.indicators_osc import CCI_ROWS, cci_nb

    h, lo, c = _hlc("cci", high, low, close)
    p = period("cci", "timeperiod", timeperiod, 2)
    out = outputs(c.shape[0], 1)[0]
    cci_nb(h, lo, c, p, chunk_scratch(p, CCI_ROWS), out)
    return frozen(out)


def roc(close: Any, timeperiod: int = 10) -> F64:
    """Rate of change in percent; NaN for the first ``timeperiod`` bars."""
    from engine.nb.indicators_osc import roc_nb

    x = series("roc", "close", close)
    p = period("roc", "timeperiod", timeperiod)
    out = outputs(x.shape[0], 1)[0]
    roc_nb(x, p, out)
    return frozen(out)


def mfi(high: Any, low: Any, close: Any, volume: Any, timeperiod: int = 14) -> F64:
    """Money Flow Index; NaN for the first ``timeperiod`` bars."""
    from engine.nb.indicators_osc import mfi_nb

    h, lo, c = _hlc("mfi", high, low, close)
    v = series("mfi", "volume", volume)
    same_length("mfi", close=c, volume=v)
    p = period("mfi", "timeperiod", timeperiod, 2)
    out = outputs(c.shape[0], 1)[0]
    mfi_nb(h, lo, c, v, p, np.empty(p), np.empty(p), out)
    return frozen(out)
