"""The bar-index axis: date labels never overlap, however narrow the pane."""

from __future__ import annotations

import itertools

import pytest
from PySide6 import QtGui

from drummond_desktop.app.chart.axis import LABEL_GAP_PX
from tests.app.chart.conftest import synthetic_bars

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def _label_rects(axis) -> list:
    img = QtGui.QImage(4, 4, QtGui.QImage.Format.Format_ARGB32)
    p = QtGui.QPainter(img)
    try:
        specs = axis.generateDrawSpecs(p)
    finally:
        p.end()
    assert specs is not None
    return [(rect, text) for rect, _flags, text in specs[2] if text]


@pytest.mark.parametrize("width", [260, 420, 1600])
@pytest.mark.parametrize(("step", "bars"), [(60, 2_000), (60, 300), (300, 5_000), (86_400, 900)])
def test_date_labels_never_overlap(make_chart, width, step, bars):
    w = make_chart(width, 400)
    data = synthetic_bars(20_000, seed=2, step=step)
    w.set_data(data)
    w.set_x_range(10_000, 10_000 + bars)
    w.grab()
    rects = _label_rects(w.axis)
    assert len(rects) >= (2 if width >= 420 else 1), [t for _, t in rects]  # still labelled
    rects.sort(key=lambda rt: rt[0].left())
    for (a, ta), (b, tb) in itertools.pairwise(rects):
        assert a.right() + LABEL_GAP_PX <= b.left() + 1e-6, f"{ta!r} crowds {tb!r} at {width} px"
