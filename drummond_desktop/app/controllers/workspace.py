"""``Workspace``: the window, its controllers and the task runner, wired and started together.

``start()`` restores the layout, warms the engine's kernels on the CPU pool, and opens on the
chosen symbol: the demo universe (daily symbols in the watchlist, every demo symbol in the
selector) or, with ``demo=False``, whatever the local store holds (read on the I/O pool).
``JobsController`` shows every task's progress in the status bar and the jobs/log panel.
With an application ``context`` (``bootstrap.AppContext``) the toolbar's Settings… opens
``SettingsDialog`` and Sync syncs the visible symbol (``SyncController``); without one both
actions are disabled. Charts live in tabs and split panes (``PanesController``); watchlists
(``WatchlistsController``) and named layouts (``LayoutsController``) are kept in the user store;
the tabs of the last run come back at the next start (beside the dock layout).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QSettings, Signal, Slot

from drummond_desktop.app.application import GuiGarbageCollector
from drummond_desktop.app.controllers.chart_controller import (
    ChartController,
    WatchlistController,
    speak_failure,
)
from drummond_desktop.app.controllers.drawings import DrawingsController
from drummond_desktop.app.controllers.indicators import IndicatorsController
from drummond_desktop.app.controllers.jobs import JobsController
from drummond_desktop.app.controllers.layouts import (
    LayoutsController,
    describe_tabs,
    valid_tabs,
)
from drummond_desktop.app.controllers.mtf import MTFController, mtf_service
from drummond_desktop.app.controllers.panes import PanesController
from drummond_desktop.app.controllers.settings_controller import (
    Confirm,
    SettingsController,
    ask_yes_no,
)
from drummond_desktop.app.controllers.sync_controller import (
    DEMO_TOOLTIP,
    SyncController,
    SyncSource,
    sync_task,
)
from drummond_desktop.app.controllers.user_writes import SerialWriter
from drummond_desktop.app.controllers.watchlists import WatchlistsController
from drummond_desktop.app.main_window import MainWindow
from drummond_desktop.app.views.prompts import AskText, ask_text
from drummond_desktop.app.views.settings_dialog import SettingsDialog
from drummond_desktop.app.workers import TaskFn, TaskRunner
from drummond_desktop.core.errors import AppError
from drummond_desktop.core.secrets import SecretStore
from drummond_desktop.core.tasks import CancelToken, Progress
from drummond_desktop.services.chart_data import ChartDataService, demo_symbols, intervals_for

if TYPE_CHECKING:  # SQLAlchemy and the services load on the worker threads, not at start-up
    from drummond_desktop.app.controllers.search_controller import SearchController
    from drummond_desktop.app.views.symbol_search import SymbolSearchDialog
    from drummond_desktop.core.settings import Settings
    from drummond_desktop.feeds.eodhd import EodhdClient
    from drummond_desktop.services.market_data import MarketDataService
    from drummond_desktop.store import MarketStore, UserStore

log = logging.getLogger(__name__)

WARMUP_KEY = "warmup"
CATALOG_KEY = "catalog"
QUOTA_KEY = "quota"
SESSION_TABS_KEY = "workspace/tabs"
DEMO_LIST = "Demo universe"
DEFAULT_LIST = "My watchlist"
UserStoreProvider = Callable[[], "UserStore"]
NO_CONTEXT_TOOLTIP = "Not available in this window (no application context)"


class WorkspaceContext(SyncSource, Protocol):
    """What the workspace needs of ``bootstrap.AppContext`` beyond the chart data."""

    def secret_store(self) -> SecretStore: ...

    def user_store(self) -> UserStore: ...

    def settings(self) -> Settings: ...

    def market_data(self) -> MarketDataService: ...

    def market_store(self) -> MarketStore: ...

    def database_label(self) -> str: ...

    def eodhd(self) -> EodhdClient: ...


def quota_task(context: WorkspaceContext) -> TaskFn:
    """Reads today's EODHD spend from the ledger: ``(label, tooltip)`` for the status bar."""

    def run(_request: object, cancel: CancelToken, progress: Progress) -> tuple[str, str]:
        budget = context.settings().eodhd_daily_budget
        report = context.market_data().quota(budget)
        return (f"EODHD: {report.remaining:,} calls left today",
                f"{report.used_today:,} of the {budget:,} daily calls used (UTC day)")

    return run


