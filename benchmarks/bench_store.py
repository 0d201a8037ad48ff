"""Store benchmarks: ingest and load through ``drummond_desktop.store``, file size per bar.

Every target is a rate or a ratio measured in this run; nothing here is a pass/fail test (the
script exits 0 and prints PASS/MISS). See the "Store benchmarks" section of
``benchmarks/README.md`` for the method.

    .venv/bin/python benchmarks/bench_store.py                 # SQLite + PostgreSQL, ~1-2 min
    .venv/bin/python benchmarks/bench_store.py --no-postgres   # SQLite only
    .venv/bin/python benchmarks/bench_store.py --quick --no-write
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import Timing, make_ohlcv, measure

from drummond_desktop.store import MarketStore, open_market_store
from drummond_desktop.store.engines import MARKET_MMAP_BYTES
from engine.bars import Bars

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS_STORE.md"
PG_URL = os.environ.get("DRUMMOND_BENCH_PG_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TARGETS = {"sqlite_ingest": 1_000_000.0, "pg_ingest": 700_000.0, "load_ratio": 20.0,
           "bytes_per_bar": 60.0}


@dataclass
class Row:
    what: str
    timing: Timing | None
    value: str
    target: str = ""
    result: str = ""


# ------------------------------------------------------------------------------------ data
def minute_bars(n: int, seed: int = 12345) -> Bars:
    return Bars.from_arrays(**make_ohlcv(n, seed=seed), timeframe="1m")


def daily_universe(symbols: int, n: int) -> list[tuple[str, Bars]]:
    """``symbols`` tickers of ``n`` daily bars each (ts = consecutive days from 1970)."""
    out = []
    for k in range(symbols):
        cols = make_ohlcv(n, seed=k)
        cols["ts"] = np.arange(n, dtype=np.int64) * 86_400
        out.append((f"S{k:03d}.US", Bars.from_arrays(**cols, timeframe="1d")))
    return out


# ------------------------------------------------------------------------------- helpers
@contextmanager
def sqlite_store(root: Path) -> Iterator[MarketStore]:
    folder = Path(tempfile.mkdtemp(dir=root))
    try:
        with open_market_store(f"sqlite:///{folder / 'market.sqlite'}") as store:
            yield store
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def file_bytes(store: MarketStore) -> int:
    """The SQLite file's size after the WAL has been folded back into it."""
    assert store.target.path is not None
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return store.target.path.stat().st_size


def ingest(store: MarketStore, payload: list[tuple[str, Bars]]) -> None:
    for ticker, bars in payload:
        store.bars.upsert(ticker, bars.timeframe, bars)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def fresh_each_time(open_fresh: Callable[[], MarketStore],
                    payload: list[tuple[str, Bars]], repeats: int) -> tuple[Timing, int]:
    """Time ``ingest`` into a new, empty store per repeat (opening it is not timed)."""
    holder: list[MarketStore] = []

    def setup() -> None:
        while holder:
            holder.pop().close()
        holder.append(open_fresh())

    timing = measure(lambda: ingest(holder[0], payload), repeats, 120, min_repeats=2,
                     min_time_s=0.0, setup=setup)
    size = file_bytes(holder[0]) if holder[0].target.path is not None else 0
    while holder:
        holder.pop().close()
    return timing, size


# ------------------------------------------------------------------------------ benchmarks
def bench_sqlite_ingest(root: Path, cases: dict[str, list[tuple[str, Bars]]],
                        repeats: int) -> list[Row]:
    rows = []
    stores: list[Path] = []

    def open_fresh() -> MarketStore:
        folder = Path(tempfile.mkdtemp(dir=root))
        stores.append(folder)
        return open_market_store(f"sqlite:///{folder / 'market.sqlite'}")

    for label, payload in cases.items():
        n = sum(len(b) for _, b in payload)
        timing, size = fresh_each_time(open_fresh, payload, repeats)
        rate = n / timing.median
        rows.append(Row(f"SQLite ingest, {label}", timing, f"{rate:,.0f} bars/s",
                        f">= {TARGETS['sqlite_ingest']:,.0f}/s",
                        verdict(rate >= TARGETS["sqlite_ingest"])))
        per_bar = size / n
        rows.append(Row(f"SQLite file size, {label}", None, f"{per_bar:.1f} B/bar",
                        f"<= {TARGETS['bytes_per_bar']:.0f}",
                        verdict(per_bar <= TARGETS["bytes_per_bar"])))
        for folder in stores:
            shutil.rmtree(folder, ignore_errors=True)
        stores.clear()
    return rows


