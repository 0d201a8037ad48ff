"""Watchlists and layouts in the user store: CRUD, clear errors for blank or taken names and
unknown ids, one transaction per change - on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text, update

from drummond_desktop.core.errors import AppError, DataError, StoreError
from drummond_desktop.store import workspace_lists
from drummond_desktop.store.schema import user_table
from drummond_desktop.store.stores import UserStore, open_user_store
from drummond_desktop.store.workspace_lists import (
    DuplicateName,
    InvalidName,
    LayoutUnreadable,
    UnknownWatchlist,
    Watchlist,
)


@pytest.fixture
def user(store_url: str | None) -> Iterator[UserStore]:
    with open_user_store(store_url) as opened:
        yield opened


def _count(store: UserStore, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_watchlists_crud_in_position_order(user: UserStore):
    tech = user.watchlists.create("  Tech ", ["AAPL.US", " MSFT.US"])
    assert tech == Watchlist(tech.id, "Tech", ("AAPL.US", "MSFT.US"))
    energy = user.watchlists.create("Energy")
    fx = user.watchlists.create("FX", ["EURUSD.FOREX"])
    assert user.watchlists.all() == [tech, energy, fx]
    user.watchlists.rename(energy.id, "Oil & gas")
    user.watchlists.rename(fx.id, "FX")  # its own name: fine
    user.watchlists.set_symbols(energy.id, ["XOM.US", "CVX.US"])
    user.watchlists.set_symbols(tech.id, ["NVDA.US"])
    assert user.watchlists.get(energy.id) == Watchlist(energy.id, "Oil & gas",
                                                       ("XOM.US", "CVX.US"))
    user.watchlists.delete(tech.id)
    assert [(w.name, w.symbols) for w in user.watchlists.all()] == [
        ("Oil & gas", ("XOM.US", "CVX.US")), ("FX", ("EURUSD.FOREX",))]
    assert _count(user, "watchlist_items") == 3  # the deleted list's symbols went with it
    after = user.watchlists.create("Tech")
    assert user.watchlists.all()[-1] == after  # a new list goes last


def test_duplicate_and_blank_names_are_refused(user: UserStore):
    tech = user.watchlists.create("Tech")
    other = user.watchlists.create("Other", ["A.US"])
    with pytest.raises(DuplicateName) as info:
        user.watchlists.create("Tech", ["B.US"])
    assert isinstance(info.value, StoreError) and "Tech" in info.value.user_message
    with pytest.raises(DuplicateName, match="Tech"):
        user.watchlists.rename(other.id, " Tech")
    for bad in ("", "   ", "x" * 201):
        with pytest.raises(InvalidName) as bad_info:
            user.watchlists.create(bad)
        assert isinstance(bad_info.value, DataError) and isinstance(bad_info.value, ValueError)
        assert "watchlist name" in bad_info.value.user_message
    with pytest.raises(InvalidName, match="appears twice"):
        user.watchlists.set_symbols(tech.id, ["A.US", "B.US", "A.US"])
    with pytest.raises(InvalidName, match="symbol ''"):
        user.watchlists.create("New", ["A.US", ""])
    with pytest.raises(InvalidName, match="not one string"):
        user.watchlists.set_symbols(tech.id, "AAPL.US")
    assert [(w.name, w.symbols) for w in user.watchlists.all()] == [("Tech", ()),
                                                                    ("Other", ("A.US",))]


def test_a_name_taken_meanwhile_is_a_duplicate_too(user: UserStore, monkeypatch):
    # another app took the name between the check and the write: the constraint speaks
    user.watchlists.create("Tech")
    other = user.watchlists.create("Other")
    monkeypatch.setattr(workspace_lists.WatchlistRepository, "_refuse_taken",
                        lambda *a, **k: None)
    with pytest.raises(DuplicateName, match="Tech"):
        user.watchlists.create("Tech")
    with pytest.raises(DuplicateName, match="Tech"):
        user.watchlists.rename(other.id, "Tech")
    assert [w.name for w in user.watchlists.all()] == ["Tech", "Other"]


def test_unknown_ids_are_clear_errors(user: UserStore):
    for call in (lambda: user.watchlists.rename(999, "X"), lambda: user.watchlists.delete(999),
                 lambda: user.watchlists.set_symbols(999, ["A.US"]),
                 lambda: user.watchlists.get(999)):
        with pytest.raises(UnknownWatchlist, match="no watchlist has id 999") as info:
            call()
        assert isinstance(info.value, AppError) and info.value.user_message
    assert _count(user, "watchlist_items") == 0


def test_set_symbols_is_one_transaction(user: UserStore, monkeypatch):
    tech = user.watchlists.create("Tech", ["AAPL.US", "MSFT.US"])
    real = workspace_lists._write_items

    def half_then_fail(conn, watchlist_id, symbols):
        real(conn, watchlist_id, symbols[:1])  # the old rows are already deleted here
        raise RuntimeError("power cut")

    monkeypatch.setattr(workspace_lists, "_write_items", half_then_fail)
    with pytest.raises(RuntimeError, match="power cut"):
        user.watchlists.set_symbols(tech.id, ["NVDA.US", "AMD.US"])
    with pytest.raises(RuntimeError):
        user.watchlists.create("Half", ["X.US"])
    assert user.watchlists.all() == [tech]


def test_layouts_crud(user: UserStore):
    assert user.layouts.names() == [] and user.layouts.load("main") is None
    payload = {"charts": [{"symbol": "AAPL.US", "interval": "1d"}], "split": [0.7, 0.3],
               "dark": True, "note": "çà €"}
    user.layouts.save(" main ", payload)
    user.layouts.save("alt", {})
    assert user.layouts.names() == ["alt", "main"]
    assert user.layouts.load("main") == payload
    user.layouts.save("main", {"charts": []})  # replaces
    assert user.layouts.load("main") == {"charts": []}
    user.layouts.delete("main")
    user.layouts.delete("main")  # not stored: no error
    assert user.layouts.names() == ["alt"]


def test_bad_layouts_are_refused_and_unreadable_ones_reported(user: UserStore):
    for bad, match in (({"f": object()}, "is not JSON"), ({"x": float("nan")}, "is not JSON"),
                       ([1, 2], "must be a mapping")):
        with pytest.raises(ValueError, match=f"layout 'L': the payload {match}"):
            user.layouts.save("L", bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidName, match="layout name"):
        user.layouts.save(" ", {})
    assert user.layouts.names() == []
    user.layouts.save("L", {"a": 1})
    table = user_table("layouts")
    with user.engine.begin() as conn:
        conn.execute(update(table).values(payload="{broken"))
    with pytest.raises(LayoutUnreadable, match="layout 'L' cannot be read"):
        user.layouts.load("L")
    assert user.layouts.names() == ["L"]


def test_workspace_survives_reopening(store_url):
    with open_user_store(store_url) as store:
        wl = store.watchlists.create("Tech", ["AAPL.US"])
        store.layouts.save("main", {"charts": 2})
    with open_user_store(store_url) as again:
        assert again.watchlists.all() == [wl]
        assert again.layouts.load("main") == {"charts": 2}
