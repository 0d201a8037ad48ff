"""Ranges, trend strength and volume: ATR, NATR, ADX (+DI, -DI), OBV (TA-Lib semantics)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.indicators._common import F64, frozen, outputs, period, same_length, series
from engine.indicators.oscillators import _hlc


@dataclass(frozen=True)
class ADX:
    """TA-Lib ADX, PLUS_DI and MINUS_DI with one period, read-only, length N."""

    adx: F64
    plus_di: F64
    minus_di: F64


def atr(high: Any, low: Any, close: Any, timeperiod: int = 14) -> F64:
    """Average true range (Wilder); NaN for the first ``timeperiod`` bars."""
    return _atr("atr", high, low, close, timeperiod, normalised=False)


def natr(high: Any, low: Any, close: Any, timeperiod: int = 14) -> F64:
    """ATR as a percentage of the close (TA-Lib: timeperiod 1 gives the raw true range)."""
    return _atr("natr", high, low, close, timeperiod, normalised=True)


def _atr(name: str, high: Any, low: Any, close: Any, timeperiod: int, *,
         normalised: bool) -> F64:
    from engine.nb.indicators_range import atr_nb

    h, lo, c = _hlc(name, high, low, close)
    p = period(name, "timeperiod", timeperiod)
    out = outputs(c.shape[0], 1)[0]
    atr_nb(h, lo, c, p, normalised, out)
    return frozen(out)


def adx(high: Any, low: Any, close: Any, timeperiod: int = 14) -> ADX:
    """ADX with the directional indicators of the same period: +DI and -DI from bar
    ``timeperiod``, ADX from bar ``2·timeperiod - 1`` (NaN before)."""
    from engine.nb.indicators_range import adx_nb

    h, lo, c = _hlc("adx", high, low, close)
    p = period("adx", "timeperiod", timeperiod, 2)
    a, pdi, mdi = outputs(c.shape[0], 3)
    adx_nb(h, lo, c, p, a, pdi, mdi)
    return ADX(frozen(a), frozen(pdi), frozen(mdi))


def obv(close: Any, volume: Any) -> F64:
    """On-balance volume, starting at the first bar's volume (TA-Lib); no warm-up."""
    from engine.nb.indicators_range import obv_nb

    c = series("obv", "close", close)
    v = series("obv", "volume", volume)
    same_length("obv", close=c, volume=v)
    out = outputs(c.shape[0], 1)[0]
    obv_nb(c, v, out)
    return frozen(out)
