"""Start-up cost in fresh subprocesses: cold imports, and ``engine.warmup.warmup()`` with a cold
and a warm numba cache, split into ``import numba``, numba's one-time initialisation and the
per-kernel cache loads."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import MODE_LABEL, MODES, ROOT, log, other_cores, run_py


def child_env(mode: str, pyc_dir: str, **extra: str) -> dict[str, str]:
    """Two bytecode set-ups for the subprocess rows. "as installed": the environment as it is,
    with writing .pyc files switched off (a run never writes into the venv): modules without a
    .pyc next to them compile from source in every process. "bytecode cached": .pyc files of
    every module (stdlib, site-packages, engine) in a temporary PYTHONPYCACHEPREFIX, primed by
    one run - what an install with compiled bytecode gives."""
    env = {**os.environ, **extra}
    if mode == "as_installed":
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pyc_dir
    return env


def numba_files() -> dict[str, int]:
    """.py and .pyc files under numba's package directory (does the install carry bytecode?)."""
    import numba

    root = Path(numba.__file__).parent
    return {"py": sum(1 for _ in root.rglob("*.py")), "pyc": sum(1 for _ in root.rglob("*.pyc"))}


# ------------------------------------------------------------------------------------ import
_IMPORT_TIMED = ("import sys, time; _t = time.perf_counter(); {stmt}; "
                 "print(time.perf_counter() - _t, 'numba' in sys.modules)")
# key: (statement, is a target row)
IMPORTS = {
    "pass": ("pass", False),
    "numpy": ("import numpy", False),
    "numba": ("import numba", False),
    "engine": ("import engine", True),
    "engine+drummond": ("import engine, engine.drummond", True),
}


def _import_runs(runs: int, envs: dict[str, dict[str, str]]) -> dict[tuple[str, str], list]:
    """Round-robin fresh processes (drift hits every variant alike): (wall, in-process, numba
    loaded) per (mode, variant)."""
    out: dict[tuple[str, str], list] = {(m, k): [] for m in MODES for k in IMPORTS}
    for _ in range(runs):
        for m in MODES:
            for k, (stmt, _) in IMPORTS.items():
                wall, text = run_py(_IMPORT_TIMED.format(stmt=stmt), envs[m])
                t, loaded = text.split()
                out[m, k].append((wall, float(t), loaded == "True"))
    return out


def importtime_top(env: dict[str, str], stmt: str = "import engine.drummond") -> list[dict]:
    """Largest cumulative imports of ``stmt`` (``-X importtime``, one run), depth <= 2."""
    r = subprocess.run([sys.executable, "-X", "importtime", "-c", stmt], cwd=ROOT,
                       capture_output=True, text=True, check=False, env=env)
    rows = []
    for line in r.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].rstrip()
            depth = (len(name) - len(name.lstrip())) // 2
            rows.append((int(parts[1]), depth, name.strip()))
    return [{"module": mod, "cumulative_ms": c / 1000, "depth": d}
            for c, d, mod in sorted(rows, reverse=True) if d <= 2][:10]


def bench_import(runs: int, pyc_dir: str) -> dict[str, Any]:
    log(f"[import] {runs} rounds x {len(IMPORTS)} variants x {len(MODES)} bytecode modes")
    envs = {m: child_env(m, pyc_dir) for m in MODES}
    for m in MODES:  # warm the OS file cache (a second launch) and prime the .pyc prefix
        run_py("import engine, engine.drummond, numba", envs[m])
    with other_cores() as oc:
        samples = _import_runs(runs, envs)
    res: dict[str, Any] = {"runs": runs, "other_cores": oc.cores, "steal": oc.steal,
                           "numba_files": numba_files()}
    for m in MODES:
        pass_wall = statistics.median(s[0] for s in samples[m, "pass"])
        res[m] = {}
        for k, (_, target) in IMPORTS.items():
            s = samples[m, k]
            w = statistics.median(x[0] for x in s)
            res[m][k] = {"wall_s": w, "net_s": w - pass_wall, "target": target,
                         "in_process_s": statistics.median(x[1] for x in s),
                         "numba_loaded": any(x[2] for x in s), "walls": [x[0] for x in s]}
        res[m]["importtime_top"] = importtime_top(envs[m])
    return res


