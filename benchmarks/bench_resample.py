"""Resampling benchmark: ``engine.resample`` of one-minute bars to 5m, 1h and 1d against pandas
``resample`` (same semantics: first/max/min/last/sum, checked equal first) and against the read
bound (one streaming read of every input column), all measured in this process at the same N.

Nothing here is a pass/fail test: each target prints PASS or MISS with its ratio and the script
exits 0. See "Resampling benchmark" in ``benchmarks/README.md``.

    .venv/bin/python benchmarks/bench_resample.py                 # N = 1e7, appends a section
    .venv/bin/python benchmarks/bench_resample.py --n 1e6 --no-write
    .venv/bin/python benchmarks/bench_resample.py --smoke         # N = 1e5, 1 repeat, no write
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks`` and ``engine`` importable
    sys.path.insert(0, str(ROOT))

from benchmarks.common import RunCfg, Timing, log, machine_info, make_ohlcv, read_arrays  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "RESULTS_RESAMPLE.md"
RULES = {"5m": "5min", "1h": "1h", "1d": "1D"}  # engine rule -> pandas frequency
FIELDS = ("open", "high", "low", "close", "volume")
SPEEDUP_TARGET = 5.0
BOUND_TARGET = {"5m": 3.0, "1h": 2.0, "1d": 2.0}


def minute_bars(n: int) -> Any:
    """``n`` one-minute bars of a round-the-clock market (built-in ``CRYPTO`` session: UTC,
    every day), whose buckets are exactly pandas' (``origin='start_day'``, midnight-aligned)."""
    from engine.bars import Bars

    cols = make_ohlcv(n)
    cols["ts"] = cols["ts"] - cols["ts"][0] % 86_400  # start at a UTC midnight
    return Bars.from_arrays(**cols, symbol="BTC-USD.CC", timeframe="1m")


def pandas_resample(df: Any, freq: str) -> Any:
    return df.resample(freq).agg({"open": "first", "high": "max", "low": "min",
                                  "close": "last", "volume": "sum"})


def check_equal(res: Any, want: Any, rule: str) -> None:
    """The engine's bars must equal pandas' (no empty buckets in continuous data)."""
    secs = (want.index - want.index[0]) // np.timedelta64(1, "s") + int(res.bars.ts[0])
    np.testing.assert_array_equal(res.bars.ts, secs.to_numpy(), f"{rule} ts")
    for f in FIELDS[:4]:
        np.testing.assert_array_equal(getattr(res.bars, f), want[f].to_numpy(), f"{rule} {f}")
    np.testing.assert_allclose(res.bars.volume, want["volume"].to_numpy(), rtol=1e-9,
                               err_msg=f"{rule} volume")


def bench_rule(bars: Any, df: Any, rule: str, read: Timing, cfg: RunCfg) -> dict[str, Any]:
    from engine.resample import resample

    log(f"[{rule}] engine")
    res = resample(bars, rule)
    ours = cfg.measure(lambda: resample(bars, rule))
    log(f"[{rule}] pandas")
    want = pandas_resample(df, RULES[rule])
    check_equal(res, want, rule)
    out_bars = len(res.bars)
    del res, want
    gc.collect()
    theirs = cfg.measure(lambda: pandas_resample(df, RULES[rule]),
                         reps=max(cfg.min_repeats, cfg.reps - 2))
    gc.collect()
    speedup = theirs.median / ours.median
    vs_bound = ours.median / read.median
    return {
        "rule": rule, "out_bars": out_bars, "engine": ours, "pandas": theirs,
        "speedup": speedup, "vs_read": vs_bound,
        "speedup_ok": speedup >= SPEEDUP_TARGET, "bound_ok": vs_bound <= BOUND_TARGET[rule],
    }


