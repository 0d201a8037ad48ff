"""The classic indicator set in one fused pass over the bars: ``compute_set``.

One kernel (``engine.nb.indicators_fused``) computes every indicator of the set at its default
parameters, bit for bit what the individual functions return, in one pass over the bars instead
of one pass per indicator (about 3x less time than the individual functions one after the
other; ``benchmarks/bench_indicators.py`` compares it with the TA-Lib calls for the same set).
Names follow the CLI's scheme: TA-Lib's function name and output name lower-cased, the
parameters joined by ``_``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from engine.indicators._common import F64, frozen, outputs, same_length, series
from engine.indicators.oscillators import roll_scratch

# The set's parameters (the functions' defaults; STOCH with SMA smoothing).
MA, OSC, ROC, FAST, SLOW, SIGNAL, SLOWK, SLOWD = 20, 14, 10, 12, 26, 9, 3, 3
DEV = 2.0

# name -> the kernel's output slot (constants of engine.nb.indicators_fused, looked up when
# the kernel loads: importing this module must not import numba).
_SLOT_OF = {
    f"sma_{MA}": "SMA", f"ema_{MA}": "EMA", f"wma_{MA}": "WMA", f"dema_{MA}": "DEMA",
    f"tema_{MA}": "TEMA", f"rsi_{OSC}": "RSI", f"atr_{OSC}": "ATR", f"natr_{OSC}": "NATR",
    f"adx_{OSC}": "ADX", f"plus_di_{OSC}": "PLUS_DI", f"minus_di_{OSC}": "MINUS_DI",
    f"cci_{OSC}": "CCI", f"willr_{OSC}": "WILLR", f"roc_{ROC}": "ROC", f"mfi_{OSC}": "MFI",
    "obv": "OBV",
    f"macd_{FAST}_{SLOW}_{SIGNAL}_macd": "MACD",
    f"macd_{FAST}_{SLOW}_{SIGNAL}_macdsignal": "MACD_SIGNAL",
    f"macd_{FAST}_{SLOW}_{SIGNAL}_macdhist": "MACD_HIST",
    f"bbands_{MA}_{DEV:g}_upperband": "BB_UPPER",
    f"bbands_{MA}_{DEV:g}_middleband": "SMA",  # BBANDS' middle band is the SMA itself
    f"bbands_{MA}_{DEV:g}_lowerband": "BB_LOWER",
    f"stoch_{OSC}_{SLOWK}_{SLOWD}_slowk": "SLOWK",
    f"stoch_{OSC}_{SLOWK}_{SLOWD}_slowd": "SLOWD",
}
NAMES: tuple[str, ...] = tuple(_SLOT_OF)


def _wanted(names: Iterable[str] | None) -> list[str]:
    if names is None:
        return list(NAMES)
    if isinstance(names, str):
        raise ValueError("compute_set: names must be a collection of names, not one string")
    wanted = list(dict.fromkeys(names))
    unknown = [x for x in wanted if x not in _SLOT_OF]
    if unknown:
        raise ValueError(f"compute_set: unknown names {unknown}; the set is {', '.join(NAMES)}")
    return wanted


def compute_set(open: Any, high: Any, low: Any, close: Any, volume: Any,
                names: Iterable[str] | None = None) -> Mapping[str, F64]:
    """The set (``NAMES``; ``names`` picks some) as a read-only mapping name -> read-only
    float64 array of the input's length, NaN for each indicator's lookback, equal to the
    individual functions at the set's parameters. ``open`` is checked like the others although
    no indicator of the set uses it (the arguments are a bar's columns, in order). The whole set
    is computed whichever names are asked for: the pass costs about as much as two or three
    individual indicators. ``bbands_20_2_middleband`` is the ``sma_20`` array itself."""
    from engine.nb import indicators_fused as nb

    func = "compute_set"
    o = series(func, "open", open)
    h = series(func, "high", high)
    lo = series(func, "low", low)
    c = series(func, "close", close)
    v = series(func, "volume", volume)
    n = same_length(func, open=o, high=h, low=lo, close=c, volume=v)
    wanted = _wanted(names)
    outs = tuple(outputs(n, nb.N_OUT))
    prm = np.zeros(8, dtype=np.int64)
    prm[[nb.P_MA, nb.P_OSC, nb.P_ROC, nb.P_FAST, nb.P_SLOW, nb.P_SIGNAL, nb.P_SLOWK,
         nb.P_SLOWD]] = (MA, OSC, ROC, FAST, SLOW, SIGNAL, SLOWK, SLOWD)
    nb.indicator_set_nb(h, lo, c, v, prm, DEV, outs, roll_scratch(OSC), np.empty(OSC),
                        np.empty(OSC), np.empty(SLOWK), np.empty(SLOWD))
    result = {name: frozen(outs[getattr(nb, _SLOT_OF[name])]) for name in wanted}
    return MappingProxyType(result)
