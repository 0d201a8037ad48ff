"""The catalog's entries (``engine.indicators.catalog``): one ``IndicatorSpec`` per indicator,
in the order the CLI writes their columns. Loaded on the first ``catalog()`` call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.indicators import averages as av
from engine.indicators import oscillators as osc
from engine.indicators import ranges as rg
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


def entries() -> list[IndicatorSpec]:
    return [*averages(), *oscillators(), *ranges()]
