"""``MTFWorkspaceView``: the three-timeframe workspace (spec §B9): one chart per timeframe of
the ladder, stacked with the highest on top and the lowest at the bottom (the focal one is in
the middle of a three-step ladder whose focal is the middle step; the swing ladder's focal,
the day, is its lowest), under a ladder picker and the higher-timeframe toggles.

Each pane is a ``ChartWidget`` with its own bars, DG layer and state strip. The focal pane also
draws every higher timeframe's PLdot and envelope across each higher period
(``HTFLevelsItem``) and tags its next-bar zones with the higher timeframes they hold
(``HTFZoneTagsItem``). The panes move together in time: the crosshair over any of them puts a
vertical line on the bar holding the same moment in the others, and when the focal pane's
visible range changes the others show the same span (``MTFData.map_index``/``map_range``,
through the engine's period of every base bar). The view is passive: the ladder picker reports
``ladder_chosen``; the controller loads the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from drummond_desktop.app.chart.base import ChartItem
from drummond_desktop.app.chart.chart_widget import ChartWidget
from drummond_desktop.app.chart.htf_items import HTFLevelsItem, HTFZoneTagsItem, htf_colour
from drummond_desktop.app.chart.style import Rgba, qcolor
from drummond_desktop.services.mtf_data import MTFData
from drummond_desktop.services.mtf_text import state_words
from engine.mtf import as_ladder

PRESETS = (("auto", "Auto (swing on daily data, intraday on minutes)"),
           ("intraday", "Intraday  5m / 15m / 1h"), ("swing", "Swing  1d / 1w / 1M"),
           ("position", "Position  1w / 1M / 1q"), ("custom", "Custom…"))
CUSTOM_INTERVALS = ("1m", "5m", "15m", "30m", "1h", "2h", "4h", "1d", "1w", "1M", "1q", "1y")
DEFAULT_CUSTOM = ("1d", "1w", "1M")
ZONE_TAGS = "zones"  # the toggle key of the zone tags (the others are timeframe labels)


def check_custom(lower: str, focal: str, higher: str) -> str:
    """The engine's objection to the custom ladder ``lower/focal/higher`` ('' when fine)."""
    try:
        as_ladder((lower, focal, higher), focal)
    except ValueError as exc:
        return str(exc)
    return ""


class LadderPicker(QWidget):
    """Presets and a custom three-step ladder (lower / focal / higher), checked by
    ``engine.mtf`` before it is reported; the engine's message shows inline."""

    ladder_chosen = Signal(str, object)  # preset key, custom (lower, focal, higher)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.presets = QComboBox()
        self.presets.setObjectName("ladderPresets")
        for key, text in PRESETS:
            self.presets.addItem(text, key)
        self.custom = [QComboBox() for _ in range(3)]
        for box, name, value in zip(self.custom, ("lower", "focal", "higher"), DEFAULT_CUSTOM,
                                    strict=True):
            box.addItems(list(CUSTOM_INTERVALS))
            box.setCurrentText(value)
            box.setToolTip(f"The {name} timeframe of the custom ladder")
        self.apply_button = QPushButton("Apply")
        self.error = QLabel("")
        self.error.setObjectName("ladderError")
        self.error.setStyleSheet("color: #ef5350;")
        self.error.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Ladder"))
        layout.addWidget(self.presets)
        for box in self.custom:
            layout.addWidget(box)
        layout.addWidget(self.apply_button)
        layout.addWidget(self.error, 1)
        self.presets.activated.connect(self._on_presets_activated)
        self.apply_button.clicked.connect(self.apply_custom)
        self._show_custom(False)

    @property
    def preset(self) -> str:
        return str(self.presets.currentData())

    def custom_ladder(self) -> tuple[str, str, str]:
        lower, focal, higher = (box.currentText() for box in self.custom)
        return lower, focal, higher

    def set_choice(self, preset: str, custom: tuple[str, str, str]) -> None:
        """Show ``preset`` (and the custom steps) as chosen, without ``ladder_chosen``."""
        index = self.presets.findData(preset)
        self.presets.setCurrentIndex(max(index, 0))
        for box, value in zip(self.custom, custom, strict=True):
            box.setCurrentText(value)
        self._show_custom(self.preset == "custom")
        self.error.setText("")

    def show_error(self, message: str) -> None:
        self.error.setText(message)

    @Slot()
    def apply_custom(self) -> bool:
        """Report the custom ladder when the engine accepts it; else say why, inline."""
        message = check_custom(*self.custom_ladder())
        self.error.setText(message)
        if message:
            return False
        self.ladder_chosen.emit("custom", self.custom_ladder())
        return True

    def _show_custom(self, on: bool) -> None:
        for w in (*self.custom, self.apply_button):
            w.setVisible(on)

    @Slot(int)
    def _on_presets_activated(self, _index: int) -> None:
        custom = self.preset == "custom"
        self._show_custom(custom)
        self.error.setText("")
        if not custom:
            self.ladder_chosen.emit(self.preset, self.custom_ladder())


