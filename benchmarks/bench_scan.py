"""The scanner's batch kernel: DG core + states for 5,000 symbols x 2,500 daily bars.

    .venv/bin/python benchmarks/bench_scan.py                  # 5,000 x 2,500, ~1 min
    .venv/bin/python benchmarks/bench_scan.py --symbols 1000   # fewer symbols
    .venv/bin/python benchmarks/bench_scan.py --smoke          # 200 x 500, 1 repeat, no file

Measured in one process on the same synthetic walks (``common.make_ohlcv``, one concatenated
H/L/C block, symbol i = bars ``i*N:(i+1)*N``):

* **kernel** - ``engine.scan.dg_tail(batch, k=1, threads=2)``: PLdot, envelope, 1-1 levels,
  slope, side and the state machine of every symbol, the last bar's values kept (what a scan
  needs); the one-pass fused kernel, 2 threads.
* **bound** - the two-thread bandwidth bound of the same I/O: one numba ``prange`` over the
  symbols, as the kernel, streaming each symbol's H/L/C with a ``fastmath`` (vectorised) sum
  and writing its output slots (the same bytes as the kernel's outputs). Kernel and bound are
  timed in alternation, so a neighbour that comes or goes slows both. Target: kernel <= 1.4x
  bound. A flat 2-thread read of the three arrays is shown as a reference.
* **TA-Lib loop** - a Python loop over the symbols doing the comparable part with TA-Lib calls:
  ``TYPPRICE`` and ``SMA(.., 3)`` of the typical price, high and low give PLdot, envelope, AR3
  and the 1-1 levels (numpy arithmetic for the combinations and the side of the close); TA-Lib
  has no state machine, so the loop does *less* than the kernel. Its last-bar PLdot, envelope
  and AR3 are checked equal (1e-9) to the kernel's before timing. Target: kernel >= 7x faster.

The machine is shared: ``--wait-quiet S`` waits up to S seconds for the other processes to
leave the CPUs before the bound and the kernel rows; check the ``other cores`` column anyway.

Reference rows (no target): the fused kernel on 1 thread, the general tail kernel (the
single-series kernels into per-thread scratch), ``dg_full`` (every bar of every field written)
against its own read + write bound. Writes ``benchmarks/RESULTS_SCAN.md`` unless ``--smoke`` or
``--no-write``. Targets are reported as PASS/MISS, never asserted; exit status 0 either way.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    os.environ.setdefault("NUMBA_CACHE_DIR", str(HERE / ".numba-cache"))

import numpy as np  # noqa: E402
from numba import njit, prange  # noqa: E402

from benchmarks.common import (  # noqa: E402
    RunCfg,
    Timing,
    log,
    machine_info,
    make_ohlcv,
    other_cores,
)

RESULTS = HERE / "RESULTS_SCAN.md"
BOUND_TARGET = 1.4
TALIB_TARGET = 7.0
THREADS = 2


@njit(parallel=True, fastmath=True, nogil=True, cache=True)
def _par_read3_nb(h: np.ndarray, lo: np.ndarray, c: np.ndarray) -> float:
    s = 0.0
    for i in prange(h.shape[0]):
        s += h[i] + lo[i] + c[i]
    return s


@njit(parallel=True, fastmath=True, nogil=True, cache=True)
def _par_stream_nb(h: np.ndarray, lo: np.ndarray, c: np.ndarray, offsets: np.ndarray,
                   of: np.ndarray, oi: np.ndarray) -> None:
    """The kernel's I/O and nothing else: per symbol (prange, like the kernel), a streaming
    sum of its H/L/C written to every one of its output slots."""
    for i in prange(offsets.shape[0] - 1):
        a, b = offsets[i], offsets[i + 1]
        hs, ls, cs = h[a:b], lo[a:b], c[a:b]
        s = 0.0
        for j in range(hs.shape[0]):
            s += hs[j] + ls[j] + cs[j]
        of[i] = s
        oi[i] = np.int32(s > 0.0)


@njit(parallel=True, nogil=True, cache=True)
def _par_fill_nb(a: np.ndarray, v: float) -> None:
    for i in prange(a.shape[0]):
        a[i] = v


def _fill_time(nbytes: int, cfg: RunCfg) -> Timing:
    """A 2-thread fill of ``nbytes`` of pre-faulted memory (freed on return)."""
    sink = np.empty(-(-nbytes // 8))
    _par_fill_nb(sink, 0.0)
    return cfg.measure(lambda: _par_fill_nb(sink, 1.0))


def _talib_loop(h: np.ndarray, lo: np.ndarray, c: np.ndarray, offsets: np.ndarray
                ) -> np.ndarray:
    """Per symbol: PLdot, ETop, EBot, AR3, 1-1 high/low and the side at the last bar."""
    import talib

    out = np.empty((offsets.shape[0] - 1, 6))
    for i in range(offsets.shape[0] - 1):
        a, b = offsets[i], offsets[i + 1]
        hh, ll, cc = h[a:b], lo[a:b], c[a:b]
        tp = talib.TYPPRICE(hh, ll, cc)
        pl = talib.SMA(tp, 3)
        mh = talib.SMA(hh, 3)
        ml = talib.SMA(ll, 3)
        etop = 2.0 * pl - ml
        ebot = 2.0 * pl - mh
        ar3 = mh - ml
        ooh = 2.0 * tp - ll
        ool = 2.0 * tp - hh
        side = np.sign(cc[1:] - pl[:-1])  # the dot plotted on bar t is the window ending t-1
        out[i] = (pl[-2], etop[-2], ebot[-2], ar3[-2], ooh[-2] + ool[-2], side[-1])
    return out


def _check_talib(got: np.ndarray, tail: Any) -> None:
    """The TA-Lib loop's values of the last bar equal the kernel's (dot plotted on it)."""
    for col, name in enumerate(("pldot", "etop", "ebot", "ar3")):
        np.testing.assert_allclose(got[:, col], tail.field(name)[:, 0], rtol=1e-9, atol=1e-9,
                                   err_msg=f"TA-Lib loop {name}")
    np.testing.assert_array_equal(got[:, 5], tail.field("side")[:, 0], err_msg="side")


def wait_quiet(limit_s: float, threshold: float = 0.15) -> float:
    """Wait (up to ``limit_s``) until other processes use less than ``threshold`` of a core
    over one second; returns what they used in the last second (the machine is shared)."""
    deadline = time.perf_counter() + limit_s
    while True:
        with other_cores() as oc:
            time.sleep(1.0)
        if oc.cores < threshold or time.perf_counter() > deadline:
            return oc.cores


def paired(a: Callable[[], object], b: Callable[[], object], reps: int
           ) -> tuple[Timing, Timing]:
    """Time ``a`` and ``b`` in alternation (first calls excluded), so a neighbour that comes
    or goes during the measurement slows both sides of the ratio alike."""
    firsts = []
    for fn in (a, b):
        t0 = time.perf_counter()
        fn()
        firsts.append(time.perf_counter() - t0)
    ta: list[float] = []
    tb: list[float] = []
    with other_cores() as oc:
        for _ in range(reps):
            for fn, out in ((a, ta), (b, tb)):
                t0 = time.perf_counter()
                fn()
                out.append(time.perf_counter() - t0)
    got = [Timing(statistics.median(t), min(t), f, len(t), oc.cores, oc.steal, t)
           for t, f in ((ta, firsts[0]), (tb, firsts[1]))]
    return got[0], got[1]


def _row(key: str, what: str, t: Timing, ratio: float, target: str = "",
         result: str = "") -> dict[str, Any]:
    return {"key": key, "what": what, "ms": t.median * 1e3, "first_ms": t.first * 1e3,
            "ratio": ratio, "target": target, "result": result,
            "other_cores": t.other_cores, "repeats": t.repeats}


def run(symbols: int, bars: int, cfg: RunCfg, quiet_s: float = 0.0) -> dict[str, Any]:
    import numba

    from engine.scan import Ragged, dg_full, dg_tail

    numba.set_num_threads(THREADS)
    log(f"[scan] data: {symbols} x {bars} bars")
    d = make_ohlcv(symbols * bars, vol=0.01)
    offsets = np.arange(symbols + 1, dtype=np.int64) * bars
    batch = Ragged.from_arrays(d["high"], d["low"], d["close"], offsets)
    h, lo, c = batch.high, batch.low, batch.close
    tail = dg_tail(batch, 1, threads=THREADS)
    out_bytes = tail.floats.nbytes + tail.ints.nbytes
    of, oi = np.zeros(tail.floats.shape), np.zeros(tail.ints.shape, dtype=np.int32)
    quiet = wait_quiet(quiet_s) if quiet_s else float("nan")
    log("[scan] kernel (fused, 2 threads) and bound, alternating")
    t_kernel, t_bound = paired(lambda: dg_tail(batch, 1, threads=THREADS),
                               lambda: _par_stream_nb(h, lo, c, offsets, of, oi),
                               max(cfg.reps, 2 * cfg.min_repeats))
    t_read = cfg.measure(lambda: _par_read3_nb(h, lo, c))
    bound_s = t_bound.median
    log("[scan] TA-Lib loop")
    _check_talib(_talib_loop(h, lo, c, offsets), tail)
    t_talib = cfg.measure(lambda: _talib_loop(h, lo, c, offsets), reps=max(cfg.reps // 2, 1))
    log("[scan] references")
    t_one = cfg.measure(lambda: dg_tail(batch, 1, threads=1))
    t_general = cfg.measure(lambda: dg_tail(batch, 1, threads=THREADS, fused=False))
    numba.set_num_threads(THREADS)
    full = dg_full(batch, threads=THREADS)
    full_bytes = sum(a.nbytes for a in full.values())
    del full
    t_full_write = _fill_time(full_bytes, cfg)
    t_full = cfg.measure(lambda: dg_full(batch, threads=THREADS))
    full_bound = t_read.median + t_full_write.median
    ratio = t_kernel.median / bound_s
    speedup = t_talib.median / t_kernel.median
    rows = [
        _row("scan.fused_vs_bound", "fused kernel, 2 threads, vs the 2-thread bound",
             t_kernel, ratio, f"<= {BOUND_TARGET}x",
             "PASS" if ratio <= BOUND_TARGET else "MISS"),
        _row("scan.talib_loop_speedup", "TA-Lib loop / fused kernel (2 threads)", t_talib,
             speedup, f">= {TALIB_TARGET}x", "PASS" if speedup >= TALIB_TARGET else "MISS"),
        _row("scan.ref.bound", "bound: 2-thread stream of H/L/C per symbol, outputs written",
             t_bound, 1.0),
        _row("scan.ref.flat_read", "2-thread flat read of H/L/C (one prange over all bars)",
             t_read, t_read.median / bound_s),
        _row("scan.ref.fused_1_thread_vs_bound", "fused kernel, 1 thread", t_one,
             t_one.median / bound_s),
        _row("scan.ref.general_vs_bound", "general tail kernel (single-series kernels into "
             "scratch), 2 threads", t_general, t_general.median / bound_s),
        _row("scan.ref.full_vs_own_bound", "dg_full (every bar, every core/state field, fresh "
             "output arrays), 2 threads, vs read + write of its outputs", t_full,
             t_full.median / full_bound),
    ]
    for r in rows:
        log(f"  {r['key']:36s} {r['ms']:9.2f} ms  ratio {r['ratio']:7.2f}  {r['result']}"
            f"  other_cores {r['other_cores']:.2f}")
    return {"symbols": symbols, "bars": bars, "threads": THREADS, "in_bytes": 3 * h.nbytes,
            "other_cores_before": quiet,
            "out_bytes": out_bytes, "full_out_bytes": full_bytes, "rows": rows}


def report(res: dict[str, Any], info: dict[str, Any]) -> str:
    out = ["# Scanner batch kernel: DG core + states", "",
           f"Generated by `benchmarks/bench_scan.py` on {time.strftime('%Y-%m-%d %H:%M')} UTC: "
           f"{res['symbols']:,} symbols x {res['bars']:,} daily bars (random walks), "
           f"{res['threads']} threads, input {res['in_bytes'] / 1e6:.0f} MB (H/L/C), output "
           f"{res['out_bytes'] / 1e3:.0f} kB (last bar of 20 fields per symbol). Method and "
           "rows: the docstring of `bench_scan.py` and `benchmarks/README.md`.", "",
           f"Machine: {info.get('cpu', '?')}, {info.get('cores', '?')} CPUs, load average at "
           f"the end {', '.join(f'{x:.2f}' for x in info.get('loadavg', ()))}; numba "
           f"{info.get('numba', '?')}; engine sha256 `{info.get('engine_sha256', '?')}`. "
           "`other cores` = CPU used by other processes during the row (1.0 = a whole core): "
           "a busy neighbour slows the 2-thread rows most.", "",
           "| row | ms | first ms | ratio | target | result | other cores |",
           "|---|---:|---:|---:|---|---|---:|"]
    for r in res["rows"]:
        out.append(f"| {r['what']} | {r['ms']:.2f} | {r['first_ms']:.1f} | {r['ratio']:.2f} | "
                   f"{r['target']} | {r['result']} | {r['other_cores']:.2f} |")
    out += ["", "## Findings", "", *findings(res), ""]
    return "\n".join(out)


def findings(res: dict[str, Any]) -> list[str]:
    """Prose from this run's numbers (a rerun cannot keep stale text)."""
    rows = {r["key"]: r for r in res["rows"]}
    bars = res["symbols"] * res["bars"]
    k, one = rows["scan.fused_vs_bound"], rows["scan.ref.fused_1_thread_vs_bound"]
    bound = rows["scan.ref.bound"]
    per_core = k["ms"] * 1e6 / bars * res["threads"]
    talib = rows["scan.talib_loop_speedup"]
    noisy = max(k["other_cores"], bound["other_cores"], talib["other_cores"]) > 0.3
    out = [
        f"* The fused kernel spends {per_core:.2f} ns per bar and thread "
        f"({one['ms'] * 1e6 / bars:.2f} ns on one thread; 2 threads run "
        f"{one['ms'] / k['ms']:.2f}x faster than one); the bound streams the same bytes at "
        f"{bound['ms'] * 1e6 / bars * res['threads']:.2f} ns per bar and thread.",
    ]
    if k["result"] == "MISS":
        out.append(
            "* Why the bound is out of reach: the market state of bar t depends on bar t-1, so "
            "each symbol is one sequential chain. The kernel keeps that chain to four dependent "
            "instructions per bar (a 2-bit transition-table lookup, no branch) and computes the "
            "sides in a separate vectorised pass, but four cycles per bar are about 1.5 ns at "
            f"2.6 GHz on their own; {BOUND_TARGET}x the bound allows "
            f"{BOUND_TARGET * bound['ms'] * 1e6 / bars * res['threads']:.2f} ns per bar and "
            "thread for the side pass and the chain together.")
    out += [
        f"* Against the TA-Lib loop (PLdot, envelope and 1-1 levels only, no states): "
        f"{talib['ratio']:.1f}x faster.",
    ]
    if noisy:
        out.append("* Other processes used a CPU during the target rows (other cores > 0.3): "
                   "their ratios are noisy; rerun on a quiet machine (`--wait-quiet 120`).")
    out.append("* The bound follows the host's memory traffic far more than the kernel, which "
               "is compute-bound: compare the ratio over several runs.")
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--symbols", type=int, default=5_000)
    ap.add_argument("--bars", type=int, default=2_500)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--smoke", action="store_true", help="200 x 500, one repeat, no file")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                    help="before the bound and the kernel rows, wait up to SECONDS for other "
                         "processes to leave the CPUs (< 0.15 cores for 1 s)")
    args = ap.parse_args(argv)
    if args.smoke:
        res = run(200, 500, RunCfg(reps=1, min_repeats=1, min_time_s=0.0))
    else:
        res = run(args.symbols, args.bars, RunCfg(reps=args.repeats, budget_s=8.0),
                  args.wait_quiet)
    if not (args.smoke or args.no_write):
        RESULTS.write_text(report(res, machine_info()), encoding="utf-8")
        log(f"wrote {RESULTS}")
    return res


if __name__ == "__main__":
    main()
