"""Chart fixtures: the spec's golden ten bars with their DG result, and synthetic series."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Bars
from engine.drummond import analyze, zones
from tests.engine import golden


@pytest.fixture(scope="module")
def golden_dg():
    bars = golden.bars()
    result = analyze(bars)
    return bars, result, zones(result)


def synthetic_bars(n: int, seed: int = 0, step: int = 86_400) -> Bars:
    rng = np.random.default_rng(seed)
    c = 100 + np.cumsum(rng.normal(0, 1, n))
    o = c + rng.normal(0, 0.3, n)
    h = np.maximum(o, c) + rng.exponential(0.4, n)
    lo = np.minimum(o, c) - rng.exponential(0.4, n)
    v = rng.integers(1_000, 100_000, n).astype(np.float64)
    return Bars.from_arrays(1_700_000_000 + np.arange(n, dtype=np.int64) * step, o, h, lo, c, v)


@pytest.fixture
def make_chart(qtbot):
    """Build a shown ``ChartWidget`` of a fixed size and process its layout."""
    from drummond_desktop.app.chart.chart_widget import ChartWidget

    def make(width: int = 1000, height: int = 600) -> ChartWidget:
        w = ChartWidget()
        qtbot.addWidget(w)
        w.resize(width, height)
        w.show()
        qtbot.waitExposed(w)
        return w

    return make