def breakdown(bars: Any, rule: str, cfg: RunCfg) -> dict[str, Timing]:
    """The two kernels of ``resample(bars, rule)`` alone, into reused outputs."""
    from engine.nb.resample import bucket_ids_nb, ohlcv_buckets_nb
    from engine.resample import INTRADAY_RULES, zone_transitions

    table = zone_transitions("UTC", 0, 0)
    empty = np.zeros(0, dtype=np.int64)
    n = len(bars)
    ids = np.empty(n, dtype=np.int64)
    width, unit = (INTRADAY_RULES[rule], 0) if rule in INTRADAY_RULES else (1, 1)

    err = np.zeros(2, dtype=np.int64)

    def assign() -> int:
        return int(bucket_ids_nb(bars.ts, 60, *table, empty, empty, 0, 86_400, 127, width,
                                 unit, False, ids, err))

    count = assign()
    idx = [np.empty(count, dtype=np.int64) for _ in range(3)]
    vals = [np.empty(count) for _ in range(5)]

    def aggregate() -> None:
        ohlcv_buckets_nb(ids, bars.open, bars.high, bars.low, bars.close, bars.volume,
                         idx[0], idx[1], idx[2], vals[0], vals[1], vals[2], vals[3], vals[4])

    return {"bucket_ids_nb": cfg.measure(assign), "ohlcv_buckets_nb": cfg.measure(aggregate)}


def ms(t: Timing) -> str:
    return f"{t.median * 1e3:.1f}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(n: int, read: Timing, rows: list[dict[str, Any]],
           parts: dict[str, dict[str, Timing]], total_s: float) -> str:
    info = machine_info()
    lines = [
        f"## Run {info['date']} (N = {n:.0e}, {total_s:.0f} s)", "",
        f"CPU {info['cpu']} ({info['cores']} vCPU), numpy {info['numpy']}, numba "
        f"{info['numba']}, pandas {info['pandas']}, engine sha256 `{info['engine_sha256']}`, "
        f"load average at end {' / '.join(f'{x:.2f}' for x in info['loadavg'])}.", "",
        f"Read bound (numba streaming sum over ts, open, high, low, close, volume): "
        f"{ms(read)} ms ({6 * 8 * n / read.median / 1e9:.1f} GB/s), other_cores "
        f"{read.other_cores:.2f}.", "",
        "| rule | out bars | engine ms | pandas ms | speedup | target | result "
        "| x read bound | target | result | other_cores |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        e, p = r["engine"], r["pandas"]
        lines.append(
            f"| {r['rule']} | {r['out_bars']:,} | {ms(e)} | {ms(p)} | {r['speedup']:.1f}x "
            f"| >= {SPEEDUP_TARGET:.0f}x | {verdict(r['speedup_ok'])} | {r['vs_read']:.2f}x "
            f"| <= {BOUND_TARGET[r['rule']]:.0f}x | {verdict(r['bound_ok'])} "
            f"| {max(e.other_cores, p.other_cores):.2f} |")
    lines += ["", "Kernels alone (reused outputs; the rest of `resample` is the zone table, "
              "allocation and freezing):", "", "| rule | kernel | ms | x read bound |",
              "| --- | --- | --- | --- |"]
    for rule, ks in parts.items():
        for name, t in ks.items():
            lines.append(f"| {rule} | `{name}` | {ms(t)} | {t.median / read.median:.2f}x |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--n", type=float, default=1e7)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--smoke", action="store_true", help="N = 1e5, one repeat, no write")
    args = ap.parse_args(argv)
    import pandas as pd

    n = 100_000 if args.smoke else int(args.n)
    cfg = (RunCfg(reps=1, min_repeats=1, min_time_s=0.0) if args.smoke
           else RunCfg(reps=args.repeats))
    t0 = time.perf_counter()
    log(f"[data] {n:.0e} one-minute bars")
    bars = minute_bars(n)
    df = pd.DataFrame({f: getattr(bars, f) for f in FIELDS},
                      index=pd.to_datetime(bars.ts, unit="s"))
    cols = [bars.ts, bars.open, bars.high, bars.low, bars.close, bars.volume]
    read = cfg.measure(lambda: read_arrays(cols))
    rows = [bench_rule(bars, df, rule, read, cfg) for rule in RULES]
    parts = {rule: breakdown(bars, rule, cfg) for rule in RULES}
    text = report(n, read, rows, parts, time.perf_counter() - t0)
    print(text)
    if not (args.no_write or args.smoke):
        head = "" if RESULTS.exists() else (
            "# Resampling benchmark results\n\nAppended by `benchmarks/bench_resample.py`; "
            "see `benchmarks/README.md` (Resampling benchmark) for the method.\n\n")
        with RESULTS.open("a") as f:
            f.write(head + text + "\n")
    return {"n": n, "read": read, "rows": rows, "parts": parts}


if __name__ == "__main__":
    main()
