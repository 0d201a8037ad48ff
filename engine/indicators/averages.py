"""Moving averages and bands: SMA, EMA, WMA, DEMA, TEMA, MACD, BBANDS (TA-Lib semantics)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.indicators._common import F64, factor, frozen, outputs, period, series


@dataclass(frozen=True)
class MACD:
    """TA-Lib MACD outputs (``macd``, ``macdsignal``, ``macdhist``), read-only, length N."""

    macd: F64
    signal: F64
    hist: F64


@dataclass(frozen=True)
class BBands:
    """TA-Lib BBANDS outputs (``upperband``, ``middleband``, ``lowerband``), read-only."""

    upper: F64
    middle: F64
    lower: F64


def _one(func: str, close: Any, timeperiod: Any, minimum: int = 1) -> tuple[F64, int, F64]:
    x = series(func, "close", close)
    p = period(func, "timeperiod", timeperiod, minimum)
    return x, p, outputs(x.shape[0], 1)[0]


def sma(close: Any, timeperiod: int = 20) -> F64:
    """Simple moving average; NaN for the first ``timeperiod - 1`` bars."""
    from engine.nb.indicators import sma_nb

    x, p, out = _one("sma", close, timeperiod)
    sma_nb(x, p, 0, out)
    return frozen(out)


def ema(close: Any, timeperiod: int = 20) -> F64:
    """Exponential moving average, k = 2/(timeperiod+1), seeded with the SMA of the first
    ``timeperiod`` closes (TA-Lib); NaN for the first ``timeperiod - 1`` bars."""
    from engine.nb.indicators import ema_nb

    x, p, out = _one("ema", close, timeperiod)
    ema_nb(x, p, out)
    return frozen(out)


def wma(close: Any, timeperiod: int = 20) -> F64:
    """Linearly weighted moving average (weights 1..timeperiod, newest heaviest)."""
    from engine.nb.indicators import wma_nb

    x, p, out = _one("wma", close, timeperiod)
    wma_nb(x, p, out)
    return frozen(out)


def dema(close: Any, timeperiod: int = 20) -> F64:
    """Double EMA, 2·EMA - EMA(EMA); NaN for the first ``2·(timeperiod - 1)`` bars."""
    from engine.nb.indicators import dema_nb

    x, p, out = _one("dema", close, timeperiod)
    dema_nb(x, p, out)
    return frozen(out)


def tema(close: Any, timeperiod: int = 20) -> F64:
    """Triple EMA, 3·EMA - 3·EMA² + EMA³; NaN for the first ``3·(timeperiod - 1)`` bars."""
    from engine.nb.indicators import tema_nb

    x, p, out = _one("tema", close, timeperiod)
    tema_nb(x, p, out)
    return frozen(out)


def macd(close: Any, fastperiod: int = 12, slowperiod: int = 26, signalperiod: int = 9) -> MACD:
    """MACD line (fast EMA - slow EMA), its signal EMA and their difference, as TA-Lib
    computes them (fast and slow are swapped when slow < fast, as TA-Lib does); NaN for the
    first ``slowperiod + signalperiod - 2`` bars."""
    from engine.nb.indicators import macd_nb

    x = series("macd", "close", close)
    fast = period("macd", "fastperiod", fastperiod, 2)
    slow = period("macd", "slowperiod", slowperiod, 2)
    sig = period("macd", "signalperiod", signalperiod, 1)
    if slow < fast:
        fast, slow = slow, fast
    m, s, h = outputs(x.shape[0], 3)
    macd_nb(x, fast, slow, sig, m, s, h)
    return MACD(frozen(m), frozen(s), frozen(h))


def bbands(close: Any, timeperiod: int = 20, nbdevup: float = 2.0,
           nbdevdn: float = 2.0) -> BBands:
    """Bollinger Bands over an SMA: ``sma ± nbdev·σ`` with the population σ of the window."""
    from engine.nb.indicators import bbands_nb

    x = series("bbands", "close", close)
    p = period("bbands", "timeperiod", timeperiod, 2)
    up = factor("bbands", "nbdevup", nbdevup)
    dn = factor("bbands", "nbdevdn", nbdevdn)
    u, m, lo = outputs(x.shape[0], 3)
    bbands_nb(x, p, up, dn, u, m, lo)
    return BBands(frozen(u), frozen(m), frozen(lo))