def warm_kernels(_request: object, cancel: CancelToken, progress: Progress) -> dict[str, float]:
    """Compile (or load from the cache) the engine's kernels."""
    from engine.warmup import warmup

    progress(0, 1, "compiling the Drummond kernels")
    timings = warmup()
    progress(1, 1, "kernels ready")
    return timings


class Workspace(QObject):
    """Everything the desktop window needs, built from a runner and the chart-data service.

    ``user_store`` (default: the context's) keeps watchlists and layouts; without one they
    last for the session."""

    catalog_loaded = Signal(object)  # dict[str, tuple[str, ...]]

    def __init__(self, runner: TaskRunner, service: ChartDataService, settings: QSettings, *,
                 demo: bool, database: str, context: WorkspaceContext | None = None,
                 user_store: UserStoreProvider | None = None, ask: AskText = ask_text,
                 confirm: Confirm = ask_yes_no) -> None:
        super().__init__()
        GuiGarbageCollector.hold()  # released by shutdown()
        self._gc_held = True
        self.runner = runner
        self.service = service
        self.demo = demo
        self.catalog: dict[str, tuple[str, ...]] = {}
        self.context = context
        self.user_store = user_store or (context.user_store if context is not None else None)
        self.window = MainWindow(settings, demo=demo, database=database)
        self.jobs = JobsController(self.window, runner)
        self.panes = PanesController(self.window, runner, service, demo=demo,
                                     intervals_for=self.intervals_for)
        self.watchlist = WatchlistController(self.window, runner, service, demo=demo)
        self.writer = SerialWriter(runner, self)
        self.writer.failed.connect(lambda message: self.window.show_message(message))
        store = self.user_store
        self.watchlists = WatchlistsController(
            self.window, runner, self.watchlist, self.writer,
            (lambda: store().watchlists) if store is not None else None, ask=ask)
        self.window.watchlist.add_current_action.triggered.connect(
            lambda: self.watchlists.add_symbols([self.chart.symbol]))
        self.layouts = LayoutsController(
            self.window, runner, self.writer,
            (lambda: store().layouts) if store is not None else None, ask=ask)
        self.layouts.tabs_requested.connect(self.panes.apply_tabs)
        self.drawings = DrawingsController(self.window, runner, self.panes, store)
        self.indicators = IndicatorsController(self.window, runner, self.panes)
        self.layouts.pane_state = self.indicators.pane_state
        self.window.indicators_action.triggered.connect(lambda: self.indicators.open_browser())
        self.mtf = MTFController(self.window, runner, self.panes, mtf_service(context),
                                 demo=lambda: self.demo,
                                 chart_settings=lambda: self.settings.settings)
        self.layouts.extras["mtf"] = (self.mtf.state, self.mtf.apply_state)
        task = sync_task(context) if context is not None and not demo else None
        self.sync = SyncController(self.window, runner, lambda: self.chart, task,
                                   reload=self.panes.reload_symbol, disabled_reason=(
                                       DEMO_TOOLTIP if demo else NO_CONTEXT_TOOLTIP))
        self.sync.sync_cancelled.connect(lambda _message: self.jobs.cancelled(SyncController.KEY))
        self.sync.sync_finished.connect(self._on_sync_finished)
        self.settings = SettingsController(
            self.window, self.panes, context.secret_store if context is not None else None,
            demo_watchlist=lambda: self.watchlists.current.symbols
            if self.watchlists.current is not None else (), confirm=confirm, ask=ask)
        self.settings.demo = demo
        self.settings.go_live_requested.connect(self.go_live)
        self.search: SearchController | None = None  # built on first use (it loads httpx)
        self.window.search_action.triggered.connect(lambda: self.open_search())
        self.window.settings_action.setEnabled(context is not None)
        if context is None:
            self.window.settings_action.setToolTip(NO_CONTEXT_TOOLTIP)
        self.window.settings_requested.connect(self.open_settings)
        runner.finished.connect(self._on_runner_finished)
        runner.failed.connect(self._on_runner_failed)
        self._pending: tuple[str | None, str | None] = (None, None)
        self._opened = False
        self._seed: tuple[str, tuple[str, ...]] | None = None  # the first watchlist, if none
        self._user_data_hooked = False
        self._show_after_sync = ""  # a searched symbol waiting for its first sync
        self.keep_layout = True

    @property
    def chart(self) -> ChartController:
        """The active pane's controller."""
        return self.panes.active

    def intervals_for(self, symbol: str) -> tuple[str, ...]:
        return intervals_for(symbol, self.demo, self.catalog.get(symbol, ()))

    @Slot()
    def open_settings(self) -> SettingsDialog | None:
        """Open the settings dialog (window-modal, not blocking); None without a context."""
        return self.settings.open()

    def open_search(self, text: str = "") -> SymbolSearchDialog:
        """The symbol search (local store, and EODHD when a key is set)."""
        if self.search is None:
            from drummond_desktop.app.controllers.search_controller import SearchController
            from drummond_desktop.services.symbol_search import SymbolSearchService

            service = (SymbolSearchService.from_context(self.context)
                       if self.context is not None else SymbolSearchService(lambda: ()))
            self.search = SearchController(self.runner, service, demo=self.demo,
                                           parent=self.window)
            self.search.symbol_chosen.connect(self._on_search_chosen)
        return self.search.open(self.window, text)

    @Slot(str)
    def _on_search_chosen(self, symbol: str) -> None:
        """Show a found symbol; one the local store lacks is synced first (with a key)."""
        if self.demo or symbol in self.catalog or not self.sync.available:
            self.chart.show(symbol, self.chart.interval or None)
            return
        if self.window.symbol_box.findText(symbol) < 0:
            self.window.symbol_box.addItem(symbol)
        self.window.show_message(f"{symbol} is not in the local store yet: syncing it…")
        self._show_after_sync = symbol
        self.sync.start_symbols((symbol,), "1d")

    def go_live(self, symbols: tuple[str, ...]) -> None:
        """Leave the demo universe for the local store (a key was just added) and sync
        ``symbols`` into it; they become the watchlist "My watchlist"."""
        if not self.demo or self.context is None:
            return
        self.demo = False
        self.settings.demo = False
        self.panes.set_demo(False)
        self.watchlist.demo = False
        self.window.set_demo(False, self.context.database_label())
        self.sync.set_task(sync_task(self.context))
        if self.search is not None:
            self.search.demo = False
        self.watchlists.when_loaded(lambda: self._watch_mine(symbols))
        self.sync.start_symbols(symbols, "1d")
        self.show_quota()

    def _watch_mine(self, symbols: tuple[str, ...]) -> None:
        """Show "My watchlist" with ``symbols`` in it (made when missing)."""
        lists = self.watchlists.lists
        mine = next((i for i, w in enumerate(lists) if w.name == DEFAULT_LIST), None)
        if mine is None:
            self.watchlists.create(DEFAULT_LIST, symbols)
        else:
            self.watchlists.choose(mine)
            self.watchlists.add_symbols(symbols)

    def start(self, symbol: str | None = None, interval: str | None = None, *,
              restore_layout: bool = True) -> None:
        """Restore the layout, warm the kernels, and open on ``symbol`` (default: the first).
        Without ``restore_layout`` the default layout is used and not saved at shutdown
        (screenshots look the same on every machine)."""
        self.keep_layout = restore_layout
        if restore_layout:
            self.window.restore_layout()
        self.runner.submit(WARMUP_KEY, warm_kernels, None, pool="cpu")
        if self.context is not None:
            self.settings.load()
        self.show_quota()
        if self.demo:
            self._open(demo_symbols(), demo_symbols(intraday=False), symbol, interval)
        else:
            self._pending = (symbol, interval)
            self.runner.submit(CATALOG_KEY, self.service.catalog, None, pool="io")

    @property
    def settings_dialog(self) -> SettingsDialog | None:
        return self.settings.dialog

    def _on_sync_finished(self, _report: object) -> None:
        self.show_quota()
        if self._show_after_sync:
            symbol, self._show_after_sync = self._show_after_sync, ""
            self.chart.show(symbol, "1d")
        if not self.demo:  # new symbols or intervals may be in the store now
            self._pending = (None, None)
            self.runner.submit(CATALOG_KEY, self.service.catalog, None, pool="io")

    def show_quota(self) -> None:
        """EODHD calls left today in the status bar (read from the request ledger)."""
        if self.demo or self.context is None:
            self.window.show_quota("EODHD: no key (demo data)" if self.demo else "")
            return
        self.runner.submit(QUOTA_KEY, quota_task(self.context), None, pool="io")

    def _open(self, selector: tuple[str, ...], watch: tuple[str, ...], symbol: str | None,
              interval: str | None) -> None:
        self.window.set_symbols(selector)
        if self._opened:  # a catalogue refresh (after a sync): offer the new symbols only
            self.window.set_current(self.chart.symbol, self.intervals_for(self.chart.symbol),
                                    self.chart.interval)
            return
        self._opened = True
        self._seed = (DEMO_LIST if self.demo else DEFAULT_LIST, watch)
        chosen = symbol or (watch[0] if watch else selector[0] if selector else None)
        if chosen is None:
            self.window.show_message("The local store is empty: sync or import some bars.")
            self._load_user_data()
            return
        # The user store (SQLAlchemy, Alembic) opens once the first chart is up: it would
        # compete with the chart for the interpreter during start-up.
        self._user_data_hooked = True
        self.panes.chart_shown.connect(self._load_user_data)
        self.panes.chart_failed.connect(self._load_user_data)
        if chosen not in selector:
            self.window.symbol_box.addItem(chosen)
        restored = (self._restore_session_tabs(set(selector))
                    if self.keep_layout and symbol is None else False)
        if not restored:
            self.chart.show(chosen, interval)
        if self.keep_layout and symbol is None:
            self.mtf.restore_session(self.window.settings, set(selector))

    @Slot()
    def _load_user_data(self, *_: object) -> None:
        """Watchlists and layout names, once."""
        if self._seed is None:
            return
        seed, self._seed = self._seed, None
        if self._user_data_hooked:
            self._user_data_hooked = False
            self.panes.chart_shown.disconnect(self._load_user_data)
            self.panes.chart_failed.disconnect(self._load_user_data)
        self.watchlists.load(*seed)
        self.layouts.load_names()

    def _restore_session_tabs(self, known: set[str]) -> bool:
        """The tabs and panes of the last run (saved at shutdown beside the dock layout),
        keeping the panes whose symbol is still offered (demo and real runs share the file)."""
        raw = self.window.settings.value(SESSION_TABS_KEY)
        try:
            payload = json.loads(raw) if isinstance(raw, str) else None
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return False
        tabs = []
        for tab in valid_tabs(payload):
            panes = [p for p in tab["panes"] if p.get("symbol") in known]
            if panes:
                tabs.append({**tab, "panes": panes})
        if not tabs:
            return False
        self.panes.apply_tabs(tabs, payload.get("active", [0, 0]))
        return True

    @Slot(str, int, object)
    def _on_runner_finished(self, key: str, generation: int, result: object) -> None:
        if key == CATALOG_KEY and isinstance(result, dict):
            self.catalog = result
            symbols = tuple(self.catalog)
            daily = tuple(s for s, tfs in self.catalog.items() if "1d" in tfs)
            self._open(symbols, daily, *self._pending)
            self.catalog_loaded.emit(result)
        elif key == WARMUP_KEY and isinstance(result, dict):
            log.info("kernels warm in %.2fs", sum(result.values()))
        elif key == QUOTA_KEY and isinstance(result, tuple):
            self.window.show_quota(*result)

    @Slot(str, int, object)
    def _on_runner_failed(self, key: str, generation: int, exc: object) -> None:
        if key in (CATALOG_KEY, WARMUP_KEY):
            self._on_failed(exc)
        elif key == QUOTA_KEY:
            message = exc.user_message if isinstance(exc, AppError) else type(exc).__name__
            self.window.show_quota("EODHD calls left: unknown", message)

    def _on_failed(self, exc: Any) -> None:
        """Start-up tasks (store catalogue, kernel warm-up) report here."""
        speak_failure(self.window, exc, "Start-up failed")

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Save the layout, cancel the tasks, finish the user-store writes and wait for the
        pools' threads."""
        if self.keep_layout:
            self.window.save_layout()
            self.window.settings.setValue(SESSION_TABS_KEY, json.dumps(
                {"tabs": describe_tabs(self.window, self.indicators.pane_state),
                 "active": list(self.window.charts.active_position())}))
            self.mtf.save_session(self.window.settings)
            self.window.settings.sync()
        done = self.runner.shutdown(timeout)
        self.writer.flush()  # the threads are gone: these writes cannot race a worker's
        self.drawings.flush()
        if self._gc_held:
            self._gc_held = False
            GuiGarbageCollector.release()
        return done
