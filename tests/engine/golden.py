"""The spec's worked example (drummond-geometry.md §C), parsed from its machine-readable copy."""

from __future__ import annotations

import csv
import io
from fractions import Fraction
from pathlib import Path

import numpy as np

from engine import Bars

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


def _num(text: str) -> float:
    return float(Fraction(text)) if text else float("nan")


def table() -> dict[str, np.ndarray]:
    rows = list(csv.DictReader(io.StringIO(C1_C2_CSV)))
    return {col: np.array([_num(r[col]) for r in rows]) for col in rows[0] if col != "t"}


def write_yahoo_csv(path: Path) -> Path:
    """The ten bars as a Yahoo-style CSV file (daily dates from 2006-01-02, volume 1000)."""
    g = table()
    rows = [f"2006-01-{t + 2:02d},{g['O'][t]:g},{g['H'][t]:g},{g['L'][t]:g},{g['C'][t]:g},"
            f"{g['C'][t]:g},1000" for t in range(10)]
    path.write_text("Date,Open,High,Low,Close,Adj Close,Volume\n" + "\n".join(rows) + "\n")
    return path


def bars() -> Bars:
    g = table()
    n = 10
    return Bars.from_arrays(np.arange(n) * 86_400, g["O"][:n], g["H"][:n], g["L"][:n],
                            g["C"][:n])


# §C1 columns the machine-readable copy leaves out: slope and the 1-1 dot (length N+1).
C1_SLOPE = [None, None, None, None, 2, 2, Fraction(5, 3), Fraction(1, 3), 0, Fraction(-4, 3),
            Fraction(-4, 3)]
C1_OOD = [None, 100, 102, 104, 106, 108, 109, 107, 108, 105, 103]

# §C3 pattern flags for bars 3..9 (T/F as printed).
C3 = {
    "away_above": "TTTFFFF", "away_below": "FFFFFFT", "touch": "FFFTTTF",
    "push_up": "FTTFFFF", "push_down": "FFFFFFT", "refresh_from_above": "FFFTFFF",
    "cwave_up": "FTTFFFF", "cwave_down": "FFFFFFT", "exhaust_up": "FFFFFFF",
    "exhaust_down": "FFFFFFF",
}

# §C4 line projections onto target bars 2..10.
C4 = {
    "line_hh": [106, 108, 110, 112, 110, 110, 110, 108, 103],
    "line_ll": [100, 103, 105, 107, 109, 101, 106, 99, 100],
    "line_lh": [110, 113, 115, 117, 115, 113, 116, 113, 110],
    "line_hl": [96, 98, 100, 102, 104, 98, 100, 94, 93],
}

# §C5 zones for t = 10: (lo, hi, strength, kind, nearby per the text: 3-5 nearby, 6-7 further).
C5 = [
    (93, 93, 1, "S", ("HL",)),
    (100, 100, 2, "S", ("LL", "OOL")),
    (Fraction(307, 3), Fraction(307, 3), 1, "R", ("EBOT",)),
    (103, 103, 1, "R", ("HH",)),
    (105, Fraction(316, 3), 2, "R", ("OOH", "PL")),
    (108, 108, 1, "R", ("ETOP",)),
    (110, 110, 1, "R", ("LH",)),
]
C5_AREAS = {"z6t": Fraction(341, 3), "z5t": Fraction(332, 3), "z2b": Fraction(298, 3),
            "z1b": Fraction(290, 3)}

# §C6 state-machine-only vectors: sides from t=3, expected states (and the direction shown).
C6 = {
    "A": ("+++----", [(3, 0), (3, 0), (1, 1), (2, 0), (3, 0), (5, -1), (1, -1)]),
    "B": ("+++-++++", [(3, 0), (3, 0), (1, 1), (2, 0), (3, 0), (3, 0), (4, 1), (1, 1)]),
    "C": ("+++-+----", [(3, 0), (3, 0), (1, 1), (2, 0), (3, 0), (3, 0), (3, 0), (4, -1), (1, -1)]),
    "D": ("++0+++0-", [(3, 0), (3, 0), (3, 0), (3, 0), (3, 0), (1, 1), (1, 1), (2, 0)]),
    "E": ("---+++", [(3, 0), (3, 0), (1, -1), (2, 0), (3, 0), (5, 1)]),
}
C6_PRIOR = {"A": (3, 1), "E": (3, -1)}  # (index into the case, expected prior_dir)
C6_CONTINUED = {"A": 4}  # the bar after the entrance is "ACT (cont. entrance)"


def sides(code: str) -> np.ndarray:
    vals = {"+": 1.0, "-": -1.0, "0": 0.0}
    return np.array([np.nan] * 3 + [vals[ch] for ch in code])
