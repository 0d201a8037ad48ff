"""Kernel speed: ``dg_core_nb`` vs its bandwidth bound and pandas; ``compute_into`` vs its bound
and the per-kernel breakdown. Every ratio is against a reference measured here at the same N."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.calls import (
    CORE_NAMES,
    check_kernel_list,
    check_same_outputs,
    core_specs,
    kernel_calls,
    pool_limit,
    readonly,
)
from benchmarks.common import Bound, RunCfg, Timing, bound, fill_arrays, log

Data = dict[str, np.ndarray]


# ------------------------------------------------------------------------------ pandas twins
def pandas_core_series(h: np.ndarray, lo: np.ndarray, c: np.ndarray) -> list[np.ndarray]:
    """The 8 core series with pandas Series: rolling(3) means, shift(1) onto N+1 rows."""
    import pandas as pd

    n = h.shape[0]
    H, L, C = pd.Series(h), pd.Series(lo), pd.Series(c)
    tp = (H + L + C) / 3.0
    ooh = 2.0 * tp - L
    ool = 2.0 * tp - H
    rng = H - L
    ext = pd.RangeIndex(n + 1)

    def proj(s: pd.Series) -> pd.Series:
        return s.reindex(ext).shift(1)

    pl = proj(tp.rolling(3).mean())
    series = [pl, proj(ooh.rolling(3).mean()), proj(ool.rolling(3).mean()),
              proj(rng.rolling(3).mean()), proj(tp), proj(ooh), proj(ool), pl.diff()]
    return [s.to_numpy() for s in series]


def pandas_core_frame(h: np.ndarray, lo: np.ndarray, c: np.ndarray) -> list[np.ndarray]:
    """Same with one DataFrame: a single rolling(3).mean() over 4 columns, one shift(1)."""
    import pandas as pd

    n = h.shape[0]
    tp = (h + lo + c) / 3.0
    src = pd.DataFrame({"tp": tp, "ooh": 2.0 * tp - lo, "ool": 2.0 * tp - h, "rng": h - lo})
    roll = src.rolling(3).mean()
    ext = pd.RangeIndex(n + 1)
    r = roll.reindex(ext).shift(1)
    one = src[["tp", "ooh", "ool"]].reindex(ext).shift(1)
    pl = r["tp"]
    return [pl.to_numpy(), r["ooh"].to_numpy(), r["ool"].to_numpy(), r["rng"].to_numpy(),
            one["tp"].to_numpy(), one["ooh"].to_numpy(), one["ool"].to_numpy(),
            pl.diff().to_numpy()]


PANDAS = {"series": pandas_core_series, "frame": pandas_core_frame}


# ------------------------------------------------------------------------------- 1. dg_core_nb
def core_runner(data: Data) -> Callable[[list[np.ndarray]], None]:
    """``dg_core_nb`` on the bars' H/L/C (read-only views, as ``compute_into`` passes them) with
    the default window and envelope, into the 8 given outputs."""
    from engine.nb.drummond import dg_core_nb

    H, L, C = (readonly(data[k]) for k in ("high", "low", "close"))

    def run(o: list[np.ndarray]) -> None:
        dg_core_nb(H, L, C, 3, False, *o)

    return run


def _bench_pandas(n: int, data: Data, want: list[np.ndarray],
                  cfg: RunCfg) -> dict[str, Timing]:
    """Check both pandas versions equal to the kernel's outputs, then time them."""
    H, L, C = (readonly(data[k]) for k in ("high", "low", "close"))
    res: dict[str, Timing] = {}
    for name, fn in PANDAS.items():
        got = fn(H, L, C)
        for k, (a, e) in enumerate(zip(got, want, strict=True)):
            np.testing.assert_allclose(a, e, rtol=1e-9, atol=1e-9,
                                       err_msg=f"pandas_{name} {CORE_NAMES[k]}")
        del got
        log(f"[core n={n:.0e}] pandas {name}")
        res[name] = cfg.measure(lambda fn=fn: fn(H, L, C),
                                reps=max(cfg.min_repeats, cfg.reps - 2),
                                budget_s=2 * cfg.budget_s)
        gc.collect()
    return res


