"""The catalog's entries (``engine.indicators.catalog``): one ``IndicatorSpec`` per indicator,
in the order the CLI writes their columns. Loaded on the first ``catalog()`` call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.indicators import averages as av
from engine.indicators import levels as lv
from engine.indicators import oscillators as osc
from engine.indicators import ranges as rg
from engine.indicators import trend as tr
from engine.indicators.catalog import IndicatorSpec, Param

C, HLC, HLCV = ("close",), ("high", "low", "close"), ("high", "low", "close", "volume")
OHLC = ("open", "high", "low", "close")


def _spec(name: str, title: str, inputs: tuple[str, ...], params: dict[str, int | float],
          run: Callable[..., Any], outputs: tuple[str, ...] = ("value",), *,
          overlay: bool = False, group: str = "indicator") -> IndicatorSpec:
    return IndicatorSpec(name, title, inputs, tuple(Param(k, v) for k, v in params.items()),
                         outputs, overlay, run, group)


def _field(fn: Callable[..., Any], attr: str) -> Callable[..., Any]:
    """One output of a multi-output function as a single-output indicator (TA-Lib's PLUS_DI
    and MINUS_DI are functions of their own)."""
    return lambda *a, **k: getattr(fn(*a, **k), attr)


def _bbands(close: Any, timeperiod: int, nbdev: float) -> av.BBands:
    return av.bbands(close, timeperiod, nbdev, nbdev)


def averages() -> list[IndicatorSpec]:
    return [
        _spec("sma", "Simple moving average", C, {"timeperiod": 20}, av.sma, overlay=True),
        _spec("ema", "Exponential moving average", C, {"timeperiod": 20}, av.ema, overlay=True),
        _spec("wma", "Weighted moving average", C, {"timeperiod": 20}, av.wma, overlay=True),
        _spec("dema", "Double exponential moving average", C, {"timeperiod": 20}, av.dema,
              overlay=True),
        _spec("tema", "Triple exponential moving average", C, {"timeperiod": 20}, av.tema,
              overlay=True),
        _spec("bbands", "Bollinger Bands", C, {"timeperiod": 20, "nbdev": 2.0}, _bbands,
              ("upperband", "middleband", "lowerband"), overlay=True),
        _spec("macd", "MACD", C, {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9},
              av.macd, ("macd", "macdsignal", "macdhist")),
    ]


def oscillators() -> list[IndicatorSpec]:
    return [
        _spec("rsi", "Relative strength index", C, {"timeperiod": 14}, osc.rsi),
        _spec("stoch", "Stochastic", HLC,
              {"fastk_period": 14, "slowk_period": 3, "slowd_period": 3}, osc.stoch,
              ("slowk", "slowd")),
        _spec("stochrsi", "Stochastic RSI", C,
              {"timeperiod": 14, "fastk_period": 5, "fastd_period": 3}, osc.stochrsi,
              ("fastk", "fastd")),
        _spec("willr", "Williams' %R", HLC, {"timeperiod": 14}, osc.willr),
        _spec("cci", "Commodity channel index", HLC, {"timeperiod": 14}, osc.cci),
        _spec("roc", "Rate of change", C, {"timeperiod": 10}, osc.roc),
        _spec("mfi", "Money flow index", HLCV, {"timeperiod": 14}, osc.mfi),
    ]


def ranges() -> list[IndicatorSpec]:
    return [
        _spec("atr", "Average true range", HLC, {"timeperiod": 14}, rg.atr),
        _spec("natr", "Normalised average true range", HLC, {"timeperiod": 14}, rg.natr),
        _spec("adx", "Average directional index", HLC, {"timeperiod": 14},
              _field(rg.adx, "adx")),
        _spec("plus_di", "Plus directional indicator", HLC, {"timeperiod": 14},
              _field(rg.adx, "plus_di")),
        _spec("minus_di", "Minus directional indicator", HLC, {"timeperiod": 14},
              _field(rg.adx, "minus_di")),
        _spec("obv", "On-balance volume", ("close", "volume"), {}, rg.obv),
    ]


def _ichimoku(high: Any, low: Any, close: Any, tenkan: int, kijun: int, senkou_b: int,
              displacement: int) -> tuple[Any, ...]:
    """The bar-aligned lines (the cloud's values beyond the last bar are for drawing)."""
    r = tr.ichimoku(high, low, close, tenkan, kijun, senkou_b, displacement)
    return r.tenkan, r.kijun, r.senkou_a, r.senkou_b, r.chikou


def _vwap(ts: Any, high: Any, low: Any, close: Any, volume: Any) -> Any:
    """Intraday bars: anchored to UTC calendar days, which hold whole US, European and Asian
    regular sessions (the chart anchors to the exchange's own session, ``levels.session_ids``).
    Daily and longer bars: one anchor at the first bar, which is TA-Lib's VWAP."""
    import numpy as np

    stamps = np.asarray(ts)
    intraday = bool(np.any(stamps % 86_400))
    anchors = np.floor_divide(stamps, 86_400) if intraday else np.zeros_like(stamps)
    return lv.vwap(high, low, close, volume, anchors)


def _pivots(method: str) -> Callable[..., tuple[Any, ...]]:
    names = PIVOT_OUTPUTS[method]

    def run(high: Any, low: Any, close: Any) -> tuple[Any, ...]:
        levels = lv.pivots(high, low, close, method)
        return tuple(getattr(levels, n)[:-1] for n in names)  # bar i: from bar i-1

    return run


def _swings(high: Any, low: Any, left: int, right: int) -> tuple[Any, ...]:
    s = lv.swings(high, low, left, right)
    return s.high, s.low, s.high_known, s.low_known


PIVOT_OUTPUTS = {
    "floor": ("pivot", "r1", "r2", "r3", "s1", "s2", "s3"),
    "fibonacci": ("pivot", "r1", "r2", "r3", "s1", "s2", "s3"),
    "camarilla": ("pivot", "r1", "r2", "r3", "r4", "s1", "s2", "s3", "s4"),
}


def trend() -> list[IndicatorSpec]:
    return [
        _spec("sar", "Parabolic SAR", ("high", "low"),
              {"acceleration": 0.02, "maximum": 0.2}, tr.sar, overlay=True),
        _spec("supertrend", "SuperTrend", HLC, {"timeperiod": 10, "multiplier": 3.0},
              tr.supertrend, ("supertrend", "trend"), overlay=True),
        _spec("keltner", "Keltner channels", HLC,
              {"timeperiod": 20, "multiplier": 2.0, "atr_period": 10}, tr.keltner,
              ("upper", "middle", "lower"), overlay=True),
        _spec("donchian", "Donchian channels", ("high", "low"), {"timeperiod": 20},
              lv.donchian, ("upperband", "middleband", "lowerband"), overlay=True),
        _spec("ichimoku", "Ichimoku Kinko Hyo", HLC,
              {"tenkan": 9, "kijun": 26, "senkou_b": 52, "displacement": 26}, _ichimoku,
              ("tenkan", "kijun", "senkou_a", "senkou_b", "chikou"), overlay=True),
        _spec("vwap", "Volume-weighted average price", ("ts", *HLCV), {}, _vwap, overlay=True),
    ]


def levels() -> list[IndicatorSpec]:
    pivots = [_spec(f"pivots_{m}", f"Pivot points ({m}) from the previous bar", HLC, {},
                    _pivots(m), PIVOT_OUTPUTS[m], overlay=True, group="levels")
              for m in PIVOT_OUTPUTS]
    return [*pivots, _spec("swings", "Swing highs and lows", ("high", "low"),
                           {"left": 2, "right": 2}, _swings,
                           ("high", "low", "high_known", "low_known"), overlay=True,
                           group="levels")]


PATTERN_TITLES = {
    "cdldoji": "Doji", "cdlhammer": "Hammer", "cdlhangingman": "Hanging man",
    "cdlengulfing": "Engulfing", "cdlharami": "Harami", "cdlpiercing": "Piercing",
    "cdldarkcloudcover": "Dark cloud cover", "cdlmorningstar": "Morning star",
    "cdleveningstar": "Evening star", "cdl3whitesoldiers": "Three white soldiers",
    "cdl3blackcrows": "Three black crows", "cdlshootingstar": "Shooting star",
}


def patterns() -> list[IndicatorSpec]:
    """TA-Lib's candlestick patterns at their default penetration: -100/0/100 (and +-80 for
    engulfing and harami when the bodies share an end), int32."""
    from engine.indicators.candles import PATTERNS

    return [_spec(name, f"{PATTERN_TITLES[name]} (candlestick pattern)", OHLC, {}, fn,
                  overlay=True, group="pattern") for name, fn in PATTERNS.items()]


def entries() -> list[IndicatorSpec]:
    return [*averages(), *oscillators(), *ranges(), *trend(), *levels(), *patterns()]
