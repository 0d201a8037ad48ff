"""Allocation: the engine's allocating paths vs reused buffers (targets), fresh-memory and
numba-allocated references, and the peak RSS of ``analyze`` (subprocess)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.bench_kernels import Data, core_runner
from benchmarks.calls import core_specs, pool_limit
from benchmarks.common import (
    RunCfg,
    Timing,
    alloc_fill_nb,
    fill_arrays,
    log,
    measure,
    other_cores,
    run_py,
)


def fresh_pair(make: Callable[[], Any], run: Callable[[Any], object],
               cfg: RunCfg) -> tuple[Timing, Timing]:
    """(fresh outputs freed inside the timing, fresh outputs freed outside the timing)."""
    def inside() -> None:
        out = make()
        run(out)
        del out  # released inside the timed call (munmap or return to the pool included)

    held: list[Any] = []

    def outside() -> None:
        out = make()
        run(out)
        held.append(out)

    t_in = cfg.measure(inside)
    t_out = cfg.measure(outside, setup=held.clear)
    held.clear()
    return t_in, t_out


def _pair_dict(reuse_s: float, t_in: Timing, t_out: Timing | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {"fresh": t_in.to_dict(), "ratio": t_in.median / reuse_s}
    if t_out is not None:
        d["fresh_free_outside"] = t_out.to_dict()
        d["free_outside_ratio"] = t_out.median / reuse_s
    return d


def _pooled(out_bytes: int, arrays: int) -> dict[str, Any]:
    """Does the pool keep this block? ``staggered_empty`` asks for the outputs' bytes plus a
    page per array (and one more) of padding; the pool skips blocks below ``min_bytes``."""
    from engine import output_pool

    request = out_bytes + (arrays + 1) * 4096
    return {"pool_request_bytes": request, "pool_min_bytes": output_pool.min_bytes,
            "pooled": request >= output_pool.min_bytes}


def bench_alloc_core(n: int, data: Data, cfg: RunCfg, core: dict[str, Any]) -> dict[str, Any]:
    """``dg_core_nb`` with outputs from ``staggered_empty`` every call (pool on: the target;
    pool off: reference), and from 8 separate ``np.empty`` (reference), each against reused
    outputs timed just before them."""
    from engine import output_pool
    from engine._alloc import staggered_empty

    run = core_runner(data)
    specs = core_specs(n)
    output_pool.clear()
    # The reused reference again, right before the fresh rows (same process state): at small N
    # a reference timed minutes earlier in section 1 can sit 10-20% off.
    ref = staggered_empty(specs, pool=None)
    fill_arrays(ref, 0.0)
    log(f"[alloc n={n:.0e}] dg_core_nb, reused outputs (reference for this section)")
    t_ref = cfg.measure(lambda: run(ref))
    reuse = t_ref.median
    ref.clear()
    log(f"[alloc n={n:.0e}] dg_core_nb, staggered_empty outputs, pool on / off")
    on = fresh_pair(lambda: staggered_empty(specs), run, cfg)
    with pool_limit(0):
        off = fresh_pair(lambda: staggered_empty(specs), run, cfg)[0]
    log(f"[alloc n={n:.0e}] dg_core_nb, 8 separate np.empty outputs")
    sep = fresh_pair(lambda: [np.empty(n + 1) for _ in range(8)], run, cfg)[0]
    output_pool.clear()
    out_bytes = sum(int(np.prod(s)) * 8 for s, _ in specs)
    return {"reuse_s": reuse, "reuse": t_ref.to_dict(),
            "section1_reuse_s": core["reuse"]["median"], "out_bytes": out_bytes,
            **_pooled(out_bytes, len(specs)),
            "pool_on": _pair_dict(reuse, *on), "pool_off": _pair_dict(reuse, off),
            "separate": _pair_dict(reuse, sep)}


def bench_alloc_full(n: int, data: Data, cfg: RunCfg, full: dict[str, Any]) -> dict[str, Any]:
    """``allocate(N)`` + ``compute_into`` every call (pool on: the target; pool off: reference)
    and ``analyze(Bars)`` (reference)."""
    from engine import Bars, output_pool
    from engine.drummond import DGParams, allocate, analyze, compute_into

    H, L, C = data["high"], data["low"], data["close"]
    p = DGParams()
    reuse = full["reuse"]["median"]

    def run(o: dict[str, np.ndarray]) -> None:
        compute_into(H, L, C, p, o)

    output_pool.clear()
    log(f"[alloc n={n:.0e}] allocate + compute_into, pool on / off")
    on = fresh_pair(lambda: allocate(n, p), run, cfg)
    with pool_limit(0):
        off = fresh_pair(lambda: allocate(n, p), run, cfg)[0]
    bars = Bars.from_arrays(data["ts"], data["open"], H, L, C, data["volume"])
    log(f"[alloc n={n:.0e}] analyze(Bars)")
    t_an = cfg.measure(lambda: analyze(bars, p))
    output_pool.clear()
    return {"reuse_s": reuse, "out_bytes": full["out_bytes"],
            **_pooled(full["out_bytes"], full["out_arrays"]),
            "pool_on": _pair_dict(reuse, *on), "pool_off": _pair_dict(reuse, off),
            "analyze": _pair_dict(reuse, t_an)}


# ---------------------------------------------------------------- numba-allocated reference
_ALLOC_CHILD = r"""
import json, sys
from benchmarks.bench_alloc import numba_alloc
print(json.dumps(numba_alloc(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))))
"""


def bench_numba_alloc(n: int, cfg: RunCfg) -> dict[str, Any]:
    """``numba_alloc`` in a fresh process: glibc's heap starts clean (no recycled pages)."""
    log(f"[alloc n={n:.0e}] fill pre-faulted / numpy-allocated / numba-allocated (subprocess)")
    with other_cores() as oc:
        _, out = run_py(_ALLOC_CHILD, args=(str(n), str(cfg.reps), str(cfg.budget_s)))
    return {**json.loads(out), "other_cores": oc.cores}


