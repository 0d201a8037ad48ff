"""Saved scans in the user store: CRUD, a bad expression refused with its parse error (column
and token) and nothing written, bad universes and intervals, names taken - on SQLite and
PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from drummond_desktop.core.errors import DataError, StoreError
from drummond_desktop.store.scans import (
    DuplicateScanName,
    InvalidScan,
    ScanRepository,
    StoredScan,
    UnknownScan,
)
from drummond_desktop.store.stores import UserStore, open_user_store
from drummond_desktop.store.workspace_lists import InvalidName

BRIEF = ("weekly.trend_up and daily.state == cong_exit and daily.trend_dir == 1 "
         "and close within weekly.support_zone")


@pytest.fixture
def user(store_url: str | None) -> Iterator[UserStore]:
    with open_user_store(store_url) as opened:
        yield opened


@pytest.fixture
def scans(user: UserStore) -> ScanRepository:
    return ScanRepository(user.engine, user.where)


def _rows(user: UserStore) -> list[tuple]:
    with user.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT id, name, expr, universe, interval, created_at, updated_at "
            "FROM saved_scans ORDER BY name"))]


def test_create_list_get_update_delete(scans: ScanRepository, user: UserStore):
    before = time.time_ns() // 1000
    a = scans.create("  Weekly pullbacks ", BRIEF, "watchlist: Tech ", "1d")
    b = scans.create("Oversold", "rsi(14) < 30 and close > pldot")
    after = time.time_ns() // 1000
    assert a == StoredScan(a.id, "Weekly pullbacks", BRIEF, "watchlist:Tech", "1d",
                           a.created_at, a.created_at)
    assert len(a.id) == 32 and before <= a.created_at <= after  # epoch microseconds
    assert a.watchlist == "Tech" and b.universe == "all" and b.watchlist is None
    assert scans.all() == [b, a]  # by name
    assert scans.get(a.id) == a and scans.by_name("Oversold ") == b
    assert scans.by_name("nope") is None
    c = scans.update(b.id, expr="push_up or cwave_up", universe="ALL", interval="1M")
    assert (c.expr, c.universe, c.interval, c.created_at) == ("push_up or cwave_up", "all",
                                                              "1mo", b.created_at)
    assert c.updated_at > b.updated_at and scans.get(b.id) == c
    renamed = scans.update(a.id, name="Pullbacks")
    assert renamed.expr == BRIEF and scans.by_name("Weekly pullbacks") is None
    scans.delete(a.id)
    assert scans.all() == [c] and len(_rows(user)) == 1
    with pytest.raises(UnknownScan) as info:
        scans.delete(a.id)
    assert isinstance(info.value, StoreError) and "no longer exists" in info.value.user_message
    with pytest.raises(UnknownScan):
        scans.get(a.id)
    with pytest.raises(UnknownScan):
        scans.update(a.id, name="x")


@pytest.mark.parametrize(("expr", "column", "words"), [
    ("close >", 8, "ends too early"),
    ("close within pldot", 14, "'within' needs a zone term"),
    ("rsi(14) < 30 and clsoe > 1", 18, "unknown term 'clsoe'"),
    ("close", 1, "a scan needs a condition"),
])
def test_a_bad_expression_is_refused_with_its_parse_error(scans, user, expr, column, words):
    kept = scans.create("Kept", "push_up")
    stored = _rows(user)
    with pytest.raises(InvalidScan) as info:
        scans.create("New", expr)
    err = info.value
    assert isinstance(err, DataError) and isinstance(err, ValueError)
    assert f"column {column}" in str(err) and words in str(err)
    assert f"column {column}" in err.user_message
    with pytest.raises(InvalidScan, match=f"column {column}"):
        scans.update(kept.id, expr=expr, name="Renamed")
    assert _rows(user) == stored  # nothing stored changed


def test_expression_is_checked_against_the_interval(scans, user):
    s = scans.create("Daily", "daily.close > weekly.pldot", interval="1d")
    with pytest.raises(InvalidScan, match="daily terms need bars of 1d or finer"):
        scans.update(s.id, interval="1w")  # the stored expression no longer fits
    with pytest.raises(InvalidScan, match="column 1"):
        scans.create("Weekly", "daily.close > 1", interval="1w")
    assert [r[1] for r in _rows(user)] == ["Daily"]


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"universe": "everything"}, "neither 'all' nor 'watchlist:<name>'"),
    ({"universe": "watchlist:  "}, "needs a watchlist name"),
    ({"universe": 3}, "must be text"),
    ({"interval": "2d"}, "'2d' is not one of"),
])
def test_bad_universe_and_interval_are_refused(scans, user, kwargs, words):
    with pytest.raises(InvalidScan, match=words):
        scans.create("X", "push_up", **kwargs)
    assert _rows(user) == []


def test_names_blank_long_and_taken(scans, user):
    first = scans.create("Mine", "push_up")
    with pytest.raises(DuplicateScanName) as info:
        scans.create(" Mine ", "cwave_up")
    assert "Mine" in info.value.user_message
    other = scans.create("Other", "cwave_up")
    with pytest.raises(DuplicateScanName):
        scans.update(other.id, name="Mine")
    assert scans.update(first.id, name="Mine").name == "Mine"  # its own name: fine
    for bad in ("", "   ", "x" * 201):
        with pytest.raises(InvalidName):
            scans.create(bad, "push_up")
    assert [r[1] for r in _rows(user)] == ["Mine", "Other"]


def test_a_name_taken_meanwhile_is_a_duplicate_too(scans, user, monkeypatch):
    scans.create("Race", "push_up")
    monkeypatch.setattr(ScanRepository, "_refuse_taken", lambda *a, **k: None)
    with pytest.raises(DuplicateScanName, match="Race"):
        scans.create("Race", "cwave_up")
    assert len(_rows(user)) == 1
