"""Scanner expressions: the grammar, kind checks, and errors that name the column and token."""

from __future__ import annotations

import numpy as np
import pytest

from engine.drummond.result import PER_BAR_FIELDS, PROJECTED_FIELDS
from engine.scan import ScanSyntaxError, parse, vocabulary
from engine.scan import terms as scan_terms
from engine.scan.syntax import Arith, Compare, Logic, Neg, Not, Num, Term, Within, tokenize

BRIEF = [
    "weekly.trend_up and daily.state == cong_exit and daily.trend_dir == 1 "
    "and close within weekly.support_zone",
    "rsi(14) < 30 and close > pldot",
    "push_up or cwave_up",
]


@pytest.mark.parametrize("text", BRIEF)
def test_the_briefs_examples_parse(text):
    assert parse(text).root.kind == "flag"


def test_terms_are_listed_once_in_order_with_canonical_labels():
    e = parse(BRIEF[0] + " and WEEKLY.Trend_Up")
    assert [t.label for t in e.terms] == [
        "weekly.trend_up", "daily.state", "cong_exit", "daily.trend_dir", "close",
        "weekly.support_zone"]
    assert e.timeframes == {"weekly", "daily"}
    assert [t.label for t in parse("rsi < 30 and sma(50) > ema(  50 ) and bb_upper(20, 2.5)"
                                   " > close").terms] == [
        "rsi(14)", "sma(50)", "ema(50)", "bb_upper(20, 2.5)", "close"]


def test_precedence_not_and_or_and_arithmetic():
    root = parse("not push_up and cwave_up or close > 1 + 2 * -3").root
    assert isinstance(root, Logic) and root.op == "or"
    left, right = root.operands
    assert isinstance(left, Logic) and left.op == "and" and isinstance(left.operands[0], Not)
    assert isinstance(right, Compare) and right.op == ">"
    plus = right.right
    assert isinstance(plus, Arith) and plus.op == "+" and isinstance(plus.left, Num)
    times = plus.right
    assert isinstance(times, Arith) and times.op == "*" and isinstance(times.right, Neg)
    grouped = parse("(close - open) / 2 > 1").root
    assert isinstance(grouped, Compare) and isinstance(grouped.left, Arith)
    assert grouped.left.op == "/" and isinstance(grouped.left.left, Arith)


def test_logic_chains_flatten_and_within_takes_a_zone():
    root = parse("push_up and push_down and touch").root
    assert isinstance(root, Logic) and len(root.operands) == 3
    w = parse("low * 1.01 within monthly.resistance_zone").root
    assert isinstance(w, Within) and w.zone.tf == "monthly" and isinstance(w.value, Arith)


def test_numbers_and_case():
    nums = [t.text for t in tokenize("1 2.5 .5 1e3 2.E-2") if t.kind == "number"]
    assert nums == ["1", "2.5", ".5", "1e3", "2.E-2"]
    root = parse("CLOSE > 1E3 AND State == CONG_EXIT").root
    assert isinstance(root, Logic)
    first = root.operands[0]
    assert isinstance(first, Compare) and isinstance(first.right, Num)
    assert first.right.value == 1000.0


ERRORS = [
    # text, column, token, words in the message
    ("", 1, "", "empty"),
    ("rsi(14) < ", 11, "", "ends too early"),
    ("close and push_up", 1, "close", "'close' is a number; 'and' (column 7) needs a condition"),
    ("push_up > 3", 1, "push_up", "'push_up' is a condition; '>' (column 9) needs a number"),
    ("clsoe > 3", 1, "clsoe", "unknown term 'clsoe' (did you mean close"),
    ("close within pldot", 14, "pldot", "'within' needs a zone term"),
    ("yearly.close > 3", 1, "yearly", "unknown timeframe 'yearly'"),
    ("close < open < high", 14, "<", "comparisons do not chain"),
    ("rsi(14, 3) < 30", 1, "rsi", "at most 1 argument"),
    ("(close > 3", 11, "", "expected ')' to close the '(' at column 1"),
    ("close > 3 )", 11, ")", "expected 'and', 'or' or the end"),
    ("close @ 3", 7, "@", "unexpected character"),
    ("sma(2.5) > 1", 1, "sma", "whole number"),
    ("sma(0) > 1", 1, "sma", "whole number >= 1"),
    ("close(3) > 1", 1, "close", "takes no arguments"),
    ("weekly.cong_exit == state", 1, "weekly", "state name; it has no timeframe"),
    ("state == trend and trend", 20, "trend", "state name"),
    ("close + push_up > 1", 9, "push_up", "'+' (column 7) needs a number"),
    ("close", 1, "close", "a scan needs a condition"),
    ("support_zone", 1, "support_zone", "zone set"),
    ("not close", 5, "close", "'not' needs a condition"),
    ("sma(x) > 1", 5, "x", "argument must be a number"),
    ("weekly. > 1", 9, ">", "expected a term name after 'weekly.'"),
    ("close > pldot and", 18, "", "ends too early"),
    ("__import__('os')", 12, "'", "unexpected character"),
]


