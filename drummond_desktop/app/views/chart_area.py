"""``ChartArea``: the chart tabs; each tab a ``ChartPage`` splitting its space between panes.

A ``ChartPane`` is one chart (``make_chart``) under a one-line header naming what it shows.
Exactly one pane is *active*: the last one the user clicked or focused; the toolbar's symbol
and interval, the next-bar panel and the drawing tools follow it. The area is a view: it only
reports ``pane_added``, ``pane_removed`` and ``active_changed``; controllers load the data.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

ChartFactory = Callable[[QWidget | None], QWidget]
ORIENTATIONS = {"h": Qt.Orientation.Horizontal, "v": Qt.Orientation.Vertical}
MAX_PANES_PER_TAB = 4


class ChartPane(QWidget):
    """One chart with its header; ``pane_id`` is unique for the window's lifetime."""

    def __init__(self, pane_id: int, chart: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pane_id = pane_id
        self.symbol = ""
        self.interval = ""
        self.header = QLabel(" ")
        self.header.setObjectName("paneHeader")
        self.chart = chart
        layout = QVBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(chart, 1)
        self.set_active(False)

    def set_title(self, symbol: str, interval: str, note: str = "") -> None:
        self.symbol, self.interval = symbol, interval
        self.header.setText(f" {symbol}  {interval}  {note}".rstrip())

    def set_active(self, active: bool) -> None:
        # A thin accent line tells which pane the toolbar acts on.
        self.header.setStyleSheet("QLabel#paneHeader { font-weight: bold; padding: 1px 4px; "
                                  + ("border-bottom: 2px solid #2962ff; }" if active
                                     else "border-bottom: 2px solid transparent; }"))


class ChartPage(QSplitter):
    """A tab: one or more panes side by side (``h``) or stacked (``v``)."""

    def __init__(self, orientation: str = "h", parent: QWidget | None = None) -> None:
        super().__init__(ORIENTATIONS[orientation], parent)
        self.setChildrenCollapsible(False)

    @property
    def orientation_code(self) -> str:
        return "h" if self.orientation() == Qt.Orientation.Horizontal else "v"

    def panes(self) -> list[ChartPane]:
        return [w for i in range(self.count()) if isinstance(w := self.widget(i), ChartPane)]


class ChartArea(QTabWidget):
    """Tabs of split chart panes. ``chart_factory(parent)`` builds each pane's chart."""

    pane_added = Signal(object)  # ChartPane
    pane_removed = Signal(object)  # ChartPane (about to be deleted)
    active_changed = Signal(object)  # ChartPane

    def __init__(self, chart_factory: ChartFactory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chart_factory = chart_factory
        self.setDocumentMode(True)
        self.setTabsClosable(True)
        self.setMovable(True)
        self._ids = itertools.count(1)
        self._active: ChartPane | None = None
        self.tabCloseRequested.connect(self.close_tab)
        self.currentChanged.connect(self._on_current_changed)

    # ------------------------------------------------------------------------------ panes

    def panes(self) -> Iterator[ChartPane]:
        for i in range(self.count()):
            page = self.widget(i)
            if isinstance(page, ChartPage):
                yield from page.panes()

    def page_of(self, pane: ChartPane) -> ChartPage | None:
        parent = pane.parentWidget()
        return parent if isinstance(parent, ChartPage) else None

    @property
    def active(self) -> ChartPane:
        if self._active is None:
            self.new_tab()
        assert self._active is not None
        return self._active

    def active_or_none(self) -> ChartPane | None:
        return self._active

    def new_tab(self, orientation: str = "h") -> ChartPane:
        """A tab with one pane, made active."""
        page = ChartPage(orientation)
        pane = self._make_pane(page)
        self.setCurrentIndex(self.addTab(page, "Chart"))
        self.set_active(pane)
        return pane

    def split(self, orientation: str = "h", pane: ChartPane | None = None) -> ChartPane | None:
        """A new pane beside ``pane`` (default: the active one); None when the tab is full."""
        source = pane or self.active
        page = self.page_of(source)
        if page is None or len(page.panes()) >= MAX_PANES_PER_TAB:
            return None
        if len(page.panes()) == 1:
            page.setOrientation(ORIENTATIONS[orientation])
        new = self._make_pane(page, page.indexOf(source) + 1)
        size = sum(page.sizes()) // max(page.count(), 1)
        page.setSizes([size] * page.count())
        self.set_active(new)
        return new

    def close_pane(self, pane: ChartPane | None = None) -> None:
        """Remove ``pane``; the last pane of a tab closes the tab; one pane always remains."""
        target = pane or self.active
        page = self.page_of(target)
        if page is None:
            return
        if len(page.panes()) == 1:
            self.close_tab(self.indexOf(page))
            return
        self._remove(target)
        self.set_active(page.panes()[0])

    @Slot(int)
    def close_tab(self, index: int) -> None:
        page = self.widget(index)
        if not isinstance(page, ChartPage) or self.count() <= 1:
            return  # the last tab stays: the window always shows a chart
        for pane in page.panes():
            self._remove(pane)
        self.removeTab(index)
        page.deleteLater()
        self._on_current_changed(self.currentIndex())

    def set_active(self, pane: ChartPane) -> None:
        if pane is self._active:
            return
        if self._active is not None:
            self._active.set_active(False)
        self._active = pane
        pane.set_active(True)
        page = self.page_of(pane)
        if page is not None and self.currentWidget() is not page:
            self.setCurrentWidget(page)
        self.active_changed.emit(pane)

    def set_tab_title(self, pane: ChartPane) -> None:
        """Name the pane's tab after its first pane's symbol and interval."""
        page = self.page_of(pane)
        if page is not None and page.panes() and page.panes()[0] is pane:
            self.setTabText(self.indexOf(page), f"{pane.symbol} {pane.interval}".strip())

    # ---------------------------------------------------------------------------- layout

    def describe(self) -> list[dict[str, Any]]:
        """The tabs as plain data for a saved layout."""
        return [{"orientation": page.orientation_code, "sizes": page.sizes(),
                 "panes": [{"symbol": p.symbol, "interval": p.interval} for p in page.panes()]}
                for i in range(self.count()) if isinstance(page := self.widget(i), ChartPage)]

    def active_position(self) -> tuple[int, int]:
        pane = self.active
        page = self.page_of(pane)
        return (self.indexOf(page), page.panes().index(pane)) if page is not None else (0, 0)

    # ---------------------------------------------------------------------------- private

    def _make_pane(self, page: ChartPage, index: int | None = None) -> ChartPane:
        pane = ChartPane(next(self._ids), self.chart_factory(None))
        if index is None:
            page.addWidget(pane)
        else:
            page.insertWidget(index, pane)
        pane.installEventFilter(self)
        for child in pane.findChildren(QWidget):
            child.installEventFilter(self)
        self.pane_added.emit(pane)
        return pane

    def _remove(self, pane: ChartPane) -> None:
        self.pane_removed.emit(pane)
        if pane is self._active:
            self._active = None
        pane.setParent(None)
        pane.deleteLater()

    def _pane_of(self, obj: QObject) -> ChartPane | None:
        node: QObject | None = obj
        while node is not None and not isinstance(node, ChartPane):
            node = node.parent()
        return node if isinstance(node, ChartPane) else None

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.FocusIn):
            pane = self._pane_of(obj)
            if pane is not None and pane is not self._active:
                self.set_active(pane)
        return super().eventFilter(obj, event)

    @Slot(int)
    def _on_current_changed(self, index: int) -> None:
        page = self.widget(index)
        if isinstance(page, ChartPage) and page.panes():
            current = self._active
            if current is None or self.page_of(current) is not page:
                self.set_active(page.panes()[0])
