"""Many symbols at once: ragged H/L/C batches and the batch DG core + state kernels.

``Ragged.from_bars(list_of_bars)`` concatenates the symbols' high, low and close (one copy);
``dg_tail(batch, k)`` runs the DG core, side and state machine over every symbol in parallel and
keeps the values of the last ``k`` bars; ``dg_full(batch)`` keeps every bar. Both equal
``engine.drummond.analyze`` symbol by symbol (``tests/engine/test_scan_batch.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.bars import Bars
from engine.drummond.params import DGParams
from engine.drummond.result import PER_BAR_FIELDS, PROJECTED_FIELDS

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]

TAIL_F_ROWS = ("pldot", "etop", "ebot", "ar3", "one_one_dot", "one_one_high", "one_one_low",
               "slope", "side", "dotted", "block", "conf_hi", "conf_lo")
TAIL_I_ROWS = ("state", "trend_dir", "prior_dir", "run_len", "run_side", "conf_expanded",
               "continued_entrance")
CORE_FIELDS = TAIL_F_ROWS[:8]  # projected (N+1 per symbol)
STATE_FIELDS = ("side", "state", "trend_dir", "prior_dir", "run_len", "run_side", "dotted",
                "block", "conf_hi", "conf_lo", "conf_expanded", "continued_entrance")


def _readonly(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    v = a.view()
    v.flags.writeable = False
    return v


@dataclass(frozen=True, eq=False)
class Ragged:
    """H/L/C of many symbols back to back; symbol ``i`` is ``offsets[i]:offsets[i+1]``."""

    high: F64
    low: F64
    close: F64
    offsets: I64
    symbols: tuple[str, ...]

    @classmethod
    def from_bars(cls, series: Sequence[Bars]) -> Ragged:
        """Concatenate ``series`` (each an ``engine.Bars``) in order."""
        for k, b in enumerate(series):
            if not isinstance(b, Bars):
                raise TypeError(f"Ragged.from_bars: item {k} is {type(b).__name__}, "
                                "not engine.Bars")
        lengths = np.array([len(b) for b in series], dtype=np.int64)
        offsets = np.zeros(len(series) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        cols = []
        for name in ("high", "low", "close"):
            arr = np.empty(int(offsets[-1]), dtype=np.float64)
            for b, a in zip(series, offsets[:-1], strict=False):
                arr[a:a + len(b)] = getattr(b, name)
            cols.append(_readonly(arr))
        return cls(cols[0], cols[1], cols[2], _readonly(offsets), tuple(b.symbol for b in series))

    @classmethod
    def from_arrays(cls, high: Any, low: Any, close: Any, offsets: Any,
                    symbols: Sequence[str] = ()) -> Ragged:
        """Wrap concatenated float64 columns (not copied when already contiguous float64)."""
        cols = [np.ascontiguousarray(x, dtype=np.float64) for x in (high, low, close)]
        off = np.ascontiguousarray(offsets, dtype=np.int64)
        n = cols[0].shape[0]
        if any(c.ndim != 1 or c.shape[0] != n for c in cols):
            raise ValueError("Ragged: high, low and close must be 1-D arrays of one length")
        if off.ndim != 1 or off.shape[0] < 1 or off[0] != 0 or off[-1] != n:
            raise ValueError(f"Ragged: offsets must run from 0 to {n} (the bar count)")
        if (np.diff(off) < 0).any():
            i = int(np.flatnonzero(np.diff(off) < 0)[0])
            raise ValueError(f"Ragged: offsets must not decrease (symbol {i})")
        names = tuple(symbols) or tuple(str(i) for i in range(off.shape[0] - 1))
        if len(names) != off.shape[0] - 1:
            raise ValueError(f"Ragged: {len(names)} symbols for {off.shape[0] - 1} series")
        return cls(_readonly(cols[0]), _readonly(cols[1]), _readonly(cols[2]), _readonly(off),
                   names)

    def __len__(self) -> int:
        return int(self.offsets.shape[0] - 1)

    @property
    def lengths(self) -> I64:
        out: I64 = np.diff(self.offsets)
        return out


@dataclass(frozen=True, eq=False)
class DGTail:
    """The last ``k`` bars of every symbol: ``field(name)`` is an (S, k) array whose column
    ``j`` is bar ``n - k + j`` of each symbol (NaN, or 0 for integer fields, before bar 0)."""

    k: int
    lengths: I64
    floats: F64  # (S, len(TAIL_F_ROWS), k)
    ints: I32  # (S, len(TAIL_I_ROWS), k)

    def field(self, name: str) -> npt.NDArray[Any]:
        if name in TAIL_F_ROWS:
            return self.floats[:, TAIL_F_ROWS.index(name), :]
        if name in TAIL_I_ROWS:
            return self.ints[:, TAIL_I_ROWS.index(name), :]
        raise KeyError(f"DGTail has no field {name!r} (fields: "
                       f"{', '.join(TAIL_F_ROWS + TAIL_I_ROWS)})")


def _set_threads(threads: int | None) -> None:
    import numba

    if threads is not None:
        if threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        limit: int = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
        numba.set_num_threads(min(int(threads), limit))


def _state_args(p: DGParams) -> tuple[float, int, bool, bool, bool, bool]:
    return (p.tie_eps, p.trend_len, p.tie_policy == "carry", p.dotted_includes_entrance,
            p.exit_requires_break, p.reversal_mode == "any_opposite")


def dg_tail(batch: Ragged, k: int = 1, params: DGParams | None = None, *,
            threads: int | None = None, fused: bool | None = None) -> DGTail:
    """DG core, side and states of the last ``k`` bars of every symbol (parallel over symbols).

    ``fused`` picks the one-pass kernel (3-bar window, displaced dot only; the default there)
    or the general one that runs the single-series kernels into per-thread scratch.
    """
    from engine.nb import scan as nb

    assert (nb.TAIL_F_ROWS, nb.TAIL_I_ROWS) == (TAIL_F_ROWS, TAIL_I_ROWS)
    p = DGParams() if params is None else params
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"dg_tail: k must be an integer >= 1, got {k!r}")
    can_fuse = p.win == 3 and p.displacement == 1
    if fused and not can_fuse:
        raise ValueError("dg_tail: the fused kernel needs win=3 and displacement=1")
    _set_threads(threads)
    s = len(batch)
    floats = np.empty((s, len(TAIL_F_ROWS), k))
    ints = np.empty((s, len(TAIL_I_ROWS), k), dtype=np.int32)
    hl_avg = p.envelope_mode == "hl_avg"
    if s and (can_fuse if fused is None else fused):
        nb.dg_scan_fused_nb(batch.high, batch.low, batch.close, batch.offsets, hl_avg,
                            *_state_args(p), floats, ints)
    elif s:
        import numba

        groups = min(s, 8 * numba.get_num_threads())
        chunks = np.linspace(0, s, groups + 1).round().astype(np.int64)
        max_n = int(batch.lengths.max())
        nb.dg_scan_tail_nb(batch.high, batch.low, batch.close, batch.offsets, chunks, max_n,
                           p.win, hl_avg, p.displacement == 0, *_state_args(p), floats, ints)
    for a in (floats, ints):
        a.flags.writeable = False
    return DGTail(k, batch.lengths, floats, ints)


def dg_full(batch: Ragged, params: DGParams | None = None, *,
            threads: int | None = None) -> dict[str, npt.NDArray[Any]]:
    """Every bar's DG core and state arrays, concatenated like the batch: per-bar fields are
    split by ``batch.offsets``, projected ones (n+1 per symbol) by ``offsets + arange(S+1)``."""
    from engine.nb.scan import dg_scan_full_nb

    p = DGParams() if params is None else params
    _set_threads(threads)
    total, s = int(batch.offsets[-1]), len(batch)
    out: dict[str, npt.NDArray[Any]] = {
        n: np.empty(total + s, dtype=PROJECTED_FIELDS[n]) for n in CORE_FIELDS}
    out.update({n: np.empty(total, dtype=PER_BAR_FIELDS[n]) for n in STATE_FIELDS})
    if s:
        dg_scan_full_nb(batch.high, batch.low, batch.close, batch.offsets, p.win,
                        p.envelope_mode == "hl_avg", p.displacement == 0, *_state_args(p),
                        *(out[n] for n in CORE_FIELDS), *(out[n] for n in STATE_FIELDS))
    for a in out.values():
        a.flags.writeable = False
    return out
