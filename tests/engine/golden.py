"""The spec's worked example (drummond-geometry.md §C) for the tests.

The ten bars, the C1/C2 table and its parsing live in ``engine/golden.py`` (the app's
``--self-test`` checks its kernels against them too); this module re-exports them and adds what
only tests need: the §C3-§C6 vectors and a CSV writer.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from engine.golden import C1_C2_CSV, C1_OOD, C1_SLOPE, bars, table

__all__ = ["C1_C2_CSV", "C1_OOD", "C1_SLOPE", "C3", "C4", "C5", "C5_AREAS", "C6", "C6_CONTINUED",
           "C6_PRIOR", "bars", "sides", "table", "write_yahoo_csv"]


def write_yahoo_csv(path: Path) -> Path:
    """The ten bars as a Yahoo-style CSV file (daily dates from 2006-01-02, volume 1000)."""
    g = table()
    rows = [f"2006-01-{t + 2:02d},{g['O'][t]:g},{g['H'][t]:g},{g['L'][t]:g},{g['C'][t]:g},"
            f"{g['C'][t]:g},1000" for t in range(10)]
    path.write_text("Date,Open,High,Low,Close,Adj Close,Volume\n" + "\n".join(rows) + "\n")
    return path


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
