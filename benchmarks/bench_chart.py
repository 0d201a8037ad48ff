"""Chart benchmarks (issue 4, Performance): frame times at 1e6 candles vs a pyqtgraph line
reference, start to first drawn chart vs importing the GUI stack, resident memory.

    .venv/bin/python benchmarks/bench_chart.py [--n 1000000] [--quick] [--no-write]

Ratios in one run; every target prints PASS or MISS and the script exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks.common import ROOT, log, machine_info, other_cores, run_py

REF_IMPORT = ("import PySide6.QtCore, PySide6.QtGui, PySide6.QtWidgets, pyqtgraph, numpy, "
              "numba")
APP = ("import sys; from drummond_desktop.bootstrap import main; "
       "raise SystemExit(main(['--demo', '--screenshot', sys.argv[1]]))")
MEM = """
import json, sys, os
os.environ.setdefault('QT_QPA_PLATFORM', 'offscreen')
def rss():
    d = dict(l.split(':', 1) for l in open('/proc/self/status'))
    return {k: int(d[k].split()[0]) / 1024 for k in ('VmRSS', 'VmHWM')}
from benchmarks.chart_frames import build_data, qapp, make_chart
from drummond_desktop.app.chart.chart_widget import RIGHT_MARGIN
app = qapp(); out = {'imports': rss()}
n = int(sys.argv[1])
bars, result, zs = build_data(n); out['data'] = rss()
cw = make_chart(bars, result, zs, dg_on=True)
for x0, x1 in ((-0.5, n - 0.5 + RIGHT_MARGIN), (n - 200.5, n - 0.5 + RIGHT_MARGIN),
               (n * 0.3, n * 0.9)):
    cw.set_x_range(x0, x1); cw.grab()
app.processEvents(); out['drawn'] = rss()
out['data_mb'] = (sum(getattr(bars, c).nbytes for c in ('ts','open','high','low','close','volume'))
                  / 2**20)
