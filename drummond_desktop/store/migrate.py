"""Opening a store safely: health check, corrupt files set aside, backups before upgrades,
refusal of schemas newer than the app, and the Alembic upgrade itself
(``../shared/docs/reliability.md`` §3.6-3.7).

Order for a SQLite file (all of it before the engine, whose connections switch the file to WAL,
touches anything):

1. ``PRAGMA quick_check`` with plain ``sqlite3``. A file that is not a database, or fails the
   check, is moved aside with its ``-wal``/``-shm``/``-journal`` files to
   ``<name>.corrupt-<UTC time>`` (never deleted) and a fresh store is created in its place.
2. The revision in the version table: one this app does not know was written by a newer app,
   so the file is refused with ``SchemaTooNew`` and left byte-for-byte untouched.
3. An older revision (or none, in a file that has content): an online backup with
   ``sqlite3.Connection.backup`` to ``<name>.bak-<UTC time>`` (the newest three are kept),
   ``quick_check`` of the backup, then the upgrade in one transaction - SQLite DDL is
   transactional, so a failed upgrade leaves the file as it was, and the error names the backup.

PostgreSQL gets steps 2-3 without the file backup (server backups belong to its admin), under an
advisory lock so two apps starting at once do not both migrate.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from drummond_desktop.core.errors import (
    MigrationFailed,
    SchemaTooNew,
    StoreError,
    StoreUnavailable,
)
from drummond_desktop.store import migrations
from drummond_desktop.store.engines import StoreTarget, translate, write_transaction
from drummond_desktop.store.schema import MARKET_VERSION_TABLE, USER_VERSION_TABLE

if TYPE_CHECKING:
    import alembic.config

log = logging.getLogger(__name__)

VERSION_TABLES = {"market": MARKET_VERSION_TABLE, "user": USER_VERSION_TABLE}
KEEP_BACKUPS = 3
_PG_LOCK_SCHEMA = (0x444D, 0)  # "DM": pg_advisory_xact_lock(namespace, 0) for upgrades
_SIDECARS = ("-wal", "-shm", "-journal")
BUSY_TIMEOUT_S = 5.0
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection: it never checkpoints, truncates or deletes a ``-wal`` file, so
    checking a file cannot change it (a hot WAL is still read, its index built in memory)."""
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)


def _is_damage(exc: sqlite3.Error) -> bool:
    # SQLITE_CORRUPT (11) or SQLITE_NOTADB (26): the file itself is bad. Anything else (locked,
    # cannot open, I/O error) says nothing about the file and must never get it moved aside.
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in (11, 26)


def sqlite_problem(path: Path) -> str | None:
    """Why the SQLite file at ``path`` is damaged (``None`` when ``quick_check`` is ok).
    ``StoreUnavailable`` when it cannot be checked at all (permissions, locks, I/O errors)."""
    try:
        with path.open("rb") as f:
            header = f.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise StoreUnavailable(path, f"cannot be read: {exc}") from None
    if not header:
        return None  # an empty file is an empty database
    if header != _SQLITE_MAGIC:
        # not even SQLite's header: judged without letting SQLite touch the file or sidecars
        return "file is not a database"
    try:
        con = read_only(path)
        try:
            rows = con.execute("PRAGMA quick_check").fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:
        if _is_damage(exc):
            return str(exc)
        raise translate(exc, str(path), "checking the file") from exc
    if rows != [("ok",)]:
        return "quick_check: " + "; ".join(str(r[0]) for r in rows[:3])
    return None


def set_aside(path: Path) -> Path:
    """Move ``path`` and its sidecar files to ``<name>.corrupt-<time>``; return the new path.
    Sidecars keep their suffix, so the moved set still opens as one database: a WAL must never
    be separated from its database or replayed into another one."""
    dest = path.with_name(f"{path.name}.corrupt-{_stamp()}")
    try:
        os.replace(path, dest)
        for suffix in _SIDECARS:
            side = path.with_name(path.name + suffix)
            if side.exists():
                os.replace(side, dest.with_name(dest.name + suffix))
    except OSError as exc:
        raise StoreUnavailable(path, f"damaged, and it cannot be moved aside: {exc}") from None
    return dest


def sqlite_revisions(path: Path, store: str) -> set[str]:
    """The revisions in the file's version table (empty: none, or no table)."""
    table = VERSION_TABLES[store]
    try:
        con = read_only(path)
        try:
            if con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                           (table,)).fetchone() is None:
                return set()  # a new file, or one at the base revision
            rows = con.execute(f"SELECT version_num FROM {table}").fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise translate(exc, str(path), "reading the schema revision") from exc
    return {str(r[0]) for r in rows}


