"""The higher-timeframe items of the focal chart: the segments they cache are the runs of the
engine's overlay (one per higher period, its constant levels), paint replays its recording and
never recomputes them, the visible runs are found by the view, and the zone tags name the
higher timeframes of each pooled zone."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtGui

from drummond_desktop.app.chart import htf_items
from drummond_desktop.app.chart.htf_items import (
    HTF_COLOURS,
    HTFLevelsItem,
    HTFZoneTagsItem,
    htf_segments,
)
from drummond_desktop.app.chart.projection import ZONE_SLOTS
from engine.drummond import Level, Zone, analyze, zones
from engine.mtf import overlay
from tests.app.chart.conftest import synthetic_bars

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

MONDAY = 1_700_438_400  # 2023-11-20 00:00 UTC, a Monday


def naive_runs(period, *values):
    """The slow twin: walk the slots, start a run wherever the period changes."""
    runs = []
    for i, p in enumerate(period.tolist()):
        if p < 0:
            continue
        if runs and runs[-1][2] == p and runs[-1][1] == i:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1, p, *(float(v[i]) for v in values)])
    return runs


def as_runs(seg):
    return [[int(a), int(b), int(p), float(x), float(y), float(z)] for a, b, p, x, y, z in zip(
        seg.start, seg.stop, seg.period, seg.pldot, seg.etop, seg.ebot, strict=True)]


@pytest.fixture
def weekly(make_chart):
    """Daily bars on a chart with the weekly overlay (engine.mtf) on them."""
    days = synthetic_bars(300, seed=5)
    bars = type(days).from_arrays(MONDAY + np.arange(300, dtype=np.int64) * 86_400, days.open,
                                  days.high, days.low, days.close, days.volume,
                                  timeframe="1d")
    w = make_chart()
    result = analyze(bars)
    w.set_data(bars, result, zones(result))
    ov = overlay(bars, "1w")
    item = HTFLevelsItem("1w", HTF_COLOURS[0])
    w.price.addItem(item, ignoreBounds=True)
    item.set_levels(ov.period, ov.pldot, ov.etop, ov.ebot)
    return w, bars, ov, item


def test_segments_are_the_runs_of_equal_period():
    period = np.array([-1, -1, 0, 0, 0, 1, 1, 2], dtype=np.int64)
    pl = np.arange(8, dtype=np.float64) * 10
    seg = htf_segments(period, pl, pl + 1, pl - 1)
    assert seg.start.tolist() == [2, 5, 7] and seg.stop.tolist() == [5, 7, 8]
    assert seg.pldot.tolist() == [20.0, 50.0, 70.0]
    assert seg.x0.tolist() == [1.5, 4.5, 6.5] and seg.x1.tolist() == [4.5, 6.5, 7.5]
    assert len(htf_segments(np.zeros(0, dtype=np.int64), *[np.zeros(0)] * 3)) == 0


def test_cached_geometry_equals_the_overlay_segments(weekly):
    _w, bars, ov, item = weekly
    np.testing.assert_array_equal(np.array(as_runs(item.segments)),
                                  np.array(naive_runs(ov.period, ov.pldot, ov.etop, ov.ebot)))
    # a week of daily bars is one run (the next bar's slot included), its levels constant
    seg = item.segments
    assert seg.stop[-1] == len(bars) + 1
    assert np.all(seg.stop - seg.start <= 7)
    for k in range(len(seg)):
        block = ov.pldot[seg.start[k]:seg.stop[k]]
        assert np.all(block == block[0]) or np.all(np.isnan(block))
    lo, hi = item.dataBounds(0), item.dataBounds(1)
    assert lo == (seg.x0[0], seg.x1[-1])
    finite = np.concatenate([seg.pldot, seg.etop, seg.ebot])
    assert hi == (np.nanmin(finite), np.nanmax(finite))


def test_paint_replays_its_recording_and_never_recomputes(weekly, monkeypatch):
    w, _bars, ov, item = weekly
    item.set_levels(ov.period, ov.pldot, ov.etop, ov.ebot)  # drops any earlier recording
    assert item._drawn is None

    def no_runs(*_a, **_k):
        raise AssertionError("paint recomputed the segments")

    monkeypatch.setattr(htf_items, "htf_segments", no_runs)
    calls: list[int] = []
    original = HTFLevelsItem.draw
    monkeypatch.setattr(HTFLevelsItem, "draw", lambda self, d: (calls.append(1),
                                                                original(self, d))[1])
    w.grab()
    first = len(calls)
    w.grab()
    assert first >= 1 and len(calls) == first  # replayed, not recorded again
    assert item._drawn is not None and item._drawn.ops  # something was drawn
    w.set_x_range(100.0, 160.0)
    w.grab()
    assert len(calls) == first + 1  # a new view records anew, from the cached runs


def test_only_the_visible_runs_are_drawn(weekly):
    w, _bars, _ov, item = weekly
    w.set_x_range(100.0, 160.0)
    k0, k1 = item.visible_runs(*w.x_range())
    seg = item.segments
    assert seg.x1[k0] > w.x_range()[0] and seg.x0[k1 - 1] < w.x_range()[1]
    assert k0 > 0 and k1 < len(seg)
    assert (k0 == 0 or seg.x1[k0 - 1] <= w.x_range()[0]) and seg.x0[k1] >= w.x_range()[1]


def test_the_levels_show_in_their_colour_and_hide(weekly):
    w, _bars, _ov, item = weekly
    w.set_x_range(200.0, 300.0)

    def hits() -> int:
        img = w.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB32)
        r, g, b, _ = HTF_COLOURS[0]
        count = 0
        for y in range(0, img.height(), 2):
            for x in range(0, img.width(), 2):
                c = QtGui.QColor(img.pixel(x, y))
                count += abs(c.red() - r) + abs(c.green() - g) + abs(c.blue() - b) < 40
        return count

    assert hits() > 20
    item.setVisible(False)
    assert hits() == 0


def test_zone_tags_name_the_higher_timeframes_of_each_zone(make_chart):
    tags = HTFZoneTagsItem()
    z1 = Zone(10.0, 10.5, 10.25, 3, 3, "R", (Level(10.0, "PL", 0), Level(10.2, "ETOP", 1),
                                               Level(10.5, "HH", 2)), 4.0, True)
    z2 = Zone(9.0, 9.0, 9.0, 1, 1, "S", (Level(9.0, "PL", 0),), 1.0, True)
    tags.set_zones([z1, z2], 100)
    assert [(t.step, t.lo, t.hi) for t in tags.tags] == [(1, 10.0, 10.5), (2, 10.0, 10.5)]
    first = 100 - 0.5 + ZONE_SLOTS + 1.0
    assert tags.tags[0].x > first and tags.tags[1].x > tags.tags[0].x
    assert tags.dataBounds(1) == (10.0, 10.5)
    tags.set_zones([z2], 100)
    assert tags.tags == [] and tags.dataBounds(0) is None
