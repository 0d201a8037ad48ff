"""Opening stores: fresh creation, the schema equals the models, backups before upgrades,
schemas newer than the app refused untouched, damaged files set aside, typed open errors."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from drummond_desktop.core import paths
from drummond_desktop.core.errors import (
    CorruptStoreRecovered,
    MigrationFailed,
    SchemaTooNew,
    StoreError,
    StoreUnavailable,
)
from drummond_desktop.store import migrate, migrations, open_market_store
from drummond_desktop.store.schema import MarketBase
from tests.store.factories import make_bars, same_bits


def _market_file() -> Path:
    return paths.user_data_dir() / "market.sqlite"


def _fingerprint(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), st.st_size, st.st_mtime_ns


def test_revision_list_matches_the_scripts():
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations.SCRIPT_DIR))
    script = ScriptDirectory.from_config(cfg)
    for store, revisions in migrations.REVISIONS.items():
        walked = [r.revision for r in script.walk_revisions(f"{store}@base", f"{store}@head")]
        assert tuple(reversed(walked)) == revisions, store


def test_fresh_store_matches_the_models(store_url):
    with open_market_store(store_url) as store:
        assert store.upgraded and store.backup is None and store.notice is None
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), MarketBase.metadata)
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert diff == []
        assert version == migrations.head("market")
    with open_market_store(store_url) as again:
        assert not again.upgraded and again.backup is None


def test_sqlite_connections_are_configured(sqlite_store):
    with sqlite_store.engine.connect() as conn:
        pragma = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                  for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}
    assert pragma == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1,
                      "busy_timeout": 5000}
    assert sqlite_store.target.path == _market_file()


def _base_revision_file(path: Path) -> None:
    """A store file at the base revision: an empty version table, plus some content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    con.execute("CREATE TABLE legacy (x INTEGER)")
    con.execute("INSERT INTO legacy VALUES (42)")
    con.commit()
    con.close()


def test_backup_is_taken_before_upgrading():
    path = _market_file()
    _base_revision_file(path)
    for stamp in ("20200101T000000000000Z", "20200102T000000000000Z", "20200103T000000000000Z"):
        path.with_name(f"market.sqlite.bak-{stamp}").write_bytes(b"old backup")
    with open_market_store() as store:
        assert store.upgraded and store.backup is not None
        assert store.backup.name.startswith("market.sqlite.bak-")
        store.bars.upsert("AAPL.US", "1d", make_bars(5))
    con = sqlite3.connect(store.backup)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert con.execute("SELECT x FROM legacy").fetchall() == [(42,)]
    con.close()
    assert "bar_chunks" not in tables  # the copy was taken before the upgrade
    backups = sorted(p.name for p in path.parent.glob("market.sqlite.bak-*"))
    assert len(backups) == migrate.KEEP_BACKUPS and backups[-1] == store.backup.name


def test_failed_upgrade_rolls_back_and_names_the_backup(monkeypatch):
    path = _market_file()
    _base_revision_file(path)

    def half_migration(conn, store):
        conn.execute(text("CREATE TABLE half_done (x INTEGER)"))
        raise RuntimeError("step 2 failed")

    monkeypatch.setattr(migrate, "_alembic_upgrade", half_migration)
    with pytest.raises(MigrationFailed) as info:
        open_market_store()
    assert info.value.backup is not None and info.value.backup.exists()
    assert str(info.value.backup) in info.value.user_message
    assert "step 2 failed" in str(info.value) and str(path) in str(info.value)
    con = sqlite3.connect(path)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    con.close()
    assert tables == {"alembic_version", "legacy"}


def test_newer_schema_is_refused_untouched():
    with open_market_store() as store:
        store.bars.upsert("AAPL.US", "1d", make_bars(10))
    path = _market_file()
    con = sqlite3.connect(path)
    con.execute("UPDATE alembic_version SET version_num = 'market_9999'")
    con.commit()
    con.close()
    before = _fingerprint(path)
    with pytest.raises(SchemaTooNew) as info:
        open_market_store()
    assert info.value.revision == "market_9999"
    assert str(path) in str(info.value) and "market_9999" in str(info.value)
    assert "newer version" in info.value.user_message
    assert _fingerprint(path) == before
    # no backup, no set-aside copy; the read-only check may leave SQLite's empty -wal/-shm
    wal = path.with_name("market.sqlite-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert set(os.listdir(path.parent)) <= {"market.sqlite", "market.sqlite-wal",
                                            "market.sqlite-shm"}