def numba_alloc(n: int, reps: int, budget: float, m: int = 8) -> dict[str, Any]:
    """Write m outputs of N+1 float64: pre-faulted vs numpy-allocated vs numba-allocated."""
    alloc_fill_nb(4, 1.0)  # compile or load outside the timing
    pre = [np.empty(n + 1) for _ in range(m)]
    fill_arrays(pre, 0.0)
    t_pre = measure(lambda: fill_arrays(pre), reps, budget)
    pre.clear()

    def numpy_fresh() -> None:
        outs = [np.empty(n + 1) for _ in range(m)]
        fill_arrays(outs)

    def numba_fresh() -> None:
        outs = [alloc_fill_nb(n + 1, 1.25) for _ in range(m)]
        del outs

    t_np = measure(numpy_fresh, reps, budget)
    t_nb = measure(numba_fresh, reps, budget)
    nbytes = m * (n + 1) * 8
    res: dict[str, Any] = {"n": n, "arrays": m, "bytes": nbytes}
    for k, t in (("prefaulted", t_pre), ("numpy_alloc", t_np), ("numba_alloc", t_nb)):
        res[k] = {**t.to_dict(), "GBps": nbytes / t.median / 1e9,
                  "ratio_vs_prefaulted": t.median / t_pre.median}
    return res


# ----------------------------------------------------------------------------- peak memory
_MEMORY_CHILD = r"""
import gc, json, sys
from benchmarks.common import make_ohlcv
from engine import Bars
from engine.drummond import DGParams, allocate, analyze, compute_into
from engine.warmup import warmup

def status():
    v = {}
    with open("/proc/self/status") as f:
        for line in f:
            k, _, rest = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                v[k] = int(rest.split()[0]) * 1024
    return v

def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")

n = int(sys.argv[1])
d = make_ohlcv(n)
bars = Bars.from_arrays(d["ts"], d["open"], d["high"], d["low"], d["close"], d["volume"])
del d
warmup()
gc.collect()
reset_peak()
s0 = status()
r = analyze(bars)
s1 = status()
out_bytes = sum(a.nbytes for a in r.arrays().values())
del r
gc.collect()
s_drop = status()
# compute_into on buffers that were already written once: the kernels alone.
p = DGParams()
out = allocate(n, p)
compute_into(bars.high, bars.low, bars.close, p, out)
reset_peak()
s2 = status()
compute_into(bars.high, bars.low, bars.close, p, out)
s3 = status()
print(json.dumps({"n": n, "out_bytes": out_bytes, "rss_before": s0["VmRSS"],
                  "hwm_before": s0["VmHWM"], "rss_after": s1["VmRSS"], "hwm_after": s1["VmHWM"],
                  "peak_delta": s1["VmHWM"] - s0["VmRSS"], "retained": s1["VmRSS"] - s0["VmRSS"],
                  "reuse_peak_delta": s3["VmHWM"] - s2["VmRSS"],
                  "retained_after_drop": s_drop["VmRSS"] - s0["VmRSS"]}))
"""


def bench_memory(n: int) -> dict[str, Any]:
    log(f"[memory n={n:.0e}] analyze peak RSS (subprocess)")
    with other_cores() as oc:
        _, out = run_py(_MEMORY_CHILD, args=(str(n),))
    res = json.loads(out)
    res["ratio"] = res["peak_delta"] / res["out_bytes"]
    res["other_cores"] = oc.cores
    return res
