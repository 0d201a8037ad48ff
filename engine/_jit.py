"""The one place numba flags live.

Every kernel is compiled ``cache=True`` (a warm start loads machine code from the cache instead of
compiling), ``nogil=True`` (the GUI thread keeps running while a worker computes) and with numpy's
error model (division by zero gives inf/NaN instead of a raised exception: kernels never raise).
No fast-math: the Drummond kernels must reproduce the spec's golden vectors to 1e-9.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])

KERNEL_OPTIONS: dict[str, Any] = {"cache": True, "nogil": True, "error_model": "numpy"}


def kernel(fn: F) -> F:
    """Compile ``fn`` lazily (on first call) as a cached, GIL-free numba kernel."""
    import numba

    return cast(F, numba.njit(**KERNEL_OPTIONS)(fn))


def inline_helper(fn: F) -> F:
    """A small helper that numba inlines into the calling kernel at the IR level, so a call in a
    hot loop costs nothing (an out-of-line call passes whole array structs per bar)."""
    import numba

    return cast(F, numba.njit(inline="always", **KERNEL_OPTIONS)(fn))