def sqlite_has_tables(path: Path) -> bool:
    """Whether the file holds any table (an empty one needs no backup before its upgrade)."""
    try:
        con = read_only(path)
        try:
            return con.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise translate(exc, str(path), "reading the schema") from exc


def check_known(revisions: set[str], store: str, where: str) -> bool:
    """``True`` when the store is at the head revision, ``False`` when it needs an upgrade;
    ``SchemaTooNew`` for a revision this app does not know."""
    known = migrations.REVISIONS[store]
    for rev in sorted(revisions):
        if rev not in known:
            raise SchemaTooNew(where, rev, migrations.head(store))
    return revisions == {migrations.head(store)}


def backup_sqlite(path: Path) -> Path:
    """An online copy of the database (``sqlite3`` backup API), checked, the newest three kept."""
    dest = path.with_name(f"{path.name}.bak-{_stamp()}")
    try:
        src = read_only(path)
        try:
            dst = sqlite3.connect(dest)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        dest.unlink(missing_ok=True)  # a partial copy is no backup
        raise translate(exc, str(path), f"backing it up to {dest.name} before an upgrade") \
            from exc
    problem = sqlite_problem(dest)
    if problem is not None:
        raise MigrationFailed(path, f"the backup {dest} is damaged ({problem})", None)
    backups = sorted(path.parent.glob(f"{path.name}.bak-*"))
    for old in backups[:-KEEP_BACKUPS]:
        old.unlink(missing_ok=True)
    return dest


def _db_revisions(conn: Connection, store: str) -> set[str]:
    table = VERSION_TABLES[store]
    if not conn.dialect.has_table(conn, table):
        return set()
    return {str(r[0]) for r in conn.execute(text(f"SELECT version_num FROM {table}"))}


def upgrade(engine: Engine, target: StoreTarget, store: str, backup: Path | None) -> bool:
    """Bring the store to the head revision in one transaction; ``True`` if it upgraded.
    ``SchemaTooNew`` for an unknown revision, ``MigrationFailed`` (naming ``backup``) when an
    upgrade step fails."""
    where = target.where
    # Foreign keys off while migrating SQLite: a batch-mode table rebuild drops the old table,
    # and with enforcement on that drop would cascade-delete every row referencing it.
    # foreign_key_check afterwards proves the rebuilt tables still agree.
    with write_transaction(engine, where, "upgrading the schema", foreign_keys=False) as conn:
        if target.dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:ns, :id)"),
                         {"ns": _PG_LOCK_SCHEMA[0], "id": _PG_LOCK_SCHEMA[1]})
        if check_known(_db_revisions(conn, store), store, where):
            return False
        try:
            _alembic_upgrade(conn, store)
            if target.dialect == "sqlite":
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise MigrationFailed(where, f"foreign_key_check after the upgrade: "
                                                 f"{broken[:3]}", backup)
        except StoreError:
            raise
        except Exception as exc:  # any failing step: roll back, name the backup
            raise MigrationFailed(where, f"{type(exc).__name__}: {exc}", backup) from exc
    log.info("%s: schema upgraded to %s", where, migrations.head(store))
    return True


def _alembic_config(store: str) -> alembic.config.Config:
    import alembic.config  # imported only when a migration runs (~0.3 s)

    cfg = alembic.config.Config()
    cfg.set_main_option("script_location", str(migrations.SCRIPT_DIR))
    cfg.attributes["store"] = store
    return cfg


def _alembic_upgrade(conn: Connection, store: str) -> None:
    from alembic import command

    cfg = _alembic_config(store)
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, f"{store}@head")


def new_revision(store: str, message: str) -> None:
    """Write a new, empty revision file for ``store`` (development helper)."""
    from alembic import command

    cfg = _alembic_config(store)
    number = len(migrations.REVISIONS[store]) + 1
    command.revision(cfg, message=message, head=f"{store}@head",
                     rev_id=f"{store}_{number:04d}")
    print(f"add {store}_{number:04d} to REVISIONS in {migrations.SCRIPT_DIR / '__init__.py'}")


if __name__ == "__main__":  # python -m drummond_desktop.store.migrate revision market "msg"
    if len(sys.argv) != 4 or sys.argv[1] != "revision" or sys.argv[2] not in VERSION_TABLES:
        sys.exit("usage: python -m drummond_desktop.store.migrate revision {market,user} MSG")
    new_revision(sys.argv[2], sys.argv[3])
