"""Numba's cache locator for the frozen app (the runtime hook selects it through
``NUMBA_CACHE_LOCATOR_CLASSES``; it is bundled as a top-level module).

PyInstaller stores module code with a relative ``co_filename`` (``engine/nb/drummond.py``) and
numba finds a kernel's source through ``inspect.getfile``, i.e. that name. Relative to the current
directory it does not exist, so numba's ``NUMBA_CACHE_DIR`` locator declines and its frozen-only
fallback writes to ``~/.cache/numba`` instead, ignoring ``DRUMMOND_CACHE_DIR`` (and when started
from a source checkout it would even pick up the checkout's files). This locator resolves such
names against the bundle (``sys._MEIPASS``), where the spec ships the engine's ``.py`` files beside
the bytecode, and is otherwise numba's own ``NUMBA_CACHE_DIR`` locator: the same cache directory
layout, and (numba's rule for frozen apps) entries keyed by a hash of the executable, so a new
build never loads kernels compiled by the previous one.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from numba.core.caching import UserProvidedCacheLocator


def bundled_source(py_file: str) -> str:
    """``py_file`` resolved inside the bundle when it is a relative name that exists there."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is None or os.path.isabs(py_file):
        return py_file
    candidate = os.path.join(bundle, py_file)
    return candidate if os.path.isfile(candidate) else py_file


class BundledSourceLocator(UserProvidedCacheLocator):
    """``NUMBA_CACHE_DIR`` caching for functions whose source ships inside the bundle."""

    @classmethod
    def from_function(cls, py_func: Any, py_file: str) -> Any:
        resolved = bundled_source(py_file)
        return super().from_function(py_func, resolved)  # type: ignore[no-untyped-call]
