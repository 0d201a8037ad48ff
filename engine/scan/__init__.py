"""The scanner: conditions over Drummond Geometry, indicators and higher timeframes, evaluated
for many symbols at their last bars (``engine/README.md``, "Scanner expressions").

>>> expr = parse("weekly.trend_up and daily.state == cong_exit and close within "
...              "weekly.support_zone")
>>> [t.label for t in expr.terms]
['weekly.trend_up', 'daily.state', 'cong_exit', 'close', 'weekly.support_zone']

Importing this package loads numpy only; numba loads with the first batch kernel call.
"""

from engine.scan.batch import DGTail, Ragged, dg_full, dg_tail
from engine.scan.evaluate import evaluate, explain
from engine.scan.run import ScanHit, check_timeframes, evaluate_symbol, scan
from engine.scan.syntax import ScanExpr, ScanSyntaxError, Term, parse
from engine.scan.terms import TIMEFRAMES, register, vocabulary
from engine.scan.values import BatchValues, SeriesValues

__all__ = [
    "TIMEFRAMES",
    "BatchValues",
    "DGTail",
    "Ragged",
    "ScanExpr",
    "ScanHit",
    "ScanSyntaxError",
    "SeriesValues",
    "Term",
    "check_timeframes",
    "dg_full",
    "dg_tail",
    "evaluate",
    "evaluate_symbol",
    "explain",
    "parse",
    "register",
    "scan",
    "vocabulary",
]
