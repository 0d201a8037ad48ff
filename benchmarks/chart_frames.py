"""Chart frame timing (issue 4, Performance; method of performance-baselines.md §6).

A frame = set the x-range + fit y to the visible bars + ``QWidget.grab()`` (offscreen raster).
Three variants on the same bars in one process: ``ChartWidget`` with the DG elements toggled off
(candles + volume), ``ChartWidget`` with the DG layer as the app shows it by default, and the
reference: a 1600x900 ``pg.PlotWidget`` line plot of the closes.
"""

from __future__ import annotations

import gc
import math
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.common import make_ohlcv, other_cores

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
W, H = 1600, 900
DG_ELEMENTS = ("pldot", "envelope", "one_one", "lines", "zones", "state", "congestion",
               "patterns")
ZOOM_STEPS, ZOOM_MIN = 30, 200


def build_data(n: int) -> tuple[Any, Any, list[Any]]:
    """Synthetic one-minute bars, their DGResult and next-bar zones (not timed)."""
    from engine.bars import Bars
    from engine.drummond import analyze, zones

    cols = make_ohlcv(n)
    bars = Bars.from_arrays(cols["ts"], cols["open"], cols["high"], cols["low"], cols["close"],
                            cols["volume"], symbol="SYN", timeframe="1m")
    del cols
    result = analyze(bars)
    try:
        zs = zones(result)
    except ValueError:
        zs = []
    return bars, result, zs


def qapp() -> Any:
    from PySide6 import QtWidgets

    return QtWidgets.QApplication.instance() or QtWidgets.QApplication([])


def make_chart(bars: Any, result: Any, zs: list[Any], dg_on: bool) -> Any:
    from drummond_desktop.app.chart.chart_widget import ChartWidget

    cw = ChartWidget()
    cw.resize(W, H)
    cw.set_data(bars, result, zs)
    if not dg_on:
        for el in DG_ELEMENTS:
            cw.toggle(el, False)
    cw.show()
    qapp().processEvents()
    return cw


def make_reference(close: np.ndarray, fast: bool) -> Any:
    """``fast``: clipToView + auto 'peak' downsampling (what a pyqtgraph user switches on for
    big series); otherwise PlotDataItem defaults (no clipping, no downsampling)."""
    import pyqtgraph as pg

    pw = pg.PlotWidget()
    pw.resize(W, H)
    x = np.arange(close.shape[0], dtype=np.float64)
    item = pw.plot(x, close, pen=pg.mkPen("w"))
    if fast:  # only after adding to the plot (pyqtgraph 0.14)
        item.setClipToView(True)
        item.setDownsampling(auto=True, method="peak")
    pw.show()
    qapp().processEvents()
    return pw


def chart_frame(cw: Any) -> Callable[[float, float], tuple[float, float]]:
    def frame(x0: float, x1: float) -> tuple[float, float]:
        t0 = time.perf_counter()
        cw.set_x_range(x0, x1)  # fits y itself
        t1 = time.perf_counter()
        cw.grab()
        return t1 - t0, time.perf_counter() - t1
    return frame


def reference_frame(pw: Any, close: np.ndarray) -> Callable[[float, float], tuple[float, float]]:
    n = close.shape[0]

    def frame(x0: float, x1: float) -> tuple[float, float]:
        t0 = time.perf_counter()
        pw.setXRange(x0, x1, padding=0)
        i0, i1 = max(0, math.floor(x0)), min(n, math.ceil(x1) + 1)
        seg = close[i0:i1]
        lo, hi = float(seg.min()), float(seg.max())
        pad = (hi - lo) * 0.06 or 1.0
        pw.setYRange(lo - pad, hi + pad, padding=0)
        t1 = time.perf_counter()
        pw.grab()
        return t1 - t0, time.perf_counter() - t1
    return frame


def scenarios(n: int, right: float, frames: int, zoom_passes: int) -> dict[str, list[Any]]:
    """x-ranges per scenario; ``right`` = empty slots right of the last bar (ChartWidget's future
    slot; 0 for the reference). Zoomed-out pan uses a 70 % wide view (room to pan 1 %/frame)."""
    x1_end = n - 0.5 + right
    all_view = (-0.5, x1_end)
    wide = 0.7 * n
    pan_all = [(0.05 * n + k * 0.01 * wide, 0.05 * n + k * 0.01 * wide + wide)
               for k in range(frames)]
    mid = n // 2
    pan_200 = [(mid + k - 0.5, mid + k + 199.5) for k in range(frames)]
    widths = [n * (ZOOM_MIN / n) ** (k / (ZOOM_STEPS - 1)) for k in range(ZOOM_STEPS)]
    zoom = [(x1_end - right - w, x1_end) for w in widths] * zoom_passes
    return {"all_static": [all_view] * frames, "all_pan": pan_all,
            "200_static": [(n - 200.5, x1_end)] * frames, "200_pan": pan_200, "zoom": zoom}


def _summary(totals: list[float], ranges: list[float], grabs: list[float],
             oc: Any) -> dict[str, Any]:
    ms = [t * 1e3 for t in totals]
    return {"median_ms": statistics.median(ms), "worst_ms": max(ms),
            "p90_ms": float(np.percentile(ms, 90)), "frames": len(ms),
            "range_fit_median_ms": statistics.median(ranges) * 1e3,
            "grab_median_ms": statistics.median(grabs) * 1e3,
            "other_cores": oc.cores, "steal": oc.steal, "samples_ms": ms}