@dataclass(eq=False)
class MTFPane:
    """One timeframe's chart under a header naming it, its role and its state."""

    widget: QWidget
    header: QLabel
    chart: ChartWidget
    tf: str = ""


class MTFWorkspaceView(QWidget):
    """The three-timeframe panes; ``set_data`` shows one ``MTFData``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mtfWorkspace")
        self.data: MTFData | None = None
        self.picker = LadderPicker()
        self.toggle_row = QHBoxLayout()
        self.toggles: dict[str, QCheckBox] = {}
        self.hidden: set[str] = set()  # toggled off: timeframe labels, or ZONE_TAGS
        self.message = QLabel("")
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.panes: list[MTFPane] = []
        self.levels: dict[str, HTFLevelsItem] = {}
        self.tags = HTFZoneTagsItem()
        self._host: ChartWidget | None = None  # the chart the HTF items are on
        self._syncing = False
        top = QHBoxLayout()
        top.addWidget(self.picker, 3)
        top.addLayout(self.toggle_row)
        top.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        self._ensure_panes(3)

    # ------------------------------------------------------------------------------ panes

    def charts(self) -> list[ChartWidget]:
        return [p.chart for p in self.panes]

    def pane(self, tf: str) -> MTFPane:
        for p in self.panes:
            if p.tf == tf:
                return p
        raise KeyError(tf)

    @property
    def focal_pane(self) -> MTFPane | None:
        if self.data is None:
            return None
        return self.pane(self.data.focal.label)

    def _ensure_panes(self, count: int) -> None:
        while len(self.panes) < count:
            widget, header, chart = QWidget(), QLabel(" "), ChartWidget()
            header.setObjectName("mtfPaneHeader")
            header.setStyleSheet("font-weight: bold; padding: 1px 4px;")
            box = QVBoxLayout(widget)
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(0)
            box.addWidget(header)
            box.addWidget(chart, 1)
            self.splitter.addWidget(widget)
            k = len(self.panes)
            chart.crosshair.moved.connect(partial(self._on_crosshair_moved, k))
            chart.price.getViewBox().sigXRangeChanged.connect(partial(self._on_x_range, k))
            self.panes.append(MTFPane(widget, header, chart))
        for k, pane in enumerate(self.panes):
            pane.widget.setVisible(k < count)

    def show_message(self, text: str) -> None:
        self.message.setText(text)

    # ------------------------------------------------------------------------------- data

    def set_data(self, data: MTFData) -> None:
        """Show ``data``: the highest timeframe on top; the HTF layer on the focal pane; the
        others lined up with the focal pane's span."""
        self.data = None  # no syncing while the panes change
        frames = list(reversed(data.frames))
        self._ensure_panes(len(frames))
        for pane, frame in zip(self.panes, frames, strict=False):
            pane.tf = frame.label
            mark = " (focal)" if frame.role == "focal" else f" ({frame.role})"
            pane.header.setText(f" {data.symbol}  {frame.label}{mark}   "
                                f"{state_words(frame.result)}")
            pane.chart.set_data(frame.bars, frame.result, frame.zones)
        for pane in self.panes[len(frames):]:
            pane.tf = ""
        self.data = data
        focal = self.focal_pane
        assert focal is not None
        self._place_htf(focal.chart, data)
        self._build_toggles(data)
        self.sync_to_focal()

    def _place_htf(self, host: ChartWidget, data: MTFData) -> None:
        if self._host is not host:
            for old in (*self.levels.values(), self.tags):
                if self._host is not None:
                    self._host.price.removeItem(old)
            self.levels = {}
            self._host = host
            host.price.addItem(self.tags, ignoreBounds=True)
        wanted = {h.label for h in data.htf}
        for label in [k for k in self.levels if k not in wanted]:
            host.price.removeItem(self.levels.pop(label))
        for step, h in enumerate(data.htf, start=1):
            item = self.levels.get(h.label)
            if item is None:
                item = self.levels[h.label] = HTFLevelsItem(h.label, htf_colour(step))
                host.price.addItem(item, ignoreBounds=True)
            item.set_colour(htf_colour(step))
            item.set_levels(h.period, h.pldot, h.etop, h.ebot)
            item.setVisible(h.label not in self.hidden)
        self.tags.set_zones(data.zones, len(data.focal.bars),
                            {k: htf_colour(k) for k in range(1, len(data.htf) + 1)})
        self.tags.setVisible(ZONE_TAGS not in self.hidden)

    def _build_toggles(self, data: MTFData) -> None:
        keys: list[tuple[str, str, Rgba | None]] = [
            (h.label, f"{h.label} levels", htf_colour(k)) for k, h in enumerate(data.htf, start=1)]
        keys.append((ZONE_TAGS, "zone timeframes", None))
        if [k for k, _, _ in keys] == list(self.toggles):
            return
        for box in self.toggles.values():
            self.toggle_row.removeWidget(box)
            box.deleteLater()
        self.toggles = {}
        for key, text, colour in keys:
            box = QCheckBox(text)
            box.setChecked(key not in self.hidden)
            if colour is not None:
                box.setStyleSheet(f"QCheckBox {{ color: {qcolor(colour).name()}; }}")
            box.toggled.connect(partial(self.set_shown, key))
            self.toggle_row.addWidget(box)
            self.toggles[key] = box

    def set_shown(self, key: str, on: bool) -> None:
        """Show or hide one higher timeframe's levels (its label) or the zone tags."""
        (self.hidden.discard if on else self.hidden.add)(key)
        item: ChartItem | None = self.tags if key == ZONE_TAGS else self.levels.get(key)
        if item is not None:
            item.setVisible(on)
        box = self.toggles.get(key)
        if box is not None and box.isChecked() != on:
            box.setChecked(on)

    # ------------------------------------------------------------------------ time sync

    def sync_to_focal(self) -> None:
        """Show the focal pane's time span in the other panes."""
        focal = self.focal_pane
        if focal is not None:
            self._on_x_range(self.panes.index(focal))

    def _on_x_range(self, k: int, *_: object) -> None:
        data, focal = self.data, self.focal_pane
        if data is None or focal is None or self.panes[k] is not focal or self._syncing:
            return
        x0, x1 = focal.chart.x_range()
        self._syncing = True
        try:
            for pane in self._others(focal):
                pane.chart.set_x_range(*data.map_range(focal.tf, x0, x1, pane.tf))
        finally:
            self._syncing = False

    def _on_crosshair_moved(self, k: int, i: int, _y: float) -> None:
        """The crosshair over pane ``k`` at bar ``i``: a line at the same time elsewhere."""
        data, source = self.data, self.panes[k]
        if data is None or not source.tf:
            return
        for pane in self._others(source):
            pane.chart.show_bar(data.map_index(source.tf, i, pane.tf))
            pane.chart.crosshair.hline.setVisible(False)

    def _others(self, pane: MTFPane) -> list[MTFPane]:
        return [p for p in self.panes if p is not pane and p.tf and p.widget.isVisibleTo(self)]
