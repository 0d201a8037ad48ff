"""``SettingsController``: the settings dialog, and what saved settings change in the window.

At start and after OK the theme, the chart colours, the visible DG elements and the bar style
reach every chart pane (new panes too), and new DG parameters make every pane recompute. When
the dialog added the first EODHD key while the window shows the demo universe, the user is
offered to switch to their own data and sync the watchlist (``go_live_requested``).
Questions go through ``confirm``/``ask`` so tests can answer them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from drummond_desktop.app.controllers.panes import PanesController
from drummond_desktop.app.controllers.watchlists import parse_symbols
from drummond_desktop.app.main_window import MainWindow
from drummond_desktop.app.views.chart_area import ChartPane
from drummond_desktop.app.views.prompts import AskText, ask_text
from drummond_desktop.app.views.settings_dialog import SettingsDialog
from drummond_desktop.core.errors import AppError
from drummond_desktop.core.settings import load_settings

if TYPE_CHECKING:
    from drummond_desktop.core.secrets import SecretStore
    from drummond_desktop.core.settings import Settings

log = logging.getLogger(__name__)

Confirm = Callable[[QWidget, str, str], bool]
STARTER_SYMBOLS = "SPY.US QQQ.US AAPL.US MSFT.US"  # a suggestion the user edits first
GO_LIVE_QUESTION = ("Your EODHD key is saved. Switch from the synthetic demo data to your own "
                    "data and sync the watchlist ({what}) now?")


def ask_yes_no(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(parent, title, text)
    return answer == QMessageBox.StandardButton.Yes


class SettingsController(QObject):
    """Opens the dialog and applies what it saved."""

    go_live_requested = Signal(object)  # tuple[str, ...]: the symbols to sync

    def __init__(self, window: MainWindow, panes: PanesController,
                 secrets: Callable[[], SecretStore] | None, *,
                 demo_watchlist: Callable[[], tuple[str, ...]],
                 confirm: Confirm = ask_yes_no, ask: AskText = ask_text) -> None:
        super().__init__(window)
        self.window = window
        self.panes = panes
        self.secrets = secrets
        self.demo_watchlist = demo_watchlist  # the current list's symbols
        self.confirm = confirm
        self.ask = ask
        self.demo = True
        self.settings: Settings | None = None
        self.dialog: SettingsDialog | None = None
        panes.pane_ready.connect(self._on_pane_ready)

    def load(self) -> Settings | None:
        """Read the settings file and apply it; a bad file is reported, defaults stay."""
        settings = self._read()
        if settings is not None:
            self.apply(settings)
        return settings

    def apply(self, settings: Settings) -> None:
        from drummond_desktop.app.theme import apply_theme

        previous, self.settings = self.settings, settings
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, settings.theme)
        for ctl in self.panes:
            self._apply_chart(ctl.pane.chart, settings)
        params = settings.dg()
        if previous is None or previous.dg() != params:
            # the first load comes before any chart: the panes use them as they load
            self.panes.set_params(params, reload=previous is not None)

    def open(self) -> SettingsDialog | None:
        """The dialog (window-modal, not blocking); None without a key store or when the
        settings file cannot be read (the status bar says why)."""
        current = self._read() if self.secrets is not None else None
        if current is None or self.secrets is None:
            return None
        store = self.secrets()
        had_key = store.get_eodhd_key() is not None
        dialog = SettingsDialog(store, current, parent=self.window)
        dialog.accepted.connect(lambda: self._on_accepted(dialog, had_key))
        self.dialog = dialog
        dialog.open()
        return dialog

    def offer_go_live(self) -> bool:
        """Ask whether to leave the demo data and sync; True when the user agreed."""
        symbols = tuple(s for s in self.demo_watchlist() if not s.endswith(".DEMO"))
        what = f"{len(symbols)} symbols" if symbols else "choose the symbols next"
        if not self.confirm(self.window, "Sync your data", GO_LIVE_QUESTION.format(what=what)):
            return False
        if not symbols:
            text = self.ask(self.window, "Sync your data",
                            "Symbols to sync (CODE.EXCHANGE, separated by spaces):",
                            STARTER_SYMBOLS)
            symbols = tuple(parse_symbols(text or ""))
            if not symbols:
                return False
        self.go_live_requested.emit(symbols)
        return True

    # ----------------------------------------------------------------------------- private

    def _read(self) -> Settings | None:
        """The settings file, or None after saying why it cannot be read (it is left as is)."""
        try:
            return load_settings()
        except AppError as exc:
            self.window.show_message(exc.user_message)
            return None

    def _apply_chart(self, chart: Any, settings: Settings) -> None:
        from drummond_desktop.app.theme import apply_chart_settings

        if hasattr(chart, "set_style"):  # the fallback chart has no DG layer to style
            try:
                apply_chart_settings(chart, settings)
            except ValueError as exc:
                self.window.show_message(f"Chart settings not applied: {exc}")

    def _on_accepted(self, dialog: SettingsDialog, had_key: bool) -> None:
        self.window.show_message(
            "Settings saved (a database change applies after a restart).", 5000)
        if dialog.saved is not None:
            self.apply(dialog.saved)
        has_key = self.secrets is not None and self.secrets().get_eodhd_key() is not None
        if self.demo and has_key and not had_key:
            self.offer_go_live()

    @Slot(object, object)
    def _on_pane_ready(self, pane: ChartPane, _controller: object) -> None:
        if self.settings is not None:
            self._apply_chart(pane.chart, self.settings)
