"""The workspace's named things in the user store: watchlists (ordered lists of symbols) and
layouts (named JSON objects the app saves and restores).

Errors, besides the typed database errors of ``store/engines.py``:

* ``InvalidName`` (a ``DataError`` and a ``ValueError``) - a blank or too long list/layout name,
  or a bad symbol in a list; nothing was written.
* ``DuplicateName`` (a ``StoreError``) - another watchlist already has that name.
* ``UnknownWatchlist`` (a ``StoreError``) - no watchlist has that id (deleted meanwhile).
* ``LayoutUnreadable`` (a ``StoreError``) - a stored layout that no longer parses; it is left
  as stored.

Every change is one transaction; ``set_symbols`` replaces a list's symbols whole or not at all.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from drummond_desktop.core.errors import DataError, StoreError
from drummond_desktop.store.engines import read_connection, upsert_rows, write_transaction
from drummond_desktop.store.schema import user_table

MAX_NAME = 200
MAX_SYMBOL = 100

_LISTS = user_table("watchlists")
_ITEMS = user_table("watchlist_items")
_LAYOUTS = user_table("layouts")


class InvalidName(DataError, ValueError):
    """A name or symbol that cannot be stored: blank, or too long."""

    def __init__(self, what: str, value: object, rule: str) -> None:
        self.what = what
        self.value = value
        super().__init__(f"{what} {value!r}: {rule}", user_message=f"The {what} {rule}.")


class DuplicateName(StoreError):
    """Another watchlist already has this name."""

    def __init__(self, where: str, name: str) -> None:
        self.name = name
        super().__init__(where, f"a watchlist named {name!r} already exists",
                         user_message=f"A watchlist named \u201c{name}\u201d already exists; "
                                      "choose another name.")


class UnknownWatchlist(StoreError):
    """No watchlist has this id."""

    def __init__(self, where: str, watchlist_id: int) -> None:
        self.watchlist_id = watchlist_id
        super().__init__(where, f"no watchlist has id {watchlist_id}",
                         user_message="That watchlist no longer exists.")


class LayoutUnreadable(StoreError):
    def __init__(self, where: str, name: str, reason: str) -> None:
        self.name = name
        super().__init__(where, f"layout {name!r} cannot be read: {reason}",
                         user_message=f"The layout \u201c{name}\u201d cannot be read; "
                                      "it was left as stored.")


def clean_name(what: str, name: object, limit: int = MAX_NAME) -> str:
    """``name`` without surrounding blanks; ``InvalidName`` when blank, too long or not text."""
    if not isinstance(name, str):
        raise InvalidName(what, name, "must be text")
    cleaned = name.strip()
    if not cleaned:
        raise InvalidName(what, name, "must not be blank")
    if len(cleaned) > limit:
        raise InvalidName(what, name, f"must be at most {limit} characters")
    return cleaned


def clean_symbols(symbols: Sequence[str]) -> tuple[str, ...]:
    """The symbols without surrounding blanks; ``InvalidName`` for a blank, too long or
    repeated one (a list shows each symbol once)."""
    if isinstance(symbols, str):
        raise InvalidName("symbol list", symbols, "must be a sequence of symbols, not one string")
    out = tuple(clean_name("symbol", s, MAX_SYMBOL) for s in symbols)
    seen: set[str] = set()
    for s in out:
        if s in seen:
            raise InvalidName("symbol", s, "appears twice in the list")
        seen.add(s)
    return out


@dataclass(frozen=True)
class Watchlist:
    id: int
    name: str
    symbols: tuple[str, ...]


class WatchlistRepository:
    """Watchlists in their display order, each with its ordered symbols."""

    def __init__(self, engine: Engine, where: str) -> None:
        self._engine = engine
        self._where = where

    def all(self) -> list[Watchlist]:
        """Every watchlist, ordered by position."""
        with read_connection(self._engine, self._where, "reading watchlists") as conn:
            lists = conn.execute(select(_LISTS.c.id, _LISTS.c.name)
                                 .order_by(_LISTS.c.position, _LISTS.c.id)).all()
            items = conn.execute(select(_ITEMS.c.watchlist_id, _ITEMS.c.symbol)
                                 .order_by(_ITEMS.c.watchlist_id, _ITEMS.c.position)).all()
        symbols: dict[int, list[str]] = {}
        for wid, symbol in items:
            symbols.setdefault(int(wid), []).append(symbol)
        return [Watchlist(int(wid), name, tuple(symbols.get(int(wid), ()))) for wid, name in lists]

    def get(self, watchlist_id: int) -> Watchlist:
        """One watchlist (``UnknownWatchlist`` when there is none with that id)."""
        found = next((w for w in self.all() if w.id == watchlist_id), None)
        if found is None:
            raise UnknownWatchlist(self._where, watchlist_id)
        return found

    def create(self, name: str, symbols: Sequence[str] = ()) -> Watchlist:
        """A new watchlist after the others (``DuplicateName`` when the name is taken)."""
        name = clean_name("watchlist name", name)
        cleaned = clean_symbols(symbols)
        with write_transaction(self._engine, self._where,
                               f"creating watchlist {name!r}") as conn:
            self._refuse_taken(conn, name)
            position = conn.execute(select(func.coalesce(func.max(_LISTS.c.position), -1))
                                    ).scalar_one() + 1
            with self._unique(name):
                wid = int(conn.execute(_LISTS.insert().values(name=name, position=position)
                                       .returning(_LISTS.c.id)).scalar_one())
            _write_items(conn, wid, cleaned)
        return Watchlist(wid, name, cleaned)

    def rename(self, watchlist_id: int, name: str) -> None:
        name = clean_name("watchlist name", name)
        with write_transaction(self._engine, self._where,
                               f"renaming watchlist {watchlist_id}") as conn:
            self._require(conn, watchlist_id)
            self._refuse_taken(conn, name, watchlist_id)
            with self._unique(name):
                conn.execute(update(_LISTS).where(_LISTS.c.id == watchlist_id)
                             .values(name=name))

    def delete(self, watchlist_id: int) -> None:
        """Delete a watchlist and its symbols (``UnknownWatchlist`` when it does not exist)."""
        with write_transaction(self._engine, self._where,
                               f"deleting watchlist {watchlist_id}") as conn:
            self._require(conn, watchlist_id)
            conn.execute(delete(_ITEMS).where(_ITEMS.c.watchlist_id == watchlist_id))
            conn.execute(delete(_LISTS).where(_LISTS.c.id == watchlist_id))

    def set_symbols(self, watchlist_id: int, symbols: Sequence[str]) -> None:
        """Replace the list's symbols (in this order) in one transaction."""
        cleaned = clean_symbols(symbols)
        with write_transaction(self._engine, self._where,
                               f"saving the symbols of watchlist {watchlist_id}") as conn:
            self._require(conn, watchlist_id)
            conn.execute(delete(_ITEMS).where(_ITEMS.c.watchlist_id == watchlist_id))
            _write_items(conn, watchlist_id, cleaned)

    # -- helpers ------------------------------------------------------------------------------
    def _require(self, conn: Connection, watchlist_id: int) -> None:
        found = conn.execute(select(_LISTS.c.id).where(_LISTS.c.id == watchlist_id)).scalar()
        if found is None:
            raise UnknownWatchlist(self._where, watchlist_id)

    def _refuse_taken(self, conn: Connection, name: str, own_id: int | None = None) -> None:
        owner = conn.execute(select(_LISTS.c.id).where(_LISTS.c.name == name)).scalar()
        if owner is not None and owner != own_id:
            raise DuplicateName(self._where, name)

    @contextmanager
    def _unique(self, name: str) -> Iterator[None]:
        """Another app may take the name between our check and our write (PostgreSQL): the
        unique constraint then speaks, and is reported as the same ``DuplicateName``."""
        try:
            yield
        except IntegrityError as exc:
            if "name" in str(exc.orig):
                raise DuplicateName(self._where, name) from None
            raise


