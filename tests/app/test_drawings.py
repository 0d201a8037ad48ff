"""Chart drawings: created with the mouse (every kind), selected and moved by dragging (one undo
step), deleted with the Delete key, undone and redone, persisted across a restart, and anchored
to time so they survive an interval change; bad input refused with clear errors."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest
from PySide6 import QtCore
from PySide6.QtCore import Qt

from drummond_desktop.app.chart.chart_widget import ChartWidget
from drummond_desktop.app.chart.drawing_tools import TOOLS, DrawingLayer
from drummond_desktop.app.chart.drawings import TimeMap, format_duration, geometry, measure_label
from drummond_desktop.app.models.drawings import DrawingsModel
from drummond_desktop.app.views.drawing_toolbar import DrawingToolBar
from drummond_desktop.app.workers import TaskRunner
from drummond_desktop.store.drawings import KINDS, DrawingRecord, DrawingUnreadable
from drummond_desktop.store.stores import open_user_store
from engine.bars import Bars
from tests.app.chart.conftest import synthetic_bars

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

DAY = 86_400
SYMBOL = "AAPL.US"


def weekdays_bars(n: int = 400) -> Bars:
    """``n`` daily bars on Monday-Friday dates (so weekly bars group five, with gaps)."""
    days = np.arange(19_000, 19_000 + 2 * n, dtype=np.int64)  # 19000 = 2022-01-08, a Saturday
    days = days[(days + 3) % 7 < 5][:n]
    b = synthetic_bars(n, seed=4)
    return Bars.from_arrays(days * DAY, b.open, b.high, b.low, b.close, b.volume,
                            timeframe="1d")


def to_weekly(daily: Bars) -> Bars:
    """ISO-week bars stamped with each week's first session (first open, max high...)."""
    week = (daily.ts // DAY + 3) // 7  # Monday-based week number
    starts = np.flatnonzero(np.r_[True, week[1:] != week[:-1]])
    ends = np.r_[starts[1:], len(week)]
    return Bars.from_arrays(daily.ts[starts], daily.open[starts],
                            np.maximum.reduceat(daily.high, starts),
                            np.minimum.reduceat(daily.low, starts), daily.close[ends - 1],
                            np.add.reduceat(daily.volume, starts), timeframe="1w")


@pytest.fixture
def chart(qtbot) -> ChartWidget:
    w = ChartWidget()
    qtbot.addWidget(w)
    w.resize(1000, 600)
    w.show()
    qtbot.waitExposed(w)
    w.set_data(weekdays_bars())
    w.set_x_range(250, 400)
    return w


def make_layer(chart: ChartWidget, model: DrawingsModel, note: str = "Buy here") -> DrawingLayer:
    return DrawingLayer(chart, model, ask_text=lambda parent, current: note)


@pytest.fixture
def layer(chart: ChartWidget) -> DrawingLayer:
    model = DrawingsModel()
    model.set_symbol(SYMBOL)
    return make_layer(chart, model)


def y_at(chart: ChartWidget, frac: float) -> float:
    """The price ``frac`` of the way up the price pane's visible range."""
    (_, _), (y0, y1) = chart.price.getViewBox().viewRange()
    return y0 + frac * (y1 - y0)


def viewport_pos(chart: ChartWidget, x: float, y: float) -> QtCore.QPoint:
    scene = chart.price.getViewBox().mapViewToScene(QtCore.QPointF(x, y))
    return chart.view.mapFromScene(scene)


def press(qtbot, chart, x, y):
    qtbot.mousePress(chart.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=viewport_pos(chart, x, y))


def move(qtbot, chart, x, y):
    qtbot.mouseMove(chart.view.viewport(), pos=viewport_pos(chart, x, y))


def release(qtbot, chart, x, y):
    qtbot.mouseRelease(chart.view.viewport(), Qt.MouseButton.LeftButton,
                       pos=viewport_pos(chart, x, y))


def drag(qtbot, chart, a, b):
    press(qtbot, chart, *a)
    move(qtbot, chart, (a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
    move(qtbot, chart, *b)
    release(qtbot, chart, *b)


def click(qtbot, chart, x, y):
    press(qtbot, chart, x, y)
    release(qtbot, chart, x, y)


def assert_anchor(anchor, tmap: TimeMap, x: float, y: float, chart: ChartWidget) -> None:
    """The anchor is where the mouse was, to a pixel (time) and a pixel (price)."""
    vb = chart.price.getViewBox()
    px_x, px_y = vb.viewPixelSize()
    assert tmap.x_of(anchor[0])[0] == pytest.approx(x, abs=1.5 * px_x)
    assert anchor[1] == pytest.approx(y, abs=1.5 * px_y)


# -- time map and labels (no mouse) ------------------------------------------------------------
def test_time_map_places_times_between_and_beyond_bars():
    ts = weekdays_bars(20).ts
    tmap = TimeMap(ts)
    assert tmap.step == DAY
    np.testing.assert_allclose(tmap.x_of(ts), np.arange(20))
    friday = int(np.flatnonzero(np.diff(ts) == 3 * DAY)[0])  # Friday -> Monday gap
    assert tmap.x_of(ts[friday] + 1.5 * DAY)[0] == pytest.approx(friday + 0.5)
    assert tmap.x_of(ts[-1] + 3 * DAY)[0] == pytest.approx(22.0)  # the future slot
    assert tmap.x_of(ts[0] - DAY)[0] == pytest.approx(-1.0)
    xs = np.array([-2.0, 0.0, 3.25, friday + 0.5, 19.0, 25.5])
    np.testing.assert_array_equal(tmap.x_of(tmap.t_of(xs)), xs)
    assert np.isnan(TimeMap(()).x_of(5)[0])
    with pytest.raises(ValueError, match="no bars"):
        TimeMap(()).t_of(1.0)


def test_measure_label_and_durations():
    t0 = 1_700_000_000
    label = measure_label((t0, 100.0), (t0 + 8 * DAY + 3 * 3600, 105.6), 42)
    assert label == "Δ 5.60  +5.6 %  42 bars  8 d 3 h"
    down = measure_label((t0, 50.0), (t0 - 3600, 45.0), -1)
    assert down == "Δ -5.000  -10.0 %  -1 bars  -1 h 0 m"
    assert [format_duration(s) for s in (45, 20 * 60, 3 * 3600 + 60, 2 * DAY)] == [
        "45 s", "20 m", "3 h 1 m", "2 d 0 h"]


def test_tool_list_matches_the_store_kinds():
    assert TOOLS == KINDS


def test_app_modules_do_not_import_sqlalchemy():
    code = ("import sys\n"
            "import drummond_desktop.app.chart.drawing_tools, drummond_desktop.app.models.drawings,"
            " drummond_desktop.app.views.drawing_toolbar\n"
            "print('sqlalchemy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "False"


# -- creating with the mouse -------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_created_by_mouse(chart, layer, qtbot, kind):
    vb = chart.price.getViewBox()
    before = chart.x_range()
    a, b = (300.0, y_at(chart, 0.3)), (340.0, y_at(chart, 0.7))
    layer.set_tool(kind)
    if kind in ("level", "text"):
        click(qtbot, chart, *a)
    else:
        drag(qtbot, chart, a, b)
    [record] = layer.model.records()
    assert record.kind == kind and record.symbol == SYMBOL
    assert_anchor(record.anchors[0], layer.tmap, *a, chart)
    if kind not in ("level", "text"):
        assert_anchor(record.anchors[1], layer.tmap, *b, chart)
    assert record.text == ("Buy here" if kind == "text" else "")
    assert chart.x_range() == before  # the drag drew, it did not pan
    assert vb.state["mouseEnabled"] == [True, False]  # restored after the gesture
    assert layer.tool is None and layer.selected == record.id
    item = layer.items[record.id]
    assert item.scene() is chart.view.scene() and item.geom.points
    if kind == "level":
        price = record.anchors[0][1]
        assert item.geom.line == (before[0], price, before[1], price)
        assert f"{a[1]:.2f}"[:-1] in item.geom.label
    if kind == "measure":
        assert item.geom.label.startswith("Δ ") and "40 bars" in item.geom.label
    if kind == "rect":
        assert item.geom.rect is not None and item.geom.rect[0] < item.geom.rect[2]


def test_two_clicks_create_a_trend_line_and_escape_cancels(chart, layer, qtbot):
    a, b = (280.0, y_at(chart, 0.2)), (320.0, y_at(chart, 0.8))
    layer.set_tool("trend")
    click(qtbot, chart, *a)
    assert layer.model.records() == ()
    move(qtbot, chart, *b)
    assert layer._preview is not None  # the line follows the mouse
    click(qtbot, chart, *b)
    [record] = layer.model.records()
    assert_anchor(record.anchors[1], layer.tmap, *b, chart)
    assert layer._preview is None
    layer.set_tool("ray")
    click(qtbot, chart, *a)
    qtbot.keyClick(chart.view, Qt.Key.Key_Escape)
    assert layer._gesture is None and layer.tool == "ray"
    qtbot.keyClick(chart.view, Qt.Key.Key_Escape)
    assert layer.tool is None and len(layer.model) == 1


def test_a_cancelled_text_note_creates_nothing(chart, qtbot):
    model = DrawingsModel()
    model.set_symbol(SYMBOL)
    layer = DrawingLayer(chart, model, ask_text=lambda parent, current: None)
    layer.set_tool("text")
    click(qtbot, chart, 300.0, y_at(chart, 0.5))
    assert model.records() == () and layer._preview is None


def test_ray_reaches_the_right_edge_when_the_view_moves(chart, layer, qtbot):
    t = layer.tmap.t_of([300, 310])
    ray = layer.model.create("ray", [(int(t[0]), 100.0), (int(t[1]), 101.0)])
    chart.set_x_range(200, 380)
    right = chart.x_range()[1]
    line = layer.items[ray.id].geom.line
    assert line is not None and line[2] == right > 340
    assert line[3] == pytest.approx(100.0 + (right - 300) / 10)


# -- select, move, delete, undo ----------------------------------------------------------------
def test_drag_moves_a_drawing_in_one_undo_step(chart, layer, qtbot):
    y0, y1 = y_at(chart, 0.3), y_at(chart, 0.6)
    t = layer.tmap.t_of([300, 340])
    line = layer.model.create("trend", [(int(t[0]), y0), (int(t[1]), y1)])
    stack = layer.model.undo_stack
    steps = stack.count()
    on_line = (320.0, (y0 + y1) / 2)
    dy = y_at(chart, 0.1) - y_at(chart, 0.0)
    before = chart.x_range()
    drag(qtbot, chart, on_line, (on_line[0] + 10, on_line[1] + dy))
    assert chart.x_range() == before
    moved = layer.model.get(line.id)
    assert stack.count() == steps + 1  # one command for the whole drag
    assert layer.tmap.x_of([a[0] for a in moved.anchors]) == pytest.approx([310, 350], abs=0.2)
    assert [p for _, p in moved.anchors] == pytest.approx([y0 + dy, y1 + dy], rel=1e-3)
    layer.undo_action.trigger()
    assert layer.model.get(line.id) == line
    layer.redo_action.trigger()
    assert layer.model.get(line.id) == moved
    click(qtbot, chart, 250.5, y_at(chart, 0.95))  # empty space: deselects
    assert layer.selected is None and stack.count() == steps + 1


def test_click_selects_and_delete_key_deletes_then_undo_restores(chart, layer, qtbot):
    level = layer.model.create("level", [(int(layer.tmap.t_of(300)[0]), y_at(chart, 0.5))])
    zone_t = layer.tmap.t_of([260, 280])
    zone = layer.model.create("rect", [(int(zone_t[0]), y_at(chart, 0.1)),
                                       (int(zone_t[1]), y_at(chart, 0.3))])
    click(qtbot, chart, 380.0, y_at(chart, 0.5))
    assert layer.selected == level.id and layer.delete_action.isEnabled()
    click(qtbot, chart, 270.0, y_at(chart, 0.2))  # inside the zone
    assert layer.selected == zone.id
    chart.view.setFocus()
    qtbot.keyClick(chart.view, Qt.Key.Key_Delete)
    assert [r.id for r in layer.model.records()] == [level.id]
    assert layer.selected is None and zone.id not in layer.items
    layer.undo_action.trigger()
    assert [r.id for r in layer.model.records()] == [level.id, zone.id]
    assert zone.id in layer.items
    layer.redo_action.trigger()
    assert [r.id for r in layer.model.records()] == [level.id]


def test_undo_redo_shortcuts(chart, layer, qtbot):
    assert layer.undo_action.shortcut().toString() == "Ctrl+Z"
    assert [s.toString() for s in layer.redo_action.shortcuts()] == ["Ctrl+Shift+Z", "Ctrl+Y"]
    assert layer.undo_action in chart.view.actions()
    layer.model.create("level", [(int(layer.tmap.t_of(300)[0]), 100.0)])
    assert layer.undo_action.isEnabled() and not layer.redo_action.isEnabled()
    chart.activateWindow()
    chart.view.setFocus()
    qtbot.waitUntil(chart.view.hasFocus, timeout=2000)
    ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(chart.view, Qt.Key.Key_Z, ctrl)
    assert len(layer.model) == 0 and layer.redo_action.isEnabled()
    qtbot.keyClick(chart.view, Qt.Key.Key_Y, ctrl)
    assert len(layer.model) == 1
    qtbot.keyClick(chart.view, Qt.Key.Key_Z, ctrl)
    qtbot.keyClick(chart.view, Qt.Key.Key_Z, ctrl | shift)
    assert len(layer.model) == 1


def double_click(qtbot, chart, pos: QtCore.QPoint) -> None:
    """What Qt delivers for a double click: press, release, double-click, release."""
    viewport, left = chart.view.viewport(), Qt.MouseButton.LeftButton
    qtbot.mouseClick(viewport, left, pos=pos)
    qtbot.mouseDClick(viewport, left, pos=pos)
    qtbot.mouseRelease(viewport, left, pos=pos)


def test_double_click_edits_a_note(chart, qtbot):
    model = DrawingsModel()
    model.set_symbol(SYMBOL)
    answers = iter(["second", " "])
    layer = DrawingLayer(chart, model, ask_text=lambda parent, current: next(answers))
    note = model.create("text", [(int(layer.tmap.t_of(300)[0]), y_at(chart, 0.5))], "first")
    pos = viewport_pos(chart, 300.0, y_at(chart, 0.5)) + QtCore.QPoint(12, -8)  # on the label
    double_click(qtbot, chart, pos)
    assert model.get(note.id).text == "second"
    double_click(qtbot, chart, pos)
    assert model.get(note.id).text == "second"  # a blank note is refused
    layer.set_tool("level")  # a double click with a tool draws once and asks nothing
    double_click(qtbot, chart, viewport_pos(chart, 330.0, y_at(chart, 0.3)))
    assert [r.kind for r in model.records()] == ["text", "level"]
    assert layer._gesture is None and model.undo_stack.count() == 3


# -- time anchors survive an interval change --------------------------------------------------
def test_anchors_survive_switching_to_weekly_bars(chart, layer):
    daily = chart.bars
    t = daily.ts[[260, 330]]
    line = layer.model.create("trend", [(int(t[0]), 100.0), (int(t[1]), 110.0)])
    weekly = to_weekly(daily)
    chart.set_data(weekly)
    assert layer.model.get(line.id) == line  # the record itself is untouched
    geom = layer.items[line.id].geom
    x1, _, x2, _ = geom.line
    wmap = TimeMap(weekly.ts)
    assert list(wmap.t_of([x1, x2])) == [int(t[0]), int(t[1])]
    for x, when in ((x1, t[0]), (x2, t[1])):
        week = int(np.floor(x))
        assert weekly.ts[week] <= when < weekly.ts[week + 1]  # inside the week that holds it
    chart.set_data(daily)
    assert layer.items[line.id].geom.line[::2] == pytest.approx((260.0, 330.0))


# -- persistence --------------------------------------------------------------------------------
def test_drawings_persist_across_a_restart(chart, qtbot, tmp_path):
    url = f"sqlite:///{tmp_path / 'user.sqlite'}"
    store = open_user_store(url)
    model = DrawingsModel(store.drawings)
    model.set_symbol(SYMBOL)
    layer = make_layer(chart, model)
    for kind, a, b in (("trend", 260.0, 300.0), ("rect", 310.0, 330.0), ("measure", 340.0, 360.0)):
        layer.set_tool(kind)
        drag(qtbot, chart, (a, y_at(chart, 0.2)), (b, y_at(chart, 0.8)))
    layer.set_tool("text")
    click(qtbot, chart, 380.0, y_at(chart, 0.5))
    layer.model.undo_stack.undo()  # the text note is undone: not stored either
    drawn = model.records()
    assert [r.kind for r in drawn] == ["trend", "rect", "measure"]
    geometry_before = {r.id: layer.items[r.id].geom for r in drawn}
    layer.detach()
    store.close()

    with open_user_store(url) as reopened:
        again = DrawingsModel(reopened.drawings)
        again.set_symbol(SYMBOL)
        layer2 = make_layer(chart, again)
        assert again.records() == drawn
        assert {i: it.geom for i, it in layer2.items.items()} == geometry_before
        assert not again.undo_stack.canUndo()
        again.set_symbol("MSFT.US")
        assert again.records() == () and not layer2.items


@pytest.fixture
def runner(qtbot) -> Iterator[TaskRunner]:
    r = TaskRunner(io_threads=2, cpu_threads=1)
    yield r
    assert r.shutdown(5.0)


def test_saves_and_loads_run_on_the_task_runner(chart, qtbot, tmp_path, runner):
    url = f"sqlite:///{tmp_path / 'user.sqlite'}"
    with open_user_store(url) as store:
        store.drawings.save(DrawingRecord.create(SYMBOL, "level", [(int(chart.bars.ts[300]), 1.0)]))
        model = DrawingsModel(store.drawings, runner)
        with qtbot.waitSignal(model.loaded, timeout=5000):
            model.set_symbol(SYMBOL)
        layer = make_layer(chart, model)
        assert len(layer.items) == 1
        t = layer.tmap.t_of([300, 320])
        for i in range(5):  # a burst of edits: written behind, never an older state last
            model.create("trend", [(int(t[0]), 10.0 + i), (int(t[1]), 20.0)])
        model.undo_stack.undo()
        qtbot.waitUntil(lambda: model.pending() == 0, timeout=5000)
        assert store.drawings.for_symbol(SYMBOL) == list(model.records())
        model.create("text", [(int(t[0]), 5.0)], "last")
        model.flush()  # what shutdown calls: written now, on this thread
        assert store.drawings.for_symbol(SYMBOL) == list(model.records())
        assert model.pending() == 0
        qtbot.waitUntil(lambda: runner.pending() == 0, timeout=5000)


def test_unreadable_stored_drawings_are_never_overwritten(chart, qtbot, tmp_path):
    url = f"sqlite:///{tmp_path / 'user.sqlite'}"
    with open_user_store(url) as store:
        stored = DrawingRecord.create(SYMBOL, "level", [(int(chart.bars.ts[300]), 1.0)])
        store.drawings.save(stored)
        with store.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE drawings SET anchors = 'oops'")
        model = DrawingsModel(store.drawings)
        with qtbot.waitSignal(model.failed) as failure:
            model.set_symbol(SYMBOL)
        assert isinstance(failure.args[0], DrawingUnreadable)
        model.create("level", [(int(chart.bars.ts[310]), 2.0)])  # shown, kept in memory only
        with store.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT id, anchors FROM drawings").all()
        assert rows == [(stored.id, "oops")]


# -- bad input -----------------------------------------------------------------------------------
def test_bad_edits_are_refused_with_clear_errors(chart, layer):
    model = layer.model
    with pytest.raises(ValueError, match="unknown drawing tool 'circle'"):
        layer.set_tool("circle")
    other = DrawingRecord.create("MSFT.US", "level", [(0, 1.0)])
    with pytest.raises(ValueError, match=r"belongs to MSFT\.US, not the shown AAPL\.US"):
        model.add(other)
    line = model.create("trend", [(0, 1.0), (DAY, 2.0)])
    with pytest.raises(ValueError, match="already shown"):
        model.add(line)
    with pytest.raises(ValueError, match=r"DrawingRecord.anchors\[1\]: price must be finite"):
        model.move(line.id, [(0, 1.0), (DAY, float("nan"))])
    with pytest.raises(ValueError, match=r"DrawingRecord\.text: a text note"):
        model.create("text", [(0, 1.0)], "  ")
    with pytest.raises(KeyError, match="no drawing"):
        model.delete("0" * 32)
    assert model.records() == (line,) and model.undo_stack.count() == 1
    empty = DrawingsModel()
    with pytest.raises(ValueError, match="no symbol is shown"):
        empty.create("level", [(0, 1.0)])


def test_geometry_of_a_record_is_pure(chart):
    tmap = TimeMap(chart.bars.ts)
    rec = DrawingRecord.create(SYMBOL, "rect", [(int(chart.bars.ts[10]), 5.0),
                                                (int(chart.bars.ts[4]), 2.0)], "zone")
    g = geometry(rec, tmap, (0.0, 50.0))
    assert g.rect == (4.0, 2.0, 10.0, 5.0) and g.label == "zone" and g.label_at == (4.0, 5.0)


# -- toolbar -------------------------------------------------------------------------------------
def test_toolbar_drives_the_layer(chart, layer, qtbot):
    bar = DrawingToolBar()
    qtbot.addWidget(bar)
    assert not bar.tool_actions["trend"].isEnabled()
    bar.set_layer(layer)
    bar.tool_actions["measure"].trigger()
    assert layer.tool == "measure"
    layer.set_tool(None)
    assert bar.tool_actions[None].isChecked() and not bar.tool_actions["measure"].isChecked()
    for action in (layer.undo_action, layer.redo_action, layer.delete_action):
        assert action in bar.actions()
    assert [bar.tool_actions[k].objectName() for k in (None, "rect")] == [
        "drawTool_select", "drawTool_rect"]
    bar.set_layer(None)
    assert layer.undo_action not in bar.actions() and not bar.tool_actions["ray"].isEnabled()