def pg_database() -> str | None:
    """A fresh PostgreSQL database for the run (dropped by ``drop_pg``), or None."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(PG_URL)
    name = f"drummond_bench_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin.set(drivername="postgresql").render_as_string(False),
                             autocommit=True, connect_timeout=3) as con:
            con.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        print(f"PostgreSQL skipped: {str(exc).strip().splitlines()[0]}")
        return None
    return admin.set(database=name).render_as_string(False)


def drop_pg(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = make_url(PG_URL).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')


def bench_pg(url: str, cases: dict[str, list[tuple[str, Bars]]], minute: Bars,
             repeats: int) -> list[Row]:
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(url)
    libpq = base.set(drivername="postgresql").render_as_string(False)
    schemas: list[str] = []

    def open_fresh() -> MarketStore:
        schema = f"b_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(libpq, autocommit=True) as con:
            for old in schemas:  # keep one schema at a time: the server has little disk
                con.execute(f'DROP SCHEMA IF EXISTS "{old}" CASCADE')
            con.execute(f'CREATE SCHEMA "{schema}"')
        schemas[:] = [schema]
        scoped = base.update_query_dict({"options": f"-csearch_path={schema}"})
        return open_market_store(scoped.render_as_string(False))

    rows = []
    for label, payload in cases.items():
        n = sum(len(b) for _, b in payload)
        timing, _ = fresh_each_time(open_fresh, payload, repeats)
        rate = n / timing.median
        rows.append(Row(f"PostgreSQL ingest (COPY), {label}", timing, f"{rate:,.0f} bars/s",
                        f">= {TARGETS['pg_ingest']:,.0f}/s",
                        verdict(rate >= TARGETS["pg_ingest"])))
    with open_fresh() as store:
        store.bars.upsert("X.US", "1m", minute)
        timing = measure(lambda: store.bars.load("X.US", "1m"), repeats, 60, min_time_s=0.0)
        rows.append(Row(f"PostgreSQL load {len(minute):,} bars -> Bars", timing,
                        f"{len(minute) / timing.median:,.0f} bars/s"))
        with store.engine.connect() as conn:
            size = conn.exec_driver_sql(
                "SELECT pg_total_relation_size('bar_chunks')").scalar_one()
        rows.append(Row("PostgreSQL bar_chunks size (heap + TOAST + index)", None,
                        f"{size / len(minute):.1f} B/bar"))
    return rows


def row_table(path: Path, minute: Bars, other: Bars) -> None:
    """The reference: a plain row-per-bar table holding two symbols (as in
    performance-baselines.md §5), WAL, synchronous=NORMAL."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("CREATE TABLE bars (symbol_id INTEGER, ts INTEGER, open REAL, high REAL, "
                "low REAL, close REAL, volume REAL, PRIMARY KEY (symbol_id, ts))")
    con.execute("BEGIN")
    for sid, bars in ((1, minute), (2, other)):
        cols = [getattr(bars, f).tolist() for f in ("ts", "open", "high", "low", "close",
                                                     "volume")]
        con.executemany("INSERT INTO bars VALUES (?, ?, ?, ?, ?, ?, ?)",
                        ((sid, *r) for r in zip(*cols, strict=True)))
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def bench_load(root: Path, minute: Bars, repeats: int) -> list[Row]:
    other = minute_bars(len(minute), seed=7)
    reference = root / "rows.sqlite"
    row_table(reference, minute, other)
    con = sqlite3.connect(reference)
    con.execute(f"PRAGMA mmap_size={MARKET_MMAP_BYTES}")  # the same read path as the store
    query = "SELECT ts, open, high, low, close, volume FROM bars WHERE symbol_id = 1 ORDER BY ts"
    with sqlite_store(root) as store:
        store.bars.upsert("X.US", "1m", minute)
        store.bars.upsert("Y.US", "1m", other)
        file_bytes(store)
        loaded = store.bars.load("X.US", "1m")
        assert all(np.array_equal(getattr(loaded, f), getattr(minute, f))
                   for f in ("ts", "open", "high", "low", "close", "volume"))
        t_load = measure(lambda: store.bars.load("X.US", "1m"), repeats, 60, min_time_s=0.0)
        t_fetch = measure(lambda: con.execute(query).fetchall(), repeats, 60, min_time_s=0.0)
        t_np = measure(lambda: np.array(con.execute(query).fetchall()), max(repeats // 2, 2),
                       60, min_time_s=0.0)
        t_reup = measure(lambda: store.bars.upsert("X.US", "1m", minute), repeats, 60,
                         min_time_s=0.0)
    con.close()
    ratio = t_fetch.median / t_load.median
    n = len(minute)
    return [
        Row(f"SQLite load {n:,} bars of one symbol -> Bars (store)", t_load,
            f"{n / t_load.median:,.0f} bars/s; {ratio:.1f}x faster than fetchall",
            f">= {TARGETS['load_ratio']:.0f}x", verdict(ratio >= TARGETS["load_ratio"])),
        Row("reference: sqlite3 fetchall, row-per-bar table (2 symbols)", t_fetch,
            f"{n / t_fetch.median:,.0f} rows/s"),
        Row("reference: sqlite3 fetchall -> np.array", t_np,
            f"{n / t_np.median:,.0f} rows/s; store {t_np.median / t_load.median:.1f}x faster"),
        Row(f"SQLite re-upsert of the same {n:,} bars (nothing written)", t_reup,
            f"{n / t_reup.median:,.0f} bars/s"),
    ]


# ------------------------------------------------------------------------------- report
def machine() -> list[tuple[str, str]]:
    import sqlalchemy

    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return [("CPU count", str(os.cpu_count())),
            ("OS kernel / Python", f"{platform.release()} / {platform.python_version()}"),
            ("SQLite / SQLAlchemy", f"{sqlite3.sqlite_version} / {sqlalchemy.__version__}"),
            ("PostgreSQL URL", PG_URL.split("@")[-1]),
            ("load average at start (1/5/15 min)", load)]


def render(rows: list[Row], info: list[tuple[str, str]], seconds: float) -> str:
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    out = [f"## Run of {when} (total {seconds:.0f} s)", "", "| item | value |", "| --- | --- |"]
    out += [f"| {k} | {v} |" for k, v in info]
    out += ["", "| what | median ms | min ms | repeats | other_cores | value | target | result |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        t = r.timing
        timing = (f"{t.median * 1e3:,.1f} | {t.min * 1e3:,.1f} | {t.repeats} | "
                  f"{t.other_cores:.2f}") if t else " | | | "
        out.append(f"| {r.what} | {timing} | {r.value} | {r.target} | {r.result} |")
    verdicts = [f"{r.result} {r.what}" for r in rows if r.result]
    out += ["", "Summary: " + "; ".join(verdicts), ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 5")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, 1 repeat, no PostgreSQL, nothing written (tests)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-write", action="store_true", help=f"do not append to {RESULTS}")
    args = parser.parse_args(argv)
    if args.smoke:
        args.no_postgres = args.no_write = True
    repeats = 1 if args.smoke else 3 if args.quick else 5
    n, symbols, per_symbol = (20_000, 4, 5_000) if args.smoke else (1_000_000, 100, 10_000)
    info = machine()
    start = dt.datetime.now()
    minute = minute_bars(n)
    cases = {f"{n:,} one-minute bars of one symbol (1 transaction)": [("X.US", minute)],
             f"{symbols} symbols x {per_symbol:,} daily bars (one transaction per symbol)":
             daily_universe(symbols, per_symbol)}
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench_store_") as tmp:
        root = Path(tmp)
        rows += bench_sqlite_ingest(root, cases, repeats)
        rows += bench_load(root, minute, repeats)
    if not args.no_postgres and (url := pg_database()) is not None:
        try:
            rows += bench_pg(url, cases, minute, repeats)
        finally:
            drop_pg(url)
    text = render(rows, info, (dt.datetime.now() - start).total_seconds())
    print(text)
    if not args.no_write:
        header = "" if RESULTS.exists() else (
            "# Store benchmark results\n\nAppended by `benchmarks/bench_store.py`, one section "
            "per run; see the \"Store benchmarks\" section of `benchmarks/README.md`.\n\n")
        with RESULTS.open("a") as f:
            f.write(header + text + "\n")
    return rows


if __name__ == "__main__":
    main()
