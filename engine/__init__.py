"""The Drummond Desktop engine: pure numpy + numba, no Qt, SQL or HTTP.

``import engine`` is cheap: it loads ``Bars`` and ``resample`` (numpy and zoneinfo only); the
kernels, numba and pandas load on first use of the names that need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from engine.bars import Bars, BarsError

# Imported eagerly (numpy and zoneinfo only; numba loads on the first call): a lazy import would
# let the import system rebind ``engine.resample`` to the submodule, shadowing the function.
from engine.resample import Session, resample

if TYPE_CHECKING:
    from engine._alloc import BlockPool
    from engine.drummond import DGParams, DGResult, analyze, zones

    output_pool: BlockPool
    from engine.warmup import warmup

__all__ = ["Bars", "BarsError", "DGParams", "DGResult", "Session", "analyze", "output_pool",
           "resample", "warmup", "zones"]

_LAZY = {
    "DGParams": "engine.drummond",
    "DGResult": "engine.drummond",
    "analyze": "engine.drummond",
    "zones": "engine.drummond",
    "warmup": "engine.warmup",
    "output_pool": "engine._alloc",
}
# Names whose attribute in the module differs from the public one.
_RENAMED = {"output_pool": "POOL"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    return getattr(importlib.import_module(module), _RENAMED.get(name, name))


def __dir__() -> list[str]:
    return sorted(__all__)
