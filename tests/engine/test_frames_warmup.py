"""pandas adapters and the kernel warm-up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.drummond import PER_BAR_FIELDS, PROJECTED_FIELDS, analyze
from engine.frames import bars_from_frame, bars_to_frame, to_frame
from engine.warmup import warmup
from tests.engine import golden


def test_to_frame_has_n_plus_one_rows_and_every_field():
    r = analyze(golden.bars())
    df = to_frame(r)
    assert len(df) == 11 and pd.isna(df.index[-1])
    assert set(PROJECTED_FIELDS) | set(PER_BAR_FIELDS) <= set(df.columns)
    assert df["pldot"].iloc[-1] == pytest.approx(316 / 3)
    assert pd.isna(df["state"].iloc[-1]) and df["state"].iloc[5] == 1
    assert pd.isna(df["push_up"].iloc[-1]) and bool(df["push_up"].iloc[4])
    np.testing.assert_array_equal(df["close"].to_numpy()[:-1], r.bars.close)


def test_bars_frame_round_trip_and_column_forms():
    b = golden.bars()
    back = bars_from_frame(bars_to_frame(b))
    for col in ("ts", "open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(getattr(back, col), getattr(b, col))
    df = pd.DataFrame({"Date": ["2024-01-02", "2024-01-03"], "Open": [1, 2], "High": [2, 3],
                       "Low": [0.5, 1.5], "Close": [1.5, 2.5]})
    b2 = bars_from_frame(df, symbol="X")
    assert b2.ts.tolist() == [1704153600, 1704240000] and b2.symbol == "X"
    with pytest.raises(ValueError, match="missing column"):
        bars_from_frame(df.drop(columns=["Low"]))
    with pytest.raises(ValueError, match="DatetimeIndex"):
        bars_from_frame(df.drop(columns=["Date"]))


def test_warmup_compiles_every_kernel():
    from engine.nb import drummond, mtf, patterns, resample, states

    timings = warmup()
    assert set(timings) == {"analyze", "next_bar_map", "mtf"}
    kernels = [getattr(m, k) for m in (drummond, patterns, states, resample, mtf)
               for k in dir(m) if k.endswith("_nb") and hasattr(getattr(m, k), "signatures")]
    assert len(kernels) >= 10
    for k in kernels:
        assert k.signatures, f"{k.__name__} was not compiled by warmup()"


def test_compute_into_shares_the_signatures_of_analyze():
    # One compiled signature per kernel: raw writeable arrays are viewed read-only first.
    import numba

    from engine.drummond import DGParams, allocate, compute_into
    from engine.nb import drummond, patterns, states

    warmup()
    before = {k: len(getattr(m, k).signatures) for m in (drummond, patterns, states)
              for k in dir(m) if k.endswith("_nb")}
    h = np.linspace(10.0, 11.0, 20)
    compute_into(h + 0.5, h - 0.5, h, DGParams(extended_lines=True),
                 allocate(20, DGParams(extended_lines=True)))
    after = {k: len(getattr(m, k).signatures) for m in (drummond, patterns, states)
             for k in dir(m) if k.endswith("_nb")}
    assert after == before
    assert numba.typeof(h).mutable


def test_every_kernel_is_cached_and_releases_the_gil():
    from engine.nb import drummond, patterns, states

    kernels = [getattr(m, k) for m in (drummond, patterns, states) for k in dir(m)
               if k.endswith("_nb")]
    for k in kernels:
        assert k.targetoptions.get("nogil") is True, k.__name__
        assert k._cache.__class__.__name__ == "FunctionCache", k.__name__
