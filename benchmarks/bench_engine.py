"""Engine benchmarks: speed and memory as ratios against references measured in this process.

    .venv/bin/python benchmarks/bench_engine.py                 # N = 1e7 and 1e6, ~2-4 min
    .venv/bin/python benchmarks/bench_engine.py --quick         # N = 1e6, fewer repeats, < 1 min
    .venv/bin/python benchmarks/bench_engine.py --smoke         # N = 1e5, 1 repeat, checks only

Writes ``benchmarks/RESULTS.md`` and ``benchmarks/RESULTS.json`` (unless ``--no-write`` or
``--smoke``). See ``benchmarks/README.md`` for what every number means. Nothing here asserts a
timing: a missed target is reported as MISS with its ratio, and the exit status is 0 either way.
The correctness checks (kernel outputs equal to pandas and to ``compute_into``) do raise.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if __name__ == "__main__":
    # Run as a script: make ``benchmarks.*`` importable, and keep the kernels this process
    # compiles in benchmarks/.numba-cache (git-ignored) rather than next to the engine.
    sys.path.insert(0, str(HERE.parent))
    os.environ.setdefault("NUMBA_CACHE_DIR", str(HERE / ".numba-cache"))

from benchmarks.bench_alloc import (  # noqa: E402
    bench_alloc_core,
    bench_alloc_full,
    bench_memory,
    bench_numba_alloc,
)
from benchmarks.bench_kernels import bench_core, bench_full  # noqa: E402
from benchmarks.bench_startup import bench_import, bench_warmup  # noqa: E402
from benchmarks.common import RunCfg, engine_fingerprint, log, machine_info, make_ohlcv  # noqa: E402
from benchmarks.report import render, write_results  # noqa: E402
from benchmarks.summary import nan_rows, ratio_rows, summary_rows  # noqa: E402

SMOKE_N = 100_000


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--n", type=float, default=1e7, help="main N (default 1e7; 1e6 also runs)")
    ap.add_argument("--quick", action="store_true", help="N=1e6 only, fewer repeats (< 1 min)")
    ap.add_argument("--smoke", action="store_true",
                    help="N=1e5, 1 repeat, no subprocess rows, writes nothing; checks still run")
    ap.add_argument("--no-write", action="store_true", help="print, do not write RESULTS.*")
    ap.add_argument("--repeats", type=int, default=None, help="timed repeats per row")
    return ap.parse_args(argv)


def settings(args: argparse.Namespace) -> tuple[list[int], RunCfg, int]:
    """(sizes, main N first; timing config; fresh-process runs per subprocess row)."""
    if args.smoke:
        return [SMOKE_N], RunCfg(reps=args.repeats or 1, budget_s=1.0, min_repeats=1,
                                 min_time_s=0.0), 0
    if args.quick:
        return [1_000_000], RunCfg(reps=args.repeats or 3, budget_s=1.5), 3
    main_n = int(args.n)
    sizes = [main_n, *sorted({1_000_000} - {main_n}, reverse=True)]
    return sizes, RunCfg(reps=args.repeats or 7, budget_s=5.0), 5


def bench_size(n: int, cfg: RunCfg, subprocess_rows: bool) -> dict[str, Any]:
    """Sections 1-3 at one N: core kernel, full analyze, allocation."""
    data = make_ohlcv(n)
    core = bench_core(n, data, cfg)
    full = bench_full(n, data, cfg)
    blk = {"core": core, "full": full, "alloc_core": bench_alloc_core(n, data, cfg, core),
           "alloc_full": bench_alloc_full(n, data, cfg, full)}
    if subprocess_rows:
        blk["numba_alloc"] = bench_numba_alloc(n, cfg)
    del data
    gc.collect()
    return blk


def bench_processes(main_n: int, runs: int) -> dict[str, Any]:
    """Sections 4-6, each in fresh subprocesses: import, warm-up, peak memory."""
    pyc_dir = tempfile.mkdtemp(prefix="dd-bench-pyc-")
    try:
        res = {"import": bench_import(runs, pyc_dir), "warmup": bench_warmup(runs, pyc_dir)}
    finally:
        shutil.rmtree(pyc_dir, ignore_errors=True)
    res["memory"] = bench_memory(main_n)
    return res


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse(argv)
    t_start = time.perf_counter()
    sizes, cfg, runs = settings(args)
    res: dict[str, Any] = {"machine": machine_info(), "main_n": sizes[0], "reps": cfg.reps,
                           "smoke": args.smoke, "sizes": {},
                           "argv": " ".join(sys.argv[1:] if argv is None else argv)}
    log(f"machine: {res['machine']}")
    for n in sizes:  # more repeats where calls are cheap (not in a smoke run)
        c = cfg if args.smoke or n >= 5_000_000 else cfg.scaled(2)
        res["sizes"][str(n)] = bench_size(n, c, subprocess_rows=not args.smoke)
    if not args.smoke:
        res.update(bench_processes(sizes[0], runs))
    res["loadavg_end"] = os.getloadavg()
    res["engine_sha256_end"] = engine_fingerprint()
    res["elapsed_s"] = time.perf_counter() - t_start
    res["rows"] = ratio_rows(res)
    if nan_rows(res["rows"]):
        log(f"WARNING: rows without a finite ratio: {nan_rows(res['rows'])}")
    if args.no_write or args.smoke:
        print(render(res))
    else:
        write_results(res, HERE)
        print("\n".join(f"{r[0]}. {r[1]}: {r[2]} {r[3]}" for r in summary_rows(res)))
        log(f"wrote {HERE / 'RESULTS.md'} and RESULTS.json ({res['elapsed_s']:.0f} s)")
    return res


if __name__ == "__main__":
    main()
