"""The batch kernels (``engine.nb.scan`` via ``engine.scan.batch``) against their slow obvious
twin: ``engine.drummond`` run on each symbol alone. Equality is exact (bit for bit, NaN where
NaN) for every state-machine variant, ragged and tiny series, ties and NaN inputs."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Bars
from engine.drummond import DGParams, allocate, analyze, compute_into
from engine.scan import Ragged, dg_full, dg_tail
from engine.scan.batch import CORE_FIELDS, STATE_FIELDS, TAIL_F_ROWS, TAIL_I_ROWS

VARIANTS = {
    "default": DGParams(),
    "carry_ties": DGParams(tie_policy="carry", tie_eps=0.05),
    "dotted_entrance": DGParams(dotted_includes_entrance=True),
    "strict_exit": DGParams(exit_requires_break=True),
    "any_opposite": DGParams(reversal_mode="any_opposite", trend_len=2),
    "hl_avg_long_runs": DGParams(envelope_mode="hl_avg", trend_len=5),
    "win2": DGParams(win=2),
    "win5_strict": DGParams(win=5, exit_requires_break=True),
    "undisplaced": DGParams(displacement=0),
}
LENGTHS = [0, 1, 2, 3, 4, 5, 7, 40, 257, 1500]


def _series(seed: int, n: int, flat: bool = False) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    close = 50 + np.cumsum(rng.standard_normal(n))
    if flat and n > 20:
        close[10:20] = close[10]  # a flat stretch: closes tie with the dot
        close = np.round(close * 2) / 2  # a half-point grid: more exact ties
    open_ = np.r_[close[:1], close[:-1]]
    high = np.maximum(open_, close) + (0 if flat else rng.random(n))
    low = np.minimum(open_, close) - (0 if flat else rng.random(n))
    return high, low, close


def _universe(seed: int = 7) -> list[Bars]:
    out = []
    for i, n in enumerate(LENGTHS * 2):
        h, lo, c = _series(seed + i, n, flat=i % 3 == 0)
        out.append(Bars.from_arrays(np.arange(n) * 86_400, c, h, lo, c, symbol=f"S{i}"))
    return out


def _expected_tail(arr: np.ndarray, n: int, k: int, integer: bool) -> np.ndarray:
    fill = 0.0 if integer else np.nan
    return np.array([arr[t] if t >= 0 else fill for t in range(n - k, n)], dtype=np.float64)


def _check_tail(tail, series_arrays, params, k):
    for i, (h, lo, c) in enumerate(series_arrays):
        n = h.shape[0]
        want = allocate(n, params)
        compute_into(h, lo, c, params, want)
        for name in TAIL_F_ROWS + TAIL_I_ROWS:
            got = tail.field(name)[i].astype(np.float64)
            exp = _expected_tail(want[name], n, k, name in TAIL_I_ROWS)
            np.testing.assert_array_equal(got, exp, err_msg=f"symbol {i} (n={n}) {name}")


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("threads", [1, 2])
def test_tail_and_full_equal_analyze_symbol_by_symbol(variant, threads):
    p = VARIANTS[variant]
    uni = _universe()
    batch = Ragged.from_bars(uni)
    arrays = [(b.high, b.low, b.close) for b in uni]
    for k in (1, 3):
        fused_choices = [None, False] if p.win == 3 and p.displacement == 1 else [None]
        for fused in fused_choices:
            _check_tail(dg_tail(batch, k, p, threads=threads, fused=fused), arrays, p, k)
    full = dg_full(batch, p, threads=threads)
    for i, b in enumerate(uni):
        r, n = analyze(b, p), len(b)
        a = int(batch.offsets[i])
        for name in CORE_FIELDS:
            np.testing.assert_array_equal(full[name][a + i:a + i + n + 1], getattr(r, name),
                                          err_msg=f"{variant} symbol {i} {name}")
        for name in STATE_FIELDS:
            np.testing.assert_array_equal(full[name][a:a + n], getattr(r, name),
                                          err_msg=f"{variant} symbol {i} {name}")
            assert full[name].dtype == getattr(r, name).dtype


@pytest.mark.parametrize("variant", ["default", "strict_exit", "undisplaced"])
def test_nan_inputs_match_compute_into_on_raw_arrays(variant):
    p = VARIANTS[variant]
    rng = np.random.default_rng(3)
    arrays = []
    for n in (30, 200, 5, 600):
        h, lo, c = (x.copy() for x in _series(int(rng.integers(1000)), n))
        for arr in (h, lo, c):
            arr[rng.integers(0, n, max(n // 25, 1))] = np.nan
        arrays.append((h, lo, c))
    offsets = np.r_[0, np.cumsum([a[0].shape[0] for a in arrays])]
    batch = Ragged.from_arrays(*(np.concatenate([a[j] for a in arrays]) for j in range(3)),
                               offsets)
    _check_tail(dg_tail(batch, 4, p), arrays, p, 4)


def test_a_batch_of_long_daily_series_in_parallel():
    # 40 symbols x 2,500 bars with 2 threads: the benchmark's shape, smaller
    uni = [Bars.from_arrays(np.arange(2_500) * 86_400, c, h, lo, c, symbol=str(i))
           for i, (h, lo, c) in enumerate(_series(100 + i, 2_500) for i in range(40))]
    _check_tail(dg_tail(Ragged.from_bars(uni), 2, threads=2),
                [(b.high, b.low, b.close) for b in uni], DGParams(), 2)


def _regimes(seed: int) -> list[tuple[np.ndarray, ...]]:
    """Long trends up and down, tight ranges and sudden reversals, so the tail bars land in
    every mode (and the fused kernel's read-back of the last entrance and trend starts is
    tested far from the series' start)."""
    rng = np.random.default_rng(seed)
    out = []
    for drift in (0.8, -0.8, 0.0, 0.3):
        steps = rng.standard_normal(900) * 0.5 + drift * np.sign(np.sin(np.arange(900) / 70))
        close = 200 + np.cumsum(steps)
        open_ = np.r_[close[0], close[:-1]]
        out.append((np.maximum(open_, close) + rng.random(900) * 0.3,
                    np.minimum(open_, close) - rng.random(900) * 0.3, close))
    return out


@pytest.mark.parametrize("variant", ["default", "dotted_entrance", "any_opposite",
                                     "hl_avg_long_runs"])
@pytest.mark.parametrize("k", [1, 2, 7, 60, 897])
def test_every_tail_length_and_regime_equals_analyze(variant, k):
    arrays = _regimes(11) + _regimes(12)
    arrays += [tuple(a[:length] for a in arrays[0]) for length in (k + 3, k + 4, 400)]
    offsets = np.r_[0, np.cumsum([a[0].shape[0] for a in arrays])]
    batch = Ragged.from_arrays(*(np.concatenate([a[j] for a in arrays]) for j in range(3)),
                               offsets)
    _check_tail(dg_tail(batch, k, VARIANTS[variant]), arrays, VARIANTS[variant], k)


def test_ragged_checks_its_input():
    h = np.ones(5)
    with pytest.raises(ValueError, match="offsets must run from 0 to 5"):
        Ragged.from_arrays(h, h, h, [0, 3])
    with pytest.raises(ValueError, match="must not decrease"):
        Ragged.from_arrays(h, h, h, [0, 4, 3, 5])
    with pytest.raises(ValueError, match="one length"):
        Ragged.from_arrays(h, h[:4], h, [0, 5])
    with pytest.raises(ValueError, match="2 symbols for 1 series"):
        Ragged.from_arrays(h, h, h, [0, 5], ["A", "B"])
    with pytest.raises(TypeError, match="item 0"):
        Ragged.from_bars([h])  # type: ignore[list-item]
    batch = Ragged.from_arrays(h, h, h, [0, 2, 5], ["A", "B"])
    assert len(batch) == 2 and batch.lengths.tolist() == [2, 3] and batch.symbols == ("A", "B")
    assert not batch.high.flags.writeable
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        dg_tail(batch, 0)
    with pytest.raises(ValueError, match="fused kernel needs win=3"):
        dg_tail(batch, 1, DGParams(win=4), fused=True)
    with pytest.raises(ValueError, match="threads must be >= 1"):
        dg_tail(batch, 1, threads=0)
    with pytest.raises(KeyError, match="no field 'nope'"):
        dg_tail(batch, 1).field("nope")


def test_an_empty_batch():
    batch = Ragged.from_bars([])
    assert len(batch) == 0
    assert dg_tail(batch, 2).floats.shape == (0, len(TAIL_F_ROWS), 2)
    assert dg_full(batch)["pldot"].shape == (0,)
