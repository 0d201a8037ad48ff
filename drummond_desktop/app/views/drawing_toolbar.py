"""``DrawingToolBar``: the drawing tools (select plus the six kinds, one checked at a time),
undo, redo and delete, bound to one ``DrawingLayer`` at a time (``set_layer`` when the active
chart changes)."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QToolBar, QWidget

from drummond_desktop.app.chart.drawing_tools import TOOLS, DrawingLayer

LABELS = {None: ("Select", "Select and move drawings (Esc)"),
          "trend": ("Trend", "Trend line: drag, or click twice"),
          "ray": ("Ray", "Ray: drag, or click twice; it runs on to the right"),
          "level": ("Level", "Horizontal level: click"),
          "rect": ("Zone", "Rectangle zone: drag, or click twice"),
          "text": ("Text", "Text note: click, then type"),
          "measure": ("Measure", "Measure price, %, bars and time: drag, or click twice")}


class DrawingToolBar(QToolBar):
    """Checkable tool actions (``tool_actions[kind]``, ``None`` = select) plus the layer's undo,
    redo and delete actions."""

    def __init__(self, layer: DrawingLayer | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Drawing", parent)
        self.setObjectName("drawingToolBar")
        self.layer: DrawingLayer | None = None
        self._group = QActionGroup(self)
        self._group.setExclusive(True)
        self.tool_actions: dict[str | None, QAction] = {}
        for kind in (None, *TOOLS):
            text, tip = LABELS[kind]
            action = QAction(text, self)
            action.setObjectName(f"drawTool_{kind or 'select'}")
            action.setToolTip(tip)
            action.setCheckable(True)
            action.setData(kind)
            action.triggered.connect(self._on_tool_triggered)
            self._group.addAction(action)
            self.addAction(action)
            self.tool_actions[kind] = action
        self.tool_actions[None].setChecked(True)
        self.addSeparator()
        self._layer_actions: list[QAction] = []
        self.set_layer(layer)

    def set_layer(self, layer: DrawingLayer | None) -> None:
        """Drive ``layer`` (or nothing: the tools are disabled)."""
        if self.layer is not None:
            self.layer.tool_changed.disconnect(self._on_layer_tool_changed)
            for action in self._layer_actions:
                self.removeAction(action)
        self.layer = layer
        self._layer_actions = []
        for action in self.tool_actions.values():
            action.setEnabled(layer is not None)
        if layer is None:
            return
        layer.tool_changed.connect(self._on_layer_tool_changed)
        self._layer_actions = [layer.undo_action, layer.redo_action, layer.delete_action]
        for action in self._layer_actions:
            self.addAction(action)
        self._on_layer_tool_changed(layer.tool)

    @Slot()
    def _on_tool_triggered(self) -> None:
        action = self._group.checkedAction()
        if self.layer is not None and action is not None:
            self.layer.set_tool(action.data())

    @Slot(object)
    def _on_layer_tool_changed(self, kind: object) -> None:
        action = self.tool_actions.get(kind if isinstance(kind, str) else None)
        if action is not None and not action.isChecked():
            action.setChecked(True)