import numpy as np
out['result_mb'] = sum(v.nbytes for v in vars(result).values() if isinstance(v, np.ndarray)) / 2**20
print(json.dumps(out))
"""


def child_env(tmp: Path, cache: Path) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", NUMBA_CACHE_DIR=str(cache))
    for k in ("DATA", "CONFIG", "CACHE", "LOG"):
        env[f"DRUMMOND_{k}_DIR"] = str(tmp / k.lower())
    return env


def bench_startup(reps: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-chart-"))
    try:
        warm, cold = tmp / "numba-warm", tmp / "numba-cold"
        env = child_env(tmp, warm)
        png = tmp / "shot.png"
        run_py(APP, env, (str(png),))  # primes the warm cache (and the OS file cache)
        run_py(REF_IMPORT, env)
        rows: dict[str, list[float]] = {"pass": [], "ref": [], "app": []}
        with other_cores() as oc:
            for _ in range(reps):  # round-robin
                rows["pass"].append(run_py("pass", env)[0])
                rows["ref"].append(run_py(REF_IMPORT, env)[0])
                png.unlink(missing_ok=True)
                rows["app"].append(run_py(APP, env, (str(png),))[0])
        png_ok = png.exists() and png.stat().st_size > 10_000
        with other_cores() as oc_cold:
            cold_s = run_py(APP, child_env(tmp, cold), (str(png),))[0]
        med = {k: statistics.median(v) for k, v in rows.items()}
        return {"samples_s": rows, "median_s": med, "cold_s": cold_s, "png_ok": png_ok,
                "other_cores": oc.cores, "other_cores_cold": oc_cold.cores,
                "ratio": med["app"] / med["ref"]}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def bench_memory(n: int) -> dict[str, Any]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    _, out = run_py(MEM, env, (str(n),))
    return json.loads(out.strip().splitlines()[-1])


def targets(fr: dict[str, Any], st: dict[str, Any] | None,
            mem: dict[str, Any] | None) -> list[dict[str, Any]]:
    v = fr["variants"]
    rows = []
    for sc in v["line_ref"]:
        ref, c, d = v["line_ref"][sc], v["candles"][sc], v["dg"][sc]
        oc = max(ref["other_cores"], c["other_cores"], d["other_cores"])
        rows.append({"key": f"{sc} candles median / line median", "ratio":
                     c["median_ms"] / ref["median_ms"], "target": 2.0, "other_cores": oc})
        rows.append({"key": f"{sc} candles worst / line worst", "ratio":
                     c["worst_ms"] / ref["worst_ms"], "target": 3.0, "other_cores": oc})
        rows.append({"key": f"{sc} DG layer median / candles median", "ratio":
                     d["median_ms"] / c["median_ms"], "target": 1.3, "other_cores": oc})
    if st is not None:
        rows.append({"key": "start to first chart (warm cache) / GUI-stack import",
                     "ratio": st["ratio"], "target": 3.0, "other_cores": st["other_cores"]})
    if mem is not None:
        rows.append({"key": "RSS with 1e6 bars + DG layer drawn (MB)",
                     "ratio": mem["drawn"]["VmRSS"], "target": 600.0, "other_cores": 0.0})
    for r in rows:
        r["status"] = "PASS" if r["ratio"] <= r["target"] else "MISS"
    return rows


def fmt(x: float, d: int = 2) -> str:
    return f"{x:,.{d}f}"


def report(res: dict[str, Any]) -> str:
    fr, st, mem, info = res["frames"], res["startup"], res["memory"], res["machine"]
    m = ["# Chart benchmarks (issue 4, Performance)", "",
         f"Run {info['date']}; {info['cpu']}, {info['cores']} vCPU, {info['mem_GiB']} GiB, "
         f"Python {info['python']}, numpy {info['numpy']}, numba {info['numba']}, "
         f"PySide6 {res['pyside6']}, pyqtgraph {res['pyqtgraph']}; load average at start "
         f"{', '.join(fmt(x) for x in info['loadavg'])}; engine sha256 {info['engine_sha256']}.",
         f"Command: `{res['command']}`.", "",
         "## Method", "",
         f"* {fr['n']:,} synthetic one-minute bars (`common.make_ohlcv`, random walk), "
         "`engine.drummond.analyze` + `zones` before any timing "
         f"({fmt(fr['prep_s'], 1)} s, {fr['zones']} zones).",
         "* `QT_QPA_PLATFORM=offscreen`, one process, widgets 1600x900, shown. A frame = set the "
         "x-range + fit y to the visible bars + `QWidget.grab()` (wall time, `perf_counter`). "
         "`ChartWidget`: `set_x_range(x0, x1)` (it fits y itself; three panes: price, state "
         "strip, volume, with the app's default grid) then `grab()`. "
         "*candles*: the DG elements (pldot, envelope, one_one, lines, zones, state, congestion, "
         "patterns) toggled off, volume pane and day separators on (their defaults); *DG "
         "layer*: the app's default elements (all but the PLdot line). Both draw through the "
         "items' per-view draw cache (an unchanged view replays its device-pixel geometry). "
         "*line reference*: `pg.PlotWidget` with `plot(x, close)`, "
         "`setClipToView(True)` + `setDownsampling(auto=True, method='peak')` (the pyqtgraph "
         "options for large series; antialiasing off = pyqtgraph's default), no grid, y fitted "
         "with numpy min/max of the visible closes. *line, defaults*: the same with "
         "PlotDataItem defaults (no clipping, no downsampling), 5 static frames, info only.",
         "* Scenarios: *all static* = every bar in view, repeated; *all pan* = a 70 %-wide "
         "view moved 1 % of its width per frame (a full-width view cannot pan); *200 static* = "
         "the last 200 bars; *200 pan* = 200 bars from the middle, 1 bar per frame; *zoom* = 30 "
         "geometric wheel-zoom steps from all bars to the last 200, right-anchored, each a new "
         f"width ({res['zoom_passes']} passes). {res['frames_per_scenario']} frames per "
         "static/pan scenario; "
         "the first frame of each scenario settles the view and is not timed. The variants run "
         "interleaved frame by frame (frame k of each, then frame k+1), so a noisy spell on the "
         "shared machine falls on all of them alike. Worst = the "
         "slowest timed frame. *range+fit* and *grab* split the frame median.",
         "* *candles, no grid* is a diagnostic: the candles chart with `showGrid` off.",
         "* other_cores = CPU used by other processes during the row, in cores "
         "(`common.other_cores`; 0 = quiet).", "",
         "## Frames (ms per frame)", "",
         "| scenario | variant | median | p90 | worst | range+fit | grab | other_cores |",
         "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    labels = {"candles": "ChartWidget candles", "dg": "ChartWidget + DG layer",
              "line_ref": "line reference", "candles_nogrid": "candles, no grid (diag.)",
              "line_default": "line, defaults (info)"}
    scs = list(fr["variants"]["line_ref"])
    for sc in scs:
        for name, label in labels.items():
            t = fr["variants"].get(name, {}).get(sc)
            if t is None:
                continue
            m.append(f"| {sc} | {label} | {fmt(t['median_ms'])} | {fmt(t['p90_ms'])} | "
                     f"{fmt(t['worst_ms'])} | {fmt(t['range_fit_median_ms'])} | "
                     f"{fmt(t['grab_median_ms'])} | {fmt(t['other_cores'])} |")
    b = fr["build_ms"]
    m += ["", f"Build (construct + `set_data` + show): candles {fmt(b['candles'], 0)} ms, DG "
          f"{fmt(b['dg'], 0)} ms, line reference {fmt(b['line_ref'], 0)} ms. `_fit_y` alone, "
          f"all bars: candles {fmt(fr['fit_y_all_ms']['candles'])} ms, DG "
          f"{fmt(fr['fit_y_all_ms']['dg'])} ms. Painted: all bars -> {fr['check_all_mode']}, "
          f"200 bars -> {fr['check_200_mode']}.", ""]
    if st is not None:
        ms = {k: v * 1e3 for k, v in st["median_s"].items()}
        m += ["## Start to first drawn chart", "",
              "Fresh subprocesses, round-robin, median of "
              f"{len(st['samples_s']['app'])}, warm OS file cache; own NUMBA_CACHE_DIR and "
              "DRUMMOND_*_DIR in a temporary directory (primed by one untimed app run). *app* = "
              "`drummond_desktop.bootstrap.main(['--demo', '--screenshot', PNG])`: window, demo "
              "chart and watchlist drawn, PNG saved, shutdown (the warm-up task is waited for).",
              "", "| row | ms | other_cores |", "| --- | --- | --- |",
              f"| `python -c pass` | {fmt(ms['pass'], 0)} | {fmt(st['other_cores'])} |",
              f"| import PySide6 (Core/Gui/Widgets), pyqtgraph, numpy, numba | "
              f"{fmt(ms['ref'], 0)} | {fmt(st['other_cores'])} |",
              f"| app --demo --screenshot, warm kernel cache | {fmt(ms['app'], 0)} | "
              f"{fmt(st['other_cores'])} |",
              f"| same, cold cache (empty NUMBA_CACHE_DIR; 1 run, reference) | "
              f"{fmt(st['cold_s'] * 1e3, 0)} | {fmt(st['other_cores_cold'])} |",
              "", f"Screenshot written and non-trivial: {st['png_ok']}.", ""]
    if mem is not None:
        m += ["## Memory", "", "Fresh subprocess: `ChartWidget` with the DG layer, 1e6 bars, "
              "drawn at all bars, 200 bars and a 60 % view; /proc/self/status.", "",
              "| point | VmRSS MB | VmHWM MB |", "| --- | --- | --- |"]
        for k in ("imports", "data", "drawn"):
            m.append(f"| after {k} | {fmt(mem[k]['VmRSS'], 0)} | {fmt(mem[k]['VmHWM'], 0)} |")
        m += ["", f"Bars columns {fmt(mem['data_mb'], 0)} MB, DGResult arrays "
              f"{fmt(mem['result_mb'], 0)} MB.", ""]
    m += ["## Targets", "", "| target | value | limit | status | other_cores |",
          "| --- | --- | --- | --- | --- |"]
    m += [f"| {r['key']} | {fmt(r['ratio'])} | {fmt(r['target'], 1)} | {r['status']} | "
          f"{fmt(r['other_cores'])} |" for r in res["rows"]]
    return "\n".join(m) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=float, default=1e6)
    ap.add_argument("--quick", action="store_true", help="fewer frames and start-up runs")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--skip-startup", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    a = ap.parse_args(argv)
    import pyqtgraph
    import PySide6

    from benchmarks.chart_frames import bench_frames

    n = int(a.n)
    frames, passes, reps = (15, 1, 3) if a.quick else (40, 3, 5)
    info = machine_info()
    log(f"frames at n={n:,} ...")
    fr = bench_frames(n, frames, passes, with_default_ref=True)
    st = None if a.skip_startup else (log("start-up ...") or bench_startup(reps))
    mem = None if a.skip_memory else (log("memory ...") or bench_memory(n))
    res = {"machine": info, "pyside6": PySide6.__version__, "pyqtgraph": pyqtgraph.__version__,
           "command": " ".join(["benchmarks/bench_chart.py", *(argv or sys.argv[1:])]),
           "frames_per_scenario": frames, "zoom_passes": passes,
           "startup": st, "memory": mem}
    res["frames"] = fr
    res["rows"] = targets(fr, st, mem)
    for r in res["rows"]:
        print(f"{r['status']:4}  {r['key']}: {r['ratio']:.2f} (limit {r['target']:g}, "
              f"other_cores {r['other_cores']:.2f})")
    md = report(res)
    if not a.no_write:
        (ROOT / "benchmarks" / "RESULTS_APP.md").write_text(md)
        (ROOT / "benchmarks" / "RESULTS_APP.json").write_text(json.dumps(res, indent=1,
                                                                         default=str))
    return res


if __name__ == "__main__":
    main()
    sys.exit(0)
