"""Alembic environment: runs on the connection ``store/migrate.py`` hands over.

``render_as_batch=True`` makes ``op.batch_alter_table`` rebuild SQLite tables ("move and copy"),
which is how SQLite changes columns; on PostgreSQL the same calls become plain ``ALTER``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from drummond_desktop.store.schema import (
    MARKET_VERSION_TABLE,
    USER_VERSION_TABLE,
    MarketBase,
    UserBase,
)

_TARGETS = {
    "market": (MarketBase.metadata, MARKET_VERSION_TABLE),
    "user": (UserBase.metadata, USER_VERSION_TABLE),
}


def run_migrations_online() -> None:
    config = context.config
    connection: Connection | None = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through drummond_desktop.store.migrate, which passes "
                           "the connection (there is no alembic.ini)")
    metadata, version_table = _TARGETS[config.attributes["store"]]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=version_table,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations_online()
