"""``MainWindow``: the chart in the middle, dockable panels around it, toolbar and status bar.

The window is a view: it reports what the user chose (``symbol_chosen``, ``interval_chosen``)
and offers ``show_*`` methods; controllers start the work. Dock and window layout is saved to
and restored from a ``QSettings`` ini file under the user config dir (``layout_settings()``).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QProgressBar,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from drummond_desktop.app.models.watchlist import WatchlistModel
from drummond_desktop.app.views.chart_area import ChartArea
from drummond_desktop.app.views.fallback_chart import FallbackChart
from drummond_desktop.app.views.panels import DemoBanner, JobsPanel, NextBarPanel, WatchlistPanel
from drummond_desktop.core.paths import user_config_dir
from drummond_desktop.feeds.demo import DEMO_LABEL
from engine.bars import Bars
from engine.drummond import DGResult, Zone

log = logging.getLogger(__name__)

LAYOUT_FILE = "layout.ini"
LAYOUT_VERSION = 1
CHART_MODULE = "drummond_desktop.app.chart.chart_widget"


class ChartView(Protocol):
    """What the window needs of a chart (``app.chart.chart_widget.ChartWidget``)."""

    def set_data(self, bars: Bars, result: DGResult, zones: Sequence[Zone]) -> None: ...

    def toggle(self, element: str, on: bool) -> None: ...


def layout_settings(path: Path | None = None) -> QSettings:
    """The ini file that holds window geometry and dock layout (never the registry)."""
    target = path or user_config_dir() / LAYOUT_FILE
    return QSettings(str(target), QSettings.Format.IniFormat)


def make_chart(parent: QWidget | None = None) -> QWidget:
    """The real ``ChartWidget`` when it is importable, else a plain close-line chart."""
    try:
        module = importlib.import_module(CHART_MODULE)
    except ImportError:
        log.info("%s not available; using the fallback chart", CHART_MODULE)
        return FallbackChart(parent)
    widget: QWidget = module.ChartWidget(parent=parent)
    return widget


class MainWindow(QMainWindow):
    """The workspace window. ``demo`` shows the synthetic-data banner."""

    symbol_chosen = Signal(str)
    interval_chosen = Signal(str)
    settings_requested = Signal()
    closing = Signal()

    def __init__(self, settings: QSettings, *, demo: bool, database: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Drummond Desktop" + (" - demo" if demo else ""))
        self.resize(1600, 900)
        self._build_central(demo)
        self._build_docks()
        self._build_toolbar()
        self._build_status(database)

    # --------------------------------------------------------------------------- building

    def _build_central(self, demo: bool) -> None:
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.banner = DemoBanner(f"{DEMO_LABEL}  -  add an EODHD key to sync real data")
        self.banner.setVisible(demo)
        self.charts = ChartArea(make_chart, central)
        layout.addWidget(self.banner)
        layout.addWidget(self.charts, 1)
        self.setCentralWidget(central)
        self.charts.new_tab()
        self.central_view: QWidget | None = None  # shown instead of the tabs (set_central_view)

    @property
    def chart(self) -> QWidget:
        """The active pane's chart (the one the toolbar acts on)."""
        return self.charts.active.chart

    def _dock(self, title: str, name: str, widget: QWidget,
              area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)  # saveState/restoreState key
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.watchlist_model = WatchlistModel()
        self.watchlist = WatchlistPanel(self.watchlist_model)
        self.next_bar = NextBarPanel()
        self.jobs = JobsPanel()
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self.watchlist_dock = self._dock("Watchlist", "watchlistDock", self.watchlist, left)
        self.next_bar_dock = self._dock("Next bar", "nextBarDock", self.next_bar, right)
        self.jobs_dock = self._dock("Jobs and log", "jobsDock", self.jobs,
                                    Qt.DockWidgetArea.BottomDockWidgetArea)
        self.resizeDocks([self.watchlist_dock, self.next_bar_dock], [410, 540],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.jobs_dock], [120], Qt.Orientation.Vertical)
        self.watchlist.symbol_activated.connect(self.symbol_chosen)

    def _build_toolbar(self) -> None:
        bar = self.addToolBar("Chart")
        bar.setObjectName("chartToolBar")
        bar.addWidget(QLabel(" Symbol "))
        self.symbol_box = QComboBox()
        self.symbol_box.setMinimumContentsLength(14)
        self.symbol_box.activated.connect(self._on_symbol_box_activated)
        bar.addWidget(self.symbol_box)
        bar.addWidget(QLabel("  Interval "))
        self.interval_box = QComboBox()
        self.interval_box.activated.connect(self._on_interval_box_activated)
        bar.addWidget(self.interval_box)
        bar.addSeparator()
        # Enabled, tooltips and what they do: SyncController and the workspace.
        self.sync_action = QAction("Sync", self)
        self.sync_action.setObjectName("syncAction")
        self.cancel_sync_action = QAction("Cancel sync", self)
        self.cancel_sync_action.setObjectName("cancelSyncAction")
        self.cancel_sync_action.setEnabled(False)
        bar.addAction(self.sync_action)
        bar.addAction(self.cancel_sync_action)
        bar.addSeparator()
        self.search_action = self._action("Search…", "searchAction", "Ctrl+F",
                                          "Find a symbol in the local store (and on EODHD)")
        bar.addAction(self.search_action)
        self._build_chart_actions(bar)
        bar.addSeparator()
        for dock in (self.watchlist_dock, self.next_bar_dock, self.jobs_dock):
            bar.addAction(dock.toggleViewAction())
        bar.addSeparator()
        self.settings_action = QAction("Settings…", self)
        self.settings_action.setObjectName("settingsAction")
        self.settings_action.triggered.connect(self.settings_requested)
        bar.addAction(self.settings_action)

    def _action(self, text: str, name: str, shortcut: str = "", tip: str = "") -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setToolTip(tip)
        return action

    def _build_chart_actions(self, bar: QToolBar) -> None:
        """Tabs and splits act on the chart area directly (pure view work); the workspace
        loads a symbol into every new pane (``charts.pane_added``)."""
        charts = self.charts
        self.new_tab_action = self._action("New tab", "newTabAction", "Ctrl+T")
        self.new_tab_action.triggered.connect(lambda: charts.new_tab())
        self.split_right_action = self._action("Split right", "splitRightAction", "Ctrl+\\")
        self.split_right_action.triggered.connect(lambda: charts.split("h"))
        self.split_down_action = self._action("Split down", "splitDownAction", "Ctrl+Shift+\\")
        self.split_down_action.triggered.connect(lambda: charts.split("v"))
        self.close_pane_action = self._action("Close pane", "closePaneAction", "Ctrl+W")
        self.close_pane_action.triggered.connect(lambda: charts.close_pane())
        menu = QMenu(self)
        for action in (self.new_tab_action, self.split_right_action, self.split_down_action,
                       self.close_pane_action):
            menu.addAction(action)
            self.addAction(action)  # shortcuts work while the menu is closed
        button = QToolButton()
        button.setText("Panes")
        button.setMenu(menu)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        bar.addWidget(button)
        self.layouts_menu = QMenu("Layouts", self)
        layouts = QToolButton()
        layouts.setText("Layouts")
        layouts.setObjectName("layoutsButton")
        layouts.setMenu(self.layouts_menu)
        layouts.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        bar.addWidget(layouts)
        self.indicators_action = self._action("Indicators…", "indicatorsAction", "Ctrl+I",
                                              "Add, edit or remove the active chart's indicators")
        self.addAction(self.indicators_action)
        self.chart_menu = QMenu("Chart", self)
        self.chart_menu.addAction(self.indicators_action)
        chart_button = QToolButton()
        chart_button.setText("Chart")
        chart_button.setObjectName("chartMenuButton")
        chart_button.setMenu(self.chart_menu)
        chart_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        bar.addWidget(chart_button)
        self._build_view_menu(bar)

    def _build_view_menu(self, bar: QToolBar) -> None:
        """View ▸ Three timeframes: the multi-timeframe workspace instead of the tabs (the
        ``MTFController`` acts on the checkable action)."""
        self.mtf_action = self._action(
            "Three timeframes", "threeTimeframesAction", "Ctrl+Shift+M",
            "Higher, focal and lower timeframe of a ladder, in step, with the higher "
            "timeframes' levels on the focal chart")
        self.mtf_action.setCheckable(True)
        self.addAction(self.mtf_action)
        self.view_menu = QMenu("View", self)
        self.view_menu.addAction(self.mtf_action)
        view_button = QToolButton()
        view_button.setText("View")
        view_button.setObjectName("viewMenuButton")
        view_button.setMenu(self.view_menu)
        view_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        bar.addWidget(view_button)

    def _build_status(self, database: str) -> None:
        status = self.statusBar()
        self.quota_label = QLabel("")
        self.quota_label.setObjectName("quotaLabel")
        status.addPermanentWidget(self.quota_label)
        self.database_label = QLabel(f"Database: {database}")
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(180)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setVisible(False)
        status.addPermanentWidget(self.progress_bar)
        status.addPermanentWidget(self.database_label)

    # ---------------------------------------------------------------------------- showing

    def set_central_view(self, view: QWidget | None) -> None:
        """Show ``view`` in place of the chart tabs (which keep their state); None: the tabs."""
        central = self.centralWidget()
        layout = central.layout() if central is not None else None
        if view is not None and layout is not None and layout.indexOf(view) < 0:
            layout.addWidget(view)
            if isinstance(layout, QVBoxLayout):
                layout.setStretchFactor(view, 1)
        if self.central_view is not None and self.central_view is not view:
            self.central_view.setVisible(False)
        self.central_view = view
        self.charts.setVisible(view is None)
        if view is not None:
            view.setVisible(True)

    def set_symbols(self, codes: Sequence[str]) -> None:
        """Offer ``codes`` in the symbol selector."""
        self.symbol_box.clear()
        self.symbol_box.addItems(list(codes))

    def set_watchlist(self, codes: Sequence[str]) -> None:
        """List ``codes`` in the watchlist (their numbers arrive later)."""
        self.watchlist_model.set_codes(codes)

    def set_current(self, symbol: str, intervals: Sequence[str], interval: str) -> None:
        """Show ``symbol`` at ``interval`` as chosen (no ``*_chosen`` signals)."""
        self.symbol_box.setCurrentIndex(max(self.symbol_box.findText(symbol), 0))
        self.interval_box.clear()
        self.interval_box.addItems(list(intervals))
        self.interval_box.setCurrentIndex(max(self.interval_box.findText(interval), 0))
        self.watchlist.select(symbol)

    def set_demo(self, demo: bool, database: str) -> None:
        """The demo banner, title and database label for demo or real data."""
        self.banner.setVisible(demo)
        self.setWindowTitle("Drummond Desktop" + (" - demo" if demo else ""))
        self.database_label.setText(f"Database: {database}")

    def show_quota(self, text: str, tooltip: str = "") -> None:
        """The EODHD calls left today (or why there is no number)."""
        self.quota_label.setText(text)
        self.quota_label.setToolTip(tooltip)

    def show_message(self, text: str, timeout_ms: int = 0) -> None:
        """The status-bar line (errors and notices the user acted on)."""
        self.statusBar().showMessage(text, timeout_ms)

    def show_progress(self, done: float, total: float) -> None:
        """A busy indicator (``total`` 0: indeterminate); hidden when ``done >= total > 0``."""
        running = total <= 0 or done < total
        self.progress_bar.setVisible(running)
        self.progress_bar.setRange(0, 0 if total <= 0 else 1000)
        if total > 0:
            self.progress_bar.setValue(int(1000 * min(done / total, 1.0)))

    def hide_progress(self) -> None:
        self.progress_bar.setVisible(False)

    # ----------------------------------------------------------------------------- layout

    def save_layout(self) -> None:
        self.settings.setValue("window/version", LAYOUT_VERSION)
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        self.settings.sync()

    def restore_layout(self) -> bool:
        """Restore the saved geometry and docks; False when nothing (usable) was saved."""
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            return bool(self.restoreState(state, LAYOUT_VERSION))
        return False

    # ----------------------------------------------------------------------------- events

    @Slot(int)
    def _on_symbol_box_activated(self, index: int) -> None:
        if index >= 0:
            self.symbol_chosen.emit(self.symbol_box.itemText(index))

    @Slot(int)
    def _on_interval_box_activated(self, index: int) -> None:
        if index >= 0:
            self.interval_chosen.emit(self.interval_box.itemText(index))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.closing.emit()
        super().closeEvent(event)
