"""Evaluating a parsed expression over rows (bars of one symbol, or symbols x bars).

Values are float64 arrays, one element per row. Numbers are themselves (NaN = unknown);
conditions are 1.0 (true), 0.0 (false) or NaN (unknown) and combine with Kleene's three-valued
logic: ``false and unknown`` is false, ``true or unknown`` is true, ``not unknown`` is unknown.
A comparison with an unknown side is unknown, and so is a division by zero. A row matches only
when its condition is true. Because Kleene logic is monotone, an expression that is already
false with some terms unknown stays false whatever their values: the batch prefilter relies on
this to drop symbols before the full per-symbol evaluation.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from engine.scan.syntax import (
    Arith,
    Compare,
    Logic,
    Neg,
    Node,
    Not,
    Num,
    ScanExpr,
    Term,
    Within,
)

F64 = npt.NDArray[np.float64]
ZoneRows = Sequence[F64 | None]  # per row: (z, 2) array of [lo, hi], or None when unknown
Value = float | bool | tuple[float, float] | None

_COMPARE: dict[str, Callable[[F64, F64], npt.NDArray[np.bool_]]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne}
_ARITH: dict[str, Callable[[F64, F64], F64]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


class Values(Protocol):
    """Where term values come from. ``number`` gives numbers and flags (1/0/NaN) per row;
    ``zones`` gives each row's zone intervals for a zone term."""

    rows: int

    def number(self, term: Term) -> F64: ...

    def zones(self, term: Term) -> ZoneRows: ...


class _Evaluator:
    def __init__(self, values: Values) -> None:
        self.values = values
        self.rows = values.rows
        self.cache: dict[str, F64] = {}

    def term(self, t: Term) -> F64:
        if t.info.constant is not None:
            return np.full(self.rows, t.info.constant)
        got = self.cache.get(t.label)
        if got is None:
            got = np.asarray(self.values.number(t), dtype=np.float64)
            if got.shape != (self.rows,):
                raise AssertionError(f"{t.label}: {got.shape} values for {self.rows} rows")
            self.cache[t.label] = got
        return got

    def eval(self, node: Node) -> F64:
        if isinstance(node, Num):
            return np.full(self.rows, node.value)
        if isinstance(node, Term):
            return self.term(node)
        if isinstance(node, Neg):
            return -self.eval(node.operand)
        if isinstance(node, Not):
            return 1.0 - self.eval(node.operand)
        if isinstance(node, Arith):
            with np.errstate(all="ignore"):
                out = _ARITH[node.op](self.eval(node.left), self.eval(node.right))
            return np.where(np.isfinite(out), out, np.nan)
        if isinstance(node, Compare):
            a, b = self.eval(node.left), self.eval(node.right)
            with np.errstate(invalid="ignore"):
                hit = _COMPARE[node.op](a, b).astype(np.float64)
            return np.where(np.isnan(a) | np.isnan(b), np.nan, hit)
        if isinstance(node, Within):
            return self.within(node)
        if isinstance(node, Logic):
            parts = np.stack([self.eval(p) for p in node.operands])
            decisive, other = (0.0, 1.0) if node.op == "and" else (1.0, 0.0)
            unknown = np.isnan(parts).any(axis=0)
            out = np.where(unknown, np.nan, other)
            return np.where((parts == decisive).any(axis=0), decisive, out)
        raise TypeError(f"unknown node {type(node).__name__}")

    def within(self, node: Within) -> F64:
        x = self.eval(node.value)
        zones = self.values.zones(node.zone)
        out = np.full(self.rows, np.nan)
        for r in range(self.rows):
            z = zones[r]
            if z is not None and not np.isnan(x[r]):
                out[r] = float(bool(((z[:, 0] <= x[r]) & (x[r] <= z[:, 1])).any()))
        return out


def evaluate(expr: ScanExpr, values: Values) -> F64:
    """The condition per row: 1.0 true, 0.0 false, NaN unknown."""
    return _Evaluator(values).eval(expr.root)


def explain(expr: ScanExpr, values: Values, row: int) -> dict[str, Value]:
    """Each term's value at ``row`` (the results table): numbers as float (None when unknown),
    flags as bool (None when unknown), a zone term as the (lo, hi) of the zone its ``within``
    value fell in (None when it fell in none)."""
    ev = _Evaluator(values)
    out: dict[str, Value] = {}
    for t in expr.terms:
        if t.info.constant is not None:
            continue
        if t.kind == "zone":
            out[t.label] = None
            continue
        v = float(ev.term(t)[row])
        if np.isnan(v):
            out[t.label] = None
        else:
            out[t.label] = bool(v) if t.kind == "flag" else v
    for node in _withins(expr.root):
        x = float(ev.eval(node.value)[row])
        z = values.zones(node.zone)[row]
        if z is not None and not np.isnan(x) and out.get(node.zone.label) is None:
            inside = z[(z[:, 0] <= x) & (x <= z[:, 1])]
            if inside.shape[0]:
                out[node.zone.label] = (float(inside[0, 0]), float(inside[0, 1]))
    return out


def _withins(node: Node) -> list[Within]:
    if isinstance(node, Within):
        return [node]
    if isinstance(node, Neg | Not):
        return _withins(node.operand)
    if isinstance(node, Arith | Compare):
        return _withins(node.left) + _withins(node.right)
    if isinstance(node, Logic):
        return [w for p in node.operands for w in _withins(p)]
    return []
