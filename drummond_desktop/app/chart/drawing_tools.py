"""``DrawingLayer``: draws a ``DrawingsModel`` on a ``ChartWidget``'s price pane and turns mouse
gestures into undoable edits.

The layer attaches from outside (a scene event filter; the chart is not subclassed) and uses
only the chart's ``price`` plot, ``view`` scene, ``bars``, ``data_changed`` and ``x_range()``.

* With a tool (``set_tool("trend")``...): press-drag-release, or two clicks, creates a drawing;
  ``level`` and ``text`` take one click (``text`` asks for the note through ``ask_text``). The
  tool then goes back to select, unless ``sticky_tools``.
* Without a tool: a click selects the drawing under the mouse (within ``HIT_PX`` pixels);
  dragging it moves it (one undo step per drag); a double click edits its text; Delete or
  Backspace deletes it; Escape cancels a gesture, then the tool, then the selection.
* ``undo_action`` / ``redo_action`` (Ctrl+Z, Ctrl+Shift+Z or Ctrl+Y while the chart has focus)
  and ``delete_action`` can go on toolbars and menus.

The viewbox's mouse is switched off for the length of a gesture, so drawing never pans.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

from drummond_desktop.app.chart.drawings import DrawingItem, TimeMap, geometry
from drummond_desktop.app.models.drawings import DrawingsModel
from drummond_desktop.app.views.prompts import ask_text

if TYPE_CHECKING:
    from drummond_desktop.app.chart.chart_widget import ChartWidget
    from drummond_desktop.store.drawings import DrawingRecord

TOOLS = ("trend", "ray", "level", "rect", "text", "measure")  # store.drawings.KINDS
ONE_CLICK = ("level", "text")
HIT_PX = 6.0
CLICK_PX = 4.0  # a press and release closer than this is a click, not a drag

AskText = Callable[[QtWidgets.QWidget, str], "str | None"]  # parent, current -> text or None
_E = QtCore.QEvent.Type


def ask_text_dialog(parent: QtWidgets.QWidget, current: str) -> str | None:
    """The note of a text drawing (None when cancelled or blank)."""
    return ask_text(parent, "Text note", "Note:", current) or None


@dataclass
class _Gesture:
    """A drawing being created (``record_id`` None) or moved, in view coordinates."""

    kind: str
    start: QtCore.QPointF
    start_scene: QtCore.QPointF
    end: QtCore.QPointF
    record_id: str | None = None
    waiting: bool = False  # two-click creation: first click done, waiting for the second
    moved: bool = False


class DrawingLayer(QtCore.QObject):
    """See the module docstring."""

    tool_changed = QtCore.Signal(object)  # the tool kind, or None for select/move
    selection_changed = QtCore.Signal(object)  # the selected drawing's id, or None

    def __init__(self, chart: ChartWidget, model: DrawingsModel, *,
                 ask_text: AskText | None = None,
                 parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent if parent is not None else chart)
        self.chart, self.model = chart, model
        self.ask_text: AskText = ask_text or ask_text_dialog
        self.sticky_tools = False
        self.tool: str | None = None
        self.selected: str | None = None
        self.items: dict[str, DrawingItem] = {}
        self.tmap = TimeMap(())
        self._vb = chart.price.getViewBox()
        self._scene = chart.view.scene()
        self._gesture: _Gesture | None = None
        self._preview: DrawingItem | None = None
        self._saved_mouse: list[bool] | None = None
        self._pressed: str | None = None  # what the last press hit (double-click edits it)
        self._make_actions()
        self._scene.installEventFilter(self)  # mouse: the scene's events, before pyqtgraph's
        chart.view.installEventFilter(self)  # keys: pyqtgraph hands them to the scene directly
        model.changed.connect(self._on_model_changed)
        chart.data_changed.connect(self._on_chart_data_changed)
        self._vb.sigXRangeChanged.connect(self._on_view_x_range_changed)
        self._on_chart_data_changed()

    def _make_actions(self) -> None:
        stack = self.model.undo_stack
        self.undo_action = stack.createUndoAction(self, "Undo")
        self.undo_action.setShortcuts([QtGui.QKeySequence(QtGui.QKeySequence.StandardKey.Undo)])
        self.redo_action = stack.createRedoAction(self, "Redo")
        self.redo_action.setShortcuts([QtGui.QKeySequence("Ctrl+Shift+Z"),
                                       QtGui.QKeySequence("Ctrl+Y")])
        self.delete_action = QtGui.QAction("Delete drawing", self)
        self.delete_action.setEnabled(False)
        self.delete_action.triggered.connect(self.delete_selected)
        for action in (self.undo_action, self.redo_action):
            action.setShortcutContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.chart.view.addAction(action)

    def detach(self) -> None:
        """Remove the drawings and the event filter from the chart (before dropping the layer)."""
        self._cancel_gesture()
        self._scene.removeEventFilter(self)
        self.chart.view.removeEventFilter(self)
        for action in (self.undo_action, self.redo_action):
            self.chart.view.removeAction(action)
        self.model.changed.disconnect(self._on_model_changed)
        self.chart.data_changed.disconnect(self._on_chart_data_changed)
        self._vb.sigXRangeChanged.disconnect(self._on_view_x_range_changed)
        for item in self.items.values():
            self.chart.price.removeItem(item)
        self.items.clear()

    # -- tools and selection ------------------------------------------------------------------
    def set_tool(self, kind: str | None) -> None:
        """Draw ``kind`` with the next gesture; ``None`` selects and moves."""
        if kind is not None and kind not in TOOLS:
            raise ValueError(f"unknown drawing tool {kind!r}; one of {TOOLS} or None")
        self._cancel_gesture()
        if kind is not None:
            self.select(None)
        self.tool = kind
        viewport = self.chart.view.viewport()
        if kind is None:
            viewport.unsetCursor()
        else:
            viewport.setCursor(QtCore.Qt.CursorShape.CrossCursor)
        self.tool_changed.emit(kind)

    def select(self, drawing_id: str | None) -> None:
        if drawing_id == self.selected:
            return
        self.selected = drawing_id
        self.delete_action.setEnabled(drawing_id is not None)
        self._refresh()
        self.selection_changed.emit(drawing_id)

    def delete_selected(self) -> None:
        if self.selected is not None and self.model.get(self.selected) is not None:
            self.model.delete(self.selected)

    def hit_test(self, scene_pt: QtCore.QPointF) -> str | None:
        """The drawing within ``HIT_PX`` of ``scene_pt``: the nearest, the newest on a tie."""
        best, found = HIT_PX, None
        for drawing_id, item in reversed(self.items.items()):
            d = item.distance_px(scene_pt)
            if d < best:
                best, found = d, drawing_id
        return found

    # -- geometry -----------------------------------------------------------------------------
    def _on_chart_data_changed(self) -> None:
        bars = self.chart.bars
        self.tmap = TimeMap(bars.ts if bars is not None else ())
        self._refresh()

    def _on_view_x_range_changed(self, *_: object) -> None:
        # only rays and levels reach the view's edges; the rest keep their geometry
        self._refresh(kinds=("ray", "level"))

    def _on_model_changed(self) -> None:
        if self.selected is not None and self.model.get(self.selected) is None:
            self.select(None)
        self._refresh()

    def _refresh(self, kinds: tuple[str, ...] | None = None) -> None:
        records = {r.id: r for r in self.model.records()} if len(self.tmap) else {}
        for gone in [i for i in self.items if i not in records]:
            self.chart.price.removeItem(self.items.pop(gone))
        for drawing_id, record in records.items():
            item = self.items.get(drawing_id)
            if item is None:
                item = self.items[drawing_id] = DrawingItem(record)
                self.chart.price.addItem(item, ignoreBounds=True)
            elif kinds is not None and record.kind not in kinds:
                continue
            self._show(item, record, drawing_id == self.selected)
        if self._preview is not None and (kinds is None or self._preview.record.kind in kinds):
            self._show(self._preview, self._preview.record, True)

    def _show(self, item: DrawingItem, record: DrawingRecord, selected: bool) -> None:
        item.set_geometry(record, geometry(record, self.tmap, self.chart.x_range()), selected)

    # -- events -------------------------------------------------------------------------------
    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind in (_E.GraphicsSceneMousePress, _E.GraphicsSceneMouseDoubleClick):
            assert isinstance(event, QtWidgets.QGraphicsSceneMouseEvent)
            return self._on_press(event, double=kind == _E.GraphicsSceneMouseDoubleClick)
        if kind == _E.GraphicsSceneMouseMove:
            assert isinstance(event, QtWidgets.QGraphicsSceneMouseEvent)
            self._on_move(event)
            return False  # the crosshair keeps following the mouse
        if kind == _E.GraphicsSceneMouseRelease:
            assert isinstance(event, QtWidgets.QGraphicsSceneMouseEvent)
            return self._on_release(event)
        if kind == _E.KeyPress and obj is self.chart.view:
            assert isinstance(event, QtGui.QKeyEvent)
            return self._on_key(event.key())
        return False

    def _on_press(self, ev: QtWidgets.QGraphicsSceneMouseEvent, double: bool) -> bool:
        if ev.button() != QtCore.Qt.MouseButton.LeftButton:
            if self._gesture is None:
                return False
            self._cancel_gesture()  # another button aborts the gesture
            return True
        pos = ev.scenePos()
        if self._gesture is not None:  # the second click of a two-click creation
            self._gesture.end = self._vb.mapSceneToView(pos)
            self._gesture.waiting = False
            return True
        if not len(self.tmap) or not self._vb.sceneBoundingRect().contains(pos):
            return False
        pt = self._vb.mapSceneToView(pos)
        if self.tool is not None:
            self._pressed = None
            if not self.model.symbol:
                return False  # nothing to draw on yet
            self._begin(_Gesture(self.tool, pt, pos, pt))
            return True
        hit = self.hit_test(pos)
        self.select(hit)
        # a double click edits only when both clicks selected it (not the click that drew it)
        pressed_before, self._pressed = self._pressed, hit
        if hit is None:
            return False
        if double and hit == pressed_before:
            self._edit_text(hit)
            return True
        self._begin(_Gesture("move", pt, pos, pt, record_id=hit))
        return True

    def _on_move(self, ev: QtWidgets.QGraphicsSceneMouseEvent) -> None:
        g = self._gesture
        if g is None:
            return
        g.end = self._vb.mapSceneToView(ev.scenePos())
        g.moved = g.moved or _px(ev.scenePos(), g.start_scene) >= CLICK_PX
        self._update_preview()

    def _on_release(self, ev: QtWidgets.QGraphicsSceneMouseEvent) -> bool:
        g = self._gesture
        if g is None:
            return False
        if ev.button() != QtCore.Qt.MouseButton.LeftButton or g.waiting:
            return True
        g.end = self._vb.mapSceneToView(ev.scenePos())
        dragged = g.moved or _px(ev.scenePos(), g.start_scene) >= CLICK_PX
        if g.record_id is None and g.kind not in ONE_CLICK and not dragged:
            g.waiting = True  # a click, not a drag: the next click sets the second anchor
            return True
        self._finish(g, moved=dragged)
        return True

    def _on_key(self, key: int) -> bool:
        k = QtCore.Qt.Key
        if key in (k.Key_Delete, k.Key_Backspace) and self.selected is not None:
            self.delete_selected()
            return True
        if key == k.Key_Escape:
            if self._gesture is not None:
                self._cancel_gesture()
            elif self.tool is not None:
                self.set_tool(None)
            elif self.selected is not None:
                self.select(None)
            else:
                return False
            return True
        return False

    # -- gestures -----------------------------------------------------------------------------
    def _begin(self, gesture: _Gesture) -> None:
        self._gesture = gesture
        self._saved_mouse = list(self._vb.state["mouseEnabled"])
        self._vb.setMouseEnabled(False, False)  # no pan or zoom while drawing or moving
        self._update_preview()

    def _end(self) -> None:
        self._gesture = None
        if self._saved_mouse is not None:
            self._vb.setMouseEnabled(*self._saved_mouse)
            self._saved_mouse = None
        if self._preview is not None:
            self.chart.price.removeItem(self._preview)
            self._preview = None

    def _cancel_gesture(self) -> None:
        if self._gesture is not None:
            self._end()
            self._refresh()

    def _candidate(self, g: _Gesture) -> DrawingRecord | None:
        """The record the gesture would make now (None for a zero-size move)."""
        if g.record_id is not None:
            record = self.model.get(g.record_id)
            if record is None:
                return None
            dx, dy = g.end.x() - g.start.x(), g.end.y() - g.start.y()
            xs = self.tmap.x_of([t for t, _ in record.anchors]) + dx
            times = self.tmap.t_of(xs)
            return record.with_anchors([(int(t), p + dy) for t, (_, p)
                                        in zip(times, record.anchors, strict=True)])
        from drummond_desktop.store.drawings import DrawingRecord

        points = [g.start] if g.kind in ONE_CLICK else [g.start, g.end]
        anchors = [(int(self.tmap.t_of(p.x())[0]), p.y()) for p in points]
        text = "…" if g.kind == "text" else ""
        symbol = self.model.symbol or "(none)"
        return DrawingRecord.create(symbol, g.kind, anchors, text)

    def _update_preview(self) -> None:
        g = self._gesture
        if g is None or not all(math.isfinite(v) for v in (g.end.x(), g.end.y())):
            return
        record = self._candidate(g)
        if record is None:
            return
        if g.record_id is not None:  # moving: the item itself follows the mouse
            item = self.items.get(g.record_id)
            if item is not None:
                self._show(item, record, True)
            return
        if self._preview is None:
            self._preview = DrawingItem(record)
            self.chart.price.addItem(self._preview, ignoreBounds=True)
        self._show(self._preview, record, True)

    def _finish(self, g: _Gesture, moved: bool) -> None:
        record = self._candidate(g)
        self._end()
        if record is None:
            return
        if g.record_id is not None:
            if moved:
                self.model.move(g.record_id, record.anchors)  # one undo step per drag
            self._refresh()
            return
        text = ""
        if g.kind == "text":
            text = self.ask_text(self.chart, "") or ""
            if not text.strip():
                self._refresh()
                return
        created = self.model.create(g.kind, record.anchors, text)
        if not self.sticky_tools:
            self.set_tool(None)
        self.select(created.id)

    def _edit_text(self, drawing_id: str) -> None:
        record = self.model.get(drawing_id)
        if record is None:
            return
        text = self.ask_text(self.chart, record.text)
        if text is not None and (text.strip() or record.kind != "text"):
            self.model.edit_text(drawing_id, text)


def _px(a: QtCore.QPointF, b: QtCore.QPointF) -> float:
    return math.hypot(a.x() - b.x(), a.y() - b.y())
