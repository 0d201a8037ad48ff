"""BarsRepository on SQLite and PostgreSQL: exact round trips, idempotent upserts, merges,
inclusive ranges, isolation between series, and bars + checkpoint in one transaction."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sqlalchemy import event

from drummond_desktop.core.errors import StoreError
from drummond_desktop.store import CheckpointUpdate, MarketStore
from engine.bars import Bars
from tests.store.factories import DAY, T2020, make_bars, same_bits, table_checksum


def test_round_trip_is_bit_exact(store: MarketStore):
    # awkward floats: subnormal, huge, many digits; ts across several yearly chunks
    bars = make_bars(1_500, seed=3)
    cols = {f: getattr(bars, f).copy() for f in ("ts", "open", "high", "low", "close", "volume")}
    cols["low"][0] = 5e-324
    cols["open"][0] = cols["close"][0] = 1e-300
    cols["high"][1] = 1.7976931348623157e308
    cols["volume"][2] = 0.1 + 0.2
    odd = Bars.from_arrays(**cols, timeframe="1d")
    store.bars.upsert("AAPL.US", "1d", odd)
    back = store.bars.load("AAPL.US", "1d")
    assert same_bits(back, odd)
    assert back.symbol == "AAPL.US" and back.timeframe == "1d"
    assert store.bars.count("AAPL.US", "1d") == 1_500


def test_intraday_round_trip_and_chunking(store: MarketStore):
    bars = make_bars(30_000, start=T2020 + 9 * 3600, step=60, timeframe="1m")  # ~21 days
    result = store.bars.upsert("BTC-USD.CC", "1m", bars)
    assert result.inserted == 30_000 and result.chunks_written == 4  # 7-day chunks from Sunday
    assert same_bits(store.bars.load("BTC-USD.CC", "1m"), bars)


def test_reupsert_changes_nothing(store: MarketStore):
    bars = make_bars(2_000)
    store.bars.upsert("AAPL.US", "1d", bars)
    before = table_checksum(store)
    again = store.bars.upsert("AAPL.US", "1d", bars)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2_000)
    assert again.chunks_written == 0 and not again.changed
    assert table_checksum(store) == before
    # a slice of what is stored changes nothing either
    assert store.bars.upsert("AAPL.US", "1d", bars[100:900]).chunks_written == 0
    assert table_checksum(store) == before


def test_reupsert_writes_nothing_to_the_sqlite_file(sqlite_store: MarketStore):
    store = sqlite_store
    bars = make_bars(1_000)
    store.bars.upsert("AAPL.US", "1d", bars)
    path = store.target.path
    assert path is not None
    wal = path.with_name(path.name + "-wal")
    snapshot = (path.read_bytes(), wal.read_bytes() if wal.exists() else b"")
    store.bars.upsert("AAPL.US", "1d", bars)
    assert (path.read_bytes(), wal.read_bytes() if wal.exists() else b"") == snapshot


def test_merge_keeps_stored_bars_and_takes_corrections(store: MarketStore):
    bars = make_bars(600)
    store.bars.upsert("AAPL.US", "1d", bars[:400])
    # overlap 300..399 with bar 350 corrected, plus new bars 400..599
    tail = bars[300:]
    cols = {f: getattr(tail, f).copy() for f in ("ts", "open", "high", "low", "close", "volume")}
    cols["close"][50] = cols["open"][50]
    cols["high"][50] = max(cols["high"][50], cols["open"][50])
    cols["low"][50] = min(cols["low"][50], cols["open"][50])
    cols["volume"][50] += 1
    corrected = Bars.from_arrays(**cols)
    result = store.bars.upsert("AAPL.US", "1d", corrected)
    assert (result.inserted, result.updated, result.unchanged) == (200, 1, 99)
    back = store.bars.load("AAPL.US", "1d")
    assert len(back) == 600
    assert same_bits(back[:300], bars[:300])
    assert same_bits(back[300:], corrected)
    assert result.last_ts == int(bars.ts[-1])


def test_merge_inserts_into_the_middle_of_a_chunk(store: MarketStore):
    bars = make_bars(200)
    even, odd = np.arange(0, 200, 2), np.arange(1, 200, 2)

    def pick(idx: np.ndarray) -> Bars:
        return Bars.from_arrays(*(getattr(bars, f)[idx] for f in
                                  ("ts", "open", "high", "low", "close", "volume")))

    store.bars.upsert("AAPL.US", "1d", pick(even))
    result = store.bars.upsert("AAPL.US", "1d", pick(odd))
    assert result.inserted == 100 and result.updated == 0
    assert same_bits(store.bars.load("AAPL.US", "1d"), bars)


def test_ranges_are_inclusive(store: MarketStore):
    bars = make_bars(1_000)
    store.bars.upsert("AAPL.US", "1d", bars)
    ts = bars.ts
    got = store.bars.load("AAPL.US", "1d", int(ts[10]), int(ts[20]))
    assert same_bits(got, bars[10:21])
    assert same_bits(store.bars.load("AAPL.US", "1d", start=int(ts[990])), bars[990:])
    assert same_bits(store.bars.load("AAPL.US", "1d", end=int(ts[5])), bars[:6])
    # bounds between bars, and across a yearly chunk boundary
    got = store.bars.load("AAPL.US", "1d", int(ts[360]) + 1, int(ts[370]) - 1)
    assert same_bits(got, bars[361:370])
    assert len(store.bars.load("AAPL.US", "1d", int(ts[-1]) + 1)) == 0
    assert len(store.bars.load("AAPL.US", "1d", int(ts[5]), int(ts[4]))) == 0


def test_series_are_isolated(store: MarketStore):
    series = {(sym, tf): make_bars(300, seed=i, timeframe=tf,
                                   step=DAY if tf == "1d" else 3600)
              for i, (sym, tf) in enumerate((s, t) for s in ("AAPL.US", "AAPL.LSE", "MSFT.US",
                                                             "EURUSD.FOREX")
                                            for t in ("1d", "1h"))}
    for (sym, tf), bars in series.items():
        store.bars.upsert(sym, tf, bars)
    store.bars.upsert("MSFT.US", "1d", make_bars(300, seed=99))  # rewrite one series
    for (sym, tf), bars in series.items():
        if (sym, tf) != ("MSFT.US", "1d"):
            assert same_bits(store.bars.load(sym, tf), bars), (sym, tf)
    assert len(store.bars.load("AAPL.US", "5m")) == 0
    assert len(store.bars.load("NOPE.US", "1d")) == 0
    assert {s.ticker for s in store.symbols.all()} == {"AAPL.US", "AAPL.LSE", "MSFT.US",
                                                        "EURUSD.FOREX"}


def test_delete_removes_bars_and_checkpoint(store: MarketStore):
    store.bars.upsert("AAPL.US", "1d", make_bars(50), checkpoint=CheckpointUpdate())
    store.bars.upsert("AAPL.US", "1h", make_bars(50, step=3600, timeframe="1h"))
    assert store.bars.delete("AAPL.US", "1d") == 50
    assert store.bars.count("AAPL.US", "1d") == 0
    assert store.checkpoints.get("AAPL.US", "1d") is None
    assert store.bars.count("AAPL.US", "1h") == 50


def test_checkpoint_is_written_with_the_bars(store: MarketStore):
    bars = make_bars(100)
    result = store.bars.upsert("AAPL.US", "1d", bars,
                               checkpoint=CheckpointUpdate(last_full_fetch=123))
    cp = store.checkpoints.get("AAPL.US", "1d")
    assert cp is not None
    assert (cp.last_ts, cp.last_full_fetch, cp.status) == (int(bars.ts[-1]), 123, "ok")
    assert result.last_ts == cp.last_ts
    # an older payload does not move last_ts back; last_full_fetch is kept when not given
    store.bars.upsert("AAPL.US", "1d", bars[:10], checkpoint=CheckpointUpdate())
    cp = store.checkpoints.get("AAPL.US", "1d")
    assert cp is not None and (cp.last_ts, cp.last_full_fetch) == (int(bars.ts[-1]), 123)


def test_failure_before_commit_leaves_bars_and_checkpoint_unchanged(store: MarketStore):
    store.bars.upsert("AAPL.US", "1d", make_bars(100), checkpoint=CheckpointUpdate())
    before = table_checksum(store), table_checksum(store, "sync_checkpoints")
    bars_written: list[str] = []

    def fail_on_checkpoint(conn, cursor, statement, params, context, executemany):
        if "bar_chunks" in statement and statement.lstrip().upper().startswith(("INSERT",
                                                                                "UPDATE")):
            bars_written.append(statement)
        if "sync_checkpoints" in statement and "INSERT" in statement.upper():
            raise RuntimeError("injected failure after the bars were written")

    event.listen(store.engine, "before_cursor_execute", fail_on_checkpoint)
    try:
        with pytest.raises(RuntimeError, match="injected"):
            store.bars.upsert("AAPL.US", "1d", make_bars(300, seed=7),
                              checkpoint=CheckpointUpdate(last_full_fetch=1))
    finally:
        event.remove(store.engine, "before_cursor_execute", fail_on_checkpoint)
    assert bars_written, "the failure must come after the bar rows were written"
    assert (table_checksum(store), table_checksum(store, "sync_checkpoints")) == before


def test_unit_of_work_across_repositories(store: MarketStore):
    with pytest.raises(RuntimeError), store.transaction("test") as conn:
        store.bars.upsert("AAPL.US", "1d", make_bars(10), conn=conn)
        store.checkpoints.set("AAPL.US", "1d", CheckpointUpdate(status="error", error="x"),
                              conn=conn)
        raise RuntimeError("abort")
    assert store.bars.count("AAPL.US", "1d") == 0
    assert store.checkpoints.get("AAPL.US", "1d") is None


def test_bad_arguments_name_what_is_wrong(store: MarketStore):
    bars = make_bars(5)
    with pytest.raises(ValueError, match="'AAPL' needs an exchange suffix"):
        store.bars.upsert("AAPL", "1d", bars)
    with pytest.raises(ValueError, match="timeframe '1x'"):
        store.bars.upsert("AAPL.US", "1x", bars)
    with pytest.raises(ValueError, match=re.escape(
            "AAPL.US: bars of timeframe '1d' cannot be stored as '1h'")):
        store.bars.upsert("AAPL.US", "1h", bars)
    with pytest.raises(ValueError, match="checkpoint status 'done'"):
        CheckpointUpdate(status="done")


def test_empty_payload_is_a_no_op(store: MarketStore):
    result = store.bars.upsert("AAPL.US", "1d", Bars.empty(timeframe="1d"))
    assert (result.received, result.chunks_written, result.last_ts) == (0, 0, None)
    assert store.bars.last_ts("AAPL.US", "1d") is None


def test_store_errors_name_the_store(store: MarketStore):
    store.bars.upsert("AAPL.US", "1d", make_bars(5))
    with store.engine.connect() as conn:  # break the schema underneath the repository
        conn.exec_driver_sql("DROP TABLE bar_chunks")
        conn.commit()
    with pytest.raises(StoreError) as info:
        store.bars.load("AAPL.US", "1d")
    assert store.where in str(info.value)
    assert "reading 1d bars of AAPL.US" in str(info.value)