def test_newer_schema_is_refused_on_postgres(pg_database):
    from tests.store.pg import pg_schema_url

    urls = pg_schema_url(pg_database)
    url = next(urls)
    try:
        with open_market_store(url) as store, store.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'market_9999'"))
        with pytest.raises(SchemaTooNew, match="market_9999"):
            open_market_store(url)
    finally:
        urls.close()


def test_corrupt_file_is_set_aside_with_its_sidecars():
    path = _market_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    garbage = os.urandom(64 * 1024)
    path.write_bytes(garbage)
    path.with_name("market.sqlite-wal").write_bytes(b"stray wal" * 100)
    path.with_name("market.sqlite-shm").write_bytes(b"stray shm" * 100)
    with open_market_store() as store:
        notice = store.notice
        assert isinstance(notice, CorruptStoreRecovered)
        store.bars.upsert("AAPL.US", "1d", make_bars(3))  # the fresh store works
        assert store.bars.count("AAPL.US", "1d") == 3
    moved = notice.moved_to
    assert moved.name.startswith("market.sqlite.corrupt-")
    assert moved.read_bytes() == garbage
    assert moved.with_name(moved.name + "-wal").read_bytes() == b"stray wal" * 100
    assert moved.with_name(moved.name + "-shm").read_bytes() == b"stray shm" * 100
    assert str(moved) in notice.user_message and str(path) in str(notice)
    assert "not a database" in notice.reason


def test_damaged_pages_are_detected():
    with open_market_store() as store:
        bars = make_bars(20_000)
        store.bars.upsert("AAPL.US", "1d", bars)
    path = _market_file()
    data = bytearray(path.read_bytes())
    data[4096 * 3: 4096 * 3 + 200] = bytes(200)
    path.write_bytes(bytes(data))
    with open_market_store() as store:
        assert store.notice is not None and "malformed" in store.notice.reason
        assert store.bars.count("AAPL.US", "1d") == 0
        store.bars.upsert("AAPL.US", "1d", bars)
        assert same_bits(store.bars.load("AAPL.US", "1d"), bars)


def test_orphan_wal_is_moved_away():
    path = _market_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_name("market.sqlite-wal").write_bytes(b"x" * 1000)
    with open_market_store() as store:
        assert store.notice is None
    assert list(path.parent.glob("market.sqlite-wal.orphan-*"))


def test_open_errors_are_typed_and_hide_passwords():
    with pytest.raises(StoreUnavailable, match="unsupported database"):
        open_market_store("mysql://u:secret@host/db")
    with pytest.raises(StoreUnavailable) as info:
        open_market_store("postgresql://u:secret@127.0.0.1:1/db")
    assert "secret" not in str(info.value) and "127.0.0.1:1" in str(info.value)
    with pytest.raises(StoreUnavailable, match="needs a file path"):
        open_market_store("sqlite://")
    assert "secret" not in info.value.user_message


def test_sqlite_url_opens_that_file(tmp_path):
    target = tmp_path / "elsewhere" / "m.sqlite"
    with open_market_store(f"sqlite:///{target}") as store:
        assert store.target.path == target and store.where == str(target)
    assert target.exists()


def test_upgrades_run_without_foreign_key_cascades(monkeypatch):
    seen: list[int] = []
    real = migrate._alembic_upgrade

    def probe(conn, store):
        seen.append(conn.exec_driver_sql("PRAGMA foreign_keys").scalar())
        real(conn, store)

    monkeypatch.setattr(migrate, "_alembic_upgrade", probe)
    with open_market_store() as store:
        assert seen == [0]
        with store.engine.connect() as conn:  # the pooled connection has them back on
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_locked_file_is_not_mistaken_for_a_damaged_one(monkeypatch):
    with open_market_store() as store:
        store.bars.upsert("AAPL.US", "1d", make_bars(5))
    path = _market_file()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(migrate, "BUSY_TIMEOUT_S", 0.1)
    try:
        with pytest.raises(StoreError, match=r"locked|busy") as info:
            open_market_store()
        assert not isinstance(info.value, CorruptStoreRecovered)
        assert not list(path.parent.glob("market.sqlite.corrupt-*"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with open_market_store() as store:
        assert store.notice is None and store.bars.count("AAPL.US", "1d") == 5