def _write_items(conn: Connection, watchlist_id: int, symbols: tuple[str, ...]) -> None:
    if symbols:
        conn.execute(_ITEMS.insert(), [{"watchlist_id": watchlist_id, "position": i,
                                        "symbol": s} for i, s in enumerate(symbols)])


class LayoutRepository:
    """Named layouts: JSON objects, saved whole (upsert) and loaded back as dicts."""

    def __init__(self, engine: Engine, where: str) -> None:
        self._engine = engine
        self._where = where

    def names(self) -> list[str]:
        with read_connection(self._engine, self._where, "listing layouts") as conn:
            return list(conn.execute(select(_LAYOUTS.c.name).order_by(_LAYOUTS.c.name))
                        .scalars())

    def save(self, name: str, payload: Mapping[str, Any]) -> None:
        """Store ``payload`` (a JSON-serialisable mapping) as layout ``name``, replacing it."""
        name = clean_name("layout name", name)
        if not isinstance(payload, Mapping):
            raise ValueError(f"layout {name!r}: the payload must be a mapping, "
                             f"got {type(payload).__name__}")
        try:
            text = json.dumps(dict(payload), allow_nan=False, sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"layout {name!r}: the payload is not JSON: {exc}") from None
        row = {"name": name, "payload": text, "updated_at": time.time_ns() // 1000}
        with write_transaction(self._engine, self._where, f"saving layout {name!r}") as conn:
            upsert_rows(conn, _LAYOUTS, [row], ("name",))

    def load(self, name: str) -> dict[str, Any] | None:
        """The layout's payload, or ``None`` when there is no layout of that name."""
        with read_connection(self._engine, self._where, f"reading layout {name!r}") as conn:
            text = conn.execute(select(_LAYOUTS.c.payload)
                                .where(_LAYOUTS.c.name == name.strip())).scalar()
        if text is None:
            return None
        try:
            payload = json.loads(text)
        except ValueError as exc:
            raise LayoutUnreadable(self._where, name, str(exc)) from None
        if not isinstance(payload, dict):
            raise LayoutUnreadable(self._where, name, "not a JSON object")
        return payload

    def delete(self, name: str) -> None:
        """Delete a layout; a name that is not stored is not an error."""
        with write_transaction(self._engine, self._where, f"deleting layout {name!r}") as conn:
            conn.execute(delete(_LAYOUTS).where(_LAYOUTS.c.name == name.strip()))