# ------------------------------------------------------------------------------------ warmup
_KERNEL_STATS = r"""
import importlib, pkgutil
from numba.core.dispatcher import Dispatcher
import engine.nb
kernels = {}
for info in pkgutil.iter_modules(engine.nb.__path__):
    mod = importlib.import_module("engine.nb." + info.name)
    for name, obj in vars(mod).items():
        if isinstance(obj, Dispatcher) and obj.py_func.__module__ == mod.__name__:
            st = obj.stats
            kernels[mod.__name__ + "." + name] = {
                "signatures": len(obj.signatures),
                "cache_hits": sum(st.cache_hits.values()),
                "cache_misses": sum(st.cache_misses.values())}
"""

# warmup() as the app runs it: numba loads inside it (engine.drummond is numba-free).
_WARMUP_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import engine.drummond, engine.warmup
t1 = time.perf_counter()
numba_before = "numba" in sys.modules
steps = engine.warmup.warmup()
t2 = time.perf_counter()
""" + _KERNEL_STATS + r"""
print(json.dumps({"import_s": t1 - t0, "numba_before": numba_before, "warmup_s": t2 - t1,
                  "steps": steps, "kernels": kernels}))
"""

# The same process split: (a) import numba, (b) the first tiny cached kernel load (numba's
# one-time initialisation + that load) and a second one (a load alone), (c) warmup() after them.
_SPLIT_CHILD = r"""
import json, sys, time
import numpy as np
import engine.drummond, engine.warmup
numba_before = "numba" in sys.modules
t0 = time.perf_counter()
import numba
t1 = time.perf_counter()
from benchmarks import _probe
x = np.ones(8)
_probe.probe_first(x)
t2 = time.perf_counter()
_probe.probe_second(x)
t3 = time.perf_counter()
engine.warmup.warmup()
t4 = time.perf_counter()
misses = sum(sum(f.stats.cache_misses.values()) for f in (_probe.probe_first, _probe.probe_second))
print(json.dumps({"numba_import_s": t1 - t0, "first_load_s": t2 - t1, "second_load_s": t3 - t2,
                  "rest_s": t4 - t3, "numba_before": numba_before, "probe_cache_misses": misses}))
"""

# First call of each compute_into kernel in a fresh process, after import numba and the kernel
# modules: the first pays numba's one-time initialisation, the rest their cache load.
_FIRST_CALL_CHILD = r"""
import json, time
import numpy as np
import engine.drummond
from benchmarks.calls import kernel_calls
from engine.drummond import DGParams, allocate
from engine.warmup import _tiny_bars
import numba
t0 = time.perf_counter()
import engine.nb.drummond, engine.nb.patterns, engine.nb.states
modules_s = time.perf_counter() - t0
b = _tiny_bars()
H, L, C = (np.array(a) for a in (b.high, b.low, b.close))
p = DGParams()
out = allocate(len(b), p)
res = []
for kc in kernel_calls(H, L, C, p, out):
    t = time.perf_counter()
    kc.call()
    res.append((kc.name, time.perf_counter() - t))
