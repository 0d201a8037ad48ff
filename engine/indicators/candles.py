"""Candlestick patterns with TA-Lib 0.8's results: the same values, bar for bar.

Each function takes open, high, low and close (1-D float arrays of one length) and returns a
read-only int32 array of that length, as TA-Lib does: 0 where the pattern is absent and for the
first ``LOOKBACK[name]`` bars, +100 bullish / -100 bearish where it fires, and ±80 for the
engulfing and harami variants whose two bodies share one end. TA-Lib's candle settings
(``TA_CandleDefaultSettings``: e.g. a doji's body is at most 10% of the mean high-low range of
the 10 bars before) and its running-total arithmetic are reproduced in ``engine.nb.candles``.

NaN input behaves as in the ``talib`` package: leading bars with a NaN in any of the four
columns are skipped (the lookback counts from the first complete bar), and a NaN later on
enters every running total that measures its column (an open or close: the body averages; a
high or low: the range averages), so a pattern comparing with such a total stays 0 from there on.
``engine.Bars`` never holds NaN.

``PATTERNS`` maps the lower-cased TA-Lib names (``"cdldoji"``, ``"cdl3whitesoldiers"``, ...) to
these functions, called with the four columns (and default penetration) by the CLI and scanner.
Importing this module loads numpy only; numba and the kernels load with the first call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from engine._alloc import POOL, staggered_empty
from engine.indicators._common import F64, factor, same_length, series

I32 = npt.NDArray[np.int32]
Pattern = Callable[[Any, Any, Any, Any], I32]

# TA-Lib's lookback of each function at the default candle settings (TA_CDL*_Lookback).
LOOKBACK: Mapping[str, int] = MappingProxyType({
    "cdldoji": 10, "cdlhammer": 11, "cdlhangingman": 11, "cdlengulfing": 2, "cdlharami": 11,
    "cdlpiercing": 11, "cdldarkcloudcover": 11, "cdlmorningstar": 12, "cdleveningstar": 12,
    "cdl3whitesoldiers": 12, "cdl3blackcrows": 13, "cdlshootingstar": 11,
})


def _ohlc(func: str, open: Any, high: Any, low: Any, close: Any) -> tuple[F64, ...]:
    o = series(func, "open", open)
    h = series(func, "high", high)
    lo = series(func, "low", low)
    c = series(func, "close", close)
    same_length(func, open=o, high=h, low=lo, close=c)
    return o, h, lo, c


def _first_complete(o: F64, h: F64, lo: F64, c: F64) -> int:
    """The first bar with no NaN in any column (the ``talib`` wrapper starts there); the last
    bar when there is none, as the wrapper does."""
    n = o.shape[0]
    if n == 0 or (o[0] == o[0] and h[0] == h[0] and lo[0] == lo[0] and c[0] == c[0]):
        return 0
    good = np.flatnonzero(~(np.isnan(o) | np.isnan(h) | np.isnan(lo) | np.isnan(c)))
    return int(good[0]) if good.size else n - 1


def _run(cols: tuple[F64, ...], kernel: Callable[..., None], *args: Any) -> I32:
    n = cols[0].shape[0]
    if n * 4 >= POOL.min_bytes:  # engine.output_pool, as the indicators: warm pages on reuse
        out: I32 = staggered_empty([((n,), np.int32)], pool=POOL)[0]
    else:
        out = np.empty(n, dtype=np.int32)
    b = _first_complete(*cols)
    if b:
        out[:b] = 0
        cols = tuple(x[b:] for x in cols)
    if n:
        kernel(*cols, *args, out[b:] if b else out)
    out.flags.writeable = False
    return out


def _penetration(func: str, value: Any) -> float:
    v = factor(func, "penetration", value)
    if v < 0.0:
        raise ValueError(f"{func}: penetration must be >= 0, got {v}")
    return v


def cdl_doji(open: Any, high: Any, low: Any, close: Any) -> I32:
    """CDLDOJI: +100 where the body is at most 10% of the mean range of the 10 bars before."""
    from engine.nb.candles import cdl_doji_nb

    return _run(_ohlc("cdl_doji", open, high, low, close), cdl_doji_nb)


def cdl_hammer(open: Any, high: Any, low: Any, close: Any) -> I32:
    """CDLHAMMER: +100 for a short body near the previous low with a long lower shadow."""
    from engine.nb.candles import cdl_hammer_nb

    return _run(_ohlc("cdl_hammer", open, high, low, close), cdl_hammer_nb,
                False)


def cdl_hanging_man(open: Any, high: Any, low: Any, close: Any) -> I32:
    """CDLHANGINGMAN: -100 for a hammer shape whose body is near or above the previous high."""
    from engine.nb.candles import cdl_hammer_nb

    return _run(_ohlc("cdl_hanging_man", open, high, low, close),
                cdl_hammer_nb, True)


def cdl_shooting_star(open: Any, high: Any, low: Any, close: Any) -> I32:
    """CDLSHOOTINGSTAR: -100 for a short body gapping up with a long upper shadow."""
    from engine.nb.candles import cdl_shootingstar_nb

    return _run(_ohlc("cdl_shooting_star", open, high, low, close),
                cdl_shootingstar_nb)


def cdl_engulfing(open: Any, high: Any, low: Any, close: Any) -> I32:
    """CDLENGULFING: ±100 when a body engulfs the previous body of the other colour, ±80 when
    the two share one end; the sign is the engulfing bar's colour."""
    from engine.nb.candles import cdl_engulfing_nb

    return _run(_ohlc("cdl_engulfing", open, high, low, close),
                cdl_engulfing_nb)


