"""Drawings in the user store: the user_0002 schema (fresh and upgraded from user_0001), records
that reject bad values with the field named, CRUD in creation order, and ``replace_symbol``
all or nothing - on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text, update

from drummond_desktop.core import paths
from drummond_desktop.core.errors import StoreError
from drummond_desktop.store import migrate, migrations
from drummond_desktop.store.drawings import KINDS, DrawingRecord, DrawingUnreadable
from drummond_desktop.store.engines import create_store_engine, resolve_target, write_transaction
from drummond_desktop.store.schema import USER_VERSION_TABLE, UserBase, user_table
from drummond_desktop.store.stores import UserStore, open_user_store

T0 = 1_700_000_000
ANCHORS = {"trend": [(T0, 10.0), (T0 + 86_400, 12.5)], "ray": [(T0, 10.0), (T0 + 3600, 9.0)],
           "level": [(T0, 101.25)], "rect": [(T0, 10.0), (T0 + 7 * 86_400, 20.0)],
           "text": [(T0, 15.0)], "measure": [(T0, 10.0), (T0 + 2 * 86_400, 11.0)]}


@pytest.fixture
def user(store_url: str | None) -> Iterator[UserStore]:
    with open_user_store(store_url) as opened:
        yield opened


def drawing(kind: str, symbol: str = "AAPL.US", **kw: object) -> DrawingRecord:
    note = "buy zone" if kind == "text" else ""
    return DrawingRecord.create(symbol, kind, ANCHORS[kind], text=str(kw.pop("text", note)),
                                **kw)  # type: ignore[arg-type]


def test_fresh_user_store_matches_the_models(store_url):
    with open_user_store(store_url) as store:
        assert store.upgraded
        with store.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"version_table": USER_VERSION_TABLE})
            diff = compare_metadata(context, UserBase.metadata)
            version = conn.execute(text("SELECT version_num FROM alembic_version_user")).scalar()
    assert diff == []
    assert version == migrations.head("user") == "user_0003"


def _store_at_user_0001(url: str | None) -> None:
    """A user store as the previous app version left it (Alembic stopped at user_0001)."""
    target = resolve_target(url, paths.user_data_dir() / "user.sqlite")
    if target.path is not None:
        target.path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_store_engine(target, durable=True)
    try:
        with write_transaction(engine, target.where, "test setup") as conn:
            cfg = migrate._alembic_config("user")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "user_0001")
    finally:
        engine.dispose()


def test_upgrade_from_user_0001_keeps_working(store_url):
    _store_at_user_0001(store_url)
    with open_user_store(store_url) as store:
        assert store.upgraded
        if store.target.path is not None:
            assert store.backup is not None and store.backup.exists()  # taken before upgrading
        rec = drawing("trend")
        store.drawings.save(rec)
        store.watchlists.create("Tech", ["AAPL.US"])
    with open_user_store(store_url) as again:
        assert not again.upgraded
        assert again.drawings.for_symbol("AAPL.US") == [rec]
        assert [w.name for w in again.watchlists.all()] == ["Tech"]


@pytest.mark.parametrize(("change", "field"), [
    (dict(id="not-hex"), "DrawingRecord.id"),
    (dict(symbol="  "), "DrawingRecord.symbol"),
    (dict(kind="circle"), "DrawingRecord.kind"),
    (dict(anchors=((T0, 1.0),)), "DrawingRecord.anchors: a trend drawing needs 2"),
    (dict(anchors=((T0, float("nan")), (T0, 1.0))), r"DrawingRecord.anchors\[0\]: price"),
    (dict(anchors=((T0, 1.0), (T0 + 0.5, 1.0))), r"DrawingRecord.anchors\[1\]: time"),
    (dict(anchors=((T0, 1.0), (T0, "x"))), r"DrawingRecord.anchors\[1\]: price"),
    (dict(anchors=((T0, 1.0), (T0,))), r"DrawingRecord.anchors\[1\]: must be a"),
    (dict(anchors="abc"), "DrawingRecord.anchors"),
    (dict(style={"width": float("inf")}), r"DrawingRecord.style\['width'\]"),
    (dict(style={"color": [1, 2]}), r"DrawingRecord.style\['color'\]"),
    (dict(text=3), "DrawingRecord.text"),
])
def test_bad_records_are_rejected_naming_the_field(change, field):
    base = dict(id="a" * 32, symbol="AAPL.US", kind="trend",
                anchors=((T0, 1.0), (T0 + 60, 2.0)), text="", style={})
    with pytest.raises(ValueError, match=field):
        DrawingRecord(**{**base, **change})


def test_text_note_needs_text_and_records_are_normalised():
    with pytest.raises(ValueError, match=r"DrawingRecord\.text: a text note"):
        DrawingRecord.create("AAPL.US", "text", [(T0, 1.0)], text=" ")
    rec = DrawingRecord.create("AAPL.US", "level", [[T0, 7]], style={"width": 2, "c": "#fff"})
    assert rec.anchors == ((T0, 7.0),) and isinstance(rec.anchors[0][1], float)
    assert dict(rec.style) == {"width": 2.0, "c": "#fff"}
    with pytest.raises(TypeError):
        rec.style["width"] = 3  # type: ignore[index]
    assert hash(rec) == hash(rec.with_anchors([(T0, 7.0)]))
    assert rec.with_anchors([(T0 + 60, 8.0)]).anchors == ((T0 + 60, 8.0),)


def test_save_and_read_every_kind_in_creation_order(user: UserStore):
    records = [drawing(k, style={"color": "#ffcc00", "width": 1.5}) for k in KINDS]
    for rec in records:
        user.drawings.save(rec)
    user.drawings.save(drawing("level", symbol="MSFT.US"))
    assert user.drawings.for_symbol("AAPL.US") == records
    assert [r.kind for r in user.drawings.for_symbol("MSFT.US")] == ["level"]
    assert user.drawings.for_symbol("NONE.US") == []


def test_save_updates_in_place_and_delete_is_idempotent(user: UserStore):
    a, b = drawing("trend"), drawing("rect")
    user.drawings.save(a)
    user.drawings.save(b)
    moved = a.with_anchors([(T0 + 86_400, 11.0), (T0 + 2 * 86_400, 13.0)]).with_text("label")
    user.drawings.save(moved)
    assert user.drawings.for_symbol("AAPL.US") == [moved, b]  # a kept its place
    user.drawings.delete(a.id)
    user.drawings.delete(a.id)  # already gone: no error
    user.drawings.delete("f" * 32)
    assert user.drawings.for_symbol("AAPL.US") == [b]


def test_replace_symbol_stores_the_given_order(user: UserStore):
    a, b, c = drawing("trend"), drawing("level"), drawing("text")
    user.drawings.save(a)
    user.drawings.save(b)
    user.drawings.save(drawing("ray", symbol="MSFT.US"))
    user.drawings.replace_symbol("AAPL.US", [c, a, b])
    assert user.drawings.for_symbol("AAPL.US") == [c, a, b]
    user.drawings.replace_symbol("AAPL.US", [])
    assert user.drawings.for_symbol("AAPL.US") == []
    assert len(user.drawings.for_symbol("MSFT.US")) == 1  # other symbols untouched


def test_replace_symbol_failure_leaves_the_old_rows(user: UserStore):
    old = [drawing("trend"), drawing("level")]
    user.drawings.replace_symbol("AAPL.US", old)
    other = drawing("ray", symbol="MSFT.US")
    user.drawings.save(other)
    # the id of MSFT's drawing, reused for AAPL: the insert fails after the delete ran
    clash = DrawingRecord(other.id, "AAPL.US", "level", ((T0, 1.0),))
    with pytest.raises(StoreError) as info:
        user.drawings.replace_symbol("AAPL.US", [drawing("rect"), clash])
    assert user.where in str(info.value) and "AAPL.US" in str(info.value)
    assert user.drawings.for_symbol("AAPL.US") == old
    with pytest.raises(ValueError, match=r"records\[0\].*belongs to MSFT.US"):
        user.drawings.replace_symbol("AAPL.US", [other])
    with pytest.raises(ValueError, match="appears twice"):
        user.drawings.replace_symbol("AAPL.US", [old[0], old[0]])
    assert user.drawings.for_symbol("AAPL.US") == old
    assert user.drawings.for_symbol("MSFT.US") == [other]


def test_an_unreadable_row_is_reported_not_dropped(user: UserStore):
    rec = drawing("trend")
    user.drawings.save(rec)
    table = user_table("drawings")
    with user.engine.begin() as conn:
        conn.execute(update(table).where(table.c.id == rec.id).values(anchors="[[1, 2]"))
    with pytest.raises(DrawingUnreadable) as info:
        user.drawings.for_symbol("AAPL.US")
    assert rec.id in str(info.value) and "AAPL.US" in info.value.user_message
    with user.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM drawings")).scalar() == 1
