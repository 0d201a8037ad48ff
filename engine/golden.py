"""The spec's worked example (drummond-geometry.md §C): ten bars and the values the Drummond
Geometry kernels must produce for them, parsed from the spec's machine-readable copy.

The engine's golden tests and the app's ``--self-test`` both read this one copy, so a frozen
build checks its compiled kernels against the same vectors the test suite does. Pure numpy:
importing this module does not load numba (``DGResult`` is only a type here).
"""

from __future__ import annotations

import csv
import io
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from engine.bars import Bars

if TYPE_CHECKING:
    from engine.drummond.result import DGResult

F64 = npt.NDArray[np.float64]

# The tolerance of the golden tests (tests/engine/test_golden.py): the kernels run without
# fast-math, so the spec's exact fractions come out to within rounding.
TOL = 1e-9
N_BARS = 10

# §C2 "Machine-readable copy of C1/C2 for tests", verbatim.
C1_C2_CSV = """\
t,O,H,L,C,PL,ETop,EBot,AR3,OOH,OOL,side,state,tdir,prior_dir,dotted,block,conf_lo,conf_hi
0,99,102,98,100,,,,,,,,0,0,0,,,,
1,100,104,99,103,,,,,102,98,,0,0,0,,,,
2,103,106,101,105,,,,,105,100,,0,0,0,,,,
3,105,108,103,107,102,314/3,100,14/3,107,102,1,3,0,0,,,,
4,107,110,105,109,104,107,102,5,109,104,1,3,0,0,,,,
5,109,110,107,110,106,109,104,5,111,106,1,1,1,0,,,,
6,109,110,104,107,323/3,331/3,106,13/3,111,108,-1,2,0,1,110,104,104,110
7,106,110,105,109,108,332/3,106,14/3,110,104,1,3,0,1,110,104,104,110
8,109,109,102,104,108,332/3,106,14/3,111,106,-1,3,0,1,110,104,102,110
9,104,106,101,102,320/3,329/3,311/3,6,108,101,-1,3,0,1,110,104,101,110
next,,,,,316/3,108,307/3,17/3,105,100,,,,,,,,
"""

# §C1 columns the machine-readable copy leaves out: slope and the 1-1 dot (length N+1).
C1_SLOPE: list[Fraction | int | None] = [
    None, None, None, None, 2, 2, Fraction(5, 3), Fraction(1, 3), 0, Fraction(-4, 3),
    Fraction(-4, 3)]
C1_OOD: list[Fraction | int | None] = [None, 100, 102, 104, 106, 108, 109, 107, 108, 105, 103]

# DGResult field -> table column. Projected fields have N+1 values (the last one is the next
# bar's); per-bar fields have N.
PROJECTED_COLUMNS = {"pldot": "PL", "etop": "ETop", "ebot": "EBot", "ar3": "AR3",
                     "one_one_high": "OOH", "one_one_low": "OOL"}
PER_BAR_COLUMNS = {"side": "side", "state": "state", "trend_dir": "tdir",
                   "prior_dir": "prior_dir", "dotted": "dotted", "block": "block",
                   "conf_lo": "conf_lo", "conf_hi": "conf_hi"}


def _num(text: str) -> float:
    return float(Fraction(text)) if text else float("nan")


def table() -> dict[str, F64]:
    """Every column of ``C1_C2_CSV`` but ``t`` as floats (NaN where the spec leaves it blank);
    eleven rows: bars 0-9 and the next bar."""
    rows = list(csv.DictReader(io.StringIO(C1_C2_CSV)))
    return {col: np.array([_num(r[col]) for r in rows]) for col in rows[0] if col != "t"}


def bars() -> Bars:
    """The ten bars of the example, one day apart from the epoch."""
    g = table()
    return Bars.from_arrays(np.arange(N_BARS) * 86_400, g["O"][:N_BARS], g["H"][:N_BARS],
                            g["L"][:N_BARS], g["C"][:N_BARS])


def _series(values: list[Fraction | int | None]) -> F64:
    return np.array([float("nan") if v is None else float(v) for v in values])


def expected() -> dict[str, F64]:
    """The golden series keyed by ``DGResult`` field (NaN: the spec has no value there)."""
    g = table()
    out = {name: g[col] for name, col in PROJECTED_COLUMNS.items()}
    out.update({name: g[col][:N_BARS] for name, col in PER_BAR_COLUMNS.items()})
    out["slope"] = _series(C1_SLOPE)
    out["one_one_dot"] = _series(C1_OOD)
    return out


def mismatches(result: DGResult, tol: float = TOL) -> list[str]:
    """How ``result`` (``analyze(bars())`` with default parameters) differs from the example:
    one line per field that is off by more than ``tol`` at some bar, naming the first such bar
    (e.g. ``"pldot[5]: 106.5, expected 106"``). Empty when everything matches."""
    problems: list[str] = []
    for name, want in expected().items():
        got = np.asarray(getattr(result, name), dtype=np.float64)
        if got.shape != want.shape:
            problems.append(f"{name}: {got.size} values, expected {want.size}")
            continue
        same = (np.isnan(got) & np.isnan(want)) | (np.abs(got - want) <= tol)
        bad = np.flatnonzero(~same)
        if bad.size:
            t = int(bad[0])
            problems.append(f"{name}[{t}]: {got[t]:.12g}, expected {want[t]:.12g}"
                            + (f" (and {bad.size - 1} more)" if bad.size > 1 else ""))
    return problems
