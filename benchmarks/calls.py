"""How ``compute_into`` calls each kernel, for the per-kernel breakdown and first-call timings.

Numba-free at import (the kernel modules load inside ``kernel_calls``), so a subprocess can time
``import numba`` and the first kernel call separately.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np

CORE_NAMES = ("pldot", "etop", "ebot", "ar3", "one_one_dot", "one_one_high", "one_one_low",
              "slope")
KERNELS = ("dg_core_nb", "dg_lines_nb", "dg_dot_shape_nb", "dg_side_nb", "dg_states_nb",
           "dg_patterns_nb")
_SHAPE_OUT = ("dot_shape", "dot_crest", "dot_valley", "dot_distance_increasing")
_STATES_OUT = ("state", "trend_dir", "prior_dir", "run_len", "run_side", "dotted", "block",
               "conf_hi", "conf_lo", "conf_expanded", "continued_entrance")
_PATTERNS_OUT = ("away_above", "away_below", "touch", "push_up", "push_down", "push_run",
                 "refresh_from_above", "refresh_from_below", "exhaust_up", "exhaust_down",
                 "exhaust_up_confirmed", "exhaust_down_confirmed", "cwave_up", "cwave_down")


class KernelCall(NamedTuple):
    name: str
    call: Callable[[], None]
    ins: list[np.ndarray]
    outs: list[np.ndarray]


def readonly(a: np.ndarray) -> np.ndarray:
    """A read-only view, as ``compute_into`` hands H/L/C to the kernels (one numba signature
    per kernel: the same array type as frozen ``Bars`` columns)."""
    v = a.view()
    v.flags.writeable = False
    return v


def core_specs(n: int) -> list[tuple[tuple[int, ...], Any]]:
    """``staggered_empty`` specs of ``dg_core_nb``'s 8 float64 outputs of N+1."""
    return [((n + 1,), np.float64)] * len(CORE_NAMES)


def kernel_calls(H: np.ndarray, L: np.ndarray, C: np.ndarray, p: Any,
                 o: dict[str, np.ndarray]) -> list[KernelCall]:
    """Every kernel call of ``compute_into`` with default-style params (same arguments, H/L/C as
    read-only views), with its input and output arrays."""
    from engine.nb.drummond import dg_core_nb, dg_lines_nb, dg_side_nb
    from engine.nb.patterns import dg_dot_shape_nb, dg_patterns_nb
    from engine.nb.states import dg_states_nb

    H, L, C = readonly(H), readonly(L), readonly(C)
    core_out = [o[k] for k in CORE_NAMES]
    lines_out = [o[k] for k in ("line_hh", "line_ll", "line_lh", "line_hl")]
    shape_out = [o[k] for k in _SHAPE_OUT]
    states_out = [o[k] for k in _STATES_OUT]
    pat_out = [o[k] for k in _PATTERNS_OUT]
    pat_in = [H, L, C, o["pldot"], o["etop"], o["ebot"], o["ar3"], o["slope"]]
    return [
        KernelCall("dg_core_nb", lambda: dg_core_nb(
            H, L, C, p.win, p.envelope_mode == "hl_avg", *core_out), [H, L, C], core_out),
        KernelCall("dg_lines_nb", lambda: dg_lines_nb(H, L, *lines_out), [H, L], lines_out),
        KernelCall("dg_dot_shape_nb", lambda: dg_dot_shape_nb(
            o["pldot"], o["slope"], o["ar3"], p.flat_thr, p.tick, *shape_out),
            [o["pldot"], o["slope"], o["ar3"]], shape_out),
        KernelCall("dg_side_nb", lambda: dg_side_nb(C, o["pldot"], p.tie_eps, o["side"]),
                   [C, o["pldot"]], [o["side"]]),
        KernelCall("dg_states_nb", lambda: dg_states_nb(
            o["side"], H, L, C, p.trend_len, p.tie_policy == "carry",
            p.dotted_includes_entrance, p.exit_requires_break,
            p.reversal_mode == "any_opposite", *states_out), [o["side"], H, L, C], states_out),
        KernelCall("dg_patterns_nb", lambda: dg_patterns_nb(
            H, L, C, o["pldot"], o["etop"], o["ebot"], o["ar3"], o["slope"], p.k_push,
            p.min_away, p.k_exh, p.m_exh, p.n_cw, p.cwave_requires_slope, p.tick, *pat_out),
            pat_in, pat_out),
    ]


def check_kernel_list() -> str:
    """'' if ``kernel_calls`` names the same kernels as ``compute_into``'s source, else a note."""
    from engine.drummond import compute_into

    called = set(re.findall(r"\b(\w+_nb)\(", inspect.getsource(compute_into)))
    called.discard("dg_lines_ext_nb")  # only with DGParams(extended_lines=True)
    if called == set(KERNELS):
        return ""
    return (f"compute_into calls {sorted(called)}, the breakdown times {sorted(KERNELS)}: "
            "update benchmarks/calls.py")


def check_same_outputs(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    """Raise unless the breakdown's kernel sequence filled exactly what ``compute_into`` does
    (bit for bit, NaN where NaN)."""
    for name, w in want.items():
        g = got[name]
        nan = w.dtype.kind == "f"
        if not np.array_equal(g, w, equal_nan=nan):
            raise AssertionError(f"kernel_calls output {name!r} differs from compute_into's")


@contextmanager
def pool_limit(limit_bytes: int) -> Iterator[None]:
    """Set ``engine.output_pool.limit_bytes`` for the block (0 = pool off: ``staggered_empty``
    and ``allocate`` hand out fresh memory every call); restored afterwards."""
    from engine import output_pool

    old = output_pool.limit_bytes
    output_pool.limit_bytes = limit_bytes
    try:
        yield
    finally:
        output_pool.limit_bytes = old
