"""RESULTS.md sections of the subprocess rows: cold import, warm-up, peak memory."""

from __future__ import annotations

import statistics
from typing import Any

from benchmarks.common import MODE_LABEL, MODES
from benchmarks.summary import T, verdict

Lines = list[str]


def _import_intro(imp: dict[str, Any]) -> Lines:
    nf = imp["numba_files"]
    has_pyc = nf["pyc"] >= 0.9 * nf["py"]
    return [
        f"## 4. Cold import (fresh subprocess, median of {imp['runs']}, warm OS file cache)\n",
        "Targets: `import engine` and `import engine, engine.drummond` (numba-free: the kernel "
        "modules, and with them numba, load with the first analysis). `import numpy` and "
        "`import numba` are reference rows. Two bytecode set-ups. *as installed*: this venv as "
        "it is, with writing `.pyc` switched off - numba's package held "
        f"{nf['pyc']} `.pyc` files for {nf['py']} `.py` files during this run, so "
        + ("its modules load from bytecode (the two set-ups should agree)."
           if has_pyc else "modules without bytecode are compiled from source in every process.")
        + " *bytecode cached*: `.pyc` of every module in a temporary `PYTHONPYCACHEPREFIX`, "
        "primed by one run (what an install with compiled bytecode gives).\n"]