def bench_core(n: int, data: Data, cfg: RunCfg) -> dict[str, Any]:
    """``dg_core_nb`` into reused outputs (the engine's staggered layout) vs its bound, vs 8
    separate ``np.empty`` outputs, and vs pandas (checked equal first)."""
    from engine._alloc import staggered_empty

    log(f"[core n={n:.0e}] bound")
    b = bound(3, 8, n, cfg, out_len=n + 1)
    run = core_runner(data)
    log(f"[core n={n:.0e}] kernel")
    outs = staggered_empty(core_specs(n), pool=None)  # allocated once, like a reused buffer
    fill_arrays(outs, 0.0)  # pre-fault
    t_reuse = cfg.measure(lambda: run(outs))
    log(f"[core n={n:.0e}] kernel, 8 separate np.empty outputs")
    sep = [np.empty(n + 1) for _ in range(8)]  # every one starts at the same page offset
    fill_arrays(sep, 0.0)
    t_sep = cfg.measure(lambda: run(sep))
    sep.clear()
    run(outs)
    pandas = _bench_pandas(n, data, outs, cfg)
    best = min(pandas, key=lambda k: pandas[k].median)
    return {
        "n": n, "bound": b.to_dict(), "reuse": t_reuse.to_dict(),
        "separate_reuse": t_sep.to_dict(), "separate_ratio": t_sep.median / t_reuse.median,
        "pandas": {k: v.to_dict() for k, v in pandas.items()}, "pandas_best": best,
        "ratio_vs_bound": t_reuse.median / b.seconds,
        "speedup_vs_pandas": pandas[best].median / t_reuse.median,
        "checked_equal_to_pandas": True,
        "input_offsets": sorted({int(data[k].ctypes.data % 4096)
                                 for k in ("high", "low", "close")}),
        "output_offsets": sorted({int(a.ctypes.data % 4096) for a in outs}),
    }


# ---------------------------------------------------------------------- 2. compute_into
def _breakdown(data: Data, p: Any, out: dict[str, np.ndarray], b: Bound,
               cfg: RunCfg) -> list[dict[str, Any]]:
    """Each kernel of ``compute_into``, called as it calls them, into reused buffers."""
    rows = []
    for kc in kernel_calls(data["high"], data["low"], data["close"], p, out):
        t = cfg.measure(kc.call)
        in_b = sum(a.nbytes for a in kc.ins)
        out_b = sum(a.nbytes for a in kc.outs)
        kb = in_b / (b.read_gbs * 1e9) + out_b / (b.write_gbs * 1e9)
        rows.append({"kernel": kc.name, "timing": t.to_dict(), "in_arrays": len(kc.ins),
                     "out_arrays": len(kc.outs), "in_bytes": in_b, "out_bytes": out_b,
                     "bound_s": kb, "ratio_vs_own_bound": t.median / kb})
    return rows


def _check_breakdown(data: Data, p: Any, got: dict[str, np.ndarray]) -> None:
    """The breakdown's kernel sequence must leave exactly what ``compute_into`` writes."""
    from engine.drummond import allocate, compute_into

    with pool_limit(0):  # a throw-away block: keep the pool's blocks as they are
        want = allocate(got["pldot"].shape[0] - 1, p)
    compute_into(data["high"], data["low"], data["close"], p, want)
    check_same_outputs(got, want)


def bench_full(n: int, data: Data, cfg: RunCfg) -> dict[str, Any]:
    """``compute_into`` (all fields, reused buffers) vs its fused bound; per-kernel breakdown."""
    from engine.drummond import DGParams, allocate, compute_into

    H, L, C = data["high"], data["low"], data["close"]
    p = DGParams()
    out = allocate(n, p)
    out_bytes = sum(a.nbytes for a in out.values())
    log(f"[full n={n:.0e}] bound ({out_bytes / 1e9:.2f} GB of outputs)")
    b = bound(3, 0, n, cfg, out_bytes=out_bytes)
    log(f"[full n={n:.0e}] compute_into")
    t_reuse = cfg.measure(lambda: compute_into(H, L, C, p, out))
    log(f"[full n={n:.0e}] per-kernel breakdown")
    breakdown = _breakdown(data, p, out, b, cfg)
    _check_breakdown(data, p, out)
    ksum = sum(k["timing"]["median"] for k in breakdown)
    multipass = sum(k["bound_s"] for k in breakdown)
    return {
        "n": n, "out_bytes": out_bytes, "out_arrays": len(out), "out_bytes_per_bar": out_bytes / n,
        "bound": b.to_dict(), "reuse": t_reuse.to_dict(),
        "ratio_vs_bound": t_reuse.median / b.seconds, "breakdown": breakdown,
        "breakdown_checked_equal": True, "kernel_list_check": check_kernel_list(),
        "kernel_sum_s": ksum, "python_overhead_s": t_reuse.median - ksum,
        "multipass_bound_s": multipass, "multipass_ratio": multipass / b.seconds,
    }
