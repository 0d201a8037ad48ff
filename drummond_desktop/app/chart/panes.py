"""Per-pane y behaviour: the view box that keeps the wheel on x unless Ctrl is held, and the
small checkable "A" button that turns a pane's y auto-fit on and off."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

PANES = ("price", "volume")  # the panes with a y scale of their own
BUTTON_SIZE = QtCore.QSize(18, 16)


class PaneViewBox(pg.ViewBox):  # type: ignore[misc]
    """A ``ViewBox`` whose wheel zooms x only; with Ctrl held it scales y (when the pane's
    y-mouse is enabled, i.e. its auto-fit is off). Wheel and drag on the pane's y axis reach
    ``wheelEvent``/``mouseDragEvent`` with ``axis=1`` and scale or pan y as in pyqtgraph."""

    def wheelEvent(self, ev: Any, axis: int | None = None) -> None:  # noqa: N802
        if axis is None:
            ctrl = bool(ev.modifiers() & QtCore.Qt.KeyboardModifier.ControlModifier)
            axis = 1 if ctrl else 0
        super().wheelEvent(ev, axis)


class AutoFitButton(QtWidgets.QToolButton):
    """A checkable "A" over the top-right corner of one pane (checked: y follows the visible
    bars)."""

    def __init__(self, pane: str, box: pg.ViewBox, view: QtWidgets.QGraphicsView) -> None:
        super().__init__(view)
        self.pane, self.box, self.graphics_view = pane, box, view
        self.setText("A")
        self.setCheckable(True)
        self.setChecked(True)
        self.setAutoRaise(True)
        self.setFixedSize(BUTTON_SIZE)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.setToolTip(f"Auto-fit the {pane} pane's y axis to the visible bars "
                        "(off: drag the right axis or Ctrl+wheel to scale it)")
        box.sigResized.connect(self.place)

    def place(self, *_: object) -> None:
        """Sit just inside the pane's top-right corner."""
        rect = self.box.sceneBoundingRect()
        corner = self.graphics_view.mapFromScene(rect.topRight())
        self.move(corner.x() - self.width() - 2, corner.y() + 2)
        self.setVisible(rect.height() > 2 * self.height())