def cdl_harami(open: Any, high: Any, low: Any, close: Any) -> I32:
    """CDLHARAMI: ∓100 for a short body inside the previous long body (sign against the first
    bar's colour), ∓80 when the two share one end."""
    from engine.nb.candles import cdl_harami_nb

    return _run(_ohlc("cdl_harami", open, high, low, close), cdl_harami_nb)


def cdl_piercing(open: Any, high: Any, low: Any, close: Any) -> I32:
    """CDLPIERCING: +100 for a long white bar opening below a long black bar's low and closing
    above the middle of its body."""
    from engine.nb.candles import cdl_piercing_nb

    return _run(_ohlc("cdl_piercing", open, high, low, close),
                cdl_piercing_nb)


def cdl_dark_cloud_cover(open: Any, high: Any, low: Any, close: Any,
                         penetration: float = 0.5) -> I32:
    """CDLDARKCLOUDCOVER: -100 for a black bar opening above a long white bar's high and closing
    more than ``penetration`` of its body into it."""
    from engine.nb.candles import cdl_darkcloudcover_nb

    name = "cdl_dark_cloud_cover"
    pen = _penetration(name, penetration)
    return _run(_ohlc(name, open, high, low, close), cdl_darkcloudcover_nb, pen)


def cdl_morning_star(open: Any, high: Any, low: Any, close: Any,
                     penetration: float = 0.3) -> I32:
    """CDLMORNINGSTAR: +100 for long black, short body gapping down, white closing more than
    ``penetration`` of the first body into it."""
    from engine.nb.candles_multi import cdl_star_nb

    name = "cdl_morning_star"
    pen = _penetration(name, penetration)
    return _run(_ohlc(name, open, high, low, close), cdl_star_nb, pen, False)


def cdl_evening_star(open: Any, high: Any, low: Any, close: Any,
                     penetration: float = 0.3) -> I32:
    """CDLEVENINGSTAR: -100 for long white, short body gapping up, black closing more than
    ``penetration`` of the first body into it."""
    from engine.nb.candles_multi import cdl_star_nb

    name = "cdl_evening_star"
    pen = _penetration(name, penetration)
    return _run(_ohlc(name, open, high, low, close), cdl_star_nb, pen, True)


def cdl_three_white_soldiers(open: Any, high: Any, low: Any, close: Any) -> I32:
    """CDL3WHITESOLDIERS: +100 for three rising white bars with very short upper shadows."""
    from engine.nb.candles_multi import cdl_3whitesoldiers_nb

    name = "cdl_three_white_soldiers"
    return _run(_ohlc(name, open, high, low, close), cdl_3whitesoldiers_nb)


def cdl_three_black_crows(open: Any, high: Any, low: Any, close: Any) -> I32:
    """CDL3BLACKCROWS: -100 for a white bar, then three falling black bars with very short
    lower shadows."""
    from engine.nb.candles_multi import cdl_3blackcrows_nb

    name = "cdl_three_black_crows"
    return _run(_ohlc(name, open, high, low, close), cdl_3blackcrows_nb)


PATTERNS: Mapping[str, Pattern] = MappingProxyType({
    "cdldoji": cdl_doji,
    "cdlhammer": cdl_hammer,
    "cdlhangingman": cdl_hanging_man,
    "cdlengulfing": cdl_engulfing,
    "cdlharami": cdl_harami,
    "cdlpiercing": cdl_piercing,
    "cdldarkcloudcover": cdl_dark_cloud_cover,
    "cdlmorningstar": cdl_morning_star,
    "cdleveningstar": cdl_evening_star,
    "cdl3whitesoldiers": cdl_three_white_soldiers,
    "cdl3blackcrows": cdl_three_black_crows,
    "cdlshootingstar": cdl_shooting_star,
})
