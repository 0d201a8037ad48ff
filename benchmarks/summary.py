"""Targets, the flat list of every ratio row (RESULTS.json ``rows``, the smoke test), the
PASS/MISS summary and the findings: plain statements derived from this run's numbers."""

from __future__ import annotations

import math
from typing import Any

from benchmarks.common import MODE_LABEL, MODES

TARGETS = {
    "core_vs_bound": 1.5,        # dg_core_nb <= 1.5x its bound
    "core_vs_pandas": 20.0,      # >= 20x faster than pandas
    "full_vs_bound": 4.0,        # compute_into <= 4x its bound
    "alloc_ratio": 1.2,          # the engine's allocating paths <= 1.2x reused buffers
    "import_s": 0.3,             # import engine / engine.drummond (minus `python -c pass`)
    "warm_per_kernel_s": 0.025,  # warm-cache warmup per kernel, cache load
    "mem_ratio": 1.1,            # peak RSS delta of analyze / bytes of its outputs
}
T = TARGETS


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _row(key: str, ratio: float, limit: float | None = None, *, higher: bool = False,
         n: int | None = None) -> dict[str, Any]:
    """A ratio row; with ``limit`` it is a target (``ratio <= limit``, or ``>=`` if higher)."""
    res = None if limit is None else verdict(ratio >= limit if higher else ratio <= limit)
    return {"key": key, "n": n, "ratio": ratio, "target": limit,
            "target_higher_is_better": higher if limit is not None else None, "result": res}


def _size_rows(n: int, blk: dict[str, Any]) -> list[dict[str, Any]]:
    core, full, ac, af = blk["core"], blk["full"], blk["alloc_core"], blk["alloc_full"]
    rows = [
        _row("core.reuse_vs_bound", core["ratio_vs_bound"], T["core_vs_bound"], n=n),
        _row("core.separate_vs_bound", core["separate_reuse"]["median"]
             / core["bound"]["seconds"], n=n),
        *[_row(f"core.pandas_{k}_speedup", v["median"] / core["reuse"]["median"],
               T["core_vs_pandas"] if k == core["pandas_best"] else None, higher=True, n=n)
          for k, v in core["pandas"].items()],
        _row("full.compute_into_vs_bound", full["ratio_vs_bound"], T["full_vs_bound"], n=n),
        _row("full.multipass_bound_vs_bound", full["multipass_ratio"], n=n),
        *[_row(f"full.kernel.{k['kernel']}_vs_own_bound", k["ratio_vs_own_bound"], n=n)
          for k in full["breakdown"]],
        _row("alloc.allocate_compute_into_pool_on", af["pool_on"]["ratio"], T["alloc_ratio"],
             n=n),
        _row("alloc.core_staggered_empty_pool_on", ac["pool_on"]["ratio"], T["alloc_ratio"],
             n=n),
        _row("alloc.ref.allocate_compute_into_pool_off", af["pool_off"]["ratio"], n=n),
        _row("alloc.ref.core_staggered_empty_pool_off", ac["pool_off"]["ratio"], n=n),
        _row("alloc.ref.core_separate_np_empty", ac["separate"]["ratio"], n=n),
        _row("alloc.ref.analyze_bars", af["analyze"]["ratio"], n=n),
    ]
    for k, v in (blk.get("numba_alloc") or {}).items():
        if isinstance(v, dict) and "ratio_vs_prefaulted" in v:
            rows.append(_row(f"alloc.ref.fill_{k}_vs_prefaulted", v["ratio_vs_prefaulted"], n=n))
    return rows


