"""Validation details: body decoding categories, per-endpoint shape rules, and a fuzz of every
endpoint with arbitrary JSON - the only exception that may come out is ``BadData``."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drummond_desktop.feeds.errors import BadData
from drummond_desktop.feeds.validate import decode_json, price_rule
from tests.feeds.fakes import EXAMPLES, ok, raw, rig


@pytest.mark.parametrize("body,content_type,rule", [
    (b"", "application/json", "empty body"),
    (b"   \n", "application/json", "empty body"),
    (b"<html>oops</html>", "application/json", "HTML body instead of JSON"),
    (b'{"a": 1}', "text/html; charset=utf-8", "HTML body instead of JSON"),
    (b"Unauthenticated", "text/plain", "text body instead of JSON"),
    (b'[{"date":"2024-01-02","open":1', "application/json", "truncated JSON"),
    (b'[{"date":"2024-01-0', "application/json", "truncated JSON"),
    (b'[{"date" "2024-01-02"}, {}]', "application/json", "malformed JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "application/json", "malformed JSON"),
    (b"[\xff\xfe\x00]", "application/json", "malformed JSON"),
])
def test_decode_json_names_why_a_body_is_unreadable(body, content_type, rule):
    with pytest.raises(BadData) as info:
        decode_json(body, content_type, symbol="X.US", endpoint="eod")
    assert info.value.rule == rule and info.value.row is None


def test_decode_json_accepts_json():
    assert decode_json(b' [1, {"a": null}] ', "application/json") == [1, {"a": None}]


def test_price_rule_order():
    assert price_rule(1, 2, 0.5, 1.5) is None
    assert price_rule(float("nan"), 2, 1, 1) == "price is not finite (NaN or infinity)"
    assert price_rule(1, 2, 0, 1) == "price <= 0"
    assert price_rule(1, 2, 1, 1, -1) == "volume is negative or not finite"
    assert price_rule(1, 1, 2, 1) == "high < low"
    assert price_rule(3, 2, 1, 1.5) == "open outside [low, high]"
    assert price_rule(1.5, 2, 1, 0.5) == "close outside [low, high]"


@pytest.mark.parametrize("mutate,rule", [
    (lambda rows: [dict(rows[0], split="4:1")], "split ratio is not new/old"),
    (lambda rows: [dict(rows[0], split="0.000000/1.000000")], "split ratio is not new/old"),
    (lambda rows: [dict(rows[0], date="2020-8-31")], "is not a YYYY-MM-DD date"),
    (lambda rows: [{"split": "2/1"}], "missing field 'date'"),
])
def test_split_shape_errors(mutate, rule):
    r = rig([ok(mutate(copy.deepcopy(EXAMPLES["splits"])))])
    with pytest.raises(BadData, match=rule):
        r.client.splits("AAPL.US")
    r.client.close()


def test_dividend_and_user_shape_errors():
    r = rig([ok([dict(EXAMPLES["div"][0], value=-0.1)]),
             ok(dict(EXAMPLES["internal_user"], dailyRateLimit="100000")),
             ok(dict(EXAMPLES["exchange_details"], Code="LSE")),
             ok([dict(EXAMPLES["real_time_multi"][0], high=1.0)])])
    with pytest.raises(BadData, match="dividend < 0"):
        r.client.dividends("AAPL.US")
    with pytest.raises(BadData, match="'dailyRateLimit' is not an integer"):
        r.client.user()
    with pytest.raises(BadData, match="wrong exchange"):
        r.client.exchange_details("US")
    with pytest.raises(BadData, match="high < low"):
        r.client.quotes(["AAPL.US", "VTI.US"])
    r.client.close()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=5),
    max_leaves=12)


def _mutated(example: object, data: st.DataObject) -> object:
    """The example with a few values replaced by arbitrary JSON (or the whole thing)."""
    if data.draw(st.booleans()):
        return data.draw(JSON)
    value = copy.deepcopy(example)
    rows = value if isinstance(value, list) else [value]
    for _ in range(data.draw(st.integers(1, 3))):
        row = rows[data.draw(st.integers(0, len(rows) - 1))]
        if isinstance(row, dict) and row:
            key = data.draw(st.sampled_from(sorted(row)))
            row[key] = data.draw(JSON)
    return value


CALLS = {
    "eod": lambda c: c.eod("AAPL.US"),
    "intraday": lambda c: c.intraday("AAPL.US", "5m", start=1628875800, end=1628877000),
    "real_time_multi": lambda c: c.quotes(["AAPL.US", "VTI.US", "EUR.FOREX"]),
    "bulk_eod": lambda c: c.bulk_eod("VI"),
    "bulk_splits": lambda c: c.bulk_splits("US"),
    "bulk_dividends": lambda c: c.bulk_dividends("F"),
    "splits": lambda c: c.splits("AAPL.US"),
    "div": lambda c: c.dividends("AAPL.US"),
    "exchanges": lambda c: c.exchanges(),
    "exchange_symbols": lambda c: c.exchange_symbols("PSE"),
    "exchange_details": lambda c: c.exchange_details("US"),
    "search": lambda c: c.search("Apple"),
    "internal_user": lambda c: c.user(),
}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(CALLS)), st.data())
def test_any_json_gives_a_result_or_bad_data(name, data):
    payload = _mutated(EXAMPLES[name], data)
    r = rig([raw(json.dumps(payload))])
    try:
        CALLS[name](r.client)
    except BadData as exc:
        assert exc.rule
    finally:
        r.client.close()
