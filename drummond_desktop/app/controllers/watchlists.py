"""``WatchlistsController``: several named, editable watchlists kept in the user store.

The lists load on the I/O pool (``watchlists`` task); the first run seeds one list with the
symbols the workspace opens on. Every edit (new, rename, delete, add, remove) shows at once and
is written behind by the ``SerialWriter``; the rows' numbers (last close, change, DG state)
come from ``WatchlistController``. Without a user store the lists live for the session only.
Questions to the user go through ``ask_text`` so tests can answer them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot

from drummond_desktop.app.controllers.chart_controller import WatchlistController, speak_failure
from drummond_desktop.app.controllers.user_writes import SerialWriter
from drummond_desktop.app.main_window import MainWindow
from drummond_desktop.app.views.prompts import AskText, ask_text
from drummond_desktop.app.workers import TaskRunner
from drummond_desktop.core.tasks import CancelToken, Progress

if TYPE_CHECKING:  # the store module pulls in SQLAlchemy: not at start-up
    from drummond_desktop.store.workspace_lists import Watchlist, WatchlistRepository

log = logging.getLogger(__name__)

RepositoryProvider = Callable[[], "WatchlistRepository"]


def _watchlist(list_id: int, name: str, symbols: Sequence[str]) -> Watchlist:
    from drummond_desktop.store.workspace_lists import Watchlist

    return Watchlist(list_id, name, tuple(symbols))


def load_lists(request: tuple[RepositoryProvider, str, tuple[str, ...]], cancel: CancelToken,
               progress: Progress) -> list[Watchlist]:
    """The stored lists; seeds ``(name, symbols)`` when there are none."""
    provider, name, symbols = request
    repo = provider()
    lists = repo.all()
    if not lists:
        lists = [repo.create(name, symbols)]
    return lists


def parse_symbols(text: str) -> list[str]:
    """``"aapl.us, MSFT.US  spy.us"`` -> ``["AAPL.US", "MSFT.US", "SPY.US"]`` (order kept)."""
    out: list[str] = []
    for part in text.replace(",", " ").replace(";", " ").split():
        code = part.strip().upper()
        if code and code not in out:
            out.append(code)
    return out


class WatchlistsController(QObject):
    """The watchlist panel's lists and edits."""

    KEY = "watchlists"

    lists_loaded = Signal(object)  # list[Watchlist]

    def __init__(self, window: MainWindow, runner: TaskRunner, rows: WatchlistController,
                 writer: SerialWriter, repository: RepositoryProvider | None,
                 ask: AskText = ask_text) -> None:
        super().__init__(window)
        self.window = window
        self.runner = runner
        self.rows = rows
        self.writer = writer
        self.repository = repository
        self.ask = ask
        self.lists: list[Watchlist] = []
        self.index = 0
        self.loaded = False  # edits wait for the stored lists (they would be overwritten)
        self._after_load: list[Callable[[], None]] = []
        self._next_local_id = -1  # lists made here get negative ids until the store's arrive
        # provisional id -> the store's id; written and read only by the serial writer's batches,
        # which run in order, so a later write always finds its list's real id.
        self._stored_ids: dict[int, int] = {}
        panel = window.watchlist
        panel.list_chosen.connect(self.choose)
        panel.remove_requested.connect(self.remove_symbol)
        panel.move_requested.connect(self.move_symbol)
        panel.new_list_action.triggered.connect(self._on_new_list)
        panel.rename_list_action.triggered.connect(self._on_rename_list)
        panel.delete_list_action.triggered.connect(self._on_delete_list)
        panel.add_symbol_action.triggered.connect(self._on_add_symbol)
        runner.finished.connect(self._on_runner_finished)
        runner.failed.connect(self._on_runner_failed)

    @property
    def current(self) -> Watchlist | None:
        return self.lists[self.index] if 0 <= self.index < len(self.lists) else None

    def load(self, seed_name: str, seed_symbols: Sequence[str]) -> None:
        """Read the stored lists (seeding one on first run) and show the first."""
        if self.repository is None:
            self._loaded([_watchlist(self._local_id(), seed_name, seed_symbols)])
            return
        self.window.watchlist.edit_button.setEnabled(False)
        request = (self.repository, seed_name, tuple(seed_symbols))
        self.runner.submit(self.KEY, load_lists, request, pool="io")

    def when_loaded(self, action: Callable[[], None]) -> None:
        """Run ``action`` now if the lists are loaded, else as soon as they are."""
        if self.loaded:
            action()
        else:
            self._after_load.append(action)

    def _loaded(self, lists: list[Watchlist]) -> None:
        self.loaded = True
        self.window.watchlist.edit_button.setEnabled(True)
        self._show_lists(lists, 0)
        self.lists_loaded.emit(list(self.lists))
        actions, self._after_load = self._after_load, []
        for action in actions:
            action()

    # ------------------------------------------------------------------------------ edits

    @Slot(int)
    def choose(self, index: int) -> None:
        if 0 <= index < len(self.lists):
            self.index = index
            self._show_current()

    def create(self, name: str, symbols: Sequence[str] = ()) -> Watchlist | None:
        name = name.strip()
        if not name:
            return None
        if any(w.name == name for w in self.lists):
            self.window.show_message(f"There is already a watchlist named {name!r}.")
            return None
        provisional = _watchlist(self._local_id(), name, symbols)
        self.lists.append(provisional)
        if self.repository is not None:
            repo, codes = self.repository, tuple(symbols)

            def write() -> None:
                saved = repo().create(name, codes)
                self._stored_ids[provisional.id] = saved.id
            self.writer.enqueue(f"creating watchlist {name}", write)
        self._show_lists(self.lists, len(self.lists) - 1)
        return provisional

    def rename(self, name: str) -> None:
        current = self.current
        name = name.strip()
        if current is None or not name or name == current.name:
            return
        if any(w.name == name for w in self.lists):
            self.window.show_message(f"There is already a watchlist named {name!r}.")
            return
        self.lists[self.index] = replace(current, name=name)
        self._write(current, "renaming", lambda repo, wid: repo.rename(wid, name))
        self._show_lists(self.lists, self.index)

    def delete_current(self) -> None:
        current = self.current
        if current is None or len(self.lists) <= 1:
            self.window.show_message("The last watchlist cannot be deleted.")
            return
        del self.lists[self.index]
        self._write(current, "deleting", lambda repo, wid: repo.delete(wid))
        self._show_lists(self.lists, max(0, self.index - 1))

    def add_symbols(self, codes: Sequence[str]) -> None:
        current = self.current
        if current is None:
            return
        new = [c for c in codes if c and c not in current.symbols]
        if new:
            self._set_symbols(current, (*current.symbols, *new))

    @Slot(str)
    def remove_symbol(self, code: str) -> None:
        current = self.current
        if current is not None and code in current.symbols:
            self._set_symbols(current, tuple(c for c in current.symbols if c != code))

    @Slot(str, int)
    def move_symbol(self, code: str, delta: int) -> None:
        """Move ``code`` ``delta`` rows (clamped to the list) and keep it selected."""
        current = self.current
        if current is None or code not in current.symbols:
            return
        symbols = list(current.symbols)
        i = symbols.index(code)
        j = min(max(i + delta, 0), len(symbols) - 1)
        if i == j:
            return
        symbols.insert(j, symbols.pop(i))
        self._set_symbols(current, tuple(symbols))
        self.window.watchlist.select(code)

    def _set_symbols(self, current: Watchlist, symbols: tuple[str, ...]) -> None:
        self.lists[self.index] = replace(current, symbols=symbols)
        self._write(current, "saving", lambda repo, wid: repo.set_symbols(wid, symbols))
        self._show_current()

    # ----------------------------------------------------------------------------- private

    def _write(self, target: Watchlist, verb: str,
               op: Callable[[WatchlistRepository, int], None]) -> None:
        if self.repository is None:
            return
        repo, ids = self.repository, self._stored_ids

        def write() -> None:
            op(repo(), ids.get(target.id, target.id))
        self.writer.enqueue(f"{verb} watchlist {target.name}", write)

    def _local_id(self) -> int:
        self._next_local_id -= 1
        return self._next_local_id

    def _show_lists(self, lists: list[Watchlist], index: int) -> None:
        self.lists = list(lists)
        self.index = min(max(index, 0), len(self.lists) - 1)
        self.window.watchlist.set_lists([w.name for w in self.lists], self.index)
        self._show_current()

    def _show_current(self) -> None:
        current = self.current
        if current is None:
            return
        self.window.watchlist.list_box.setCurrentIndex(self.index)
        self.window.set_watchlist(current.symbols)
        if current.symbols:
            self.rows.load(current.symbols)

    @Slot()
    def _on_new_list(self) -> None:
        name = self.ask(self.window, "New watchlist", "Name:", "")
        if name:
            self.create(name)

    @Slot()
    def _on_rename_list(self) -> None:
        current = self.current
        if current is not None:
            name = self.ask(self.window, "Rename watchlist", "Name:", current.name)
            if name:
                self.rename(name)

    @Slot()
    def _on_delete_list(self) -> None:
        self.delete_current()

    @Slot()
    def _on_add_symbol(self) -> None:
        text = self.ask(self.window, "Add to watchlist",
                        "Symbols (CODE.EXCHANGE, separated by spaces or commas):", "")
        if text:
            self.add_symbols(parse_symbols(text))

    @Slot(str, int, object)
    def _on_runner_finished(self, key: str, generation: int, result: object) -> None:
        if key == self.KEY and isinstance(result, list):
            self._loaded(result)

    @Slot(str, int, object)
    def _on_runner_failed(self, key: str, generation: int, exc: object) -> None:
        if key == self.KEY:
            assert isinstance(exc, BaseException)
            speak_failure(self.window, exc, "The watchlists could not be loaded")
