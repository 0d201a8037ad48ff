"""200 generated malformed payloads -> 200 typed ``BadData`` (reliability.md §6.4 N5), never
another exception type and never bars; plus a property test of the bar rules."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drummond_desktop.feeds.errors import BadData
from drummond_desktop.feeds.validate import check_columns, intraday_columns
from tests.feeds.fakes import raw

SEED = 20_260_101
START = date(2024, 1, 1)


def valid_eod(rng: random.Random, n: int = 25) -> list[dict[str, Any]]:
    rows, price, day = [], 100.0, START
    for _ in range(n):
        day += timedelta(days=1 + (day.weekday() == 4) * 2)
        o = round(price * rng.uniform(0.98, 1.02), 2)
        c = round(price * rng.uniform(0.98, 1.02), 2)
        h = round(max(o, c) * rng.uniform(1.001, 1.02), 2)
        lo = round(min(o, c) * rng.uniform(0.98, 0.999), 2)
        rows.append({"date": day.isoformat(), "open": o, "high": h, "low": lo, "close": c,
                     "adjusted_close": c, "volume": rng.randint(1, 10**7)})
        price = c
    return rows


Mutation = Callable[[random.Random, list[dict[str, Any]]], Any]


def _row(rng: random.Random, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return rows[rng.randrange(len(rows))]


def drop_field(rng, rows):
    del _row(rng, rows)[rng.choice(["date", "open", "high", "low", "close", "volume"])]
    return rows


def wrong_type(rng, rows):
    _row(rng, rows)[rng.choice(["open", "high", "low", "close", "volume"])] = rng.choice(
        ["12.5", None, True, [], {}, "NA"])
    return rows


def non_positive(rng, rows):
    _row(rng, rows)[rng.choice(["open", "high", "low", "close"])] = rng.choice([0, -1.5, -100])
    return rows


def not_finite(rng, rows):
    _row(rng, rows)[rng.choice(["open", "high", "low", "close"])] = rng.choice(
        [math.nan, math.inf, -math.inf])
    return rows


def high_below_low(rng, rows):
    row = _row(rng, rows)
    row["high"], row["low"] = row["low"], row["high"]
    return rows


def open_outside(rng, rows):
    row = _row(rng, rows)
    key = rng.choice(["open", "close"])
    row[key] = row["high"] * 1.01 if rng.random() < 0.5 else row["low"] * 0.99
    return rows


def negative_volume(rng, rows):
    _row(rng, rows)["volume"] = -rng.randint(1, 1000)
    return rows


def conflicting_duplicate(rng, rows):
    i = rng.randrange(len(rows))
    twin = dict(rows[i], volume=rows[i]["volume"] + 1)
    rows.insert(i + 1, twin)
    return rows


def unsorted(rng, rows):
    i, j = sorted(rng.sample(range(len(rows)), 2))
    rows[i], rows[j] = rows[j], rows[i]
    return rows


def bad_date(rng, rows):
    _row(rng, rows)["date"] = rng.choice(["2024/01/02", "02-01-2024", "2024-13-01", "2024-02-30",
                                          "20240102", "", 20240102, None])
    return rows


def out_of_range(rng, rows):
    rows[rng.choice([0, -1])]["date"] = rng.choice(["1999-12-31", "2035-06-01"])
    return rows


def huge_number(rng, rows):
    _row(rng, rows)[rng.choice(["open", "volume"])] = 10**400
    return rows


def wrong_shape(rng, rows):
    return rng.choice([{"data": rows}, [list(r.values()) for r in rows], "AAPL.US", 42,
                       [rows], {"code": "AAPL.US"}, None, [None], [1, 2]])


BODY_MUTATIONS: list[Callable[[random.Random, bytes], bytes]] = [
    lambda rng, body: body[:rng.randrange(0, len(body) - 1)],  # truncated (empty included)
    lambda rng, body: b"<!DOCTYPE html><html><body>Oops " + body[:40] + b"</body></html>",
    lambda rng, body: b"Unauthenticated",
    lambda rng, body: body.replace(b"},", b"}", 1),  # malformed in the middle
    lambda rng, body: body + b"]",  # trailing garbage
]
ROW_MUTATIONS: list[Mutation] = [drop_field, wrong_type, non_positive, not_finite,
                                 high_below_low, open_outside, negative_volume,
                                 conflicting_duplicate, unsorted, bad_date, out_of_range,
                                 huge_number, wrong_shape]


def generate(n: int = 200, seed: int = SEED) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    cases = []
    kinds = len(ROW_MUTATIONS) + len(BODY_MUTATIONS)
    for k in range(n):
        rows = valid_eod(rng)
        pick = k % kinds
        if pick < len(ROW_MUTATIONS):
            mutation = ROW_MUTATIONS[pick]
            cases.append((mutation.__name__, json.dumps(mutation(rng, rows)).encode()))
        else:
            body = json.dumps(rows).encode()
            cases.append((f"body{pick}", BODY_MUTATIONS[pick - len(ROW_MUTATIONS)](rng, body)))
    return cases


def test_generated_payloads_are_really_malformed_and_the_base_is_valid(make_rig):
    rows = valid_eod(random.Random(1))
    r = make_rig([raw(json.dumps(rows))])
    assert len(r.client.eod("AAPL.US", start=START, end=date(2024, 12, 31)).bars) == 25
    assert len(generate()) == 200


def test_200_malformed_payloads_give_200_bad_data(make_rig):
    cases = generate()
    r = make_rig([])
    failures, rules = [], {}
    for name, body in cases:
        r.server.steps = [raw(body)]
        try:
            result = r.client.eod("AAPL.US", start=START, end=date(2024, 12, 31))
        except BadData as exc:
            assert exc.symbol == "AAPL.US" and exc.rule and exc.user_message
            rules[exc.rule] = rules.get(exc.rule, 0) + 1
            continue
        except Exception as exc:  # noqa: BLE001 - the test reports any other type
            failures.append((name, f"{type(exc).__name__}: {exc}"))
            continue
        failures.append((name, f"accepted {len(result.bars)} bars"))
    assert failures == []
    assert sum(rules.values()) == 200
    assert len(rules) >= 15, rules  # the generator covers many different rules


PRICE = st.one_of(st.floats(-5, 50), st.sampled_from([math.nan, math.inf, -math.inf]))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), *[PRICE] * 4, st.integers(-2, 5)), max_size=12))
def test_intraday_rules_accept_exactly_the_valid_payloads(rows):
    payload = [{"timestamp": 60 * t, "gmtoffset": 0, "open": o, "high": h, "low": lo,
                "close": c, "volume": v} for t, o, h, lo, c, v in rows]

    def row_ok(o, h, lo, c, v):
        return (all(math.isfinite(x) and x > 0 for x in (o, h, lo, c)) and v >= 0
                and lo <= h and lo <= o <= h and lo <= c <= h)

    ts = [r[0] for r in rows]
    by_ts: dict[int, set[tuple[float, ...]]] = {}
    for r in rows:
        by_ts.setdefault(r[0], set()).add(r[1:])
    valid = (all(row_ok(*r[1:]) for r in rows) and ts == sorted(ts)
             and all(len(v) == 1 for v in by_ts.values()))
    try:
        cols = check_columns(intraday_columns(payload, symbol="X"), symbol="X",
                             endpoint="intraday")
    except BadData:
        assert not valid
        return
    assert valid
    assert cols.ts.tolist() == sorted({60 * t for t in ts})
    assert np.all(cols.high >= cols.low)


def test_rows_are_reported_with_index_and_values():
    rows = valid_eod(random.Random(3), 5)
    rows[3]["high"] = rows[3]["low"] / 2
    from drummond_desktop.feeds.validate import eod_columns

    with pytest.raises(BadData) as info:
        check_columns(eod_columns(rows, symbol="X.US"), symbol="X.US", endpoint="eod")
    assert (info.value.rule, info.value.row) == ("high < low", 3)
    assert "high=" in info.value.detail
