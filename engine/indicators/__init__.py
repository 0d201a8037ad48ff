"""Classic technical indicators with TA-Lib's semantics (warm-up, seeding, smoothing).

Each function takes 1-D float arrays (e.g. ``bars.close``) and returns read-only float64 arrays
of the same length, NaN for TA-Lib's lookback; multi-output functions return a frozen dataclass.
Results match TA-Lib 0.8 to 1e-9 relative after its lookback (``tests/engine/test_indicators.py``).
The candlestick patterns (``cdl_*``, ``CANDLE_PATTERNS``; ``candles.py``) return int32 arrays
equal to TA-Lib's (``tests/engine/test_candles.py``).
Importing this package loads numpy only; numba and the kernels load with the first call.
"""

from __future__ import annotations

from engine.indicators.averages import MACD, BBands, bbands, dema, ema, macd, sma, tema, wma
from engine.indicators.candles import PATTERNS as CANDLE_PATTERNS
from engine.indicators.candles import (
    cdl_dark_cloud_cover,
    cdl_doji,
    cdl_engulfing,
    cdl_evening_star,
    cdl_hammer,
    cdl_hanging_man,
    cdl_harami,
    cdl_morning_star,
    cdl_piercing,
    cdl_shooting_star,
    cdl_three_black_crows,
    cdl_three_white_soldiers,
)
from engine.indicators.fused import compute_set
from engine.indicators.levels import (
    Donchian,
    Pivots,
    Swings,
    donchian,
    pivots,
    session_ids,
    swings,
    vwap,
)
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
from engine.indicators.trend import (
    Ichimoku,
    Keltner,
    SuperTrend,
    ichimoku,
    keltner,
    sar,
    supertrend,
)

__all__ = [
    "ADX", "CANDLE_PATTERNS", "MACD", "BBands", "Donchian", "Ichimoku", "Keltner", "Pivots",
    "Stoch", "StochRSI", "SuperTrend", "Swings", "adx", "atr", "bbands", "cci",
    "cdl_dark_cloud_cover", "cdl_doji", "cdl_engulfing", "cdl_evening_star", "cdl_hammer",
    "cdl_hanging_man", "cdl_harami", "cdl_morning_star", "cdl_piercing", "cdl_shooting_star",
    "cdl_three_black_crows", "cdl_three_white_soldiers", "compute_set", "dema", "donchian", "ema",
    "ichimoku", "keltner", "macd", "mfi", "natr", "obv", "pivots", "roc", "rsi", "sar",
    "session_ids", "sma", "stoch", "stochrsi", "supertrend", "swings", "tema", "vwap", "willr",
    "wma",
]
