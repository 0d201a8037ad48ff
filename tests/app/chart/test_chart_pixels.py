"""The pixel-snapped ``DrawList`` primitives, checked pixel by pixel against slow twins written
here in numpy, and the paint guard that keeps a failing item from taking the app down."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from drummond_desktop.app.chart.bulk import DrawList
from drummond_desktop.app.chart.style import dot_sprite

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

W, H = 240, 160
RED = QtGui.QColor(255, 0, 0)


def _transform() -> QtGui.QTransform:
    """A ViewBox-like transform: x scaled by 3, y flipped and scaled by 2, offset."""
    return QtGui.QTransform(3.0, 0.0, 0.0, -2.0, 7.25, 150.5)


def _render(d: DrawList) -> np.ndarray:
    """The replayed drawing as a boolean mask of red pixels."""
    img = QtGui.QImage(W, H, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(0xFF000000)
    p = QtGui.QPainter(img)
    p.setTransform(d.transform)
    d.replay(p)
    p.end()
    arr = np.frombuffer(img.constBits(), dtype=np.uint32, count=W * H).reshape(H, W)
    return ((arr >> 16) & 0xFF) > 128


def _mask_of_columns(cols, up, down) -> np.ndarray:
    """Slow twin: fill rows up..down-1 of each column, one pixel at a time."""
    m = np.zeros((H, W), dtype=bool)
    for c, a, b in zip(cols, up, down, strict=True):
        for row in range(int(a), int(b)):
            if 0 <= row < H and 0 <= c < W:
                m[row, int(c)] = True
    return m


def test_vlines_cover_both_ends(qtbot):
    d = DrawList((), _transform())
    d.vlines(QtGui.QBrush(RED), np.array([10.0, 20.0]), np.array([5.0, 60.0]),
             np.array([30.0, 10.0]))
    got = _render(d)
    want = np.zeros_like(got)
    for x, y0, y1 in ((10.0, 5.0, 30.0), (20.0, 60.0, 10.0)):
        col = int(np.floor(3 * x + 7.25))
        ya, yb = -2 * y0 + 150.5, -2 * y1 + 150.5
        want[int(np.floor(min(ya, yb))):int(np.floor(max(ya, yb))) + 1, col] = True
    assert got.sum() > 0 and np.array_equal(got, want)


def test_column_ranges_stay_connected_and_break_at_nan(qtbot):
    d = DrawList((), QtGui.QTransform())
    x = np.arange(10.0, 20.0)
    lo = np.array([10, 12, 40, 41, 42, np.nan, 80, 80, 20, 21], dtype=float)
    hi = lo + 2
    d.column_ranges(QtGui.QBrush(RED), x, lo, hi)
    got = _render(d)
    for c in (10, 11, 12, 13, 14, 17, 18):  # each run reaches the previous column's run
        rows = np.flatnonzero(got[:, c])
        assert rows.size and np.all(np.diff(rows) == 1)
    assert not got[:, 15].any()  # the NaN column breaks the line
    assert got[14:41, 12].all()  # 12 -> 40: the jump is drawn, not skipped
    assert got[22:81, 18].all()  # 80 -> 20 downwards too
    assert got[80:83, 16].all() and got[:, 16].sum() == 3  # after the gap: its own run only


@pytest.mark.parametrize("block", [4, 8, 16])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fill_between_equals_its_slow_twin(qtbot, monkeypatch, seed, block):
    """Wide blocks plus slivers paint exactly the per-column fill (with a NaN gap)."""
    monkeypatch.setattr(DrawList, "FILL_BLOCK", block)
    rng = np.random.default_rng(seed)
    d = DrawList((), QtGui.QTransform())
    x = np.linspace(3.0, 230.0, 40)
    top = 40 + np.cumsum(rng.normal(0, 3, x.size))
    bot = top + rng.uniform(25, 40, x.size)  # an envelope-like band: its height varies little
    top[25] = np.nan  # a gap
    d.fill_between(QtGui.QBrush(RED), x, top, bot)
    got = _render(d)
    cols = np.arange(np.ceil(x[0]), np.floor(x[-1]) + 1)
    a, b = np.interp(cols, x, top), np.interp(cols, x, bot)
    ok = np.isfinite(a) & np.isfinite(b)
    up = np.rint(np.minimum(a, b))[ok]
    down = np.maximum(np.rint(np.maximum(a, b))[ok], up + 1)
    want = _mask_of_columns(cols[ok], up, down)
    assert want.sum() > 1000 and np.array_equal(got, want)
    rects = np.concatenate([op[2]._arr.ndarray().view(np.int32) for op in d.ops])
    w, h = rects[:, 2] - rects[:, 0] + 1, rects[:, 3] - rects[:, 1] + 1
    assert (w * h)[w > 1].sum() > 0.5 * want.sum()  # most pixels come as wide rows


def test_fill_between_nearest_keeps_column_extremes(qtbot):
    d = DrawList((), QtGui.QTransform())
    x = np.arange(0.0, 100.0) + 0.5
    top = np.full(x.size, 50.0)
    top[40] = 5.0  # a one-column spike
    d.fill_between(QtGui.QBrush(RED), x, top, np.full(x.size, 80.0), nearest=True)
    got = _render(d)
    assert got[5:80, :].any(axis=1).all() and got[5, :].sum() >= 1


def test_hlines_and_dashes(qtbot):
    d = DrawList((), QtGui.QTransform())
    d.hlines(QtGui.QBrush(RED), np.array([10.0]), np.array([50.0]), np.array([20.0]), px=2.0)
    d.dashes(QtGui.QBrush(RED), np.array([10.0]), np.array([50.0]), np.array([60.0]), px=2.0)
    got = _render(d)
    assert got[19:21, 10:50].all() and not got[18, 10:50].any() and not got[21, 10:50].any()
    row = got[59, 10:50]
    assert row.sum() == 20 and row[:2].all() and not row[2:4].any()  # 2 on, 2 off


def test_sprites_centred_on_points(qtbot):
    d = DrawList((), _transform())
    sprite = dot_sprite(RED, 5.0)
    d.sprites(sprite, [10.0, 40.0], [20.0, 50.0])
    got = _render(d)
    for x, y in ((10.0, 20.0), (40.0, 50.0)):
        cx, cy = 3 * x + 7.25, -2 * y + 150.5
        assert got[int(cy), int(cx)]
    ys, xs = np.nonzero(got)
    centres = np.array([[3 * 10.0 + 7.25, -2 * 20.0 + 150.5], [3 * 40.0 + 7.25, -2 * 50.0 + 150.5]])
    dist = np.min(np.hypot(xs[:, None] + 0.5 - centres[:, 0], ys[:, None] + 0.5 - centres[:, 1]),
                  axis=1)
    assert dist.max() <= sprite.width() / 2 + 1  # nothing drawn outside the two dots
    assert dot_sprite(RED, 5.0) is sprite  # made once per colour and size


def test_a_failing_item_is_logged_and_the_rest_still_paints(make_chart, caplog):
    from tests.app.chart.conftest import synthetic_bars

    w = make_chart(600, 400)
    bars = synthetic_bars(300, seed=3)
    w.set_data(bars)

    def broken(d: DrawList) -> None:
        raise RuntimeError("boom in draw")

    w.vol_item.draw = broken
    w.vol_item.invalidate()
    with caplog.at_level(logging.ERROR, logger="drummond_desktop.app.chart.base"):
        img = w.grab().toImage()
    assert any("VolumeItem failed to paint" in r.getMessage() and r.exc_info
               for r in caplog.records)
    assert w.candles.last_frame is not None and not img.isNull()
    assert QtCore.QRect(0, 0, 600, 400).contains(img.rect())


def test_atlas_sprites_pick_each_points_glyph(qtbot):
    from drummond_desktop.app.chart.style import sprite_atlas

    blue = QtGui.QColor(0, 0, 255)
    small, big = dot_sprite(RED, 4.0, square=True), dot_sprite(blue, 7.0, square=True)
    atlas, lefts = sprite_atlas([small, big])
    assert lefts == [0.0, float(small.width())]
    d = DrawList((), QtGui.QTransform())
    d.sprites(atlas, [20.0, 60.0], [30.0, 30.0], np.array(lefts),
              np.array([small.width(), big.width()], dtype=float))
    img = QtGui.QImage(W, H, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(0xFF000000)
    p = QtGui.QPainter(img)
    d.replay(p)
    p.end()
    assert QtGui.QColor(img.pixel(20, 30)) == RED and QtGui.QColor(img.pixel(60, 30)) == blue
    assert QtGui.QColor(img.pixel(63, 30)) == blue  # the big glyph's full width, not clipped
    assert QtGui.QColor(img.pixel(23, 30)) != RED  # the small one stays small


@pytest.mark.parametrize("bars_in_view", [60, 5_000])
def test_state_strip_shows_each_bars_state_colour(make_chart, bars_in_view):
    """Per bar (zoomed in) or per pixel column (zoomed out), the strip's pixels carry the
    colour of the state the bar (or the column's last bar) is in."""
    from drummond_desktop.app.chart.markers import column_last_bars
    from engine.drummond import analyze
    from tests.app.chart.conftest import synthetic_bars

    w = make_chart(900, 500)
    bars = synthetic_bars(20_000, seed=4, step=60)
    w.set_data(bars, analyze(bars))
    w.set_x_range(10_000 - 0.5, 10_000 + bars_in_view - 0.5)
    img = w.view.grab().toImage()
    strip = w.items["state"]
    palette = [int(c) & 0xFFFFFF for c in strip._argb]
    vb = w.strip.getViewBox()
    span = strip.last_span
    assert span is not None and span.aggregated == (bars_in_view > 900)
    cat = strip.categories
    first, last = 10_000, 10_000 + bars_in_view - 1  # the bars whose centres are in view
    picks = (range(first, last + 1, max(1, bars_in_view // 40)) if not span.aggregated
             else column_last_bars(span)[5:-5:40])
    checked = 0
    for i in picks:
        pt = w.view.mapFromScene(vb.mapViewToScene(QtCore.QPointF(float(i), 0.5)))
        colour = img.pixel(pt.x(), pt.y()) & 0xFFFFFF
        if span.aggregated:  # a column's colour is one of the states its bars end on
            assert colour in palette
        else:
            assert colour == palette[cat[i]], (i, hex(colour))
        checked += 1
    assert checked >= 20