def run_frames(frame: Callable[[float, float], tuple[float, float]],
               views: list[tuple[float, float]]) -> dict[str, Any]:
    """One variant on its own (the info rows)."""
    return run_interleaved({"only": (frame, views)})["only"]


def run_interleaved(variants: dict[str, tuple[Callable[[float, float], tuple[float, float]],
                                              list[tuple[float, float]]]]) -> dict[str, Any]:
    """Frame k of every variant, then frame k+1 of every variant, ...: a noisy spell on a shared
    machine lands on all variants alike instead of on whichever ran during it."""
    for frame, views in variants.values():
        frame(*views[0])  # settle the view (not timed)
    qapp().processEvents()
    rec: dict[str, tuple[list[float], list[float], list[float]]] = {
        k: ([], [], []) for k in variants}
    count = min(len(v[1]) for v in variants.values())
    with other_cores() as oc:
        for i in range(count):
            for name, (frame, views) in variants.items():
                r, g = frame(*views[i])
                totals, ranges, grabs = rec[name]
                totals.append(r + g)
                ranges.append(r)
                grabs.append(g)
    qapp().processEvents()
    return {k: _summary(*v, oc) for k, v in rec.items()}


def bench_frames(n: int, frames: int, zoom_passes: int, with_default_ref: bool) -> dict[str, Any]:
    from drummond_desktop.app.chart.chart_widget import RIGHT_MARGIN

    app = qapp()
    t0 = time.perf_counter()
    bars, result, zs = build_data(n)
    prep_s = time.perf_counter() - t0
    close = np.asarray(bars.close)
    out: dict[str, Any] = {"n": n, "prep_s": prep_s, "zones": len(zs), "variants": {}}
    timings: dict[str, Any] = {}
    t0 = time.perf_counter()
    cw_off = make_chart(bars, result, zs, dg_on=False)
    build_off = time.perf_counter() - t0
    t0 = time.perf_counter()
    cw_on = make_chart(bars, result, zs, dg_on=True)
    build_on = time.perf_counter() - t0
    cw_ng = make_chart(bars, result, zs, dg_on=False)  # diagnostic: the axis grid switched off
    for plot in (cw_ng.price, cw_ng.strip, cw_ng.volume):
        plot.showGrid(x=False, y=False)
    t0 = time.perf_counter()
    ref = make_reference(close, fast=True)
    build_ref = time.perf_counter() - t0
    variants: list[tuple[str, Any, float, Callable[..., Any]]] = [
        ("candles", cw_off, RIGHT_MARGIN, chart_frame(cw_off)),
        ("dg", cw_on, RIGHT_MARGIN, chart_frame(cw_on)),
        ("line_ref", ref, 0.0, reference_frame(ref, close)),
        ("candles_nogrid", cw_ng, RIGHT_MARGIN, chart_frame(cw_ng)),
    ]
    builds = {"candles": build_off, "dg": build_on, "line_ref": build_ref}
    sc_names = list(scenarios(n, 0.0, frames, zoom_passes))
    gc.collect()
    # Interleaved frame by frame so a noisy spell hits all variants alike.
    for sc in sc_names:
        runs = {name: (frame, scenarios(n, right, frames, zoom_passes)[sc])
                for name, _w, right, frame in variants}
        for name, res in run_interleaved(runs).items():
            timings.setdefault(name, {})[sc] = res
        app.processEvents()
    # Sanity: the candles item painted aggregated columns zoomed out and candles at 200 bars.
    cw_on.set_x_range(-0.5, n - 0.5 + RIGHT_MARGIN)
    cw_on.grab()
    lf = cw_on.candles.last_frame
    out["check_all_mode"] = (lf.mode, int(lf.x.shape[0])) if lf is not None else None
    cw_on.set_x_range(n - 200.5, n - 0.5 + RIGHT_MARGIN)
    cw_on.grab()
    lf = cw_on.candles.last_frame
    out["check_200_mode"] = (lf.mode, int(lf.x.shape[0])) if lf is not None else None
    # y-fit alone zoomed out (what set_x_range pays before painting), DG on vs off.
    for name, cw in (("candles", cw_off), ("dg", cw_on)):
        cw.set_x_range(-0.5, n - 0.5 + RIGHT_MARGIN)
        ts = []
        for _ in range(20):
            t = time.perf_counter()
            cw._fit_y()
            ts.append(time.perf_counter() - t)
        out.setdefault("fit_y_all_ms", {})[name] = statistics.median(ts) * 1e3
    for w in (cw_off, cw_on, cw_ng, ref):
        w.close()
        w.deleteLater()
    app.processEvents()
    if with_default_ref:
        pw = make_reference(close, fast=False)
        frame = reference_frame(pw, close)
        few = {k: v for k, v in scenarios(n, 0.0, 5, 1).items() if k.endswith("static")}
        timings["line_default"] = {sc: run_frames(frame, v) for sc, v in few.items()}
        pw.close()
        pw.deleteLater()
        app.processEvents()
    out["variants"] = timings
    out["build_ms"] = {k: v * 1e3 for k, v in builds.items()}
    return out


