"""The columnar chunk format: timeframes, partition keys, encoding and the merge."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drummond_desktop.store.chunks import (
    Columns,
    chunk_keys,
    columns_of,
    decode,
    encode,
    merge,
    parse_timeframe,
    split_by_chunk,
)
from tests.store.factories import make_bars


def _epoch(*args: int) -> int:
    return int(dt.datetime(*args, tzinfo=dt.UTC).timestamp())


@pytest.mark.parametrize(("name", "seconds", "intraday"), [
    ("1m", 60, True), ("5m", 300, True), ("1h", 3600, True), ("4h", 14400, True),
    ("1d", 86400, False), ("1w", 604800, False), ("1mo", 0, False)])
def test_parse_timeframe(name, seconds, intraday):
    tf = parse_timeframe(name)
    assert (tf.seconds, tf.intraday) == (seconds, intraday)


@pytest.mark.parametrize("bad", ["", "1", "m", "0m", "1s", "1y", "1D", " 1d", "10000m"])
def test_bad_timeframes_are_refused(bad):
    with pytest.raises(ValueError, match="is not a count and a unit"):
        parse_timeframe(bad)


def test_daily_chunks_are_calendar_years():
    tf = parse_timeframe("1d")
    ts = np.array([_epoch(1969, 12, 31), _epoch(1970, 1, 1), _epoch(2023, 12, 31),
                   _epoch(2024, 1, 1), _epoch(2024, 12, 31)], dtype=np.int64)
    assert chunk_keys(tf, ts).tolist() == [1969, 1970, 2023, 2024, 2024]


def test_intraday_chunks_start_on_sunday_and_span_whole_weeks():
    for name, weeks in (("1m", 1), ("5m", 5), ("1h", 60)):
        tf = parse_timeframe(name)
        assert tf.span == weeks * 7 * 86400
        sunday = _epoch(2024, 6, 2)  # a Sunday
        probe = np.array([sunday - 1, sunday], dtype=np.int64)
        keys = chunk_keys(tf, probe)
        assert keys[1] - keys[0] in (0, 1)
        # a boundary falls on some Sunday 00:00 UTC
        start = (int(keys[1]) * tf.span) + 3 * 86400
        assert dt.datetime.fromtimestamp(start, dt.UTC).strftime("%a %H:%M") == "Sun 00:00"


def test_a_week_of_minute_bars_fits_one_chunk():
    tf = parse_timeframe("1m")
    monday = _epoch(2024, 6, 3)
    ts = monday + np.arange(5 * 1440, dtype=np.int64) * 60  # Monday to Friday, 24 h
    assert len(split_by_chunk(tf, columns_of(make_bars(0, ts=ts, timeframe="1m")))) == 1


def test_encode_decode_round_trip():
    cols = columns_of(make_bars(1000))
    back = decode(encode(cols))
    assert back.same_as(cols)
    assert all(isinstance(b, bytes) for b in encode(cols))
    assert len(encode(cols)[0]) == 8000


def test_decode_refuses_ragged_columns():
    blobs = list(encode(columns_of(make_bars(10))))
    blobs[3] = blobs[3][:-8]
    with pytest.raises(ValueError, match="different lengths"):
        decode(blobs)


def _cols(ts: list[int], value: float) -> Columns:
    a = np.asarray(ts, dtype=np.int64)
    f = np.full(a.shape[0], value)
    return Columns(a, f, f + 1, f - 1, f, f)


@settings(max_examples=200, deadline=None)
@given(st.sets(st.integers(0, 60), max_size=40), st.sets(st.integers(0, 60), max_size=40))
def test_merge_matches_a_dictionary_update(old_ts, new_ts):
    old, new = _cols(sorted(old_ts), 1.0), _cols(sorted(new_ts), 2.0)
    merged, counts = merge(old, new)
    expect = dict.fromkeys(sorted(old_ts), 1.0) | dict.fromkeys(sorted(new_ts), 2.0)
    assert merged.ts.tolist() == sorted(expect)
    assert merged.close.tolist() == [expect[t] for t in sorted(expect)]
    assert counts.inserted == len(new_ts - old_ts)
    assert counts.updated == len(new_ts & old_ts)
    assert counts.unchanged == 0
    same, again = merge(merged, new)
    assert same.same_as(merged) and again.inserted == again.updated == 0