print(json.dumps({"modules_s": modules_s, "calls": res}))
"""


def _run_json(code: str, env: dict[str, str]) -> dict[str, Any]:
    wall, out = run_py(code, env)
    return {**json.loads(out), "process_wall_s": wall}


def _warm_runs(runs: int, env: dict[str, str]) -> tuple[list, list, list, float]:
    """Round-robin fresh processes with a warm cache: plain warmup, split, first calls."""
    plain, split, first = [], [], []
    with other_cores() as oc:
        for _ in range(runs):
            plain.append(_run_json(_WARMUP_CHILD, env))
            split.append(_run_json(_SPLIT_CHILD, env))
            first.append(_run_json(_FIRST_CALL_CHILD, env))
    return plain, split, first, oc.cores


def _med(rows: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def _summarise(plain: list, split: list, first: list, oc: float) -> dict[str, Any]:
    """Medians and the per-kernel figures of one bytecode mode (warm numba cache).

    (a), (b) and the kernel part are paired within each split process (total - (a) - (b) of
    the same process = the second probe load + (c)), then the median is taken: subtracting
    medians of different processes would mix in process-to-process variation."""
    kernels = plain[-1]["kernels"]
    compiled = [k for k, v in kernels.items() if v["signatures"]]
    n_k = max(len(compiled), 1)
    total = _med(plain, "warmup_s")
    for r in split:
        r["total_s"] = r["numba_import_s"] + r["first_load_s"] + r["second_load_s"] + r["rest_s"]
        r["init_s"] = r["first_load_s"] - r["second_load_s"]
        r["load_s"] = r["total_s"] - r["numba_import_s"] - r["init_s"]
    calls = [{"kernel": name, "first_call_s": statistics.median(r["calls"][i][1] for r in first)}
             for i, (name, _) in enumerate(first[0]["calls"])]
    return {
        "runs": plain, "split_runs": split, "first_call_runs": first, "other_cores": oc,
        "import_s": _med(plain, "import_s"),
        "numba_before": any(r["numba_before"] for r in plain + split),
        "warmup_s": total, "split_total_s": _med(split, "total_s"),
        "numba_import_s": _med(split, "numba_import_s"), "numba_init_s": _med(split, "init_s"),
        "first_load_s": _med(split, "first_load_s"),
        "second_load_s": _med(split, "second_load_s"),
        "rest_direct_s": _med(split, "rest_s"), "cache_load_s": _med(split, "load_s"),
        "dispatchers": len(kernels), "compiled_kernels": len(compiled),
        "signatures": sum(v["signatures"] for v in kernels.values()), "kernels": kernels,
        "per_kernel_incl_numba_s": total / n_k,
        "per_kernel_load_s": _med(split, "load_s") / n_k,
        "cache_misses": sum(v["cache_misses"] for v in kernels.values()),
        "probe_cache_misses": max(r["probe_cache_misses"] for r in split),
        "kernel_modules_s": _med(first, "modules_s"), "first_calls": calls,
    }


def warmup_callers() -> list[str]:
    """Files of the app (``drummond_desktop/``) that call ``warmup(``: who pays the fixed cost
    on a worker thread at start-up, and whether anyone does yet."""
    root = ROOT / "drummond_desktop"
    return sorted(str(p.relative_to(ROOT)) for p in root.rglob("*.py")
                  if "warmup(" in p.read_text(encoding="utf-8", errors="replace"))


def bench_warmup(runs: int, pyc_dir: str) -> dict[str, Any]:
    tmp = tempfile.mkdtemp(prefix="dd-bench-numba-")
    envs = {m: child_env(m, pyc_dir, NUMBA_CACHE_DIR=tmp) for m in MODES}
    res: dict[str, Any] = {"runs": runs, "app_callers": warmup_callers()}
    try:
        log("[warmup] cold (empty NUMBA_CACHE_DIR: compile + write cache), as installed")
        with other_cores() as oc_cold:
            res["cold"] = _run_json(_WARMUP_CHILD, envs["as_installed"])
        res["cold"]["other_cores"] = oc_cold.cores
        for m in MODES:  # compile the probes into the cache, prime the .pyc prefix
            run_py(_SPLIT_CHILD, envs[m])
        for m in MODES:
            log(f"[warmup] warm cache x{runs} (warmup / split / first calls), {MODE_LABEL[m]}")
            res[m] = _summarise(*_warm_runs(runs, envs[m]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    n_k = max(res["as_installed"]["compiled_kernels"], 1)
    res["cold"]["per_kernel_s"] = res["cold"]["warmup_s"] / n_k
    return res
