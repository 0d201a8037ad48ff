"""The indicator catalog: every indicator by name with its inputs, parameters, defaults and
outputs, for the front ends (``drummond indicators``, the indicator browser, the scanner).

Names follow TA-Lib lower-cased (``sma``, ``bbands``, ``plus_di``; patterns ``cdldoji``) and, for
what TA-Lib lacks, the common name (``vwap``, ``keltner``, ``supertrend``). A column is named
``<name>_<parameters joined by _>`` plus ``_<output>`` for multi-output indicators, with TA-Lib's
output names: ``sma_20``, ``macd_12_26_9_macdsignal``, ``bbands_20_2_upperband``, ``obv``.
Parameters print in their shortest form (``2`` for 2.0, ``0.02``).

Defaults are the issue's (moving averages 20, oscillators 14, STOCH 14/3/3, BBANDS 20/2,
MACD 12/26/9, SAR 0.02/0.2), which are TA-Lib's except for the averages (TA-Lib: 30).
Importing this module loads numpy only; an indicator's kernels load on its first ``compute``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
Columns = Mapping[str, npt.NDArray[Any]]
INPUTS = ("ts", "open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class Param:
    name: str
    default: int | float

    @property
    def integer(self) -> bool:
        return isinstance(self.default, int)


@dataclass(frozen=True)
class IndicatorSpec:
    """One indicator: ``run(*inputs, **params)`` returns an array (one output), a tuple of
    arrays or a dataclass whose fields, in order, are ``outputs``; ``overlay`` says whether it
    is drawn over the prices (True) or in a pane of its own."""

    name: str
    title: str
    inputs: tuple[str, ...]
    params: tuple[Param, ...]
    outputs: tuple[str, ...]
    overlay: bool
    run: Callable[..., Any]
    group: str = "indicator"

    def resolve(self, values: Mapping[str, Any] | None = None) -> dict[str, int | float]:
        """Parameters with defaults filled in; ``ValueError`` names an unknown parameter."""
        given = dict(values or {})
        known = {p.name for p in self.params}
        unknown = sorted(set(given) - known)
        if unknown:
            raise ValueError(f"{self.name}: unknown parameter {unknown[0]!r} "
                             f"(parameters: {', '.join(sorted(known)) or 'none'})")
        return {p.name: given.get(p.name, p.default) for p in self.params}

    def columns(self, values: Mapping[str, Any] | None = None) -> tuple[str, ...]:
        stem = "_".join([self.name, *(_short(v) for v in self.resolve(values).values())])
        if len(self.outputs) == 1:
            return (stem,)
        return tuple(f"{stem}_{out}" for out in self.outputs)

    def compute(self, cols: Columns, values: Mapping[str, Any] | None = None
                ) -> dict[str, npt.NDArray[Any]]:
        """Column name -> array for bars given as ``cols`` (``ts``, ``open`` ... ``volume``)."""
        params = self.resolve(values)
        missing = [k for k in self.inputs if k not in cols]
        if missing:
            raise ValueError(f"{self.name}: needs {', '.join(missing)} (inputs: "
                             f"{', '.join(self.inputs)})")
        got = self.run(*(cols[k] for k in self.inputs), **params)
        if is_dataclass(got):
            arrays = [getattr(got, f.name) for f in fields(got)]
        else:
            arrays = list(got) if isinstance(got, tuple) else [got]
        if len(arrays) != len(self.outputs):
            raise AssertionError(f"{self.name}: {len(arrays)} outputs, {self.outputs} declared")
        return dict(zip(self.columns(params), arrays, strict=True))


def _short(value: int | float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


_REGISTRY: dict[str, IndicatorSpec] = {}
_LOCK = threading.Lock()  # the first catalog() may come from two workers at once


def register(spec: IndicatorSpec) -> None:
    """Add ``spec`` (each name once; the catalog's own modules register at first use)."""
    if spec.name in _REGISTRY:
        raise ValueError(f"indicator {spec.name!r} is registered twice")
    _REGISTRY[spec.name] = spec


def catalog() -> Mapping[str, IndicatorSpec]:
    """Every indicator by name, in the order they are listed (a read-only view)."""
    if not _REGISTRY:
        with _LOCK:
            if not _REGISTRY:
                from engine.indicators.catalog_entries import entries

                built: dict[str, IndicatorSpec] = {}
                for spec in entries():
                    if spec.name in built:
                        raise ValueError(f"indicator {spec.name!r} is listed twice")
                    built[spec.name] = spec
                _REGISTRY.update(built)  # all at once: no reader sees half a catalog
    return MappingProxyType(_REGISTRY)


def get(name: str) -> IndicatorSpec:
    """The spec of ``name`` (case-insensitive); ``KeyError`` lists the close matches."""
    specs = catalog()
    key = name.strip().lower()
    if key in specs:
        return specs[key]
    near = [n for n in specs if n.startswith(key[:3])] or list(specs)[:8]
    raise KeyError(f"unknown indicator {name!r} (e.g. {', '.join(near)})")


def compute_all(cols: Columns, names: tuple[str, ...] | None = None
                ) -> dict[str, npt.NDArray[Any]]:
    """Every (or each named) indicator at its default parameters: column name -> array."""
    specs = [get(n) for n in names] if names else list(catalog().values())
    out: dict[str, npt.NDArray[Any]] = {}
    for spec in specs:
        out.update(spec.compute(cols))
    return out
