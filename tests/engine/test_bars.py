"""``Bars``: construction, validation errors that name the first bad bar and rule, freezing."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Bars, BarsError


def make(**over):
    cols = dict(ts=[0, 60, 120, 180], open=[10.0, 11, 12, 13], high=[11.0, 12, 13, 14],
                low=[9.0, 10, 11, 12], close=[10.5, 11.5, 12.5, 13.5], volume=[1.0, 2, 3, 4])
    cols.update(over)
    return Bars.from_arrays(**cols)


def test_columns_are_owned_contiguous_and_read_only():
    src = np.array([10.0, 11, 12, 13])
    b = make(open=src)
    assert b.ts.dtype == np.int64 and b.open.dtype == np.float64
    assert not b.close.flags.writeable and b.close.flags.c_contiguous
    src[0] = 99.0
    assert b.open[0] == 10.0  # a copy: the caller's array stays theirs
    with pytest.raises(ValueError):
        b.close[0] = 1.0
    with pytest.raises(AttributeError):
        b.close = np.zeros(4)  # type: ignore[misc]


def test_slices_are_bars():
    b = make(symbol="X.US", timeframe="1d")
    tail = b.tail(2)
    assert isinstance(tail, Bars) and len(tail) == 2 and tail.symbol == "X.US"
    assert tail.ts.tolist() == [120, 180] and len(b[:0]) == 0
    with pytest.raises(TypeError):
        b[::2]


def test_volume_defaults_to_zero_and_empty_is_valid():
    b = Bars.from_arrays([0], [1.0], [1.0], [1.0], [1.0])
    assert b.volume.tolist() == [0.0]
    assert len(Bars.empty()) == 0


def test_direct_construction_is_refused():
    b = make()
    with pytest.raises(TypeError, match="from_arrays"):
        Bars(b.ts, b.open, b.high, b.low, b.close, b.volume)


@pytest.mark.parametrize(("over", "index", "rule"), [
    (dict(ts=[0, 60, 60, 180]), 2, "timestamps must be unique"),
    (dict(ts=[0, 120, 60, 180]), 2, "timestamps must be sorted ascending"),
    (dict(close=[10.5, np.nan, 12.5, 13.5]), 1, "close must be finite"),
    (dict(high=[11.0, 12, np.inf, 14]), 2, "high must be finite"),
    (dict(high=[11.0, 12, 13, 11.9], low=[9.0, 10, 11, 12]), 3, "high >= low"),
    (dict(low=[9.0, 10, 12.6, 12]), 2, "low <= min(open, close)"),
    (dict(high=[11.0, 11.2, 13, 14]), 1, "high >= max(open, close)"),
    (dict(volume=[1.0, 2, -3, 4]), 2, "volume >= 0"),
])
def test_validation_names_first_bad_bar_and_rule(over, index, rule):
    with pytest.raises(BarsError) as e:
        make(**over)
    assert (e.value.index, e.value.rule) == (index, rule)
    assert f"bar {index}: {rule}" in str(e.value)


def test_the_lowest_bad_index_wins_across_rules():
    with pytest.raises(BarsError) as e:
        make(volume=[1.0, 2, 3, -1], low=[9.0, 10, 12.6, 12])
    assert e.value.index == 2


@pytest.mark.parametrize(("over", "text"), [
    (dict(close=[1.0, 2.0]), "same length"),
    (dict(ts=[0.5, 1, 2, 3]), "integer epoch seconds"),
    (dict(open=["a", "b", "c", "d"]), "numeric"),
    (dict(high=[[1.0]] * 4), "one-dimensional"),
])
def test_shape_and_dtype_errors(over, text):
    with pytest.raises(BarsError, match=text):
        make(**over)
