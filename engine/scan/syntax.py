"""Scanner expressions: tokens, syntax tree and a recursive-descent parser (no ``eval``).

Grammar (EBNF; keywords and names are case-insensitive)::

    condition = or_expr ;
    or_expr   = and_expr { "or" and_expr } ;
    and_expr  = not_expr { "and" not_expr } ;
    not_expr  = "not" not_expr | relation ;
    relation  = sum [ compare sum | "within" term ] ;
    compare   = "<" | "<=" | ">" | ">=" | "==" | "!=" ;
    sum       = product { ( "+" | "-" ) product } ;
    product   = unary { ( "*" | "/" ) unary } ;
    unary     = "-" unary | atom ;
    atom      = NUMBER | "(" condition ")" | term ;
    term      = [ TIMEFRAME "." ] NAME [ "(" [ arg { "," arg } ] ")" ] ;
    arg       = [ "-" ] NUMBER ;
    TIMEFRAME = "daily" | "weekly" | "monthly" ;

Every node has a kind: a *number*, a *flag* (a condition: true, false or unknown) or a *zone*
set. ``and``/``or``/``not`` take flags, comparisons and arithmetic take numbers, ``within`` takes
a number on the left and a zone term on the right, and the whole expression must be a flag. The
parser checks this, so a mistake is reported with its column before any data is read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from engine.scan.terms import TIMEFRAMES, TermInfo, resolve

Kind = Literal["number", "flag", "zone"]
COMPARE = ("<", "<=", ">", ">=", "==", "!=")
KEYWORDS = ("and", "or", "not", "within")
MAX_LENGTH = 2_000

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|==|!=|[<>+\-*/(),.])
""", re.VERBOSE)


class ScanSyntaxError(ValueError):
    """A scanner expression that does not parse or mixes kinds; ``column`` is 1-based."""

    def __init__(self, text: str, column: int, token: str, message: str) -> None:
        self.text = text
        self.column = column
        self.token = token
        self.message = message
        where = f"column {column}" + (f" at {token!r}" if token else " (end of expression)")
        super().__init__(f"{where}: {message}")

    def pointer(self) -> str:
        """The expression with a caret under the column (for a terminal)."""
        return f"{self.text}\n{' ' * (self.column - 1)}^"


@dataclass(frozen=True)
class Token:
    kind: str  # number, name, keyword, op, end
    text: str
    column: int  # 1-based


# ------------------------------------------------------------------------------ syntax tree
@dataclass(frozen=True)
class Num:
    value: float
    column: int
    kind: Kind = "number"


@dataclass(frozen=True)
class Term:
    """A named value: ``tf`` is None (the scan's own bars) or daily/weekly/monthly."""

    tf: str | None
    name: str
    args: tuple[float, ...]
    info: TermInfo
    column: int

    @property
    def kind(self) -> Kind:
        return self.info.kind

    @property
    def label(self) -> str:
        """Canonical text, e.g. ``weekly.trend_up`` or ``rsi(14)``: the results' column name."""
        call = f"({', '.join(_num_text(a) for a in self.args)})" if self.args else ""
        return (f"{self.tf}." if self.tf else "") + self.name + call


@dataclass(frozen=True)
class Neg:
    operand: Node
    column: int
    kind: Kind = "number"


@dataclass(frozen=True)
class Arith:
    op: str
    left: Node
    right: Node
    column: int
    kind: Kind = "number"


@dataclass(frozen=True)
class Compare:
    op: str
    left: Node
    right: Node
    column: int
    kind: Kind = "flag"


@dataclass(frozen=True)
class Within:
    value: Node
    zone: Term
    column: int
    kind: Kind = "flag"


@dataclass(frozen=True)
class Logic:
    op: str  # and, or
    operands: tuple[Node, ...]
    column: int
    kind: Kind = "flag"


@dataclass(frozen=True)
class Not:
    operand: Node
    column: int
    kind: Kind = "flag"


