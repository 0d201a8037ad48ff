"""Alembic migrations of both stores, run programmatically by ``store/migrate.py`` (no
``alembic.ini``). One script directory, two independent branches with their own version tables:
``market`` (``alembic_version``) and ``user`` (``alembic_version_user``), so the two stores can
share one PostgreSQL database.

To add a revision (development only)::

    .venv/bin/python -m drummond_desktop.store.migrate revision market "add column x"

then edit the generated file under ``versions/``: write explicit ``op`` calls (batch mode on
SQLite is already on), never ``metadata.create_all``.
"""

from __future__ import annotations

from pathlib import Path

SCRIPT_DIR = Path(__file__).resolve().parent

# Every revision this app knows, per store, oldest first; the last one is the head. Opening a
# store compares its version table with these without importing Alembic (a third of a second);
# tests/store/test_migrations.py checks they match the revision files.
REVISIONS: dict[str, tuple[str, ...]] = {
    "market": ("market_0001", "market_0002"),
    "user": ("user_0001", "user_0002", "user_0003"),
}


def head(store: str) -> str:
    return REVISIONS[store][-1]