@pytest.mark.parametrize(("text", "column", "token", "words"), ERRORS)
def test_errors_name_the_column_and_the_token(text, column, token, words):
    with pytest.raises(ScanSyntaxError) as info:
        parse(text)
    err = info.value
    assert (err.column, err.token) == (column, token), str(err)
    assert words in str(err)
    assert isinstance(err, ValueError)
    assert str(err).startswith(f"column {column}")
    assert err.pointer().splitlines()[1] == " " * (column - 1) + "^"


def test_too_long_and_not_text():
    with pytest.raises(ScanSyntaxError, match="longer than"):
        parse("close > 1 and " * 200 + "close > 1")
    with pytest.raises(TypeError):
        parse(3)  # type: ignore[arg-type]


def test_every_dg_field_is_a_term_with_the_right_kind():
    vocab = vocabulary()
    for fields in (PROJECTED_FIELDS, PER_BAR_FIELDS):
        for name, dtype in fields.items():
            term = parse(f"{name} == 1" if dtype is not np.bool_ else name).terms[0]
            assert isinstance(term, Term)
            assert term.kind == ("flag" if dtype is np.bool_ else "number"), name
            assert name in vocab["projected"] + vocab["per_bar"]
    assert {"trend_up", "trend_down", "congestion"} <= set(vocab["derived"])
    assert {"rsi", "sma", "ema", "atr", "macd_signal", "bb_lower"} <= set(vocab["function"])


def test_register_adds_an_indicator_term():
    name = "test_scan_midrange"
    if name not in scan_terms.functions():
        scan_terms.register(name, (scan_terms.Param("timeperiod", 5.0, True),),
                            lambda b, a: (b.high + b.low) / 2.0 * a[0], "test")
    term = parse(f"{name}(3) > close").terms[0]
    assert term.label == f"{name}(3)" and term.args == (3.0,)
    with pytest.raises(ValueError, match="already exists"):
        scan_terms.register("close", (), lambda b, a: b.close)
    with pytest.raises(ValueError, match="lower-case identifier"):
        scan_terms.register("Bad Name", (), lambda b, a: b.close)


def test_names_missing_from_the_table_come_from_the_indicator_catalog(monkeypatch):
    from dataclasses import dataclass
    from types import SimpleNamespace

    @dataclass(frozen=True)
    class Two:
        upper: np.ndarray
        lower: np.ndarray

    spec = SimpleNamespace(
        name="chan", title="channel", inputs=("high", "low"),
        params=(SimpleNamespace(name="width", default=2), SimpleNamespace(name="k", default=0.5)),
        outputs=("upper", "lower"),
        run=lambda high, low, width, k: Two(high + width * k, low - width * k))
    fake = SimpleNamespace(catalog=lambda: {"chan": spec})
    real = scan_terms.importlib.import_module
    monkeypatch.setattr(scan_terms.importlib, "import_module",
                        lambda name: fake if name == "engine.indicators.catalog" else real(name))
    term = parse("chan_lower(4) < low").terms[0]
    assert term.label == "chan_lower(4, 0.5)" and term.info.function is not None
    bars = SimpleNamespace(high=np.array([10.0, 11.0]), low=np.array([9.0, 8.0]))
    np.testing.assert_array_equal(term.info.function.compute(bars, term.args), [7.0, 6.0])
    with pytest.raises(ScanSyntaxError, match="whole number"):
        parse("chan_upper(1.5) > 1")  # width is an integer parameter (its default is)
    with pytest.raises(ScanSyntaxError, match="unknown term 'chan'"):
        parse("chan > 1")  # a multi-output spec is named with its output


def test_no_argument_functions_print_without_parentheses():
    assert parse("obv > 0").terms[0].label == "obv"
    assert parse("obv() > 0").terms[0].label == "obv"
