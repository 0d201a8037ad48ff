"""``DrawingsModel``: the current symbol's chart drawings, their undo history, and persistence.

The model holds ``DrawingRecord`` values (``store/drawings.py``) for one symbol at a time; every
change goes through a ``QUndoStack`` command (add, move, edit text, delete), emits ``changed``
and persists the symbol's whole list with ``replace_symbol`` - one transaction, so the stored
list always equals one state the user saw.

I/O stays off the GUI thread when a ``TaskRunner`` is given: loads and saves run on its ``io``
pool, saves latest-wins per symbol (a burst of edits writes once). A save that starts after a
newer one of the same symbol was written is skipped, so the store never goes back in time. Call
``flush()`` before shutting the runner down: it writes (on the calling thread) whatever has not
been confirmed yet. Without a runner everything is synchronous (tests, scripts).

The undo history belongs to the shown symbol: switching symbols clears it. Each symbol's list
is cached for the session, so switching back shows the latest edits even before they are saved.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QUndoCommand, QUndoStack

from drummond_desktop.app.workers import TaskRunner
from drummond_desktop.core.errors import AppError
from drummond_desktop.core.tasks import CancelToken, Progress

if TYPE_CHECKING:  # the store package pulls in SQLAlchemy: not at start-up
    from drummond_desktop.store.drawings import DrawingRecord, StyleValue

log = logging.getLogger(__name__)

_instances = itertools.count(1)  # task keys per model: two charts never cancel each other


class DrawingsStore(Protocol):
    """What the model needs of ``DrawingsRepository``."""

    def for_symbol(self, symbol: str) -> list[DrawingRecord]: ...

    def replace_symbol(self, symbol: str, records: Sequence[DrawingRecord]) -> None: ...


@dataclass(frozen=True)
class SaveRequest:
    symbol: str
    records: tuple[DrawingRecord, ...]
    seq: int  # increases with every change of any symbol


class _Writer:
    """Writes symbols' lists from any thread, never an older state over a newer one."""

    def __init__(self, store: DrawingsStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._written: dict[str, int] = {}

    def written(self, symbol: str) -> int:
        with self._lock:
            return self._written.get(symbol, 0)

    def save(self, request: SaveRequest, cancel: CancelToken | None = None,
             progress: Progress | None = None) -> int:
        with self._lock:  # one write at a time, in sequence order
            if self._written.get(request.symbol, 0) >= request.seq:
                return request.seq  # a newer state is already stored
            self.store.replace_symbol(request.symbol, request.records)
            self._written[request.symbol] = request.seq
        return request.seq

    def load(self, symbol: str, cancel: CancelToken | None = None,
             progress: Progress | None = None) -> tuple[str, list[DrawingRecord]]:
        return symbol, self.store.for_symbol(symbol)


class DrawingsModel(QObject):
    """The drawings of ``symbol`` with undoable edits; see the module docstring."""

    changed = Signal()  # the records changed (edit, undo/redo, a symbol loaded)
    loaded = Signal(str)  # a symbol's drawings arrived from the store
    failed = Signal(object)  # an exception from loading or saving (AppError: user_message)

    def __init__(self, store: DrawingsStore | None = None, runner: TaskRunner | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._writer = _Writer(store) if store is not None else None
        self._runner = runner
        self.undo_stack = QUndoStack(self)
        self.symbol = ""
        self._records: list[DrawingRecord] = []
        self._cache: dict[str, tuple[DrawingRecord, ...]] = {}
        self._pending: dict[str, SaveRequest] = {}  # submitted, not yet known to be written
        self._unreadable: set[str] = set()  # symbols whose stored drawings failed to load
        self._seq = 0
        self.loading = False
        tag = next(_instances)
        self.load_key = f"drawings-load:{tag}"
        self.save_key = f"drawings-save:{tag}:"  # + symbol
        if runner is not None:
            runner.finished.connect(self._on_runner_finished)
            runner.failed.connect(self._on_runner_failed)

    # -- reading ------------------------------------------------------------------------------
    def records(self) -> tuple[DrawingRecord, ...]:
        return tuple(self._records)

    def get(self, drawing_id: str) -> DrawingRecord | None:
        return next((r for r in self._records if r.id == drawing_id), None)

    def __len__(self) -> int:
        return len(self._records)

    # -- symbol -------------------------------------------------------------------------------
    def set_symbol(self, symbol: str) -> None:
        """Show ``symbol``'s drawings: from the session cache, else loaded from the store."""
        if symbol == self.symbol:
            return
        self.symbol = symbol
        self.undo_stack.clear()
        if self._runner is not None:
            self._runner.cancel(self.load_key)  # a late answer for the previous symbol is void
        self._records = list(self._cache.get(symbol, ()))
        self.loading = symbol not in self._cache and self._writer is not None and bool(symbol)
        if self.loading:
            assert self._writer is not None
            if self._runner is not None:
                self._runner.submit(self.load_key, self._writer.load, symbol, pool="io")
            else:
                try:
                    result = self._writer.load(symbol)
                except AppError as exc:
                    self._load_failed(exc)
                    return
                self._loaded(*result)
                return
        self.changed.emit()

    def _load_failed(self, exc: BaseException) -> None:
        """Show what was drawn meanwhile, but never write this symbol until a load succeeds:
        ``replace_symbol`` would delete the stored drawings that could not be read."""
        self.loading = False
        self._unreadable.add(self.symbol)
        log.warning("loading the drawings of %s failed: %s", self.symbol, exc)
        self.changed.emit()
        self.failed.emit(exc)

    def _loaded(self, symbol: str, stored: Iterable[DrawingRecord]) -> None:
        if symbol != self.symbol:
            return  # the user moved on meanwhile
        records = list(stored)
        known = {r.id for r in records}
        drawn_meanwhile = [r for r in self._records if r.id not in known]
        self._records = records + drawn_meanwhile
        self._cache[symbol] = tuple(self._records)
        self.loading = False
        self._unreadable.discard(symbol)
        if drawn_meanwhile:
            self._persist()
        self.loaded.emit(symbol)
        self.changed.emit()

    # -- undoable edits -----------------------------------------------------------------------
    def create(self, kind: str, anchors: Iterable[Sequence[Any]], text: str = "",
               style: Mapping[str, StyleValue] | None = None) -> DrawingRecord:
        """A new drawing of the current symbol, added as one undoable step."""
        from drummond_desktop.store.drawings import DrawingRecord

        if not self.symbol:
            raise ValueError("no symbol is shown: set_symbol() before drawing")
        record = DrawingRecord.create(self.symbol, kind, anchors, text, style)
        self.add(record)
        return record

    def add(self, record: DrawingRecord) -> None:
        if record.symbol != self.symbol:
            raise ValueError(f"drawing {record.id} belongs to {record.symbol}, "
                             f"not the shown {self.symbol or '(none)'}")
        if self.get(record.id) is not None:
            raise ValueError(f"drawing {record.id} is already shown")
        self.undo_stack.push(_AddCommand(self, record))

    def move(self, drawing_id: str, anchors: Iterable[Sequence[Any]]) -> None:
        """Give a drawing new anchors (one undoable step; validated, ``ValueError``)."""
        old = self._require(drawing_id)
        new = old.with_anchors(anchors)
        if new != old:
            self.undo_stack.push(_ReplaceCommand(self, old, new, f"Move {old.kind}"))

    def edit_text(self, drawing_id: str, text: str) -> None:
        old = self._require(drawing_id)
        new = old.with_text(text)
        if new != old:
            self.undo_stack.push(_ReplaceCommand(self, old, new, f"Edit {old.kind} text"))

    def delete(self, drawing_id: str) -> None:
        self.undo_stack.push(_DeleteCommand(self, self._require(drawing_id)))

    def _require(self, drawing_id: str) -> DrawingRecord:
        record = self.get(drawing_id)
        if record is None:
            raise KeyError(f"no drawing {drawing_id} on {self.symbol or '(no symbol)'}")
        return record

    # -- what the commands call ---------------------------------------------------------------
    def _insert(self, index: int, record: DrawingRecord) -> None:
        self._records.insert(index, record)
        self._commit()

    def _remove(self, drawing_id: str) -> int:
        index = next(i for i, r in enumerate(self._records) if r.id == drawing_id)
        del self._records[index]
        self._commit()
        return index

    def _replace(self, record: DrawingRecord) -> None:
        index = next(i for i, r in enumerate(self._records) if r.id == record.id)
        self._records[index] = record
        self._commit()

    def _commit(self) -> None:
        self._cache[self.symbol] = tuple(self._records)
        self._persist()
        self.changed.emit()

    # -- persistence --------------------------------------------------------------------------
    def _persist(self) -> None:
        # Never write a list that was not first read whole: replace_symbol would delete the
        # stored drawings still loading, or those that failed to load.
        if self._writer is None or self.loading or self.symbol in self._unreadable:
            return
        self._seq += 1
        request = SaveRequest(self.symbol, tuple(self._records), self._seq)
        if self._runner is None:
            self._writer.save(request)
            return
        self._pending[request.symbol] = request
        self._runner.submit(self.save_key + request.symbol, self._writer.save, request, pool="io")

    def flush(self) -> None:
        """Write every change not yet confirmed, on this thread (call before shutdown)."""
        if self._writer is None:
            return
        for symbol, request in list(self._pending.items()):
            if self._writer.written(symbol) < request.seq:
                self._writer.save(request)
            self._pending.pop(symbol, None)

    def pending(self) -> int:
        """Symbols with changes not yet known to be written."""
        if self._writer is None:
            return 0
        return sum(self._writer.written(s) < r.seq for s, r in self._pending.items())

    @Slot(str, int, object)
    def _on_runner_finished(self, key: str, generation: int, result: object) -> None:
        if key == self.load_key and isinstance(result, tuple):
            self._loaded(*result)
        elif key.startswith(self.save_key):
            request = self._pending.get(key[len(self.save_key):])
            if request is not None and isinstance(result, int) and result >= request.seq:
                del self._pending[request.symbol]

    @Slot(str, int, object)
    def _on_runner_failed(self, key: str, generation: int, exc: object) -> None:
        if key == self.load_key:
            assert isinstance(exc, BaseException)
            self._load_failed(exc)
        elif key.startswith(self.save_key):
            log.warning("saving drawings failed (%s): %s", key, exc)
            self.failed.emit(exc)


class _AddCommand(QUndoCommand):
    def __init__(self, model: DrawingsModel, record: DrawingRecord) -> None:
        super().__init__(f"Add {record.kind}")
        self._model, self._record = model, record

    def redo(self) -> None:
        self._model._insert(len(self._model), self._record)

    def undo(self) -> None:
        self._model._remove(self._record.id)


class _ReplaceCommand(QUndoCommand):
    """Move or edit: swap a drawing for its changed copy (same id)."""

    def __init__(self, model: DrawingsModel, old: DrawingRecord, new: DrawingRecord,
                 text: str) -> None:
        super().__init__(text)
        self._model, self._old, self._new = model, old, new

    def redo(self) -> None:
        self._model._replace(self._new)

    def undo(self) -> None:
        self._model._replace(self._old)


class _DeleteCommand(QUndoCommand):
    def __init__(self, model: DrawingsModel, record: DrawingRecord) -> None:
        super().__init__(f"Delete {record.kind}")
        self._model, self._record = model, record
        self._index = 0

    def redo(self) -> None:
        self._index = self._model._remove(self._record.id)

    def undo(self) -> None:
        self._model._insert(self._index, self._record)
