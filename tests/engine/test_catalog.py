"""The indicator catalog: names, parameters and column naming, computing through the public
functions, and clear errors for unknown names, parameters and missing inputs."""

from __future__ import annotations

import numpy as np
import pytest

import engine.indicators as ind
from engine.indicators.catalog import IndicatorSpec, Param, catalog, compute_all, get, register
from tests.synthetic import walk_bars


def cols(n: int = 300) -> dict[str, np.ndarray]:
    bars = walk_bars(np.arange(n, dtype=np.int64) * 86_400, timeframe="1d")
    return {k: np.array(getattr(bars, k))
            for k in ("ts", "open", "high", "low", "close", "volume")}


def test_names_are_lower_case_and_unique_and_columns_do_not_collide():
    names = list(catalog())
    assert names == [n.lower() for n in names] and len(set(names)) == len(names)
    columns = [c for spec in catalog().values() for c in spec.columns()]
    assert len(columns) == len(set(columns))


def test_columns_print_parameters_in_their_shortest_form():
    spec = IndicatorSpec("demo", "Demo", ("close",), (Param("n", 20), Param("k", 2.0),
                                                      Param("a", 0.02)), ("up", "down"),
                         True, lambda close, n, k, a: None)
    assert spec.columns() == ("demo_20_2_0.02_up", "demo_20_2_0.02_down")
    assert spec.columns({"n": 5}) == ("demo_5_2_0.02_up", "demo_5_2_0.02_down")


def test_compute_goes_through_the_public_functions_with_the_parameters_given():
    c = cols()
    got = get("bbands").compute(c, {"timeperiod": 10, "nbdev": 1.5})
    ref = ind.bbands(c["close"], 10, 1.5, 1.5)
    np.testing.assert_array_equal(got["bbands_10_1.5_upperband"], ref.upper)
    np.testing.assert_array_equal(got["bbands_10_1.5_lowerband"], ref.lower)
    adx = ind.adx(c["high"], c["low"], c["close"], 14)
    np.testing.assert_array_equal(get("MINUS_DI").compute(c)["minus_di_14"], adx.minus_di)


def test_compute_all_covers_every_column_at_the_defaults():
    everything = compute_all(cols())
    assert list(everything) == [c for s in catalog().values() for c in s.columns()]
    assert all(v.shape == (300,) for v in everything.values())
    assert list(compute_all(cols(), ("rsi", "obv"))) == ["rsi_14", "obv"]


def test_errors_name_the_indicator_and_what_is_wrong():
    with pytest.raises(KeyError, match="unknown indicator 'smaa'"):
        get("smaa")
    with pytest.raises(ValueError, match=r"sma: unknown parameter 'period' .*timeperiod"):
        get("sma").compute(cols(), {"period": 5})
    with pytest.raises(ValueError, match="mfi: needs volume"):
        get("mfi").compute({k: v for k, v in cols().items() if k != "volume"})
    with pytest.raises(ValueError, match="registered twice"):
        register(get("sma"))
    with pytest.raises(ValueError, match="sma: timeperiod must be between 1"):
        get("sma").compute(cols(), {"timeperiod": 0})
