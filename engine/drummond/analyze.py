"""``analyze``: validate, allocate outputs with numpy, run the kernels, freeze the result."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from engine._alloc import staggered_empty
from engine.bars import Bars
from engine.drummond.params import DGParams
from engine.drummond.result import (
    AREA_FIELDS,
    EXT_LINE_NAMES,
    PER_BAR_FIELDS,
    PROJECTED_FIELDS,
    DGResult,
)

Buffers = dict[str, npt.NDArray[Any]]


def allocate(n: int, params: DGParams | None = None) -> Buffers:
    """Numpy-allocated output arrays for ``n`` bars (reuse them with ``compute_into``).

    The arrays are views into one block, staggered across cache sets (see ``engine._alloc``).
    """
    params = DGParams() if params is None else params
    specs: list[tuple[str, tuple[int, ...], Any]] = [
        (k, (n + 1,), t) for k, t in PROJECTED_FIELDS.items()]
    specs += [(k, (n,), t) for k, t in PER_BAR_FIELDS.items()]
    if params.extended_lines:
        specs.append(("extra_lines", (len(EXT_LINE_NAMES), n + 1), np.float64))
    arrays = staggered_empty([(shape, dtype) for _, shape, dtype in specs])
    return {name: a for (name, _, _), a in zip(specs, arrays, strict=True)}


def _check_inputs(H: npt.NDArray[Any], L: npt.NDArray[Any], C: npt.NDArray[Any]) -> int:
    n = H.shape[0]
    for name, a in (("high", H), ("low", L), ("close", C)):
        if a.dtype != np.float64 or a.ndim != 1 or a.shape[0] != n:
            raise ValueError(f"{name} must be a float64 vector of length {n}, "
                             f"got {a.dtype} with shape {a.shape}")
    return int(n)


def _check_buffers(out: Buffers, n: int, params: DGParams) -> None:
    want = allocate(0, params)
    for name, proto in want.items():
        a = out.get(name)
        shape: tuple[int, ...] = (n + 1,) if name in PROJECTED_FIELDS else (n,)
        if name == "extra_lines":
            shape = (len(EXT_LINE_NAMES), n + 1)
        if a is None or a.dtype != proto.dtype or a.shape != shape or not a.flags.c_contiguous:
            raise ValueError(f"output buffer {name!r} must be a C-contiguous {proto.dtype} "
                             f"array of shape {shape}")


def compute_into(H: npt.NDArray[Any], L: npt.NDArray[Any], C: npt.NDArray[Any],
                 params: DGParams, out: Buffers) -> None:
    """Fill ``out`` (from ``allocate``) for raw float64 arrays; NaN inputs are allowed here."""
    n = _check_inputs(H, L, C)
    _check_buffers(out, n, params)
    # Read-only views: the kernels then see the same array types as with frozen Bars columns,
    # so numba compiles (and caches) one signature per kernel instead of two.
    H, L, C = (_readonly_view(a) for a in (H, L, C))
    # numba loads here, with the first analysis (a worker thread at start-up), not at import.
    from engine.nb.drummond import dg_core_nb, dg_lines_ext_nb, dg_lines_nb, dg_side_nb
    from engine.nb.patterns import dg_dot_shape_nb, dg_patterns_nb
    from engine.nb.states import dg_states_nb

    p = params
    dg_core_nb(H, L, C, p.win, p.envelope_mode == "hl_avg", out["pldot"], out["etop"],
               out["ebot"], out["ar3"], out["one_one_dot"], out["one_one_high"],
               out["one_one_low"], out["slope"])
    dg_lines_nb(H, L, out["line_hh"], out["line_ll"], out["line_lh"], out["line_hl"])
    if p.extended_lines:
        dg_lines_ext_nb(H, L, C, out["pldot"], out["extra_lines"])
    if p.displacement == 0:
        _undisplace(out)
    dg_dot_shape_nb(out["pldot"], out["slope"], out["ar3"], p.flat_thr, p.tick,
                    out["dot_shape"], out["dot_crest"], out["dot_valley"],
                    out["dot_distance_increasing"])
    dg_side_nb(C, out["pldot"], p.tie_eps, out["side"])
    dg_states_nb(out["side"], H, L, C, p.trend_len, p.tie_policy == "carry",
                 p.dotted_includes_entrance, p.exit_requires_break,
                 p.reversal_mode == "any_opposite", out["state"], out["trend_dir"],
                 out["prior_dir"], out["run_len"], out["run_side"], out["dotted"], out["block"],
                 out["conf_hi"], out["conf_lo"], out["conf_expanded"], out["continued_entrance"])
    dg_patterns_nb(H, L, C, out["pldot"], out["etop"], out["ebot"], out["ar3"], out["slope"],
                   p.k_push, p.min_away, p.k_exh, p.m_exh, p.n_cw, p.cwave_requires_slope,
                   p.tick, out["away_above"], out["away_below"], out["touch"], out["push_up"],
                   out["push_down"], out["push_run"], out["refresh_from_above"],
                   out["refresh_from_below"], out["exhaust_up"], out["exhaust_down"],
                   out["exhaust_up_confirmed"], out["exhaust_down_confirmed"],
                   out["cwave_up"], out["cwave_down"])


def _readonly_view(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    v = a.view()
    v.flags.writeable = False
    return v


def _undisplace(out: Buffers) -> None:
    # Research variant (displacement 0): element t shows the window ending at bar t itself, so
    # every projected series moves one bar left and the next-bar slot is unknown.
    for name in ("pldot", "etop", "ebot", "ar3", "one_one_dot", "one_one_high", "one_one_low",
                 "slope", "line_hh", "line_ll", "line_lh", "line_hl"):
        a = out[name]
        a[:-1] = a[1:].copy()
        a[-1] = np.nan
    if "extra_lines" in out:
        x = out["extra_lines"]
        x[:, :-1] = x[:, 1:].copy()
        x[:, -1] = np.nan


def _freeze(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    a.flags.writeable = False
    return a


def analyze(bars: Bars, params: DGParams | None = None) -> DGResult:
    """Compute every Drummond Geometry element for ``bars``.

    Projected series have length N+1 (element N is the projection for the next bar); per-bar
    outcomes have length N. Nothing at index t depends on a bar after t (no look-ahead).

    >>> from engine import Bars
    >>> b = Bars.from_arrays(range(4), [99, 100, 103, 105], [102, 104, 106, 108],
    ...                      [98, 99, 101, 103], [100, 103, 105, 107])
    >>> r = analyze(b)
    >>> float(r.pldot[3]), float(r.pldot[4])
    (102.0, 104.0)
    """
    if not isinstance(bars, Bars):
        raise TypeError(f"analyze() needs engine.Bars, got {type(bars).__name__}")
    p = DGParams() if params is None else params
    if not isinstance(p, DGParams):
        raise TypeError(f"params must be DGParams, got {type(p).__name__}")
    out = allocate(len(bars), p)
    compute_into(bars.high, bars.low, bars.close, p, out)
    areas: dict[str, Any] = {}
    if p.experimental_areas:
        areas = {k: _freeze(v) for k, v in _areas(out, p).items()}
    extra = out.pop("extra_lines", None)
    lines = {} if extra is None else {name: _freeze(extra[i]) for i, name in
                                      enumerate(EXT_LINE_NAMES)}
    arrays = {k: _freeze(v) for k, v in out.items()}
    return DGResult(bars=bars, params=p, extra_lines=MappingProxyType(lines), **arrays, **areas)


def _areas(out: Buffers, p: DGParams) -> dict[str, npt.NDArray[np.float64]]:
    pl, ar = out["pldot"], out["ar3"]
    # mean(L) and mean(H) of the window, whichever envelope variant is on.
    mean_l = out["ebot"] if p.envelope_mode == "hl_avg" else 2.0 * pl - out["etop"]
    mean_h = mean_l + ar
    etop1 = 2.0 * pl - mean_l
    ebot1 = 2.0 * pl - mean_h
    areas = {"z6t": etop1 + ar, "z5t": 3.0 * pl - 2.0 * mean_l,
             "z2b": 3.0 * pl - 2.0 * mean_h, "z1b": ebot1 - ar}
    assert tuple(areas) == AREA_FIELDS
    return areas
