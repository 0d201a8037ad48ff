"""The DG layer holds the engine's arrays, including the projected element at x = N."""

from __future__ import annotations

import numpy as np
import pytest

from drummond_desktop.app.chart.base import Span
from drummond_desktop.app.chart.markers import (
    MARKERS,
    PatternMarkersItem,
    StateStripItem,
    column_last_bars,
    state_categories,
)
from drummond_desktop.app.chart.overlays import CongestionItem, EnvelopeItem, OneOneItem, PLdotItem
from drummond_desktop.app.chart.projection import LinesItem, ZonesItem, zone_alpha
from engine.drummond.result import State
from tests.engine import golden

NEXT = golden.table()  # row 10 is the spec's "next" row


def test_pldot_includes_projected_dot(qtbot, golden_dg):
    _, result, _ = golden_dg
    item = PLdotItem()
    item.set_data(result)
    assert item.n_slots == 11 and item.pldot is result.pldot
    assert item.info(10)["pldot"] == pytest.approx(316 / 3)
    assert item.dataBounds(0) == (-0.5, 10.5)
    np.testing.assert_allclose(item.pldot[3:], NEXT["PL"][3:], rtol=1e-12)


def test_envelope_band_reaches_future_slot(qtbot, golden_dg):
    _, result, _ = golden_dg
    item = EnvelopeItem()
    item.set_data(result)
    x, top, bot = item.band(Span(0, 11, 1000))
    assert x[0] == 3 and x[-1] == 10
    assert top[-1] == pytest.approx(108) and bot[-1] == pytest.approx(307 / 3)
    assert item.y_range(0, 11) == (pytest.approx(100), pytest.approx(332 / 3))


def test_one_one_and_congestion(qtbot, golden_dg):
    _, result, _ = golden_dg
    oo = OneOneItem()
    oo.set_data(result)
    assert oo.info(10) == {"one_one_high": 105.0, "one_one_low": 100.0}
    cong = CongestionItem()
    cong.set_data(result)
    # bars 6-9 are in congestion with dotted 110 / block 104; bar 9 still is, so x = 10 carries
    np.testing.assert_array_equal(cong.dotted[6:], [110.0] * 5)
    np.testing.assert_array_equal(cong.block[6:], [104.0] * 5)
    assert np.isnan(cong.dotted[:6]).all()


def test_lines_from_anchors_through_future_slot(qtbot, golden_dg):
    bars, result, _ = golden_dg
    item = LinesItem()
    item.set_data(result)
    seg = {s.name: s for s in item.segments}
    assert set(seg) == {"HH", "LL", "LH", "HL"}
    hh = seg["HH"]
    assert hh.x == (8.0, 9.0, 10.0) and hh.y[:2] == (bars.high[8], bars.high[9])
    assert hh.termination == result.line_hh[10] == 2 * bars.high[9] - bars.high[8]
    assert seg["LH"].y[:2] == (bars.low[8], bars.high[9])
    assert seg["HL"].termination == result.line_hl[10]
    for s in seg.values():  # the anchors and the termination are collinear
        assert s.y[2] - s.y[1] == pytest.approx(s.y[1] - s.y[0])
    assert item.info(10)["line_ll"] == result.line_ll[10]


def test_zones_right_of_last_bar(qtbot, golden_dg):
    _, result, zl = golden_dg
    item = ZonesItem()
    item.set_data(result, zl)
    assert len(item.bands) == len(zl) > 0
    assert item.dataBounds(0)[0] == 9.5  # starts at the right edge of the last bar
    assert {b.nearby for b in item.bands} == {z.nearby for z in zl}
    assert zone_alpha(5, True) > zone_alpha(1, True) > zone_alpha(1, False)


def test_state_strip_and_markers(qtbot, golden_dg):
    _, result, _ = golden_dg
    cat = state_categories(result.state, result.trend_dir)
    assert cat[5] == 1  # bar 5: trend up
    assert cat[6] == 3 and cat[7] == 4  # entrance, action
    strip = StateStripItem()
    strip.set_data(result)
    left, width, codes = strip.cells(Span(0, 10, 1000))
    assert left[0] == -0.5 and width.sum() == 10 and codes.tolist() == cat.tolist()
    for span in (Span(0, 10, 1000), Span(3, 8, 1000), Span(6, 7, 1000)):
        left, width, codes = strip.runs(span)  # the same bars, one rect per run of a state
        assert left[0] == span.i0 - 0.5 and width.sum() == span.count
        assert np.repeat(codes, width.astype(int)).tolist() == cat[span.i0:span.i1].tolist()
        assert (np.diff(codes) != 0).all()
    left, width, codes = strip.cells(Span(0, 10, 3))
    assert width.sum() == 10 and codes.tolist() == cat[column_last_bars(Span(0, 10, 3))].tolist()
    marks = PatternMarkersItem()
    marks.set_data(result)
    for k in MARKERS:
        np.testing.assert_array_equal(marks.indices[k.field],
                                      np.flatnonzero(getattr(result, k.field)))
    for i in range(len(result)):  # the merged per-bar index answers the readout per bar
        assert marks.info(i) == {k.field: 1.0 for k in MARKERS if getattr(result, k.field)[i]}
    assert result.state[9] == State.CONG_ACTION