Node = Num | Term | Neg | Arith | Compare | Within | Logic | Not
_Rule = Callable[[], Node]


def _num_text(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


@dataclass(frozen=True)
class ScanExpr:
    """A parsed, kind-checked expression; ``terms`` lists its distinct terms in order."""

    text: str
    root: Node
    terms: tuple[Term, ...]

    @property
    def timeframes(self) -> frozenset[str]:
        return frozenset(t.tf for t in self.terms if t.tf is not None)


# ---------------------------------------------------------------------------------- lexer
def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ScanSyntaxError(text, pos + 1, text[pos], "unexpected character")
        kind = m.lastgroup or ""
        word = m.group()
        if kind == "name" and word.lower() in KEYWORDS:
            kind, word = "keyword", word.lower()
        if kind != "space":
            out.append(Token(kind, word, pos + 1))
        pos = m.end()
    out.append(Token("end", "", len(text) + 1))
    return out


# --------------------------------------------------------------------------------- parser
class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def at(self, kind: str, *texts: str) -> bool:
        return self.tok.kind == kind and (not texts or self.tok.text in texts)

    def fail(self, message: str, tok: Token | None = None) -> ScanSyntaxError:
        t = tok or self.tok
        return ScanSyntaxError(self.text, t.column, t.text, message)

    def expect(self, text: str, what: str) -> Token:
        if not self.at("op", text):
            raise self.fail(f"expected {text!r} {what}")
        return self.take()

    def need(self, node: Node, kind: Kind, role: str) -> Node:
        if node.kind != kind:
            raise ScanSyntaxError(self.text, node.column, _node_text(node),
                                  f"{_describe(node)}; {role} needs {_a(kind)}")
        return node

    # -- grammar ------------------------------------------------------------------------
    def condition(self) -> Node:
        return self.logic("or", self.and_expr)

    def and_expr(self) -> Node:
        return self.logic("and", self.not_expr)

    def logic(self, op: str, operand: _Rule) -> Node:
        first = operand()
        parts = [first]
        while self.at("keyword", op):
            tok = self.take()
            self.need(parts[-1], "flag", f"{op!r} (column {tok.column})")
            parts.append(self.need(operand(), "flag", f"{op!r} (column {tok.column})"))
        return first if len(parts) == 1 else Logic(op, tuple(parts), first.column)

    def not_expr(self) -> Node:
        if self.at("keyword", "not"):
            tok = self.take()
            return Not(self.need(self.not_expr(), "flag", "'not'"), tok.column)
        return self.relation()

    def relation(self) -> Node:
        left = self.sum()
        if self.at("op", *COMPARE):
            tok = self.take()
            right = self.sum()
            role = f"{tok.text!r} (column {tok.column})"
            self.need(left, "number", role)
            self.need(right, "number", role)
            if self.at("op", *COMPARE):
                raise self.fail("comparisons do not chain; join them with 'and'")
            return Compare(tok.text, left, right, tok.column)
        if self.at("keyword", "within"):
            tok = self.take()
            self.need(left, "number", f"'within' (column {tok.column})")
            start = self.tok
            zone = self.atom()
            if not isinstance(zone, Term) or zone.kind != "zone":
                raise self.fail("'within' needs a zone term such as support_zone or "
                                "weekly.resistance_zone", start)
            return Within(left, zone, tok.column)
        return left

    def sum(self) -> Node:
        return self.arith(("+", "-"), self.product)

    def product(self) -> Node:
        return self.arith(("*", "/"), self.unary)

    def arith(self, ops: tuple[str, ...], operand: _Rule) -> Node:
        node = operand()
        while self.at("op", *ops):
            tok = self.take()
            role = f"{tok.text!r} (column {tok.column})"
            right = self.need(operand(), "number", role)
            node = Arith(tok.text, self.need(node, "number", role), right, tok.column)
        return node

    def unary(self) -> Node:
        if self.at("op", "-"):
            tok = self.take()
            return Neg(self.need(self.unary(), "number", "'-'"), tok.column)
        return self.atom()

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.take()
            return Num(float(tok.text), tok.column)
        if self.at("op", "("):
            self.take()
            inner = self.condition()
            self.expect(")", f"to close the '(' at column {tok.column}")
            return inner
        if tok.kind == "name":
            return self.term()
        if tok.kind == "end":
            raise self.fail("the expression ends too early")
        raise self.fail("expected a number, a term or '('")

    def term(self) -> Term:
        first = self.take()
        tf: str | None = None
        name_tok = first
        if self.at("op", "."):
            if first.text.lower() not in TIMEFRAMES:
                raise self.fail(f"unknown timeframe {first.text!r} (use "
                                f"{', '.join(TIMEFRAMES)})", first)
            self.take()
            if not self.at("name"):
                raise self.fail(f"expected a term name after '{first.text}.'")
            tf = first.text.lower()
            name_tok = self.take()
        args = self.args() if self.at("op", "(") else None
        try:
            info, values = resolve(name_tok.text.lower(), args)
        except ValueError as exc:
            raise self.fail(str(exc), name_tok) from None
        if tf is not None and info.source == "constant":
            raise self.fail(f"{name_tok.text!r} is a state name; it has no timeframe", first)
        return Term(tf, name_tok.text.lower(), values, info, first.column)

    def args(self) -> tuple[float, ...]:
        open_tok = self.take()
        values: list[float] = []
        if self.at("op", ")"):
            self.take()
            return ()
        while True:
            sign = 1.0
            if self.at("op", "-"):
                self.take()
                sign = -1.0
            if not self.at("number"):
                raise self.fail("a function argument must be a number")
            values.append(sign * float(self.take().text))
            if self.at("op", ","):
                self.take()
                continue
            self.expect(")", f"to close the '(' at column {open_tok.column}")
            return tuple(values)




def _a(kind: Kind) -> str:
    return {"number": "a number", "flag": "a condition", "zone": "a zone"}[kind]


def _describe(node: Node) -> str:
    if isinstance(node, Term):
        what = ("a state name (compare it: state == trend)" if node.info.source == "constant"
                else {"number": "a number", "flag": "a condition", "zone": "a zone set"}
                [node.kind])
        return f"{node.label!r} is {what}"
    return f"this part is {_a(node.kind)}"


def _node_text(node: Node) -> str:
    if isinstance(node, Term):
        return node.label
    if isinstance(node, Num):
        return _num_text(node.value)
    return ""


def _collect(node: Node, out: dict[str, Term]) -> None:
    if isinstance(node, Term):
        out.setdefault(node.label, node)
    elif isinstance(node, Neg | Not):
        _collect(node.operand, out)
    elif isinstance(node, Arith | Compare):
        _collect(node.left, out)
        _collect(node.right, out)
    elif isinstance(node, Within):
        _collect(node.value, out)
        _collect(node.zone, out)
    elif isinstance(node, Logic):
        for part in node.operands:
            _collect(part, out)


def parse(text: str) -> ScanExpr:
    """Parse and kind-check ``text``; ``ScanSyntaxError`` names the column and the token.

    >>> parse("rsi(14) < 30 and close > pldot").terms[0].label
    'rsi(14)'
    """
    if not isinstance(text, str):
        raise TypeError(f"a scan expression must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ScanSyntaxError(text[:MAX_LENGTH], MAX_LENGTH, "",
                              f"the expression is longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise ScanSyntaxError(text, 1, "", "the expression is empty")
    p = _Parser(text)
    root = p.condition()
    if p.tok.kind != "end":
        raise p.fail("expected 'and', 'or' or the end of the expression")
    if root.kind != "flag":
        raise ScanSyntaxError(text, root.column, _node_text(root),
                              f"{_describe(root)}; a scan needs a condition "
                              "(a comparison, a flag such as push_up, or 'within')")
    terms: dict[str, Term] = {}
    _collect(root, terms)
    return ScanExpr(text, root, tuple(terms.values()))
