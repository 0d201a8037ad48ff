"""Shared benchmark helpers: synthetic bars, timing, the noise probe and the bandwidth bound.

Method (as in ``../shared/docs/performance-baselines.md``): wall-clock ``time.perf_counter``,
median of several repeats inside one process, the first call excluded and reported separately
(it may contain JIT compilation or a cache load). Every ratio is taken against a reference
measured in the same process at the same N, never against a stored number.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

F64 = npt.NDArray[np.float64]
ROOT = Path(__file__).resolve().parent.parent
# The two bytecode set-ups of the subprocess rows (see bench_startup.child_env).
MODES = ("as_installed", "bytecode")
MODE_LABEL = {"as_installed": "as installed", "bytecode": "bytecode cached"}

_NCPU = os.cpu_count() or 1
_HZ = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------------------- data
def make_ohlcv(n: int, seed: int = 12345, start: float = 100.0,
               vol: float = 0.001) -> dict[str, npt.NDArray[Any]]:
    """Random-walk OHLCV bars: float64 prices, int64 ``ts`` (one-minute steps), valid bars.

    Closes follow a geometric random walk (``vol`` = per-bar log-return sd; 1e-3 keeps 1e7 bars
    within about e^±3 of ``start``); each open is the previous close with a small gap; high/low
    extend the open-close body by a random wick, so ``low <= min(open, close) <= max(open, close)
    <= high`` holds for every bar, and volume is positive.
    """
    rng = np.random.default_rng(seed)
    close = start * np.exp(np.cumsum(rng.standard_normal(n) * vol))
    open_ = np.empty(n)
    open_[0] = start
    open_[1:] = close[:-1] * np.exp(rng.standard_normal(n - 1) * (vol * 0.2))
    wick = np.abs(rng.standard_normal((2, n))) * (vol * 0.5)
    high = np.maximum(open_, close) * (1.0 + wick[0])
    low = np.minimum(open_, close) * (1.0 - wick[1])
    volume = rng.gamma(2.0, 500.0, n)
    ts = np.arange(n, dtype=np.int64) * 60 + 1_600_000_000
    # Columns live in one block at different cache-line offsets within a page, as engine.Bars
    # stores them: separate large numpy arrays would all start at the same page offset.
    cols = {"ts": ts, "open": open_, "high": high, "low": low, "close": close, "volume": volume}
    views = staggered([(n, a.dtype) for a in cols.values()], first_line=1)
    for v, a in zip(views, cols.values(), strict=True):
        v[:] = a
    return dict(zip(cols, views, strict=True))


def staggered(specs: Sequence[tuple[int, Any]], first_line: int = 0,
              line_step: int = 5) -> list[npt.NDArray[Any]]:
    """1-D arrays ``(length, dtype)`` carved from ONE fresh ``np.empty`` block, array k starting
    ``(first_line + k * line_step) % 64`` cache lines into a page (64 distinct starts: step 5 is
    coprime with 64). Kernels streaming through many arrays at the same index then do not pile
    into the same L1 sets (``engine._alloc`` does the same for the engine's outputs)."""
    page, line = 4096, 64
    sizes = [int(length) * np.dtype(dt).itemsize for length, dt in specs]
    offsets, pos = [], 0
    for k, size in enumerate(sizes):
        want = ((first_line + k * line_step) % (page // line)) * line
        pos += (want - pos) % page
        offsets.append(pos)
        pos += size
    block = np.empty(pos + page, dtype=np.uint8)
    base = (-block.ctypes.data) % page
    return [block[base + off: base + off + size].view(np.dtype(dt))
            for off, size, (_, dt) in zip(offsets, sizes, specs, strict=True)]


# ------------------------------------------------------------------------------ noise probe
def _proc_stat() -> tuple[int, int]:
    """(busy, steal) ticks over all CPUs from the first line of /proc/stat."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except OSError:  # not Linux: report no noise information
        return 0, 0
    # user nice system idle iowait irq softirq steal (guest time is already inside user)
    return v[0] + v[1] + v[2] + v[5] + v[6], (v[7] if len(v) > 7 else 0)


def _own_cpu() -> float:
    """CPU seconds of this process and its waited-for children (subprocess runs)."""
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


class other_cores:  # noqa: N801 - used like a function: ``with other_cores() as oc: ...``
    """CPU time other processes used while the block ran, in cores (0 = quiet, 1 = a core busy).

    ``busy ticks of all CPUs (/proc/stat) - our own CPU time (getrusage, children included)``
    divided by the wall time. /proc/stat counts in ticks of 1/``SC_CLK_TCK`` s per CPU, so the
    value is only meaningful over spans of a few hundred ms (``measure`` ensures that). ``steal``
    is the time the hypervisor gave our vCPUs to someone else (also in cores).
    """

    def __enter__(self) -> other_cores:
        self._busy0, self._steal0 = _proc_stat()
        self._own0 = _own_cpu()
        self._t0 = time.perf_counter()
        self.cores = float("nan")
        self.steal = float("nan")
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self._t0
        busy, steal = _proc_stat()
        own = _own_cpu() - self._own0
        if wall > 0:
            other = (busy - self._busy0) / _HZ - own
            self.cores = max(other, 0.0) / wall
            self.steal = (steal - self._steal0) / _HZ / wall


# ---------------------------------------------------------------------------------- timing
@dataclass
class Timing:
    """Seconds: ``median``/``min`` of the timed repeats; ``first`` = the excluded first call."""

    median: float
    min: float
    first: float
    repeats: int
    other_cores: float
    steal: float
    samples: list[float] = field(repr=False)

    def ns_per(self, n: int) -> float:
        return self.median / n * 1e9

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure(fn: Callable[[], object], repeats: int = 7, budget_s: float = 10.0, *,
            min_repeats: int = 3, min_time_s: float = 0.3,
            setup: Callable[[], object] | None = None) -> Timing:
    """Call ``fn`` once (reported as ``first``), then time up to ``repeats`` more calls.

    Stops early once ``budget_s`` is spent (never below ``min_repeats``); fast functions are
    repeated beyond ``repeats`` (up to 200 calls) until ``min_time_s`` of timed calls has
    accumulated, so medians and the ``other_cores`` probe are not single-tick noise.
    ``setup`` runs before every call, outside the timing.
    """
    if setup is not None:
        setup()
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    times: list[float] = []
    with other_cores() as oc:
        start = time.perf_counter()
        while True:
            if setup is not None:
                setup()
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
            k = len(times)
            spent = time.perf_counter() - start
            if k >= min_repeats and spent > budget_s:
                break
            if k >= repeats and (sum(times) >= min_time_s or k >= 200):
                break
    return Timing(statistics.median(times), min(times), first, len(times), oc.cores, oc.steal,
                  times)


@dataclass(frozen=True)
class RunCfg:
    """How hard ``measure`` tries: timed repeats, time budget per row, minimum repeats and
    minimum accumulated time (``--smoke`` sets 1 repeat and no minimum time)."""

    reps: int = 7
    budget_s: float = 5.0
    min_repeats: int = 3
    min_time_s: float = 0.3

    def scaled(self, factor: int) -> RunCfg:
        """More repeats (cheap calls at small N)."""
        return replace(self, reps=self.reps * factor)

    def measure(self, fn: Callable[[], object], *, reps: int | None = None,
                budget_s: float | None = None,
                setup: Callable[[], object] | None = None) -> Timing:
        return measure(fn, self.reps if reps is None else reps,
                       self.budget_s if budget_s is None else budget_s,
                       min_repeats=self.min_repeats, min_time_s=self.min_time_s, setup=setup)


# ------------------------------------------------------------------------ bandwidth bound
@njit(fastmath=True, nogil=True, cache=True)
def _read_nb(a: F64) -> float:
    # fastmath lets LLVM reassociate the sum into SIMD lanes: a pure streaming read.
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i]
    return s


@njit(nogil=True, cache=True)
def _fill_nb(a: F64, v: float) -> None:
    # The value is a run-time argument, so LLVM emits vector stores (not a memset call).
    for i in range(a.shape[0]):
        a[i] = v


@njit(nogil=True, cache=True)
def alloc_fill_nb(n: int, v: float) -> F64:
    """An output allocated by numba (``np.empty`` inside the kernel), then filled."""
    a = np.empty(n)
    for i in range(n):
        a[i] = v
    return a


def read_arrays(arrays: Sequence[F64]) -> float:
    return sum(_read_nb(a) for a in arrays)


def fill_arrays(arrays: Sequence[F64], v: float = 1.25) -> None:
    for a in arrays:
        _fill_nb(a, v)


@dataclass
class Bound:
    """Memory-bandwidth lower bound for a kernel that reads ``in_bytes`` and writes ``out_bytes``.

    ``read`` = vectorised fastmath sum over the input arrays, ``write`` = fill of pre-faulted
    output arrays (allocated once, touched, then timed); ``seconds`` = read + write medians.
    """

    n: int
    in_bytes: int
    out_bytes: int
    read: Timing
    write: Timing

    @property
    def seconds(self) -> float:
        return self.read.median + self.write.median

    @property
    def read_gbs(self) -> float:
        return self.in_bytes / self.read.median / 1e9

    @property
    def write_gbs(self) -> float:
        return self.out_bytes / self.write.median / 1e9

    @property
    def other_cores(self) -> float:
        return max(self.read.other_cores, self.write.other_cores)

    def ns_per_bar(self) -> float:
        return self.seconds / self.n * 1e9

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "in_bytes": self.in_bytes, "out_bytes": self.out_bytes,
                "seconds": self.seconds, "ns_per_bar": self.ns_per_bar(),
                "read_GBps": self.read_gbs, "write_GBps": self.write_gbs,
                "read": self.read.to_dict(), "write": self.write.to_dict()}


def bound(inputs: int, outputs: int, n: int, cfg: RunCfg, *, out_len: int | None = None,
          out_bytes: int | None = None) -> Bound:
    """bound(inputs, outputs, N): read ``inputs`` float64 arrays of N + fill ``outputs`` float64
    arrays of ``out_len`` (default N) elements; with ``out_bytes`` the write side is instead one
    pre-faulted buffer of exactly that many bytes (for mixed-dtype outputs)."""
    ins = [np.full(n, 1.0 + k) for k in range(inputs)]  # allocated and touched
    if out_bytes is None:
        length = n if out_len is None else out_len
        outs = [np.empty(length) for _ in range(outputs)]
        out_bytes = outputs * length * 8
    else:
        outs = [np.empty(-(-out_bytes // 8))]
    fill_arrays(outs, 0.0)  # pre-fault every page before timing
    r = cfg.measure(lambda: read_arrays(ins))
    w = cfg.measure(lambda: fill_arrays(outs))
    return Bound(n, inputs * n * 8, out_bytes, r, w)


# ------------------------------------------------------------------------------ subprocess
def run_py(code: str, env: dict[str, str] | None = None,
           args: tuple[str, ...] = ()) -> tuple[float, str]:
    """Run ``python -c code *args`` in the repo root; (wall seconds, stdout). Raises on failure."""
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env,
                       capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"subprocess failed ({r.returncode}):\n{r.stderr[-3000:]}")
    return wall, r.stdout


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- machine info
def engine_fingerprint() -> str:
    """sha256 (12 hex digits) over engine/**/*.py, so a result names the code it measured."""
    import hashlib

    root = ROOT / "engine"
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def machine_info() -> dict[str, Any]:
    import numba
    import pandas

    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    thp = "?"
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            thp = f.read().strip()
    except OSError:
        pass
    return {
        "engine_sha256": engine_fingerprint(),
        "cpu": cpu, "cores": _NCPU, "mem_GiB": round(mem_gb, 1), "thp": thp,
        "kernel": platform.release(), "python": platform.python_version(),
        "numpy": np.__version__, "numba": numba.__version__, "pandas": pandas.__version__,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "loadavg": os.getloadavg(),
    }