def import_section(imp: dict[str, Any]) -> Lines:
    from benchmarks.bench_startup import IMPORTS

    out = [*_import_intro(imp),
           "| command | as installed: wall ms | minus `pass` | in-process | bytecode cached: "
           "wall ms | minus `pass` | in-process | numba loaded | target | result (as installed"
           " / bytecode) |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for k, (stmt, target) in IMPORTS.items():
        cells = []
        for m in MODES:
            v = imp[m][k]
            net = "" if k == "pass" else f"{v['net_s'] * 1e3:.0f}"
            cells.append(f"{v['wall_s'] * 1e3:.0f} | {net} | {v['in_process_s'] * 1e3:.0f}")
        loaded = "yes" if any(imp[m][k]["numba_loaded"] for m in MODES) else "no"
        tgt = f"<= {T['import_s'] * 1e3:.0f} ms (net)" if target else "reference"
        ok = " / ".join(verdict(imp[m][k]["net_s"] <= T["import_s"]) for m in MODES)
        out.append(f"| `python -c \"{stmt}\"` | {cells[0]} | {cells[1]} | {loaded} | "
                   f"{tgt if k != 'pass' else ''} | {ok if target else ''} |")
    top = "; ".join(f"{MODE_LABEL[m]}: " + ", ".join(
        f"`{r['module']}` {r['cumulative_ms']:.0f}" for r in imp[m]["importtime_top"][:5])
        for m in MODES)
    out.append(f"\nother_cores over the import runs: {imp['other_cores']:.2f}. Largest "
               f"cumulative imports of `import engine.drummond` (`-X importtime`, one run, ms): "
               f"{top}\n")
    return out


def _warmup_intro(w: dict[str, Any]) -> Lines:
    wi = w["as_installed"]
    sigs = ", ".join(f"`{k.split('.')[-1]}` {v['signatures']}" for k, v in wi["kernels"].items())
    return [
        "## 5. Warm-up (`engine.warmup.warmup()` in a fresh subprocess)\n",
        f"{wi['dispatchers']} numba dispatchers in `engine.nb.*`; after `warmup()` "
        f"{wi['compiled_kernels']} of them are compiled, with {wi['signatures']} signatures in "
        f"total ({sigs}; the helpers with 0 are inlined into their callers). Numba cache: a "
        "temporary `NUMBA_CACHE_DIR`, empty for the cold run, then reused; cache misses in the "
        f"warm runs: {wi['cache_misses']} / {w['bytecode']['cache_misses']} (probe kernels: "
        f"{wi['probe_cache_misses']} / {w['bytecode']['probe_cache_misses']}). Before the timed "
        f"call the child imports `engine.drummond, engine.warmup` ({wi['import_s'] * 1e3:.0f} ms"
        "; numba loaded by then: " + ("**yes**" if wi["numba_before"] else "no") + "), so "
        "`warmup()` includes `import numba`.\n",
        "The split: a second set of fresh processes runs the same warm-up in steps: (a) "
        "`import numba`; the first tiny cached kernel load (`benchmarks/_probe.py`), which pays "
        "numba's one-time initialisation, and a second one (what any cache load costs), so (b) "
        "= first - second; then (c) `warmup()`. Each value is taken per process - total - (a) "
        "- (b) of the same process = the second tiny load + (c) - and the table shows the "
        f"medians over {w['runs']} processes. Per-kernel figures divide by the "
        f"{wi['compiled_kernels']} compiled kernels ({wi['signatures']} signatures).\n"]


def _warm_row(w: dict[str, Any], label: str, key: str, fmt: str = "{:,.0f}",
              scale: float = 1e3, target: str = "", limit: float | None = None) -> str:
    cells = " | ".join(fmt.format(w[m][key] * scale) for m in MODES)
    res = "" if limit is None else " / ".join(verdict(w[m][key] <= limit) for m in MODES)
    return f"| {label} | {cells} | {target} | {res} |"


def _warmup_table(w: dict[str, Any]) -> Lines:
    k = w["as_installed"]["compiled_kernels"]
    c = w["cold"]
    lim = T["warm_per_kernel_s"]
    return [
        "| warm numba cache, median of " + str(w["runs"]) + " | as installed ms | bytecode cached"
        " ms | target | result (as installed / bytecode) |", "| --- | --- | --- | --- | --- |",
        _warm_row(w, "`warmup()` total, as the app runs it (fresh process)", "warmup_s"),
        _warm_row(w, "split process: total = (a) + both tiny loads + (c)", "split_total_s"),
        _warm_row(w, "(a) `import numba` (fixed, once per process)", "numba_import_s"),
        _warm_row(w, "(b) numba one-time initialisation (fixed, once per process)",
                  "numba_init_s"),
        _warm_row(w, "total - (a) - (b): kernel modules, cache loads, `analyze`'s Python",
                  "cache_load_s"),
        _warm_row(w, f"**per kernel, cache load** = (total - (a) - (b)) / {k}",
                  "per_kernel_load_s", "{:.1f}", target=f"<= {lim * 1e3:.0f} ms", limit=lim),
        _warm_row(w, f"per kernel incl. numba import + init = `warmup()` total / {k} "
                  "(reference, not the target)", "per_kernel_incl_numba_s", "{:.1f}"),
        f"| cold numba cache (compile + write cache): `warmup()` total / per kernel | "
        f"{c['warmup_s'] * 1e3:,.0f} / {c['per_kernel_s'] * 1e3:.0f} | | reference | |"]


def _callers(w: dict[str, Any]) -> str:
    callers = w.get("app_callers") or []
    if callers:
        return "The app calls `warmup()` in " + ", ".join(f"`{c}`" for c in callers) + "."
    return ("**No code in `drummond_desktop/` calls `warmup()` yet**, so today the first "
            "analysis in a process pays this fixed cost, on whichever thread runs it.")


def warmup_section(w: dict[str, Any]) -> Lines:
    x = w["as_installed"]
    fixed = x["numba_import_s"] + x["numba_init_s"]
    out = [*_warmup_intro(w), *_warmup_table(w), "",
           f"The fixed numba cost, (a) + (b) = {fixed * 1e3:.0f} ms as installed (`import "
           f"numba` {x['numba_import_s'] * 1e3:.0f} ms + initialisation "
           f"{x['numba_init_s'] * 1e3:.0f} ms), is paid once per process, by the thread that "
           "runs `warmup()` (by design the start-up worker thread, `engine/README.md`), however "
           "many kernels there are. " + _callers(w) + " Spread over the kernels it would read "
           f"{x['per_kernel_incl_numba_s'] * 1e3:.0f} ms per kernel; the target row excludes "
           "it and charges everything else (the kernel modules' import, the cache loads, "
           "`analyze` and `next_bar_map` on the tiny bars) to the kernels. (c) alone, "
           f"`warmup()` after (a) and (b), is {x['rest_direct_s'] * 1e3:.0f} ms."]
    for m in MODES:
        y = w[m]
        pk = y["first_calls"]
        rest = statistics.mean(r["first_call_s"] for r in pk[1:])
        out.append(f"\n*{MODE_LABEL[m]}*: first call of each `compute_into` kernel in a fresh "
                   f"process after `import numba` and the kernel modules "
                   f"({y['kernel_modules_s'] * 1e3:.0f} ms), median of {w['runs']}, ms: "
                   + ", ".join(f"`{r['kernel']}` {r['first_call_s'] * 1e3:.1f}" for r in pk)
                   + f" - the first pays numba's initialisation, the other {len(pk) - 1} "
                   f"average {rest * 1e3:.1f} ms. other_cores {y['other_cores']:.2f}.")
    return [*out, ""]


def memory_section(mem: dict[str, Any]) -> Lines:
    return [
        f"## 6. Memory: peak RSS of `analyze` at N = {mem['n']:.0e} (fresh subprocess)\n",
        "| measure | MB |\n| --- | --- |",
        f"| bytes of the result's arrays | {mem['out_bytes'] / 1e6:,.1f} |",
        f"| peak RSS increase during `analyze(bars)` (VmHWM reset just before) | "
        f"{mem['peak_delta'] / 1e6:,.1f} |",
        f"| RSS retained after it returns | {mem['retained'] / 1e6:,.1f} |",
        f"| RSS still held after the result is dropped (`del result; gc.collect()`) | "
        f"{mem['retained_after_drop'] / 1e6:,.1f} |",
        f"| peak RSS increase of `compute_into` on already-written buffers | "
        f"{mem['reuse_peak_delta'] / 1e6:,.1f} |",
        f"\nPeak delta / output bytes = **{mem['ratio']:.3f}x** (target <= {T['mem_ratio']}x: "
        f"{verdict(mem['ratio'] <= T['mem_ratio'])}); other_cores {mem['other_cores']:.2f}.\n"]
