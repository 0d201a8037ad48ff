"""Durability (``../shared/docs/reliability.md`` §6.1): SIGKILL during a 1,000,000-bar import
(D1), disk full during an import (D3), re-importing the same payload (D10)."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import event

from drummond_desktop.core.errors import StoreFull
from drummond_desktop.store import CheckpointUpdate, MarketStore, open_market_store
from tests.store import kill_import
from tests.store.factories import make_bars, same_bits, table_checksum

ROOT = Path(__file__).resolve().parents[2]
RUNS = 20


def _importer(db: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.store.kill_import", str(db), *args],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)


def _run_to_end(db: Path, *args: str) -> float:
    """Run the importer to completion; seconds from ``ready`` to the end."""
    with _importer(db, *args) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        start = time.perf_counter()
        out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0 and out.strip().endswith("done")
    return time.perf_counter() - start


def _check_consistent(db: Path, *, deep: bool = True) -> int:
    """integrity_check ok; each symbol either complete with its checkpoint, or absent with
    none (``deep``: and its bars bit-equal to the payload). Returns how many symbols are
    committed."""
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        con.close()
    committed = 0
    with open_market_store(f"sqlite:///{db}") as store:
        assert store.notice is None
        checkpoints = {c.symbol: c for c in store.checkpoints.all()}
        for i in range(kill_import.SYMBOLS):
            sym, bars = kill_import.ticker(i), kill_import.payload(i)
            count = store.bars.count(sym, "1d")
            assert count in (0, kill_import.BARS), f"{sym} half-written: {count} bars"
            cp = checkpoints.get(sym)
            if count:
                committed += 1
                assert cp is not None and cp.last_ts == int(bars.ts[-1]), sym
                assert not deep or same_bits(store.bars.load(sym, "1d"), bars), sym
            else:
                assert cp is None, f"{sym}: checkpoint without bars"
    return committed


def _finish_resume(db: Path, proc: subprocess.Popen[str]) -> None:
    """Wait for a ``--resume`` run: it must end with every symbol and exactly 1,000,000 bars."""
    with proc:
        out, _ = proc.communicate(timeout=120)
    lines = out.split("\n")
    assert proc.returncode == 0 and lines[0] == "ready" and lines[-2] == "done", db.name
    assert _check_consistent(db, deep=False) == kill_import.SYMBOLS, f"{db.name}: resume"
    with open_market_store(f"sqlite:///{db}") as store:
        total = sum(c.count for c in store.coverage())
    assert total == kill_import.SYMBOLS * kill_import.BARS == 1_000_000
    db.unlink()


@pytest.mark.slow
def test_sigkill_during_import_loses_nothing_committed(tmp_path):
    calibration = tmp_path / "calibrate.sqlite"
    span = _run_to_end(calibration)  # how long an import runs after "ready"
    rng = random.Random(20260509)
    partial = 0
    resuming: tuple[Path, subprocess.Popen[str]] | None = None
    for run in range(RUNS):
        db = tmp_path / f"run{run}.sqlite"
        with _importer(db) as proc:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            # A random moment inside the import, whatever the machine's speed today: after a
            # random number of committed symbols, plus a random part of one symbol's time.
            target = rng.randrange(0, kill_import.SYMBOLS - 1)
            line = "ready"
            while line and line.strip() != f"ok {target}":  # "" = the importer ended early
                line = proc.stdout.readline()
            time.sleep(rng.uniform(0.0, 2 * span / kill_import.SYMBOLS))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        committed = _check_consistent(db)
        partial += 0 < committed < kill_import.SYMBOLS
        # the previous run's resume ran meanwhile on its own file; this one's starts now
        if resuming is not None:
            _finish_resume(*resuming)
        resuming = db, _importer(db, "--resume")
    assert resuming is not None
    _finish_resume(*resuming)
    # most kills must land mid-import, or the test proves little
    assert partial >= RUNS // 2, f"only {partial} of {RUNS} kills interrupted the import"


@pytest.mark.slow
def test_reimporting_a_million_bars_changes_nothing(tmp_path):
    db = tmp_path / "reimport.sqlite"
    _run_to_end(db)
    with open_market_store(f"sqlite:///{db}") as store:
        before = table_checksum(store), table_checksum(store, "sync_checkpoints")[0]
    _run_to_end(db, "--all")
    with open_market_store(f"sqlite:///{db}") as store:
        assert (table_checksum(store), table_checksum(store, "sync_checkpoints")[0]) == before


def _limit_pages(store: MarketStore, extra: int) -> None:
    """Simulate a full disk: SQLite's ``max_page_count`` caps the file a few pages above its
    current size on every new connection, so the next large write fails with SQLITE_FULL."""
    with store.engine.connect() as conn:
        pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())

    def cap(dbapi_con, _record):
        dbapi_con.execute(f"PRAGMA max_page_count={pages + extra}")

    event.listen(store.engine, "connect", cap)
    store.engine.dispose()


@pytest.mark.parametrize("extra", [0, 1, 5, 20, 50, 100, 200, 400, 800, 1600])
def test_disk_full_is_typed_prompt_and_writes_nothing(sqlite_store: MarketStore, extra: int):
    store = sqlite_store
    kept = make_bars(3_000)
    store.bars.upsert("KEEP.US", "1d", kept, checkpoint=CheckpointUpdate())
    before = table_checksum(store), table_checksum(store, "sync_checkpoints")
    _limit_pages(store, extra)
    big = make_bars(200_000, step=60, timeframe="1m", seed=5)  # ~9.6 MB: cannot fit
    start = time.perf_counter()
    with pytest.raises(StoreFull) as info:
        store.bars.upsert("BIG.US", "1m", big, checkpoint=CheckpointUpdate())
    assert time.perf_counter() - start < 1.0
    assert store.where in str(info.value) and "disk full" in str(info.value)
    assert "200000 1m bars of BIG.US" in info.value.user_message
    # nothing of the failed batch, everything from before, and the database still reads
    assert (table_checksum(store), table_checksum(store, "sync_checkpoints")) == before
    assert store.bars.count("BIG.US", "1m") == 0
    assert store.checkpoints.get("BIG.US", "1m") is None
    assert same_bits(store.bars.load("KEEP.US", "1d"), kept)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
