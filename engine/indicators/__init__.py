"""Classic technical indicators with TA-Lib's semantics (warm-up, seeding, smoothing).

Each function takes 1-D float arrays (e.g. ``bars.close``) and returns read-only float64 arrays
of the same length, NaN for TA-Lib's lookback; multi-output functions return a frozen dataclass.
Results match TA-Lib 0.8 to 1e-9 relative after its lookback (``tests/engine/test_indicators.py``).
Importing this package loads numpy only; numba and the kernels load with the first call.
"""

from __future__ import annotations

from engine.indicators.averages import MACD, BBands, bbands, dema, ema, macd, sma, tema, wma
from engine.indicators.oscillators import (
    Stoch,
    StochRSI,
    cci,
    mfi,
    roc,
    rsi,
    stoch,
    stochrsi,
    willr,
)
from engine.indicators.ranges import ADX, adx, atr, natr, obv

__all__ = [
    "ADX", "MACD", "BBands", "Stoch", "StochRSI",
    "adx", "atr", "bbands", "cci", "dema", "ema", "macd", "mfi", "natr", "obv", "roc", "rsi",
    "sma", "stoch", "stochrsi", "tema", "willr", "wma",
]