def _startup_rows(res: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    imp, w, mem = res.get("import"), res.get("warmup"), res.get("memory")
    for m in MODES if imp else ():
        for k, v in imp[m].items():
            if isinstance(v, dict) and k != "pass":
                rows.append(_row(f"import.{m}.{k}_net_s", v["net_s"],
                                 T["import_s"] if v["target"] else None))
    for m in MODES if w else ():
        rows.append(_row(f"warmup.{m}.per_kernel_load_s", w[m]["per_kernel_load_s"],
                         T["warm_per_kernel_s"]))
        rows.append(_row(f"warmup.{m}.per_kernel_incl_numba_s",
                         w[m]["per_kernel_incl_numba_s"]))
    if mem:
        rows.append(_row("memory.peak_delta_vs_outputs", mem["ratio"], T["mem_ratio"]))
    return rows


def ratio_rows(res: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row with a ratio (or a per-kernel time), keyed; targets carry PASS/MISS."""
    rows = [r for n, blk in res["sizes"].items() for r in _size_rows(int(n), blk)]
    return rows + _startup_rows(res)


def nan_rows(rows: list[dict[str, Any]]) -> list[str]:
    return [r["key"] for r in rows if not math.isfinite(r["ratio"])]


def summary_rows(res: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(#, target, measured, PASS/MISS) at the main N, plus the start-up rows."""
    n = res["main_n"]
    blk = res["sizes"][str(n)]
    core, full = blk["core"], blk["full"]
    ac, af = blk["alloc_core"], blk["alloc_full"]
    best = core["pandas_best"]
    rows = [
        ("1", f"dg_core_nb <= {T['core_vs_bound']}x bound (N={n:.0e})",
         f"{core['ratio_vs_bound']:.2f}x", verdict(core["ratio_vs_bound"] <= T["core_vs_bound"])),
        ("1", f">= {T['core_vs_pandas']:.0f}x faster than pandas ({best})",
         f"{core['speedup_vs_pandas']:.1f}x",
         verdict(core["speedup_vs_pandas"] >= T["core_vs_pandas"])),
        ("2", f"compute_into <= {T['full_vs_bound']}x bound", f"{full['ratio_vs_bound']:.2f}x",
         verdict(full["ratio_vs_bound"] <= T["full_vs_bound"])),
        ("3", f"allocate(N) + compute_into (pool on) <= {T['alloc_ratio']}x reused",
         f"{af['pool_on']['ratio']:.2f}x", verdict(af["pool_on"]["ratio"] <= T["alloc_ratio"])),
        ("3", f"dg_core_nb into staggered_empty outputs (pool on) <= {T['alloc_ratio']}x reused",
         f"{ac['pool_on']['ratio']:.2f}x", verdict(ac["pool_on"]["ratio"] <= T["alloc_ratio"])),
    ]
    return rows + _startup_summary(res)


def _startup_summary(res: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    rows = []
    imp, w, mem = res.get("import"), res.get("warmup"), res.get("memory")
    for m in MODES if imp else ():
        for k in ("engine", "engine+drummond"):
            stmt = "import engine" + (", engine.drummond" if k != "engine" else "")
            net = imp[m][k]["net_s"]
            rows.append(("4", f"`{stmt}` <= {T['import_s'] * 1e3:.0f} ms (net of `python -c "
                         f"pass`), {MODE_LABEL[m]}", f"{net * 1e3:.0f} ms",
                         verdict(net <= T["import_s"])))
    for m in MODES if w else ():
        x = w[m]["per_kernel_load_s"]
        rows.append(("5", f"warm-cache warmup <= {T['warm_per_kernel_s'] * 1e3:.0f} ms per "
                     f"kernel, cache load (numba import + init excluded), {MODE_LABEL[m]}",
                     f"{x * 1e3:.1f} ms", verdict(x <= T["warm_per_kernel_s"])))
    if mem:
        rows.append(("6", f"analyze peak RSS <= {T['mem_ratio']}x outputs",
                     f"{mem['ratio']:.3f}x", verdict(mem["ratio"] <= T["mem_ratio"])))
    return rows


# ---------------------------------------------------------------------------------- findings
def findings(res: dict[str, Any]) -> list[str]:
    """Plain statements derived from this run's numbers (so a rerun cannot keep stale prose)."""
    out: list[str] = []
    m = res["machine"]
    if m["engine_sha256"] != res.get("engine_sha256_end", m["engine_sha256"]):
        out.append("* **The engine source changed while this ran** (fingerprint "
                   f"`{m['engine_sha256']}` -> `{res['engine_sha256_end']}`): rerun.")
    out += _kernel_findings(res) + _alloc_findings(res) + _startup_findings(res)
    other = [r for r in ratio_rows(res) if r["result"] == "MISS" and r["n"] not in
             (None, res["main_n"])]
    if other:
        out.append("* Outside the summary (which uses N = " + f"{res['main_n']:.0e}" + "), "
                   "targets missed at another N: " + "; ".join(
                       f"`{r['key']}` at N = {r['n']:.0e}: {r['ratio']:.2f}x (target "
                       f"{'>=' if r['target_higher_is_better'] else '<='} {r['target']}x)"
                       for r in other) + ".")
    misses = [r for r in summary_rows(res) if r[3] == "MISS"]
    if misses:
        out.append("* Missed targets: " + "; ".join(f"#{r[0]} {r[1]}: {r[2]}" for r in misses)
                   + ".")
    else:
        out.append(f"* Every target passes (kernel rows at N = {res['main_n']:.0e}).")
    return out


def _kernel_findings(res: dict[str, Any]) -> list[str]:
    n = res["main_n"]
    core, full = res["sizes"][str(n)]["core"], res["sizes"][str(n)]["full"]
    ocs = [core["reuse"]["other_cores"], full["reuse"]["other_cores"],
           core["bound"]["write"]["other_cores"], full["bound"]["write"]["other_cores"]]
    out = [f"* Noise: other processes used up to {max(ocs):.2f} cores during the N={n:.0e} "
           "kernel and bound rows" + (" - treat the ratios as approximate." if max(ocs) > 0.3
                                      else " (quiet enough for the ratios to hold)."),
           f"* `dg_core_nb` runs at {core['ratio_vs_bound']:.2f}x its bandwidth bound "
           f"({core['reuse']['median'] * 1e3:.1f} vs {core['bound']['seconds'] * 1e3:.1f} ms) "
           f"and {core['speedup_vs_pandas']:.0f}x faster than the faster pandas version."]
    if core["separate_ratio"] > 1.15:
        out.append(f"* Array placement matters: with 8 separate `np.empty` outputs (all at the "
                   f"same page offset) `dg_core_nb` takes {core['separate_ratio']:.2f}x the "
                   "staggered layout (4K aliasing of the output streams).")
    bk = sorted(full["breakdown"], key=lambda k: -k["timing"]["median"])
    top = bk[0]
    out.append(
        f"* The full analyze is {full['ratio_vs_bound']:.2f}x its fused bound. It makes "
        f"{len(bk)} passes that re-read H/L/C and intermediate series; the sum of the kernels' "
        f"own bounds (multi-pass bound) is {full['multipass_bound_s'] * 1e3:.0f} ms = "
        f"{full['multipass_ratio']:.2f}x the fused bound. The largest share is "
        f"`{top['kernel']}` ({top['timing']['median'] * 1e3:.0f} ms, "
        f"{top['timing']['median'] / full['reuse']['median']:.0%}, "
        f"{top['ratio_vs_own_bound']:.1f}x its own bound).")
    slow = [k for k in bk if k["ratio_vs_own_bound"] > 2.0]
    if slow:
        out.append("* Kernels more than 2x over their own I/O bound: " + ", ".join(
            f"`{k['kernel']}` {k['ratio_vs_own_bound']:.1f}x "
            f"({k['timing']['median'] / n * 1e9:.2f} ns/bar)" for k in slow)
            + " - compute-, latency- or branch-bound rather than bandwidth-bound.")
    return out


def _alloc_findings(res: dict[str, Any]) -> list[str]:
    n = res["main_n"]
    blk = res["sizes"][str(n)]
    ac, af, al = blk["alloc_core"], blk["alloc_full"], blk.get("numba_alloc")
    out = [f"* With the engine's block pool on (as shipped), `allocate(N)` + `compute_into` is "
           f"{af['pool_on']['ratio']:.2f}x and `dg_core_nb` into `staggered_empty` outputs "
           f"{ac['pool_on']['ratio']:.2f}x the reused-buffer time"
           + (f" ({ac['pool_on']['fresh']['median'] / ac['section1_reuse_s']:.2f}x against "
              "section 1's reference)" if "section1_reuse_s" in ac else "")
           + ": a repeated analysis writes into pages the pool kept (already mapped, no "
           "first-touch zeroing)."]
    for lbl, x in (("`allocate` + `compute_into`", af), ("`dg_core_nb`", ac)):
        off = x["pool_off"]
        extra = off["fresh"]["median"] - x["reuse_s"]
        if off["ratio"] < 1.05:
            out.append(f"* Pool off (reference), fresh memory costs {lbl} nothing measurable "
                       f"here ({off['ratio']:.2f}x).")
            continue
        out.append(f"* Pool off (reference), fresh memory costs {lbl} {extra * 1e3:.0f} ms more "
                   f"per call ({off['ratio']:.2f}x): {x['out_bytes'] / 1e6:,.0f} MB of new "
                   f"pages, {extra / x['out_bytes'] * 1e9:.2f} ns per byte of page faults and "
                   "zeroing.")
    mem = res.get("memory")
    if mem and mem["retained_after_drop"] > 0.5 * mem["out_bytes"]:
        out.append(f"* The pool's price: {mem['retained_after_drop'] / 1e6:,.0f} MB of RSS stays "
                   f"with the process after the result of `analyze` at N={mem['n']:.0e} is "
                   "dropped (kept for the next call; `engine.output_pool.clear()` releases it).")
    if al:
        out.append(
            f"* Numba-allocated outputs write at {al['numba_alloc']['GBps']:.1f} GB/s vs "
            f"{al['numpy_alloc']['GBps']:.1f} GB/s numpy-allocated and "
            f"{al['prefaulted']['GBps']:.1f} GB/s pre-faulted "
            f"({al['numba_alloc']['ratio_vs_prefaulted']:.1f}x / "
            f"{al['numpy_alloc']['ratio_vs_prefaulted']:.1f}x the pre-faulted time)"
            + (": the baseline doc's THP finding holds here."
               if al["numba_alloc"]["GBps"] < 0.8 * al["numpy_alloc"]["GBps"] else "."))
    return out


def _startup_findings(res: dict[str, Any]) -> list[str]:
    out = []
    imp = res.get("import")
    if imp:
        x = imp["as_installed"]
        loaded = x["engine+drummond"]["numba_loaded"]
        out.append(f"* `import engine, engine.drummond` costs "
                   f"{x['engine+drummond']['net_s'] * 1e3:.0f} ms net and "
                   + ("**still loads numba**." if loaded else "does not load numba")
                   + f" (`import engine` alone {x['engine']['net_s'] * 1e3:.0f} ms; "
                   f"`import numba` alone, reference, {x['numba']['net_s'] * 1e3:.0f} ms).")
    w = res.get("warmup")
    if w:
        x = w["as_installed"]
        fixed = x["numba_import_s"] + x["numba_init_s"]
        out.append(
            f"* Warm-cache `warmup()` in a fresh process takes {x['warmup_s'] * 1e3:.0f} ms for "
            f"{x['compiled_kernels']} kernels. Split within one process (median total "
            f"{x['split_total_s'] * 1e3:.0f} ms), {fixed * 1e3:.0f} ms is a fixed numba cost "
            f"(`import numba` {x['numba_import_s'] * 1e3:.0f} ms + one-time initialisation "
            f"{x['numba_init_s'] * 1e3:.0f} ms), paid once per process by the thread that runs "
            "`warmup()` (by design the start-up worker thread"
            + ("" if w.get("app_callers") else "; no code in `drummond_desktop/` calls it yet")
            + f"); the rest, {x['cache_load_s'] * 1e3:.0f} ms, is "
            f"{x['per_kernel_load_s'] * 1e3:.1f} ms per kernel (the target row). Counting the "
            f"fixed cost per kernel gives {x['per_kernel_incl_numba_s'] * 1e3:.0f} ms per kernel "
            "(reference only).")
    return out
