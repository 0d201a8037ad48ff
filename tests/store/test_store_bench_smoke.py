"""``benchmarks/bench_store.py`` still runs end to end (``--smoke``: tiny sizes, SQLite only,
writes nothing). Its timings are never asserted: targets are PASS/MISS in a full run."""

from __future__ import annotations

from pathlib import Path

from benchmarks.bench_store import main

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "RESULTS_STORE.md"


def test_bench_store_smoke(capsys):
    before = RESULTS.stat().st_mtime_ns if RESULTS.exists() else None
    rows = main(["--smoke"])
    verdicts = {r.what: r.result for r in rows if r.result}
    assert len(verdicts) == 5  # 2 ingest rates, 2 file sizes, the load ratio
    assert set(verdicts.values()) <= {"PASS", "MISS"}
    assert "Summary:" in capsys.readouterr().out
    assert (RESULTS.stat().st_mtime_ns if RESULTS.exists() else None) == before
